package pipeline

import (
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"budgetrain/pipeline/runfolder"
	"budgetrain/sampler"

	ts "github.com/sugarme/gotch/ts"
)

// Tests that every setting means what it says: zeros are used as given, values decode strictly,
// and what NewTrainer builds follows the config.

// newSettingsTrainer builds a trainer on this test's OS thread without needing onnxruntime.
func newSettingsTrainer(t *testing.T, c Config) *Trainer {
	t.Helper()
	runtime.LockOSThread()
	tr, err := NewTrainer(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	return tr
}

// TestNewTrainerUsesZerosAsGiven: explicit zeros that are valid reach the trainer and what it
// built; before, NewTrainer replaced them with defaults (weight decay 1e-4, momentum 0.9, seed 1,
// final LR 1e-6, split seed 42) while the printed config said 0.
func TestNewTrainerUsesZerosAsGiven(t *testing.T) {
	c := tinyConfig(t)
	c.Seed, c.Dataset.ValSeed = 0, 0
	c.Train.WeightDecay, c.Train.Momentum, c.Train.FinalLR = 0, 0, 0
	c.Train.Workers, c.Train.Prefetch = 1, 1
	c.Sampler.Method, c.Sampler.WarmupEpochs = "p-sgd", 0
	tr := newSettingsTrainer(t, c)
	want := FlatConfig(c)
	if got := FlatConfig(tr.Cfg); !reflect.DeepEqual(got, want) {
		for _, k := range slices.Sorted(maps.Keys(want)) {
			if !reflect.DeepEqual(got[k], want[k]) {
				t.Errorf("trainer config %s = %v, want %v", k, got[k], want[k])
			}
		}
	}
	if tr.Sched.FinalLR != 0 {
		t.Errorf("schedule final LR %g, want 0", tr.Sched.FinalLR)
	}
	if tr.Loader.workers != 1 || tr.Loader.prefetch != 1 {
		t.Errorf("loader workers %d prefetch %d, want 1 and 1", tr.Loader.workers, tr.Loader.prefetch)
	}
	sc := tr.Sampler.(sampler.Configured).Config()
	if sc.Seed != 0 || sc.Method != "p-sgd" || sc.Budget != 0.5 || sc.BatchSize != 16 || sc.Epochs != 3 || sc.N != 64 {
		t.Errorf("sampler built with %+v, want seed 0, p-sgd, budget 0.5, batch 16, 3 epochs, N 64", sc)
	}
}

// TestNewTrainerRejectsInvalidZeros: a zero that is not valid is reported with its key, never
// replaced by the default.
func TestNewTrainerRejectsInvalidZeros(t *testing.T) {
	c := tinyConfig(t)
	c.Train.Workers, c.Train.Prefetch, c.Train.EvalEvery, c.Train.Gamma = 0, 0, 0, 0
	c.Sampler.Method, c.Sampler.InfoBatchRatio, c.Sampler.SBHistory = "infobatch", 0, 0
	c.Augment.Policy = ""
	_, err := NewTrainer(c, nil)
	for _, w := range []string{
		"train.workers (0) must be >= 1", "train.prefetch (0) must be >= 1", "train.eval_every (0) must be > 0",
		"train.gamma (0) must be in (0,1]", "sampler.infobatch_ratio (0) must be in (0,1)",
		"sampler.sb_history (0) must be > 0", `augment.policy ("") is empty`,
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}

// TestOptimizerUsesConfiguredSettings checks momentum, weight decay and Nesterov through what
// the optimizer does: two steps with every loss weight 0 (so every gradient is exactly 0) move
// each parameter only by weight decay and momentum, as PyTorch's SGD defines them:
// d = g + wd·p; buf = d (first step), m·buf + d (later); d = d + m·buf (Nesterov) or buf;
// p −= lr·d.
func TestOptimizerUsesConfiguredSettings(t *testing.T) {
	for _, tc := range []struct {
		name         string
		wd, momentum float64
		nesterov     bool
	}{
		{"no weight decay, no momentum", 0, 0, false},
		{"weight decay only", 0.2, 0, false},
		{"weight decay and momentum", 0.2, 0.5, false},
		{"nesterov", 0.2, 0.5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tinyConfig(t)
			c.Train.LR, c.Train.Schedule = 0.5, "step" // no milestones: constant LR
			c.Train.WeightDecay, c.Train.Momentum, c.Train.Nesterov = tc.wd, tc.momentum, tc.nesterov
			tr := newSettingsTrainer(t, c)
			if _, err := ts.GradSetEnabled(true); err != nil {
				t.Fatal(err)
			}
			idx := make([]int, 2*c.Train.BatchSize)
			for i := range idx {
				idx[i] = i
			}
			stop := make(chan struct{})
			defer close(stop)
			ch := tr.Loader.Epoch(0, idx, stop)
			zero := make([]float32, c.Train.BatchSize)
			p := [3][]float64{trainableValues(tr)}
			for s := 1; s <= 2; s++ {
				b, ok := tr.Loader.Next(ch)
				if !ok {
					t.Fatal("loader gave fewer than 2 batches")
				}
				if err := tr.trainStep(b, zero, false); err != nil {
					t.Fatal(err)
				}
				tr.Loader.Release(b)
				p[s] = trainableValues(tr)
			}
			worst := 0.0
			for i, p0 := range p[0] {
				w1, w2 := sgdZeroGrad(p0, c.Train.LR, tc.wd, tc.momentum, tc.nesterov)
				worst = max(worst, math.Abs(p[1][i]-w1)/(1+math.Abs(w1)), math.Abs(p[2][i]-w2)/(1+math.Abs(w2)))
			}
			if worst > 1e-6 {
				t.Errorf("parameters after two steps differ from SGD(lr %g, momentum %g, weight decay %g, nesterov %v) by up to %g",
					c.Train.LR, tc.momentum, tc.wd, tc.nesterov, worst)
			}
			if tc.wd > 0 && slices.Equal(p[0], p[2]) {
				t.Errorf("weight decay %g moved no parameter", tc.wd)
			}
		})
	}
}

// sgdZeroGrad returns a parameter after one and two SGD steps with zero gradients.
func sgdZeroGrad(p, lr, wd, m float64, nesterov bool) (p1, p2 float64) {
	var buf float64
	var out [2]float64
	for s := range out {
		d := wd * p
		if m != 0 {
			if s == 0 {
				buf = d
			} else {
				buf = m*buf + d
			}
			if nesterov {
				d += m * buf
			} else {
				d = buf
			}
		}
		p -= lr * d
		out[s] = p
	}
	return out[0], out[1]
}

// trainableValues returns the values of every trainable variable, in name order.
func trainableValues(tr *Trainer) []float64 {
	vars := tr.VS.Variables()
	var out []float64
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		v := vars[name]
		if !v.MustRequiresGrad() {
			continue
		}
		vals := make([]float32, v.Numel())
		v.MustCopyData(vals, v.Numel())
		for _, x := range vals {
			out = append(out, float64(x))
		}
	}
	return out
}

