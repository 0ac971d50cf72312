package sweep

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"budgetrain/pipeline/runfolder"
)

// Spec is a parsed grid file. Keys are dotted config keys ("train.budget").
type Spec struct {
	Base    map[string]any     `yaml:"base"`
	Grid    map[string][]any   `yaml:"grid"`
	Include []map[string][]any `yaml:"include"`
	Exclude []map[string][]any `yaml:"exclude"`
}

// Reserved are the keys a grid may not set: the sweep names every cell and puts it in its
// own folder.
var Reserved = []string{"name", "out"}

// ParseSpec reads a grid file's content (as decoded from YAML) against keys, the flat default
// configuration (dotted key → default value; a []any default marks a list-valued key). Nested
// and dotted keys are both accepted. Top-level keys other than base, grid, include, exclude and
// cells (written by the sweep into sweep.yaml, ignored here) are errors. Every problem is
// reported, one per line.
func ParseSpec(raw map[string]any, keys map[string]any) (Spec, error) {
	s := Spec{Base: map[string]any{}, Grid: map[string][]any{}}
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	for top, v := range raw {
		switch top {
		case "base":
			m, ok := asMap(v)
			if !ok && v != nil {
				bad("base: want a map of config keys, got %T", v)
				continue
			}
			flatten("", m, keys, func(k string, val any) { s.Base[k] = val }, func(e string) { bad("base: %s", e) })
		case "grid":
			m, ok := asMap(v)
			if !ok && v != nil {
				bad("grid: want a map of config keys to lists, got %T", v)
				continue
			}
			axes, e := parseAxes("grid", m, keys, true)
			errs = append(errs, e...)
			s.Grid = axes
		case "include", "exclude":
			list, ok := v.([]any)
			if !ok && v != nil {
				bad("%s: want a list of maps, got %T", top, v)
				continue
			}
			for i, entry := range list {
				m, ok := asMap(entry)
				where := fmt.Sprintf("%s[%d]", top, i)
				if !ok || len(m) == 0 {
					bad("%s: want a non-empty map of config keys, got %v", where, entry)
					continue
				}
				axes, e := parseAxes(where, m, keys, false)
				errs = append(errs, e...)
				if top == "include" {
					s.Include = append(s.Include, axes)
				} else {
					s.Exclude = append(s.Exclude, axes)
				}
			}
		case "cells", "preset":
		default:
			bad("unknown top-level key %q (want base, grid, include, exclude)", top)
		}
	}
	for _, k := range Reserved {
		if _, ok := s.Base[k]; ok {
			bad("base.%s: set by the sweep for every cell, remove it", k)
		}
		if _, ok := s.Grid[k]; ok {
			bad("grid.%s: set by the sweep for every cell, remove it", k)
		}
		for i, e := range s.Include {
			if _, ok := e[k]; ok {
				bad("include[%d].%s: set by the sweep for every cell, remove it", i, k)
			}
		}
	}
	for k := range s.Grid {
		if _, ok := s.Base[k]; ok {
			bad("%s is in both base and grid", k)
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return s, errors.New("grid: " + strings.Join(errs, "\n  "))
	}
	return s, nil
}

// parseAxes flattens a map of key → alternatives. In the grid every value must be a list; in
// include and exclude a scalar is a one-value list. A list-valued key's alternatives must be
// lists themselves.
func parseAxes(where string, m map[string]any, keys map[string]any, needList bool) (map[string][]any, []string) {
	axes := map[string][]any{}
	var errs []string
	flatten("", m, keys, func(k string, v any) {
		list, isList := v.([]any)
		_, listKey := keys[k].([]any)
		switch {
		case !isList && needList:
			errs = append(errs, fmt.Sprintf("%s.%s: want a list of values, got %v", where, k, v))
			return
		case !isList:
			list = []any{v}
		case listKey && !needList && (len(list) == 0 || !isSliceOf(list)):
			list = []any{list} // include/exclude: a plain list for a list-valued key is one value
		}
		if len(list) == 0 {
			errs = append(errs, fmt.Sprintf("%s.%s: empty list", where, k))
			return
		}
		if listKey && !isSliceOf(list) {
			errs = append(errs, fmt.Sprintf("%s.%s: a list-valued key takes a list of lists (one list per cell), got %v", where, k, v))
			return
		}
		seen := map[string]bool{}
		for _, alt := range list {
			c := Canon(alt)
			if seen[c] {
				errs = append(errs, fmt.Sprintf("%s.%s: value %s given twice", where, k, c))
			}
			seen[c] = true
		}
		axes[k] = list
	}, func(e string) { errs = append(errs, where+": "+e) })
	return axes, errs
}

func isSliceOf(list []any) bool {
	for _, v := range list {
		if _, ok := v.([]any); !ok {
			return false
		}
	}
	return true
}

// flatten walks nested maps and calls leaf for every known dotted key.
func flatten(prefix string, m map[string]any, keys map[string]any, leaf func(string, any), bad func(string)) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if _, known := keys[key]; known {
			leaf(key, m[k])
			continue
		}
		if sub, ok := asMap(m[k]); ok && hasKeyUnder(keys, key) {
			flatten(key, sub, keys, leaf, bad)
			continue
		}
		bad(fmt.Sprintf("unknown config key %q", key))
	}
}

