package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"budgetrain/pipeline/runfolder"
)

// fakeRun describes a synthetic run folder written by a test.
type fakeRun struct {
	method string
	budget float64
	seed   int
	acc    float64   // final test accuracy (fraction)
	best   float64   // best test accuracy; 0 = acc
	secs   float64   // training seconds; 0 = 10·budget
	curve  []float64 // per-epoch test accuracy; nil = three epochs rising to acc
	set    []string  // extra config keys, "train.lr=0.05"
	// status: "" (complete), "incomplete" (completed false), "metrics" (no summary.json),
	// "failed" (failed.json), "checkpoint" (only checkpoint.json)
	status string
	prov   runfolder.Provenance // summary.json's provenance (zero: not recorded)
	from   []runfolder.Provenance
}

// baseConfig is a flattened config like the one pipeline writes (fewer keys).
func baseConfig(f fakeRun) map[string]any {
	m := map[string]any{
		"name": "run", "out": "somewhere", "seed": f.seed, "device": "cpu",
		"dataset.name": "fashion-mnist", "dataset.dir": "/data", "dataset.train_limit": 0,
		"model.name": "resnet8", "train.epochs": 3, "train.budget": f.budget, "train.lr": 0.1,
		"train.final_lr": 1e-6, "train.milestones": []any{}, "sampler.method": f.method,
		"sampler.sb_beta": 0, "augment.policy": "standard",
		"augment.ops": []any{map[string]any{"name": "standard"}},
	}
	for _, kv := range f.set {
		k, v, _ := strings.Cut(kv, "=")
		var val any
		if err := yaml.Unmarshal([]byte(v), &val); err != nil {
			val = v
		}
		m[k] = val
	}
	return m
}

// nest turns dotted keys back into the nested maps of config.yaml.
func nest(flat map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range flat {
		parts := strings.Split(k, ".")
		m := out
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = v
	}
	return out
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// write creates the run folder dir for f, in the files pipeline writes.
func (f fakeRun) write(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := nest(baseConfig(f))
	if f.status == "checkpoint" {
		writeJSON(t, filepath.Join(dir, runfolder.CheckpointFile), map[string]any{"config": cfg, "epoch": 0, "step": 0})
		return dir
	}
	y, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, runfolder.ConfigFile), y, 0o644); err != nil {
		t.Fatal(err)
	}
	if f.status == "failed" {
		writeJSON(t, filepath.Join(dir, runfolder.FailedFile), map[string]any{"error": "diverged at step 5 (loss NaN)"})
		return dir
	}
	curve := f.curve
	if curve == nil {
		curve = []float64{f.acc - 0.2, f.acc - 0.05, f.acc}
	}
	secs := f.secs
	if secs == 0 {
		secs = 10 * f.budget
	}
	steps := 10
	var lines []string
	for e, a := range curve {
		a := a
		m := runfolder.EpochMetrics{Epoch: e + 1, Step: steps * (e + 1), TestAcc: &a, TestAccONNX: &a, EvalSeconds: 0.5,
			SamplesForward: int64(128 * steps * (e + 1)), SamplesBackward: int64(128 * steps * (e + 1)),
			Seconds: secs * float64(e+1) / float64(len(curve)), Entropy: 7.5, NeverSeen: 0.1, TrainAcc: 0.5}
		if e == len(curve)-1 {
			m.TrainAcc = 0.9 // results.csv reports the last epoch's
		}
		b, _ := json.Marshal(m)
		lines = append(lines, string(b))
	}
	if err := os.WriteFile(filepath.Join(dir, runfolder.MetricsFile), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if f.status == "metrics" {
		return dir
	}
	best := f.best
	if best == 0 {
		best = f.acc
	}
	n := len(curve)
	writeJSON(t, filepath.Join(dir, runfolder.SummaryFile), runfolder.Summary{
		Dataset: "fashion-mnist", Model: "resnet8", Method: f.method, Augmentation: "standard",
		Budget: f.budget, Epochs: n, EpochsRun: n, Seed: uint64(f.seed), Iterations: steps * n, PlannedSteps: steps * n,
		SamplesForward: int64(128 * steps * n), SamplesBackward: int64(128 * steps * n), TrainSeconds: secs,
		Params: 1234, FinalTestAcc: f.acc, BestTestAcc: best, TorchTestAcc: f.acc, ONNXTestAcc: f.acc,
		VisitEntropy: 7.5, NeverSeen: 0.1, Completed: f.status != "incomplete", Provenance: f.prov, ResumedFrom: f.from,
	})
	return dir
}

// writeRuns writes each run into root/<method>-b<budget>-s<seed>[-i] and returns root.
func writeRuns(t *testing.T, runs ...fakeRun) string {
	t.Helper()
	root := t.TempDir()
	for i, f := range runs {
		name := f.method + "-b" + fmtBudget(f.budget) + "-s" + strconv.Itoa(f.seed) + "-" + strconv.Itoa(i)
		f.write(t, filepath.Join(root, name))
	}
	return root
}

// build finds and builds the report of root.
func build(t *testing.T, root string, metric Metric) *Report {
	t.Helper()
	runs, err := Find(root)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Build([]string{root}, runs, metric)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// cell returns the report's cell with that label and budget.
func cell(t *testing.T, rep *Report, label string, budget float64) *Cell {
	t.Helper()
	for _, g := range rep.Groups {
		for _, c := range g.Cells {
			if c.Label == label && c.Budget == budget {
				return c
			}
		}
	}
	t.Fatalf("no cell %s at b=%g", label, budget)
	return nil
}

func markdown(t *testing.T, rep *Report) string {
	t.Helper()
	var b strings.Builder
	if err := rep.WriteMarkdown(&b, nil); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