// TestConfigFromMapUsesValuesAsGiven: a checkpoint's zeros stay zeros, and a key the map lacks
// (a checkpoint older than the key) takes its default.
func TestConfigFromMapUsesValuesAsGiven(t *testing.T) {
	c := DefaultConfig()
	c.Seed, c.Dataset.ValSeed, c.Train.WeightDecay, c.Train.Momentum, c.Train.FinalLR = 0, 0, 0, 0, 0
	m := ConfigMap(c)
	delete(m["train"].(map[string]any), "label_smoothing")
	m["train"].(map[string]any)["epochs"] = 4.0 // as JSON gives it
	got, err := ConfigFromMap(m)
	if err != nil {
		t.Fatal(err)
	}
	if got.Seed != 0 || got.Dataset.ValSeed != 0 || got.Train.WeightDecay != 0 || got.Train.Momentum != 0 || got.Train.FinalLR != 0 {
		t.Errorf("zeros replaced: seed %d val_seed %d weight_decay %g momentum %g final_lr %g",
			got.Seed, got.Dataset.ValSeed, got.Train.WeightDecay, got.Train.Momentum, got.Train.FinalLR)
	}
	if got.Train.Epochs != 4 || got.Train.LabelSmooth != DefaultConfig().Train.LabelSmooth {
		t.Errorf("epochs %d label_smoothing %g, want 4 and the default", got.Train.Epochs, got.Train.LabelSmooth)
	}
}

