package sweep

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func readBack(t *testing.T, dir string) Record {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, RecordFile))
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
