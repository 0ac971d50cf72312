package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"budgetrain/internal/torchx"
	"budgetrain/pipeline"
	"budgetrain/pipeline/data"
	"budgetrain/sampler"

	"go.yaml.in/yaml/v3"
)

// The tests below set every config key (as enumerated by pipeline.FlatConfig, so a new key
// fails them until it has a test value) through every source and check what arrives.

var fixtureDir = filepath.Join("..", "testdata", "fashion-mnist")

// keyCase is a valid non-default value of one key (zero where zero is valid), in FlatConfig's
// form, and what the trainer must have built from it.
type keyCase struct {
	val   any
	needs map[string]any                                  // other settings the value needs
	check func(t *testing.T, tr *pipeline.Trainer, v any) // optional: read back from what the trainer built
}

func samplerCfg(tr *pipeline.Trainer) sampler.Config {
	return tr.Sampler.(sampler.Configured).Config()
}

// keyCases returns the test value of every key. out and log_selection are paths in dir.
func keyCases(dir string) map[string]keyCase {
	ops := []any{map[string]any{"name": "rand", "params": map[string]any{"m": 2.0, "n": 1.0}}}
	sc := func(f func(sampler.Config) any) func(*testing.T, *pipeline.Trainer, any) {
		return func(t *testing.T, tr *pipeline.Trainer, v any) {
			if got := f(samplerCfg(tr)); !reflect.DeepEqual(got, v) {
				t.Errorf("sampler built with %v, want %v", got, v)
			}
		}
	}
	is := func(what string, f func(*pipeline.Trainer) any, want any) func(*testing.T, *pipeline.Trainer, any) {
		return func(t *testing.T, tr *pipeline.Trainer, _ any) {
			if got := f(tr); !reflect.DeepEqual(got, want) {
				t.Errorf("%s = %v, want %v", what, got, want)
			}
		}
	}
	mnist, _ := data.Lookup("mnist")
	return map[string]keyCase{
		"name":    {val: "cfgtest"},
		"out":     {val: filepath.Join(dir, "run")},
		"seed":    {val: uint64(0), check: sc(func(c sampler.Config) any { return c.Seed })},
		"device":  {val: "cpu"},
		"threads": {val: 1},

		"dataset.name": {val: "mnist", check: is("classes", func(tr *pipeline.Trainer) any { return tr.Info.Classes }, mnist.Classes)},
		"dataset.dir":  {val: fixtureDir, check: is("training images", func(tr *pipeline.Trainer) any { return tr.Train.N }, 64)},
		"dataset.train_limit": {val: 48,
			check: is("training images", func(tr *pipeline.Trainer) any { return tr.Train.N }, 48)},
		"dataset.test_limit": {val: 10, check: is("test images", func(tr *pipeline.Trainer) any { return tr.Test.N }, 10)},
		"dataset.validation": {val: true, needs: map[string]any{"dataset.val_samples": 20},
			check: is("validation images", func(tr *pipeline.Trainer) any { return tr.Test.N }, 20)},
		"dataset.val_samples": {val: 30, needs: map[string]any{"dataset.validation": true},
			check: is("validation images", func(tr *pipeline.Trainer) any { return tr.Test.N }, 30)},
		"dataset.val_seed": {val: uint64(0), needs: map[string]any{"dataset.validation": true, "dataset.val_samples": 20}},
		"dataset.image_size": {val: 8, needs: map[string]any{"dataset.name": "imagefolder", "dataset.dir": filepath.Join("..", "testdata", "imagefolder"), "train.batch_size": 4},
			check: is("image size", func(tr *pipeline.Trainer) any { return [3]int{tr.Train.H, tr.Train.W, tr.Test.H} }, [3]int{8, 8, 8})},

		"model.name": {val: "test-tiny"},

		"train.epochs":     {val: 2, check: is("total steps", func(tr *pipeline.Trainer) any { return tr.TotalSteps }, 4)},
		"train.budget":     {val: 0.75, check: is("examples per epoch", func(tr *pipeline.Trainer) any { return tr.EpochSamples }, 48)},
		"train.batch_size": {val: 8, check: is("steps per epoch", func(tr *pipeline.Trainer) any { return tr.StepsPerEpoch }, 4)},
		"train.lr":         {val: 0.05, check: is("schedule LR", func(tr *pipeline.Trainer) any { return tr.Sched.LR }, 0.05)},
		"train.final_lr":   {val: 0.0, check: is("schedule final LR", func(tr *pipeline.Trainer) any { return tr.Sched.FinalLR }, 0.0)},
		// What the optimizer does with these is checked in pipeline (TestOptimizerUsesConfiguredSettings).
		"train.momentum":        {val: 0.0},
		"train.weight_decay":    {val: 0.0},
		"train.nesterov":        {val: true},
		"train.label_smoothing": {val: 0.1},
		"train.schedule":        {val: "step", check: is("schedule", func(tr *pipeline.Trainer) any { return tr.Sched.Kind }, "step")},
		"train.milestones": {val: []any{1.0, 2.0},
			check: is("schedule milestones", func(tr *pipeline.Trainer) any { return tr.Sched.Milestones }, []float64{1, 2})},
		"train.gamma":            {val: 0.5, check: is("schedule gamma", func(tr *pipeline.Trainer) any { return tr.Sched.Gamma }, 0.5)},
		"train.warmup_steps":     {val: 3, check: is("schedule warm-up", func(tr *pipeline.Trainer) any { return tr.Sched.Warmup }, 3)},
		"train.eval_batch_size":  {val: 32},
		"train.eval_every":       {val: 2},
		"train.checkpoint_every": {val: 2},
		"train.precision":        {val: "bf16", check: is("precision", func(tr *pipeline.Trainer) any { return tr.Cfg.Train.Precision }, "bf16")},
		"cuda.tf32":              {val: true, check: is("TF32 flags", func(*pipeline.Trainer) any { b, d, _ := torchx.AllowTF32(); return [2]bool{b, d} }, [2]bool{true, true})},
		"cuda.cudnn_benchmark":   {val: false, check: is("cuDNN benchmark", func(*pipeline.Trainer) any { b, _, _ := torchx.CuDNN(); return b }, false)},
		"cuda.deterministic":     {val: true, check: is("cuDNN deterministic", func(*pipeline.Trainer) any { _, d, _ := torchx.CuDNN(); return d }, true)},
		"train.eval_backend":     {val: "torch"},
		"train.eval_async":       {val: true},
		// What the events file holds is checked in pipeline (TestTensorBoard*).
		"train.tensorboard":       {val: false},
		"train.tensorboard_every": {val: 3},
		// The loader's counts are checked in pipeline (TestNewTrainerUsesZerosAsGiven).
		"train.workers":  {val: 1},
		"train.prefetch": {val: 1},
		"train.credit":   {val: "released"},
		"train.log_selection": {val: filepath.Join(dir, "selection.jsonl"), check: func(t *testing.T, _ *pipeline.Trainer, v any) {
			if _, err := os.Stat(v.(string)); err != nil {
				t.Errorf("selection log not created: %v", err)
			}
		}},

		"sampler.method":           {val: "p-sgd", check: sc(func(c sampler.Config) any { return c.Method })},
		"sampler.no_smoothing":     {val: true, check: sc(func(c sampler.Config) any { return c.NoSmoothing })},
		"sampler.latest_value":     {val: true, check: sc(func(c sampler.Config) any { return c.LatestValue })},
		"sampler.warmup_epochs":    {val: 1, check: sc(func(c sampler.Config) any { return c.WarmupEpochs })},
		"sampler.sb_beta":          {val: 0.0, check: sc(func(c sampler.Config) any { return c.SBBeta })},
		"sampler.sb_history":       {val: 16, check: sc(func(c sampler.Config) any { return c.SBHistory })},
		"sampler.infobatch_ratio":  {val: 0.3, check: sc(func(c sampler.Config) any { return c.InfoBatchRatio })},
		"sampler.infobatch_anneal": {val: 0.5, check: sc(func(c sampler.Config) any { return c.InfoBatchAnneal })},

		"augment.policy": {val: "rand-n1-m2+standard",
			check: is("pipeline policy", func(tr *pipeline.Trainer) any { return tr.Pipe.Policy }, "rand-n1-m2+standard")},
		"augment.ops": {val: ops, check: is("pipeline policy", func(tr *pipeline.Trainer) any { return tr.Pipe.Policy }, "rand-m2-n1")},
	}
}