func hasKeyUnder(keys map[string]any, prefix string) bool {
	for k := range keys {
		if strings.HasPrefix(k, prefix+".") {
			return true
		}
	}
	return false
}

// asMap accepts the map types YAML and viper decoders produce (runfolder.AsMap).
var asMap = runfolder.AsMap

// Canon renders a value canonically, so that values from YAML, viper and --set compare equal
// when they mean the same: numbers in shortest form (1.0 → 1), strings bare, lists as
// [a, b] and maps as {k: v} with sorted keys, recursively.
func Canon(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Canon(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]float64:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = e
		}
		return Canon(m)
	}
	if m, ok := asMap(v); ok {
		parts := make([]string, 0, len(m))
		for _, k := range slices.Sorted(maps.Keys(m)) {
			parts = append(parts, k+": "+Canon(m[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	if l, ok := v.([]map[string]any); ok {
		a := make([]any, len(l))
		for i, e := range l {
			a[i] = e
		}
		return Canon(a)
	}
	return fmt.Sprint(v)
}

// Expand returns the settings of every cell in a fixed order: the grid's product (keys sorted,
// the first key varying slowest) minus the excluded cells, then each include entry's product.
// It fails if an exclude entry matches no cell, which is most likely a typo.
func (s Spec) Expand() ([]map[string]any, error) {
	var cells []map[string]any
	if len(s.Grid) > 0 || len(s.Include) == 0 {
		matched := make([]bool, len(s.Exclude))
		for _, c := range product(s.Grid) {
			drop := false
			for i, ex := range s.Exclude {
				if s.matches(c, ex) {
					matched[i], drop = true, true
				}
			}
			if !drop {
				cells = append(cells, c)
			}
		}
		var errs []string
		for i, m := range matched {
			if !m {
				errs = append(errs, fmt.Sprintf("exclude[%d] %s matches no cell of the grid", i, Canon(axesAny(s.Exclude[i]))))
			}
		}
		if len(errs) > 0 {
			return nil, errors.New("grid: " + strings.Join(errs, "\n  "))
		}
	} else if len(s.Exclude) > 0 {
		return nil, errors.New("grid: exclude needs a grid to exclude from (it does not apply to include)")
	}
	for _, inc := range s.Include {
		cells = append(cells, product(inc)...)
	}
	return cells, nil
}

func axesAny(a map[string][]any) map[string]any {
	m := make(map[string]any, len(a))
	for k, v := range a {
		m[k] = v
	}
	return m
}

// matches reports whether cell c (over the base) has, for every key of ex, one of its values.
func (s Spec) matches(c map[string]any, ex map[string][]any) bool {
	for k, alts := range ex {
		v, ok := c[k]
		if !ok {
			if v, ok = s.Base[k]; !ok {
				return false
			}
		}
		if !slices.ContainsFunc(alts, func(a any) bool { return Canon(a) == Canon(v) }) {
			return false
		}
	}
	return true
}

// product is the cartesian product of the axes, keys sorted, the first key slowest.
func product(axes map[string][]any) []map[string]any {
	keys := slices.Sorted(maps.Keys(axes))
	out := []map[string]any{{}}
	for _, k := range keys {
		next := make([]map[string]any, 0, len(out)*len(axes[k]))
		for _, c := range out {
			for _, v := range axes[k] {
				n := maps.Clone(c)
				n[k] = v
				next = append(next, n)
			}
		}
		out = next
	}
	return out
}
