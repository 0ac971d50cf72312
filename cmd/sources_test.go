package cmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"budgetrain/pipeline"

	"go.yaml.in/yaml/v3"
)

// keyValue is a valid non-default value of a config key (zero wherever zero is valid), with the
// other keys it needs to be valid on the fixture.
type keyValue struct {
	v         any
	companion map[string]any
	fileOnly  bool // a structured value that only a config file can give
}

func fixtureDir(name string) string { return filepath.Join("..", "testdata", name) }

func testValues(t *testing.T) map[string]keyValue {
	return map[string]keyValue{
		"name": {v: "x1"}, "out": {v: filepath.Join(t.TempDir(), "o")}, "seed": {v: uint64(0)}, "device": {v: "cpu"}, "threads": {v: 1},
		"dataset.name":        {v: "cifar10", companion: map[string]any{"dataset.dir": fixtureDir("cifar10"), "train.batch_size": 2, "train.budget": 1}},
		"dataset.dir":         {v: fixtureDir("fashion-mnist")},
		"dataset.train_limit": {v: 200}, "dataset.test_limit": {v: 20},
		"dataset.validation":  {v: true, companion: map[string]any{"dataset.val_samples": 20, "train.batch_size": 4}},
		"dataset.val_samples": {v: 20}, "dataset.val_seed": {v: uint64(0)},
		"model.name":   {v: "test-tiny"},
		"train.epochs": {v: 2}, "train.budget": {v: 0.5}, "train.batch_size": {v: 8}, "train.lr": {v: 0.05},
		"train.final_lr": {v: 0.0}, "train.momentum": {v: 0.0}, "train.weight_decay": {v: 0.0}, "train.nesterov": {v: true},
		"train.label_smoothing": {v: 0.1}, "train.schedule": {v: "step"}, "train.milestones": {v: []float64{1, 2}}, "train.gamma": {v: 0.5},
		"train.eval_batch_size": {v: 7}, "train.eval_every": {v: 2}, "train.eval_backend": {v: "torch"}, "train.eval_async": {v: true},
		"train.workers": {v: 1}, "train.prefetch": {v: 1}, "train.credit": {v: "released"},
		"train.log_selection": {v: filepath.Join(t.TempDir(), "sel.jsonl")},
		"sampler.method":      {v: "p-sgd"}, "sampler.no_smoothing": {v: true}, "sampler.latest_value": {v: true},
		"sampler.warmup_epochs": {v: 2}, "sampler.sb_beta": {v: 0.0}, "sampler.sb_history": {v: 10},
		"sampler.infobatch_ratio": {v: 0.3}, "sampler.infobatch_anneal": {v: 0.5},
		"augment.policy": {v: "none"},
		"augment.ops":    {v: []any{map[string]any{"name": "cutout", "params": map[string]any{"size": 8}}}, fileOnly: true},
	}
}

// str renders a value as the environment, a flag or --set give it.
func str(v any) string {
	if f, ok := v.([]float64); ok {
		parts := make([]string, len(f))
		for i, x := range f {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// nest turns dotted keys into the nested maps of a config file.
func nest(flat map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range flat {
		m := out
		parts := strings.Split(k, ".")
		for _, p := range parts[:len(parts)-1] {
			if _, ok := m[p].(map[string]any); !ok {
				m[p] = map[string]any{}
			}
			m = m[p].(map[string]any)
		}
		m[parts[len(parts)-1]] = v
	}
	return out
}

var errBuilt = errors.New("trainer built")

// TestEveryKeyFromEverySourceReachesTheTrainer: for every config key (enumerated from the
// defaults, so a new key without a test value fails here), a valid non-default value (zero where
// zero is valid) given through the config file, the environment, the train flag (where one
// exists) and --set is the value in the trainer that train builds.
func TestEveryKeyFromEverySourceReachesTheTrainer(t *testing.T) {
	values := testValues(t)
	defaults := pipeline.FlatConfig(pipeline.DefaultConfig())
	flagOf := map[string]string{"out": "out", "seed": "seed", "device": "device"}
	for k, f := range trainFlags {
		flagOf[k] = f
	}
	var got pipeline.Config
	trainerBuilt = func(tr *pipeline.Trainer) error { got = tr.Cfg; return errBuilt }
	defer func() { trainerBuilt = nil }()
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range defaults {
			if !yield(k) {
				return
			}
		}
	})
	for _, key := range keys {
		kv, ok := values[key]
		if !ok {
			t.Errorf("no test value for config key %s: add one to testValues", key)
			continue
		}
		if fmt.Sprint(defaults[key]) == str(kv.v) {
			t.Errorf("%s: test value %v is the default", key, kv.v)
		}
		sources := []string{"file", "env", "set"}
		if _, ok := flagOf[key]; ok {
			sources = append(sources, "flag")
		}
		if kv.fileOnly {
			sources = []string{"file"}
		}
		for _, src := range sources {
			t.Run(key+"/"+src, func(t *testing.T) {
				base := map[string]any{"dataset.dir": fixtureDir("fashion-mnist"), "model.name": "test-tiny", "train.batch_size": 16,
					"train.epochs": 1, "out": filepath.Join(t.TempDir(), "run"), "threads": 1}
				delete(base, key)
				for k, v := range kv.companion {
					base[k] = v
				}
				var args []string
				if src == "file" {
					base[key] = kv.v
				}
				y, _ := yaml.Marshal(nest(base))
				cfgFile := filepath.Join(t.TempDir(), "c.yaml")
				os.WriteFile(cfgFile, y, 0o644)
				args = append(args, "train", "--config", cfgFile)
				switch src {
				case "env":
					t.Setenv(EnvPrefix+"_"+strings.ToUpper(strings.ReplaceAll(key, ".", "_")), str(kv.v))
				case "set":
					args = append(args, "--set", key+"="+str(kv.v))
				case "flag":
					args = append(args, "--"+flagOf[key]+"="+str(kv.v))
				}
				got = pipeline.Config{}
				_, err := execute(t, args...)
				if !errors.Is(err, errBuilt) && (err == nil || !strings.Contains(err.Error(), errBuilt.Error())) {
					t.Fatalf("train %v: %v (config file:\n%s)", args, err, y)
				}
				flat := pipeline.FlatConfig(got)
				want := kv.v
				if key == "augment.ops" {
					want = "[map[name:cutout params:map[size:8]]]"
				}
				if fmt.Sprint(flat[key]) != fmt.Sprint(want) {
					t.Errorf("%s from %s: trainer has %v, want %v", key, src, flat[key], want)
				}
			})
		}
	}
}

// TestOneErrorListsEveryProblem: an unknown --set key, undecodable values from a file and the
// environment, a negative seed and an invalid value are reported in one error, each naming
// its key, value and source.
func TestOneErrorListsEveryProblem(t *testing.T) {
	f := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(f, []byte("seed: -3\ntrain:\n  lr: abc\n"), 0o644)
	t.Setenv("BUDGETRAIN_TRAIN_EPOCHS", "many")
	_, err := execute(t, "config", "--config", f, "--set", "train.bogus=1", "--set", "train.budget=7")
	if err == nil {
		t.Fatal("no error")
	}
	for _, frag := range []string{
		`--set "train.bogus=1": unknown key "train.bogus"`,
		"seed (-3, from config file " + f + "): must be >= 0",
		"train.lr (abc, from config file " + f + "): cannot parse",
		"train.epochs (many, from environment BUDGETRAIN_TRAIN_EPOCHS): cannot parse",
		"train.budget (7) must be in (0,1]",
	} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("error lacks %q:\n%v", frag, err)
		}
	}
}
