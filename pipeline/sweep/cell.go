package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"budgetrain/pipeline/runfolder"
)

// HashIgnore are the config keys left out of a cell's hash (runfolder.HashIgnore, which owns
// the list and says why).
var HashIgnore = runfolder.HashIgnore

// HashOmitDefault are config keys added after sweeps were first recorded, each with the value
// that keeps the behaviour from before it existed (runfolder.KeysAddedLater, which owns the
// list). A cell with that value hashes as if the key did not exist, so that sweep folders
// recorded before it (and their cell names, which end in the hash) stay valid: without this,
// adding a key renamed every cell and a rerun refused the folder as a different grid.
var HashOmitDefault = runfolder.KeysAddedLater

// Resolved is a cell's configuration as the Resolver made it.
type Resolved struct {
	Config map[string]any // flat resolved configuration (dotted keys), hashed
	Steps  int            // planned optimizer steps T (0 = unknown)
	Data   any            // the caller's own form of the configuration, kept in Cell.Data
}

// Resolver turns a cell's settings (base < cell values, dotted keys) into its configuration,
// or says why it is invalid.
type Resolver func(settings map[string]any) (Resolved, error)

// Cell is one run of a sweep.
type Cell struct {
	Index    int            // position in the plan (expansion order); shards are taken by it
	Name     string         // folder name under the sweep folder
	Hash     string         // 8 hex digits of the resolved configuration's SHA-256
	Values   map[string]any // the grid or include values of this cell
	Settings map[string]any // base < Values
	Config   map[string]any // resolved flat configuration
	Steps    int            // planned optimizer steps T
	Data     any            // Resolved.Data
	File     []byte         // configuration file the child process is started with (runfolder.CellFile)
}

// Plan expands spec and resolves every cell. Problems with any cell are all reported, one line
// each, prefixed with the cell's values. Cells whose resolved configurations are equal are kept
// once; dups counts the dropped ones.
func Plan(spec Spec, resolve Resolver) (cells []*Cell, dups int, err error) {
	vals, err := spec.Expand()
	if err != nil {
		return nil, 0, err
	}
	// One line per distinct problem, naming its first cell and how many more share it: a bad
	// value in a large grid is one problem, not one per cell.
	var msgs []string
	first, count := map[string]string{}, map[string]int{}
	seen := map[string]bool{}
	for _, v := range vals {
		settings := maps.Clone(spec.Base)
		maps.Copy(settings, v)
		r, err := resolve(settings)
		if err != nil {
			m := err.Error()
			if count[m] == 0 {
				msgs, first[m] = append(msgs, m), Canon(v)
			}
			count[m]++
			continue
		}
		h := Hash(r.Config)
		if seen[h] {
			dups++
			continue
		}
		seen[h] = true
		cells = append(cells, &Cell{Index: len(cells), Hash: h, Values: v, Settings: settings, Config: r.Config, Steps: r.Steps, Data: r.Data})
	}
	if len(msgs) > 0 {
		errs := make([]string, len(msgs))
		for i, m := range msgs {
			who := "cell " + first[m]
			if n := count[m]; n > 1 {
				who = fmt.Sprintf("cell %s and %d more", first[m], n-1)
			}
			errs[i] = who + ": " + strings.ReplaceAll(m, "\n", "\n    ")
		}
		return nil, 0, errors.New(strings.Join(errs, "\n"))
	}
	name(cells)
	return cells, dups, nil
}

// Hash returns the first 8 hex digits of the SHA-256 of the canonical form (Canon) of config without
// the HashIgnore keys and the HashOmitDefault keys that have their value there, a key of
// runfolder.DefaultsChangedLater at its new default hashed as its old one.
func Hash(config map[string]any) string {
	m := maps.Clone(config)
	for _, k := range HashIgnore {
		delete(m, k)
	}
	for k, v := range HashOmitDefault {
		if got, ok := m[k]; ok && Canon(got) == Canon(v) {
			delete(m, k)
		}
	}
	for k, d := range runfolder.DefaultsChangedLater {
		if got, ok := m[k]; ok && Canon(got) == Canon(d.Now) {
			m[k] = d.Was
		}
	}
	sum := sha256.Sum256([]byte(Canon(m)))
	return hex.EncodeToString(sum[:4])
}

// shortNames are the folder-name spellings of common keys: the train command's flag names.
var shortNames = map[string]string{
	"sampler.method": "method",
	"train.budget":   "budget",
	"train.epochs":   "epochs",
	"model.name":     "model",
	"dataset.name":   "dataset",
	"augment.policy": "augment",
}

// ShortName is the spelling of key in folder names (before disambiguation).
func ShortName(key string) string {
	if s, ok := shortNames[key]; ok {
		return s
	}
	return key[strings.LastIndex(key, ".")+1:]
}

// nameOrder puts the keys that say most about a run first and the seed last.
var nameOrder = []string{"dataset.name", "model.name", "sampler.method", "augment.policy", "train.budget", "train.epochs"}

func nameRank(k string) (int, string) {
	if i := slices.Index(nameOrder, k); i >= 0 {
		return i, k
	}
	if k == "seed" {
		return len(nameOrder) + 1, k
	}
	return len(nameOrder), k
}

// name gives every cell its folder name: key=value for each key the cell sets whose resolved
// value is not the same in all cells, then the hash.
func name(cells []*Cell) {
	varies := map[string]bool{}
	for _, c := range cells {
		for k := range c.Values {
			if varies[k] {
				continue
			}
			v := Canon(c.Config[k])
			varies[k] = slices.ContainsFunc(cells, func(o *Cell) bool { return Canon(o.Config[k]) != v })
		}
	}
	for k, v := range varies {
		if !v {
			delete(varies, k)
		}
	}
	keys := slices.Collect(maps.Keys(varies))
	slices.SortFunc(keys, func(a, b string) int {
		ra, ka := nameRank(a)
		rb, kb := nameRank(b)
		if ra != rb {
			return ra - rb
		}
		return strings.Compare(ka, kb)
	})
	short := map[string]string{}
	count := map[string]int{}
	for _, k := range keys {
		count[ShortName(k)]++
	}
	for _, k := range keys {
		if short[k] = ShortName(k); count[short[k]] > 1 {
			short[k] = k
		}
	}
	for _, c := range cells {
		var parts []string
		for _, k := range keys {
			if v, ok := c.Values[k]; ok {
				parts = append(parts, short[k]+"="+pathSafe(Canon(v)))
			}
		}
		parts = append(parts, c.Hash)
		c.Name = strings.Join(parts, "_")
	}
}

// pathSafe keeps letters, digits and . + - = of a value, replaces anything else by '-' and
// cuts it to 40 bytes (the hash keeps names unique).
func pathSafe(s string) string {
	b := []byte(s)
	for i, ch := range b {
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9', ch == '.', ch == '+', ch == '-', ch == '=':
		default:
			b[i] = '-'
		}
	}
	s = strings.Trim(string(b), "-")
	if len(s) > 40 {
		s = s[:40]
	}
	if s == "" {
		s = "-"
	}
	return s
}

// TotalSteps sums the planned optimizer steps of cells.
func TotalSteps(cells []*Cell) int {
	n := 0
	for _, c := range cells {
		n += c.Steps
	}
	return n
}
