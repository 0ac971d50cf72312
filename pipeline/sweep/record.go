package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"budgetrain/pipeline/runfolder"
)

// Record is sweep.yaml: the grid a sweep folder was made with, and its cells.
type Record struct {
	Spec  `yaml:",inline"`
	Cells []CellRef `yaml:"cells"`
}

// CellRef is a cell as recorded in sweep.yaml.
type CellRef struct {
	Index int    `yaml:"index"`
	Name  string `yaml:"name"`
	Hash  string `yaml:"hash"`
	Steps int    `yaml:"steps"`
}

// NewRecord is the record of a planned sweep.
func NewRecord(spec Spec, cells []*Cell) Record {
	r := Record{Spec: spec}
	for _, c := range cells {
		r.Cells = append(r.Cells, CellRef{Index: c.Index, Name: c.Name, Hash: c.Hash, Steps: c.Steps})
	}
	return r
}

// ParseRecord reads sweep.yaml's content (as decoded from YAML) against the flat default
// configuration keys, as ParseSpec does.
func ParseRecord(raw map[string]any, keys map[string]any) (Record, error) {
	spec, err := ParseSpec(raw, keys)
	if err != nil {
		return Record{}, fmt.Errorf("%s: %w", runfolder.RecordFile, err)
	}
	r := Record{Spec: spec}
	list, _ := raw["cells"].([]any)
	if len(list) == 0 {
		return r, fmt.Errorf("%s lists no cells: it is empty, cut short or damaged (budgetrain writes every cell of the grid into it); "+
			"restore it (from git or a backup), or rerun the grid into a new folder", runfolder.RecordFile)
	}
	var bad []string
	for i, e := range list {
		m, ok := asMap(e)
		if !ok {
			bad = append(bad, fmt.Sprintf("cells[%d]: want a map, got %v", i, e))
			continue
		}
		name, _ := m["name"].(string)
		hash, _ := m["hash"].(string)
		ref := CellRef{Index: i, Name: name, Hash: hash}
		if n, ok := m["steps"].(int); ok {
			ref.Steps = n
		}
		if !runfolder.PlainName(name) {
			bad = append(bad, fmt.Sprintf("cells[%d].name %q: want the name of a folder inside the sweep folder (no path separators, not . or ..)", i, name))
		}
		if hash == "" {
			bad = append(bad, fmt.Sprintf("cells[%d].hash: missing", i))
		}
		r.Cells = append(r.Cells, ref)
	}
	if len(bad) > 0 {
		return r, fmt.Errorf("%s is damaged:\n  %s", runfolder.RecordFile, strings.Join(bad, "\n  "))
	}
	return r, nil
}

// WriteRecord writes dir/sweep.yaml atomically.
func WriteRecord(dir string, r Record) error {
	var buf bytes.Buffer
	buf.WriteString("# Written by `budgetrain sweep`: the grid of this folder and its cells. A rerun must give\n" +
		"# the same grid; `budgetrain sweep --out DIR` without --grid reruns this one.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write %s: %w", runfolder.RecordFile, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create sweep folder: %w", err)
	}
	return runfolder.WriteFileAtomic(filepath.Join(dir, runfolder.RecordFile), buf.Bytes())
}

