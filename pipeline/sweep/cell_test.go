package sweep

import (
	"budgetrain/pipeline/runfolder"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// fakeResolve fills the defaults of testKeys, as the real resolver does with the pipeline's,
// and counts 10 steps per epoch.
func fakeResolve(settings map[string]any) (Resolved, error) {
	cfg := maps.Clone(testKeys)
	maps.Copy(cfg, settings)
	if m, _ := cfg["sampler.method"].(string); m == "bad" || m == "worse" {
		return Resolved{}, fmt.Errorf("sampler.method (%q) is unknown", m)
	}
	epochs, _ := cfg["train.epochs"].(int)
	return Resolved{Config: cfg, Steps: 10 * epochs}, nil
}

func plan(t *testing.T, src string) []*Cell {
	t.Helper()
	cells, _, err := Plan(parse(t, src), fakeResolve)
	if err != nil {
		t.Fatal(err)
	}
	return cells
}

func names(cells []*Cell) string {
	var n []string
	for _, c := range cells {
		n = append(n, c.Name)
	}
	return strings.Join(n, "\n")
}

const namedGrid = `
base: {train.epochs: 4, model.name: resnet8}
grid:
  seed: [1, 2]
  sampler.method: [unif-sgd, p-sgd]
include:
  - {sampler.method: sgd, train.budget: 1.0, seed: 1, train.epochs: 2}
`

// TestCellNamesAndHashesAreStable pins the names and hashes of a grid: they must not change
// between runs or versions for the same resolved configurations, or a rerun would not find its
// cells. Varying keys come first in a fixed order, the seed last, then the hash.
func TestCellNamesAndHashesAreStable(t *testing.T) {
	got := names(plan(t, namedGrid))
	want := strings.Join([]string{
		"method=unif-sgd_seed=1_846ca835",
		"method=unif-sgd_seed=2_6874e85d",
		"method=p-sgd_seed=1_49707d19",
		"method=p-sgd_seed=2_0bcdd182",
		"method=sgd_budget=1_epochs=2_seed=1_7e1805f1",
	}, "\n")
	if got != want {
		t.Errorf("names:\n%s\nwant:\n%s", got, want)
	}
	// The same grid spelled differently (nested keys, other order) gives the same cells.
	again := names(plan(t, `
include:
  - {seed: 1, train: {epochs: 2, budget: 1}, sampler.method: sgd}
grid:
  sampler: {method: [unif-sgd, p-sgd]}
  seed: [1, 2]
base: {model: {name: resnet8}, train.epochs: 4}
`))
	if again != want {
		t.Errorf("respelled grid gives:\n%s\nwant:\n%s", again, want)
	}
}

// TestHashOmitsKeysAddedLaterAtTheirOldValue: a key added after sweeps were recorded
// (dataset.image_size) leaves the hash of a configuration that gives it its old behaviour
// unchanged, so recorded sweep folders keep their cells; any other value changes the hash.
func TestHashOmitsKeysAddedLaterAtTheirOldValue(t *testing.T) {
	base := maps.Clone(testKeys)
	for k := range HashOmitDefault {
		delete(base, k)
	}
	h := Hash(base)
	for k, v := range HashOmitDefault {
		m := maps.Clone(base)
		m[k] = v
		if Hash(m) != h {
			t.Errorf("%s = %v changed the hash", k, v)
		}
		m[k] = 16
		if Hash(m) == h && !slices.Contains(HashIgnore, k) { // an environment key is never hashed
			t.Errorf("%s = 16 kept the hash", k)
		}
	}
}

// TestHashReadsChangedDefaultsAsTheirOldValue: a key whose default changed (train.eval_backend,
// onnx → auto) hashes at its new default as at its old one, so recorded cells keep their names;
// any other value still changes the hash.
func TestHashReadsChangedDefaultsAsTheirOldValue(t *testing.T) {
	for k, d := range runfolder.DefaultsChangedLater {
		was, now, other := maps.Clone(testKeys), maps.Clone(testKeys), maps.Clone(testKeys)
		was[k], now[k], other[k] = d.Was, d.Now, "something else"
		if Hash(now) != Hash(was) {
			t.Errorf("%s = %v hashes as %s, %v as %s; want the same", k, d.Now, Hash(now), d.Was, Hash(was))
		}
		if Hash(other) == Hash(was) {
			t.Errorf("%s = %q kept the hash of %v", k, "something else", d.Was)
		}
	}
}

func TestHashIgnoresNamesAndThreadsOnly(t *testing.T) {
	base := maps.Clone(testKeys)
	h := Hash(base)
	for _, k := range HashIgnore {
		m := maps.Clone(base)
		m[k] = "changed"
		if Hash(m) != h {
			t.Errorf("changing %s changed the hash", k)
		}
	}
	m := maps.Clone(base)
	m["train.lr"] = 0.2
	if Hash(m) == h {
		t.Error("changing train.lr kept the hash")
	}
	if len(h) != 8 {
		t.Errorf("hash %q: want 8 hex digits", h)
	}
}

func TestPlanKeepsEqualConfigurationsOnce(t *testing.T) {
	cells, dups, err := Plan(parse(t, `
grid: {seed: [1, 2]}
include: [{seed: 1}, {train.lr: 0.1, seed: 2}]`), fakeResolve)
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 2 || dups != 2 {
		t.Errorf("%d cells, %d duplicates; want 2 and 2", len(cells), dups)
	}
}

// TestPlanReportsEachProblemOnce: every distinct problem is reported, once, with its first cell
// and the number of others that share it (a bad value in a 10,000-cell grid is one line).
func TestPlanReportsEachProblemOnce(t *testing.T) {
	_, _, err := Plan(parse(t, `grid: {sampler.method: [bad, unif-sgd, worse], seed: [1, 2, 3, 4]}`), fakeResolve)
	if err == nil || strings.Count(err.Error(), "is unknown") != 2 ||
		!strings.Contains(err.Error(), `cell {sampler.method: bad, seed: 1} and 3 more: sampler.method ("bad") is unknown`) ||
		!strings.Contains(err.Error(), `cell {sampler.method: worse, seed: 1} and 3 more: sampler.method ("worse") is unknown`) {
		t.Errorf("got %v, want each bad value once with its cell count", err)
	}
	big := "grid: {sampler.method: [bad], seed: ["
	for i := range 10000 {
		big += fmt.Sprintf("%d, ", i)
	}
	_, _, err = Plan(parse(t, strings.TrimSuffix(big, ", ")+"]}"), fakeResolve)
	if err == nil || strings.Count(err.Error(), "\n") != 0 || !strings.Contains(err.Error(), "and 9999 more") {
		t.Errorf("10,000 bad cells: %d lines, want 1", strings.Count(fmt.Sprint(err), "\n")+1)
	}
}

func TestNamesDisambiguateShortKeysAndCleanValues(t *testing.T) {
	cells := plan(t, `grid: {a.size: [1, 2], b.size: [x/y, z]}
include: [{model.name: "p q"}]`)
	if want := "a.size=1_b.size=x-y_"; !strings.HasPrefix(cells[0].Name, want) {
		t.Errorf("name %q, want prefix %q (two keys whose short name is \"size\")", cells[0].Name, want)
	}
	if want := "model=p-q_"; !strings.HasPrefix(cells[4].Name, want) {
		t.Errorf("name %q, want prefix %q", cells[4].Name, want)
	}
}