// baseSettings make the trainer cheap to build: the tiny model on the 64-image fixture. They go
// into the environment, except the key under test.
func baseSettings(dir string) map[string]any {
	return map[string]any{
		"dataset.dir": fixtureDir, "model.name": "test-tiny", "device": "cpu", "threads": 1,
		"train.batch_size": 16, "train.budget": 0.5, "out": filepath.Join(dir, "run"),
	}
}

// source is one way of giving a value.
type source string

const (
	fromFile source = "file"
	fromEnv  source = "env"
	fromFlag source = "flag"
	fromSet  source = "--set"
)

// flagOf returns the flag of key on the train command, or "".
func flagOf(key string) string {
	switch key {
	case "out", "seed", "device":
		return key
	}
	return trainFlags[key]
}

// text renders a value as an environment variable, flag or --set value: lists and maps in YAML
// flow syntax (JSON).
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case []any, map[string]any:
		b, err := json.Marshal(x)
		if err != nil {
			panic(err)
		}
		return string(b)
	}
	return fmt.Sprint(v)
}

// setting is one key's value given through one source.
type setting struct {
	key string
	val any
	src source
}

// clearEnv unsets every config variable for the test, so the caller's environment cannot leak in.
func clearEnv(t *testing.T) {
	for k := range pipeline.FlatConfig(pipeline.DefaultConfig()) {
		if _, ok := os.LookupEnv(envName(k)); ok {
			t.Setenv(envName(k), "")
			os.Unsetenv(envName(k))
		}
	}
}

