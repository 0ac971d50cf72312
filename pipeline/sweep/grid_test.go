package sweep

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// testKeys is a small flat default configuration, as cmd passes pipeline.FlatConfig.
var testKeys = map[string]any{
	"name": "demo", "out": "", "seed": uint64(1), "threads": 0,
	"sampler.method": "unif-sgd", "train.budget": 0.3, "train.epochs": 15, "train.lr": 0.1,
	"train.milestones": []any{}, "augment.policy": "", "augment.ops": []any{},
	"dataset.name": "fashion-mnist", "model.name": "resnet8", "dataset.train_limit": 0,
	"a.size": 0, "b.size": "",
}

func parse(t *testing.T, src string) Spec {
	t.Helper()
	var raw map[string]any
	if err := yaml.Unmarshal([]byte(src), &raw); err != nil {
		t.Fatal(err)
	}
	s, err := ParseSpec(raw, testKeys)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func expand(t *testing.T, s Spec) []string {
	t.Helper()
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = Canon(c)
	}
	return out
}

func TestExpandIsProductInKeyOrder(t *testing.T) {
	s := parse(t, `
grid:
  train.budget: [0.2, 0.5]
  sampler:
    method: [unif-sgd, p-sgd]
  seed: [1, 2]`)
	got := expand(t, s)
	want := []string{ // keys sorted: sampler.method slowest, then seed, then train.budget
		"{sampler.method: unif-sgd, seed: 1, train.budget: 0.2}",
		"{sampler.method: unif-sgd, seed: 1, train.budget: 0.5}",
		"{sampler.method: unif-sgd, seed: 2, train.budget: 0.2}",
		"{sampler.method: unif-sgd, seed: 2, train.budget: 0.5}",
		"{sampler.method: p-sgd, seed: 1, train.budget: 0.2}",
		"{sampler.method: p-sgd, seed: 1, train.budget: 0.5}",
		"{sampler.method: p-sgd, seed: 2, train.budget: 0.2}",
		"{sampler.method: p-sgd, seed: 2, train.budget: 0.5}",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cells:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestExpandIncludeAndExclude(t *testing.T) {
	s := parse(t, `
base: {train.epochs: 4}
grid:
  sampler.method: [unif-sgd, p-sgd, c-sgd]
  train.budget: [0.2, 0.5]
exclude:
  - {sampler.method: [p-sgd, c-sgd], train.budget: 0.2}
  - {sampler.method: c-sgd, train.epochs: 4}   # matches through the base
include:
  - {sampler.method: sgd, train.budget: 1.0, seed: [1, 2]}
  - {train.milestones: [2, 3]}                  # a plain list for a list-valued key is one value
`)
	got := expand(t, s)
	want := []string{
		"{sampler.method: unif-sgd, train.budget: 0.2}",
		"{sampler.method: unif-sgd, train.budget: 0.5}",
		"{sampler.method: p-sgd, train.budget: 0.5}",
		"{sampler.method: sgd, seed: 1, train.budget: 1}",
		"{sampler.method: sgd, seed: 2, train.budget: 1}",
		"{train.milestones: [2, 3]}",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cells:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestExpandEmptyGrid(t *testing.T) {
	if got := expand(t, parse(t, `base: {train.lr: 0.2}`)); len(got) != 1 || got[0] != "{}" {
		t.Errorf("base only: %v, want one empty cell", got)
	}
	if got := expand(t, parse(t, `include: [{seed: 3}]`)); len(got) != 1 || got[0] != "{seed: 3}" {
		t.Errorf("include only: %v, want the included cell alone", got)
	}
}

func TestExcludeMatchingNoCellFails(t *testing.T) {
	s := parse(t, `
grid: {sampler.method: [unif-sgd]}
exclude: [{sampler.method: p-sgdd}]`)
	if _, err := s.Expand(); err == nil || !strings.Contains(err.Error(), "exclude[0]") {
		t.Errorf("got %v, want an error naming exclude[0]", err)
	}
}

func TestParseSpecReportsEveryProblem(t *testing.T) {
	var raw map[string]any
	yaml.Unmarshal([]byte(`
base: {train.lrr: 0.1, out: x}
grid:
  train.budget: 0.3
  train.milestones: [1, 2]
  seed: [1, 1]
include: [{name: a}, 3]
extra: 1`), &raw)
	_, err := ParseSpec(raw, testKeys)
	if err == nil {
		t.Fatal("no error")
	}
	for _, frag := range []string{
		`unknown config key "train.lrr"`, "base.out: set by the sweep", "grid.train.budget: want a list",
		"grid.train.milestones: a list-valued key takes a list of lists", "grid.seed: value 1 given twice",
		"include[0].name: set by the sweep", "include[1]: want a non-empty map", `unknown top-level key "extra"`,
	} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("error lacks %q:\n%v", frag, err)
		}
	}
}

func TestNestedAndDottedKeysAreTheSame(t *testing.T) {
	a := parse(t, "base: {train: {lr: 0.2, epochs: 3}}\ngrid: {sampler: {method: [p-sgd]}}")
	b := parse(t, "base: {train.lr: 0.2, train.epochs: 3}\ngrid: {sampler.method: [p-sgd]}")
	if Canon(a.Base) != Canon(b.Base) || Canon(axesMap(a.Grid)) != Canon(axesMap(b.Grid)) {
		t.Errorf("nested %v %v, dotted %v %v", a.Base, a.Grid, b.Base, b.Grid)
	}
}

func TestCanonEqualAcrossSpellings(t *testing.T) {
	for _, c := range []struct{ a, b any }{
		{1.0, 1}, {"0.3", 0.3}, {uint64(7), 7}, {[]any{1.0, "a"}, []any{1, "a"}},
		{map[string]any{"b": 1, "a": 2.0}, map[any]any{"a": 2, "b": 1.0}},
	} {
		if Canon(c.a) != Canon(c.b) {
			t.Errorf("Canon(%#v) = %q, Canon(%#v) = %q", c.a, Canon(c.a), c.b, Canon(c.b))
		}
	}
}