// Diff lists, one line each, how the grid now differs from the recorded one: settings first,
// then cells missing on either side. Empty means they match.
func Diff(recorded, now Record) []string {
	var d []string
	mapDiff := func(section string, a, b map[string]any) {
		keys := slices.Sorted(maps.Keys(union(a, b)))
		for _, k := range keys {
			va, oka := a[k]
			vb, okb := b[k]
			if oka && okb && Canon(va) == Canon(vb) {
				continue
			}
			d = append(d, fmt.Sprintf("%s.%s: sweep.yaml has %s, the grid has %s", section, k, show(va, oka), show(vb, okb)))
		}
	}
	listDiff := func(section string, a, b []map[string][]any) {
		for i := range max(len(a), len(b)) {
			var va, vb any
			if i < len(a) {
				va = axesAny(a[i])
			}
			if i < len(b) {
				vb = axesAny(b[i])
			}
			if i < len(a) && i < len(b) && Canon(va) == Canon(vb) {
				continue
			}
			d = append(d, fmt.Sprintf("%s[%d]: sweep.yaml has %s, the grid has %s", section, i, show(va, i < len(a)), show(vb, i < len(b))))
		}
	}
	mapDiff("base", recorded.Base, now.Base)
	mapDiff("grid", axesMap(recorded.Grid), axesMap(now.Grid))
	listDiff("include", recorded.Include, now.Include)
	listDiff("exclude", recorded.Exclude, now.Exclude)
	settings := len(d)
	has := func(refs []CellRef) map[string]bool {
		m := map[string]bool{}
		for _, r := range refs {
			m[r.Name] = true
		}
		return m
	}
	inRec, inNow := has(recorded.Cells), has(now.Cells)
	cellDiff := func(refs []CellRef, other map[string]bool, where string) {
		var names []string
		for _, r := range refs {
			if !other[r.Name] {
				names = append(names, r.Name)
			}
		}
		for i, n := range names {
			if i == maxCellLines {
				d = append(d, fmt.Sprintf("... and %d more cells %s", len(names)-i, where))
				break
			}
			d = append(d, fmt.Sprintf("cell %s: %s", n, where))
		}
	}
	cellDiff(recorded.Cells, inNow, "in sweep.yaml, not in the grid")
	cellDiff(now.Cells, inRec, "in the grid, not in sweep.yaml")
	if settings == 0 && len(d) > 0 {
		d = append(d, "(the grid is the same but its cells resolve differently: the configuration defaults or keys changed since sweep.yaml was written, or sweep.yaml was edited by hand; use a new folder)")
	}
	return d
}

// maxCellLines caps the cells Diff lists on each side.
const maxCellLines = 10

// ErrGridChanged is returned (wrapped) when a grid does not match the folder's sweep.yaml.
var ErrGridChanged = errors.New("the grid does not match the sweep folder's sweep.yaml")

// Check compares the planned sweep with dir's sweep.yaml, if there is one. It returns an
// error wrapping ErrGridChanged that lists the differences.
func Check(dir string, recorded *Record, now Record) error {
	if recorded == nil {
		return nil
	}
	if d := Diff(*recorded, now); len(d) > 0 {
		return fmt.Errorf("%w (%s); differences:\n  %s\nrerun with the recorded grid (`budgetrain sweep --out %s`) or use a new folder",
			ErrGridChanged, filepath.Join(dir, runfolder.RecordFile), strings.Join(d, "\n  "), dir)
	}
	return nil
}

func show(v any, ok bool) string {
	if !ok {
		return "nothing"
	}
	return Canon(v)
}

func union(a, b map[string]any) map[string]any {
	m := maps.Clone(a)
	if m == nil {
		m = map[string]any{}
	}
	maps.Copy(m, b)
	return m
}

func axesMap(a map[string][]any) map[string]any {
	m := make(map[string]any, len(a))
	for k, v := range a {
		m[k] = any(v)
	}
	return m
}

// ErrNotAnExtension is returned (wrapped) by Extends when a changed grid does more than add
// cells after the recorded ones.
var ErrNotAnExtension = errors.New("the grid does not only add cells to the sweep folder's sweep.yaml")

// Extends reports whether now only adds cells to recorded: every recorded cell must come out
// of the new grid unchanged, with the same name, configuration hash and position (positions
// pick Slurm array tasks and shards, so a cell that moved would be run by another task), and
// the new cells come after them. The error, wrapping ErrNotAnExtension, lists the cells that
// break this. It also returns the number of added cells.
func Extends(dir string, recorded, now Record) (int, error) {
	var bad []string
	for i, r := range recorded.Cells {
		switch {
		case i >= len(now.Cells):
			bad = append(bad, fmt.Sprintf("cell %s (position %d): not in the grid", r.Name, i))
		case now.Cells[i].Name != r.Name || now.Cells[i].Hash != r.Hash:
			bad = append(bad, fmt.Sprintf("position %d: sweep.yaml has cell %s, the grid has %s", i, r.Name, now.Cells[i].Name))
		}
		if len(bad) == maxCellLines {
			bad = append(bad, "...")
			break
		}
	}
	if len(bad) > 0 {
		return 0, fmt.Errorf("%w (%s):\n  %s\nonly a grid that keeps every recorded cell, in its place, and adds cells after them can extend a sweep; use a new folder",
			ErrNotAnExtension, filepath.Join(dir, runfolder.RecordFile), strings.Join(bad, "\n  "))
	}
	return len(now.Cells) - len(recorded.Cells), nil
}
