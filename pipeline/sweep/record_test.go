package sweep

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"budgetrain/pipeline/runfolder"
)

func readBack(t *testing.T, dir string) Record {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, runfolder.RecordFile))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	r, err := ParseRecord(raw, testKeys)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRecordRoundTripMatches(t *testing.T) {
	spec := parse(t, namedGrid)
	cells, _, _ := Plan(spec, fakeResolve)
	dir := t.TempDir()
	if err := WriteRecord(dir, NewRecord(spec, cells)); err != nil {
		t.Fatal(err)
	}
	got := readBack(t, dir)
	if err := Check(dir, &got, NewRecord(spec, cells)); err != nil {
		t.Errorf("the written record does not match itself: %v", err)
	}
	// sweep.yaml is itself a grid file: planning it gives the same cells.
	again, _, err := Plan(got.Spec, fakeResolve)
	if err != nil || names(again) != names(cells) {
		t.Errorf("replanned from sweep.yaml: %v\n%s\nwant\n%s", err, names(again), names(cells))
	}
}

func TestChangedGridIsRefusedWithDifferences(t *testing.T) {
	spec := parse(t, namedGrid)
	cells, _, _ := Plan(spec, fakeResolve)
	dir := t.TempDir()
	WriteRecord(dir, NewRecord(spec, cells))
	rec := readBack(t, dir)

	changed := parse(t, strings.Replace(strings.Replace(namedGrid, "seed: [1, 2]", "seed: [1, 2, 3]", 1), "train.epochs: 4", "train.epochs: 5", 1))
	cells2, _, _ := Plan(changed, fakeResolve)
	err := Check(dir, &rec, NewRecord(changed, cells2))
	if !errors.Is(err, ErrGridChanged) {
		t.Fatalf("got %v, want ErrGridChanged", err)
	}
	for _, frag := range []string{
		"base.train.epochs: sweep.yaml has 4, the grid has 5",
		"grid.seed: sweep.yaml has [1, 2], the grid has [1, 2, 3]",
		"cell method=unif-sgd_seed=1_846ca835: in sweep.yaml, not in the grid",
		"in the grid, not in sweep.yaml",
	} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("error lacks %q:\n%v", frag, err)
		}
	}
}

func TestSameGridDifferentDefaultsIsRefused(t *testing.T) {
	spec := parse(t, namedGrid)
	cells, _, _ := Plan(spec, fakeResolve)
	rec := NewRecord(spec, cells)
	// As if the code's defaults had changed: the same grid resolves to other configurations.
	other := func(s map[string]any) (Resolved, error) {
		r, err := fakeResolve(s)
		r.Config["train.lr"] = 0.5
		return r, err
	}
	cells2, _, _ := Plan(spec, other)
	d := Diff(rec, NewRecord(spec, cells2))
	if len(d) == 0 || !strings.Contains(d[len(d)-1], "resolve differently") {
		t.Errorf("diff %q: want the cells listed and the note that they resolve differently", d)
	}
}

// TestExtendsAcceptsOnlyAppendedCells: a grid that adds cells after the recorded ones extends
// the sweep; one that inserts a cell before a recorded one (moving it to another Slurm task) or
// drops one does not.
func TestExtendsAcceptsOnlyAppendedCells(t *testing.T) {
	spec := parse(t, namedGrid)
	cells, _, _ := Plan(spec, fakeResolve)
	rec := NewRecord(spec, cells)
	record := func(src string) Record {
		s := parse(t, src)
		c, _, err := Plan(s, fakeResolve)
		if err != nil {
			t.Fatal(err)
		}
		return NewRecord(s, c)
	}

	appended := record(namedGrid + "  - {sampler.method: sgd, train.budget: 1.0, seed: 2, train.epochs: 2}\n")
	if Check("d", &rec, appended) == nil {
		t.Fatal("Check accepts a grid with another cell")
	}
	if n, err := Extends("d", rec, appended); err != nil || n != 1 {
		t.Errorf("appended cell: %d added, %v; want 1, nil", n, err)
	}

	inserted := record(strings.Replace(namedGrid, "seed: [1, 2]", "seed: [1, 2, 3]", 1))
	_, err := Extends("d", rec, inserted)
	if !errors.Is(err, ErrNotAnExtension) || !strings.Contains(err.Error(), "position 2: sweep.yaml has cell method=p-sgd_seed=1_49707d19, the grid has method=unif-sgd_seed=3_") {
		t.Errorf("inserted cells: %v", err)
	}
	dropped := record(strings.Replace(namedGrid, "[unif-sgd, p-sgd]", "[unif-sgd]", 1))
	if _, err := Extends("d", rec, dropped); !errors.Is(err, ErrNotAnExtension) || !strings.Contains(err.Error(), "not in the grid") {
		t.Errorf("dropped cells: %v", err)
	}
}