// apply gives the settings through their sources: a config file in dir, t.Setenv, and the
// flag and --set arguments it returns.
func apply(t *testing.T, dir string, ss ...setting) []string {
	t.Helper()
	clearEnv(t)
	file := map[string]any{}
	var args []string
	for _, s := range ss {
		switch s.src {
		case fromFile:
			m := file
			parts := strings.Split(s.key, ".")
			for _, p := range parts[:len(parts)-1] {
				if _, ok := m[p]; !ok {
					m[p] = map[string]any{}
				}
				m = m[p].(map[string]any)
			}
			m[parts[len(parts)-1]] = s.val
		case fromEnv:
			t.Setenv(envName(s.key), text(s.val))
		case fromFlag:
			args = append(args, "--"+flagOf(s.key)+"="+text(s.val))
		case fromSet:
			args = append(args, "--set", s.key+"="+text(s.val))
		}
	}
	if len(file) > 0 {
		b, err := yaml.Marshal(file)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config", p)
	}
	return args
}

// resolveWith resolves the train command's configuration with the settings applied.
func resolveWith(t *testing.T, dir string, ss ...setting) (pipeline.Config, error) {
	t.Helper()
	args := apply(t, dir, ss...)
	root, o := newRoot()
	train, _, err := root.Find([]string{"train"})
	if err != nil {
		t.Fatal(err)
	}
	if err := train.ParseFlags(args); err != nil {
		return pipeline.Config{}, err
	}
	return resolve(train, o, trainFlags)
}