// TestConfigDecodingIsStrict: values that mapstructure's weak typing used to bend (a negative
// seed wrapped to 2^64−3, 2.7 epochs truncated to 2, 1 read as true) are errors naming the key;
// strings, JSON numbers and list syntax decode.
func TestConfigDecodingIsStrict(t *testing.T) {
	decode := func(section, key string, v any) (Config, error) {
		m := ConfigMap(DefaultConfig())
		if section == "" {
			m[key] = v
		} else {
			m[section].(map[string]any)[key] = v
		}
		return ConfigFromMap(m)
	}
	for _, tc := range []struct {
		section, key string
		v            any
		frag         string // error fragment
	}{
		{"", "seed", -3, "seed (-3, from the saved config): got -3, want an integer >= 0"},
		{"", "seed", "-3", `seed ("-3", from the saved config): got "-3", want an integer >= 0`},
		{"", "seed", 1.5, "seed (1.5, from the saved config): got 1.5"},
		{"", "seed", float64(1 << 60), "beyond the integers a float holds exactly"},
		{"train", "epochs", 2.7, "train.epochs (2.7, from the saved config): got 2.7, want an integer"},
		{"train", "nesterov", 1, "train.nesterov (1, from the saved config): got 1 (int), want true or false"},
		{"train", "lr", "NaN", `train.lr ("NaN", from the saved config): got NaN, want a finite number`},
		{"train", "lr", math.Inf(1), "train.lr (+Inf, from the saved config): got +Inf, want a finite number"},
		{"train", "milestones", "[5, x]", `train.milestones ("[5, x]", from the saved config): train.milestones[1]: got "x", want a number`},
		{"dataset", "validation", "maybe", `dataset.validation ("maybe", from the saved config): got "maybe", want true or false`},
		{"model", "name", true, "model.name (true, from the saved config): got true (bool), want a string"},
	} {
		if _, err := decode(tc.section, tc.key, tc.v); err == nil || !strings.Contains(err.Error(), tc.frag) {
			t.Errorf("%s.%s = %v: error %v, want %q", tc.section, tc.key, tc.v, err, tc.frag)
		}
	}
	for _, tc := range []struct {
		section, key string
		v            any
		check        func(Config) bool
	}{
		{"", "seed", "7", func(c Config) bool { return c.Seed == 7 }},
		{"", "seed", json.Number("18446744073709551613"), func(c Config) bool { return c.Seed == 18446744073709551613 }},
		{"train", "epochs", json.Number("4"), func(c Config) bool { return c.Train.Epochs == 4 }},
		{"train", "milestones", "5,10", func(c Config) bool { return slices.Equal(c.Train.Milestones, []float64{5, 10}) }},
		{"train", "milestones", "[5, 10]", func(c Config) bool { return slices.Equal(c.Train.Milestones, []float64{5, 10}) }},
		{"train", "milestones", "", func(c Config) bool { return len(c.Train.Milestones) == 0 }},
		{"train", "nesterov", "true", func(c Config) bool { return c.Train.Nesterov }},
	} {
		c, err := decode(tc.section, tc.key, tc.v)
		if err != nil || !tc.check(c) {
			t.Errorf("%s.%s = %v: %v, config %+v", tc.section, tc.key, tc.v, err, c.Train)
		}
	}
	m := ConfigMap(DefaultConfig())
	m["augment"].(map[string]any)["ops"] = "[{name: rand, params: {n: 1, m: 2}}]"
	m["augment"].(map[string]any)["policy"] = "rand-m2-n1"
	if c, err := ConfigFromMap(m); err != nil || len(c.Augment.Ops) != 1 || c.Augment.Ops[0].Params["m"] != 2 {
		t.Errorf("augment.ops in flow syntax: %v, %+v", err, c.Augment.Ops)
	}
}

// TestReadCheckpointKeepsLargeSeeds: checkpoint.json's numbers are read exactly, so a seed
// above 2^53 survives a resume or export.
func TestReadCheckpointKeepsLargeSeeds(t *testing.T) {
	dir := t.TempDir()
	c := DefaultConfig()
	c.Seed = 1<<60 + 1
	b, err := json.Marshal(Checkpoint{Config: ConfigMap(c), Weights: runfolder.WeightsFile})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, runfolder.CheckpointFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	ck, err := ReadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ConfigFromMap(ck.Config)
	if err != nil || got.Seed != c.Seed {
		t.Errorf("seed %d (%v), want %d", got.Seed, err, c.Seed)
	}
}