// same compares values in FlatConfig's form (through JSON, so 2 and 2.0, nil and [] agree).
func same(a, b any) bool {
	norm := func(v any) any {
		j, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		var out any
		json.Unmarshal(j, &out)
		if out == nil { // an empty list: FlatConfig renders nil slices as []
			out = []any{}
		}
		return out
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func sourcesOf(key string) []source {
	if flagOf(key) != "" {
		return []source{fromFile, fromEnv, fromFlag, fromSet}
	}
	return []source{fromFile, fromEnv, fromSet}
}

var errBuilt = errors.New("trainer built")

// TestEveryKeyFromEverySourceReachesTheTrainer sets each key to its test value through the
// config file, the environment, its flag (where it has one) and --set, runs the train command
// until it has built the trainer, and reads the value back from Trainer.Cfg and, where the key
// has an observable effect, from what the trainer built (schedule, sampler, data, budget
// arithmetic, augmentation).
func TestEveryKeyFromEverySourceReachesTheTrainer(t *testing.T) {
	keys := slices.Sorted(maps.Keys(pipeline.FlatConfig(pipeline.DefaultConfig())))
	cases := keyCases("")
	for _, k := range keys {
		if _, ok := cases[k]; !ok {
			t.Errorf("config key %s has no test value: add one to keyCases", k)
		}
	}
	for k := range cases {
		if !slices.Contains(keys, k) {
			t.Errorf("keyCases has %s, which is not a config key", k)
		}
	}
	def := pipeline.FlatConfig(pipeline.DefaultConfig())
	defer func() { trainerBuilt = nil }()
	for _, k := range keys {
		for _, src := range sourcesOf(k) {
			t.Run(k+"/"+string(src), func(t *testing.T) {
				dir := t.TempDir()
				kc := keyCases(dir)[k]
				if same(kc.val, def[k]) {
					t.Fatalf("test value %v is the default", kc.val)
				}
				base := baseSettings(dir)
				maps.Copy(base, kc.needs)
				delete(base, k)
				var ss []setting
				for bk, bv := range base {
					ss = append(ss, setting{bk, bv, fromEnv})
				}
				ss = append(ss, setting{k, kc.val, src})
				args := apply(t, dir, ss...)
				built := false
				trainerBuilt = func(tr *pipeline.Trainer) error {
					built = true
					if got := pipeline.FlatConfig(tr.Cfg)[k]; !same(got, kc.val) {
						t.Errorf("trainer has %s = %v, want %v", k, got, kc.val)
					}
					if kc.check != nil {
						kc.check(t, tr, kc.val)
					}
					return errBuilt
				}
				if _, err := execute(t, append([]string{"train"}, args...)...); !errors.Is(err, errBuilt) || !built {
					t.Fatalf("train %v: %v", args, err)
				}
			})
		}
	}
}

// TestEveryKeyPrecedence checks --set > flag > environment > file > default for every key:
// with no source a key has its default, and for every pair of sources the higher one wins,
// whichever of the test value and the default value it carries.
func TestEveryKeyPrecedence(t *testing.T) {
	def := pipeline.FlatConfig(pipeline.DefaultConfig())
	keys := slices.Sorted(maps.Keys(def))
	dir := t.TempDir()
	cfg, err := resolveWith(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if got := pipeline.FlatConfig(cfg)[k]; !same(got, def[k]) {
			t.Errorf("%s with no source = %v, want the default %v", k, got, def[k])
		}
	}
	cases := keyCases(dir)
	for _, k := range keys {
		srcs := sourcesOf(k)
		for i, lo := range srcs {
			for _, hi := range srcs[i+1:] {
				for _, vals := range [][2]any{{cases[k].val, def[k]}, {def[k], cases[k].val}} {
					ss := []setting{{k, vals[0], lo}, {k, vals[1], hi}}
					for nk, nv := range cases[k].needs { // settings the test value is valid with only
						ss = append(ss, setting{nk, nv, fromFile})
					}
					cfg, err := resolveWith(t, dir, ss...)
					if err != nil {
						t.Errorf("%s: %s %v, %s %v: %v", k, lo, vals[0], hi, vals[1], err)
						continue
					}
					if got := pipeline.FlatConfig(cfg)[k]; !same(got, vals[1]) {
						t.Errorf("%s: %s gives %v and %s gives %v: got %v, want %s's", k, lo, vals[0], hi, vals[1], got, hi)
					}
				}
			}
		}
	}
}

// TestNegativeSeedIsRejected: seed -3 was wrapped to 18446744073709551613 from a config file;
// from every source it is now an error naming the key, the value and the source.
func TestNegativeSeedIsRejected(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		src   source
		frags []string
	}{
		{fromFile, []string{"seed (-3, from config file " + filepath.Join(dir, "config.yaml") + "): got -3, want an integer >= 0"}},
		{fromEnv, []string{`seed ("-3", from environment BUDGETRAIN_SEED): got "-3", want an integer >= 0`}},
		{fromSet, []string{`seed ("-3", from --set seed=-3): got "-3", want an integer >= 0`}},
		{fromFlag, []string{`invalid argument "-3" for "--seed" flag`}}, // pflag's own check
	} {
		cfg, err := resolveWith(t, dir, setting{"seed", -3, tc.src})
		for _, f := range tc.frags {
			if err == nil || !strings.Contains(err.Error(), f) {
				t.Errorf("seed -3 from %s: seed %d, error %v; want %q", tc.src, cfg.Seed, err, f)
			}
		}
	}
}

// TestEveryProblemInOneError: --set key errors, a config file's unknown key and decode errors,
// environment decode errors and validation errors all come back together, each naming its key,
// value and source.
func TestEveryProblemInOneError(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(file, []byte("train:\n  epochs: 2.5\n  budgett: 0.5\nseed: -1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	clearEnv(t)
	t.Setenv("BUDGETRAIN_TRAIN_LR", "fast")
	t.Setenv("BUDGETRAIN_TRAIN_WORKERS", "0")
	_, err := execute(t, "config", "--config", file, "--set", "train.budgett=0.5", "--set", "novalue",
		"--set", "train.batch_size=0", "--set", "train.nesterov=yes please", "--set", "model.name=vgg")
	if err == nil {
		t.Fatal("no error")
	}
	for _, f := range []string{
		`--set "train.budgett=0.5": unknown key "train.budgett"`,
		`--set "novalue": want key=value`,
		"train.budgett (0.5, from config file " + file + "): unknown key",
		"train.epochs (2.5, from config file " + file + "): got 2.5, want an integer",
		"seed (-1, from config file " + file + "): got -1, want an integer >= 0",
		`train.lr ("fast", from environment BUDGETRAIN_TRAIN_LR): got "fast", want a number`,
		`train.nesterov ("yes please", from --set train.nesterov=yes please): got "yes please", want true or false`,
		"train.batch_size (0) must be > 0 (from --set train.batch_size=0)",
		"train.workers (0) must be >= 1 (from environment BUDGETRAIN_TRAIN_WORKERS)",
		`model.name ("vgg") is unknown`,
	} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error lacks %q:\n%v", f, err)
		}
	}
	if n := strings.Count(err.Error(), "invalid configuration"); n != 1 {
		t.Errorf("%d error headers, want one error:\n%v", n, err)
	}
}

// TestExplicitZerosReachTheRunConfig is the reproduction: zeros given with --set are
// what the trainer uses and saves (config.yaml is written from Trainer.Cfg).
func TestExplicitZerosReachTheRunConfig(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dir := t.TempDir()
	var ss []setting
	for k, v := range baseSettings(dir) {
		ss = append(ss, setting{k, v, fromEnv})
	}
	for _, k := range []string{"train.weight_decay", "train.momentum", "train.final_lr"} {
		ss = append(ss, setting{k, 0.0, fromSet})
	}
	ss = append(ss, setting{"seed", 0, fromSet}, setting{"dataset.val_seed", 0, fromSet})
	cfg, err := resolveWith(t, dir, ss...)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := pipeline.NewTrainer(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	y, err := pipeline.ConfigYAML(tr.Cfg)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(y, &m); err != nil {
		t.Fatal(err)
	}
	saved, err := pipeline.ConfigFromMap(m)
	if err != nil {
		t.Fatal(err)
	}
	tc := saved.Train
	if saved.Seed != 0 || saved.Dataset.ValSeed != 0 || tc.WeightDecay != 0 || tc.Momentum != 0 || tc.FinalLR != 0 {
		t.Errorf("saved config: seed %d val_seed %d weight_decay %g momentum %g final_lr %g, want all 0",
			saved.Seed, saved.Dataset.ValSeed, tc.WeightDecay, tc.Momentum, tc.FinalLR)
	}
}

// TestUnknownEnvironmentAndHugeValues: a BUDGETRAIN_ variable that sets no key is an error
// naming it (the tool's own variables are not); an unknown key with a huge value is reported
// without echoing the value.
func TestUnknownEnvironmentAndHugeValues(t *testing.T) {
	t.Setenv("BUDGETRAIN_TRAIN_LRR", "0.1")
	t.Setenv("BUDGETRAIN_CACHE", "/tmp/cache")
	_, err := execute(t, "config")
	if err == nil || !strings.Contains(err.Error(), "environment BUDGETRAIN_TRAIN_LRR: no config key") || strings.Contains(err.Error(), "BUDGETRAIN_CACHE") {
		t.Errorf("unknown variable: %v", err)
	}
	os.Unsetenv("BUDGETRAIN_TRAIN_LRR")

	path := filepath.Join(t.TempDir(), "huge.yaml")
	huge := strings.Repeat("x", 1<<20)
	os.WriteFile(path, []byte("train:\n  bogus: "+huge+"\n"), 0o644)
	_, err = execute(t, "config", "--config", path)
	if err == nil || !strings.Contains(err.Error(), "train.bogus") || !strings.Contains(err.Error(), "bytes)") || len(err.Error()) > 2000 {
		n := 0
		if err != nil {
			n = len(err.Error())
		}
		t.Errorf("unknown key with a 1 MiB value: %d-byte error, want the key named and the value cut", n)
	}
}
