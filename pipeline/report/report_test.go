package report

import (
	"encoding/csv"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"budgetrain/pipeline/runfolder"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestDescribeMatchesHandComputed checks mean, sample std and the t-interval against values
// worked out by hand (t quantiles from a table: t(0.975; 2) = 4.302653, t(0.975; 1) = 12.706205).
func TestDescribeMatchesHandComputed(t *testing.T) {
	for _, c := range []struct {
		name           string
		x              []float64
		n              int
		mean, std, hw  float64
		nonFiniteCount int
	}{
		// mean 0.73; squared deviations 0.0009+0.0001+0.0016 = 0.0026, /2 → std √0.0013 = 0.0360555;
		// half-width 4.302653 · 0.0360555/√3 = 0.0895670.
		{"three", []float64{0.70, 0.72, 0.77}, 3, 0.73, 0.0360555, 0.0895670, 0},
		// mean 0.55, std 0.0707107, half-width 12.706205 · 0.0707107/√2 = 0.6353102.
		{"two", []float64{0.5, 0.6}, 2, 0.55, 0.0707107, 0.6353102, 0},
		{"one has no spread", []float64{0.9}, 1, 0.9, math.NaN(), math.NaN(), 0},
		{"not recorded values are left out", []float64{0.5, math.NaN(), 0.6, math.Inf(1)}, 2, 0.55, 0.0707107, 0.6353102, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := Describe(c.x)
			if s.N != c.n || s.NonFiniteCount != c.nonFiniteCount {
				t.Fatalf("n = %d (left out %d), want %d (%d)", s.N, s.NonFiniteCount, c.n, c.nonFiniteCount)
			}
			if !near(s.Mean, c.mean, 1e-12) {
				t.Errorf("mean = %v, want %v", s.Mean, c.mean)
			}
			if math.IsNaN(c.std) {
				if !math.IsNaN(s.Std) || !math.IsNaN(s.Lo) || !math.IsNaN(s.Hi) {
					t.Errorf("n=1: std %v, CI [%v, %v], want NaN", s.Std, s.Lo, s.Hi)
				}
				return
			}
			if !near(s.Std, c.std, 1e-7) || !near(s.HalfWidth, c.hw, 1e-6) {
				t.Errorf("std = %.7f, half-width = %.7f; want %.7f, %.7f", s.Std, s.HalfWidth, c.std, c.hw)
			}
			if !near(s.Lo, c.mean-c.hw, 1e-6) || !near(s.Hi, c.mean+c.hw, 1e-6) {
				t.Errorf("CI = [%v, %v], want mean ∓ %v", s.Lo, s.Hi, c.hw)
			}
		})
	}
}

// TestFindStatuses: every kind of run folder gets the right status and reason, nested folders
// are found, hidden and non-run folders are not.
func TestFindStatuses(t *testing.T) {
	root := t.TempDir()
	runs := map[string]fakeRun{
		"sweep/a/ok":         {method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.7},
		"sweep/a/stopped":    {method: "unif-sgd", budget: 0.3, seed: 2, acc: 0.6, status: "incomplete"},
		"sweep/b/metrics":    {method: "p-sgd", budget: 0.3, seed: 1, acc: 0.6, status: "metrics"},
		"sweep/b/failed":     {method: "p-sgd", budget: 0.3, seed: 2, status: "failed"},
		"only-checkpoint":    {method: "c-sgd", budget: 0.3, seed: 1, status: "checkpoint"},
		".hidden/ok":         {method: "unif-sgd", budget: 0.3, seed: 9, acc: 0.7},
		"sweep/a/ok/nested":  {method: "unif-sgd", budget: 0.3, seed: 8, acc: 0.7}, // inside a run folder: not searched
		"sweep/bad-summary":  {method: "sgd", budget: 1, seed: 1, acc: 0.8},
		"sweep/bad-metrics":  {method: "sgd", budget: 1, seed: 2, acc: 0.8},
		"sweep/empty-folder": {},
		"sweep/retried":      {method: "sgd", budget: 1, seed: 3, acc: 0.8},
		"sweep/starting":     {},
		"sweep/truncated":    {method: "sgd", budget: 1, seed: 4, acc: 0.8},
	}
	for name, f := range runs {
		if name == "sweep/empty-folder" || name == "sweep/starting" {
			os.MkdirAll(filepath.Join(root, name), 0o755)
			continue
		}
		f.write(t, filepath.Join(root, name))
	}
	os.WriteFile(filepath.Join(root, "sweep/bad-summary", runfolder.SummaryFile), []byte("{not json"), 0o644)
	// A sweep: its record lists a cell that has no folder, a cell started but without
	// config.yaml yet, and a cell whose failed first attempt was retried successfully.
	os.WriteFile(filepath.Join(root, "sweep", runfolder.RecordFile), []byte("grid: {}\ncells:\n- {index: 0, name: retried}\n- {index: 1, name: pending}\n- {index: 2, name: starting}\n"), 0o644)
	os.WriteFile(filepath.Join(root, "sweep/starting", runfolder.CellFile), []byte("sampler:\n  method: p-sgd\ntrain.budget: 0.3\n"), 0o644)
	os.WriteFile(filepath.Join(root, "sweep/starting", runfolder.RunningFile), []byte("{}"), 0o644)
	os.WriteFile(filepath.Join(root, "sweep/retried", runfolder.FailedFile), []byte(`{"error": "killed"}`), 0o644)
	// A bad line in the middle is a note, and the file then lacks epochs that summary.json
	// says ran: the run is not averaged (its training accuracy and curve would come from the
	// wrong epoch). So is a file cut short in its second line.
	os.WriteFile(filepath.Join(root, "sweep/bad-metrics", runfolder.MetricsFile), []byte(`{"epoch":1,"step":3}`+"\nnot json\n"+`{"epoch":2,"step":6}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(root, "sweep/truncated", runfolder.MetricsFile), []byte(`{"epoch":1,"step":3,"train_acc":0.4}`+"\n"+`{"epoch":2,"st`), 0o644)
	found, err := Find(root)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		status Status
		reason string
	}{
		"sweep/a/ok":        {StatusOK, ""},
		"sweep/a/stopped":   {StatusIncomplete, "completed false: stopped at step 30 of 30"},
		"sweep/b/metrics":   {StatusIncomplete, "no summary.json; metrics.jsonl ends at epoch 3, step 30"},
		"sweep/b/failed":    {StatusFailed, "failed: diverged at step 5 (loss NaN)"},
		"only-checkpoint":   {StatusIncomplete, "only a checkpoint"},
		"sweep/bad-summary": {StatusFailed, "parse summary.json"},
		"sweep/bad-metrics": {StatusFailed, "metrics.jsonl ends at epoch 1 but summary.json says 3 epochs ran"},
		"sweep/truncated":   {StatusFailed, "metrics.jsonl ends at epoch 1 but summary.json says 3 epochs ran"},
		"sweep/retried":     {StatusOK, ""},
		"sweep/pending":     {StatusMissing, "listed in sweep.yaml, no run folder"},
		"sweep/starting":    {StatusIncomplete, "running.json: running or killed"},
	}
	got := map[string]*Run{}
	for _, r := range found {
		rel, _ := filepath.Rel(root, r.Dir)
		got[filepath.ToSlash(rel)] = r
	}
	if len(got) != len(want) {
		var names []string
		for n := range got {
			names = append(names, n)
		}
		t.Fatalf("found %v, want the %d folders %v", names, len(want), want)
	}
	for name, w := range want {
		r := got[name]
		if r == nil {
			t.Errorf("%s: not found", name)
			continue
		}
		if r.Status != w.status || !strings.Contains(r.Reason, w.reason) || (w.reason == "" && r.Reason != "") {
			t.Errorf("%s: %s %q, want %s containing %q", name, r.Status, r.Reason, w.status, w.reason)
		}
	}
	if r := got["only-checkpoint"]; r.Get(KeyMethod) != "c-sgd" {
		t.Errorf("config from checkpoint.json: method %q, want c-sgd", r.Get(KeyMethod))
	}
	if r := got["sweep/starting"]; r.Get(KeyMethod) != "p-sgd" || r.Get(KeyBudget) != "0.3" {
		t.Errorf("config from sweep-cell.yaml: %v", r.Config)
	}
	if r := got["sweep/bad-metrics"]; !strings.Contains(r.Note, "metrics.jsonl line 2") || len(r.Epochs) != 1 {
		t.Errorf("bad metrics line: note %q, %d epochs kept; want line 2 named and 1 epoch", r.Note, len(r.Epochs))
	}
}

// TestMetricsCutShortLastLine: a last line without its newline is skipped without a note.
func TestMetricsCutShortLastLine(t *testing.T) {
	dir := fakeRun{method: "unif-sgd", budget: 0.5, seed: 1, acc: 0.7, status: "metrics"}.write(t, t.TempDir())
	os.WriteFile(filepath.Join(dir, runfolder.MetricsFile), []byte(`{"epoch":1,"step":3,"test_acc":0.5}`+"\n"+`{"epoch":2,"st`), 0o644)
	r := ReadRun(dir)
	if len(r.Epochs) != 1 || r.Note != "" {
		t.Fatalf("%d epochs, note %q; want 1 and none", len(r.Epochs), r.Note)
	}
	if v := r.Values(); v.FinalAcc != 0.5 || v.Steps != 3 {
		t.Errorf("values from metrics: final %v, steps %d; want 0.5, 3", v.FinalAcc, v.Steps)
	}
}

// TestCSVColumnsAndRows: one row per run; the varying keys and nothing of the identity keys;
// the numbers of summary.json; empty fields for what a failed run did not record.
func TestCSVColumnsAndRows(t *testing.T) {
	root := writeRuns(t,
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.70, best: 0.71, secs: 4},
		fakeRun{method: "unif-sgd", budget: 0.5, seed: 1, acc: 0.75, secs: 5},
		fakeRun{method: "p-sgd", budget: 0.3, seed: 1, acc: 0.72, secs: 4},
		fakeRun{method: "p-sgd", budget: 0.3, seed: 2, status: "failed"},
	)
	rep := build(t, root, MetricFinal)
	if want := []string{KeyMethod, KeyBudget}; !slices.Equal(rep.Varying, []string{"sampler.method", "train.budget"}) {
		t.Fatalf("varying keys %v, want %v", rep.Varying, want)
	}
	var b strings.Builder
	if err := rep.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHead := append([]string{"run", "status", "sampler.method", "train.budget"}, CSVColumns...)
	if !slices.Equal(rows[0], wantHead) {
		t.Fatalf("header %v\nwant   %v", rows[0], wantHead)
	}
	if len(rows) != 5 {
		t.Fatalf("%d rows, want 4 runs + header", len(rows))
	}
	col := func(row []string, name string) string { return row[slices.Index(rows[0], name)] }
	byRun := map[string][]string{}
	for _, r := range rows[1:] {
		byRun[filepath.Base(r[0])] = r
	}
	ok := byRun["unif-sgd-b0.3-s1-0"]
	for name, want := range map[string]string{
		"status": "ok", "sampler.method": "unif-sgd", "train.budget": "0.3", "seed": "1",
		"final_test_acc": "0.7", "best_test_acc": "0.71", "onnx_test_acc": "0.7", "train_acc": "0.9", "steps": "30",
		"planned_steps": "30", "samples_forward": "3840", "samples_backward": "3840",
		"train_seconds": "4", "eval_seconds": "1.5", "img_per_s": "960", "visit_entropy": "7.5", "reason": "",
	} {
		if got := col(ok, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	failed := byRun["p-sgd-b0.3-s2-3"]
	if col(failed, "status") != "failed" || col(failed, "final_test_acc") != "" || !strings.Contains(col(failed, "reason"), "diverged") {
		t.Errorf("failed row %v: want status failed, no accuracy, the reason", failed)
	}
}

// pairedRuns: unif-sgd seeds 1, 2, 3 and p-sgd seeds 1, 2, 4 at b = 0.3, so that seeds 1 and 2
// pair and 3 and 4 do not.
func pairedRuns(t *testing.T) string {
	return writeRuns(t,
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.70},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 2, acc: 0.72},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 3, acc: 0.77},
		fakeRun{method: "p-sgd", budget: 0.3, seed: 1, acc: 0.71},
		fakeRun{method: "p-sgd", budget: 0.3, seed: 2, acc: 0.70},
		fakeRun{method: "p-sgd", budget: 0.3, seed: 4, acc: 0.80},
		fakeRun{method: "sgd", budget: 1, seed: 1, acc: 0.80},
		fakeRun{method: "sgd", budget: 1, seed: 2, acc: 0.82},
	)
}

// TestCellStatsAndPairedDiff: the cell numbers and the paired difference, against hand
// computation, in the report too; unpaired seeds are excluded and named.
func TestCellStatsAndPairedDiff(t *testing.T) {
	rep := build(t, pairedRuns(t), MetricFinal)
	u := cell(t, rep, "unif-sgd", 0.3)
	if u.Acc.N != 3 || !near(u.Acc.Mean, 0.73, 1e-12) || !near(u.Acc.HalfWidth, 0.0895670, 1e-6) {
		t.Errorf("unif-sgd: n %d mean %v hw %v; want 3, 0.73, 0.0895670", u.Acc.N, u.Acc.Mean, u.Acc.HalfWidth)
	}
	if len(rep.Diffs) != 1 || len(rep.NoRef) != 0 {
		t.Fatalf("%d diffs, %d cells without reference; want p-sgd's only (sgd at b=1 has no unif-sgd to pair with, and needs none)", len(rep.Diffs), len(rep.NoRef))
	}
	var d *Diff
	for _, x := range rep.Diffs {
		if x.Cell.Method == "p-sgd" {
			d = x
		}
	}
	// Differences +0.01 (seed 1) and −0.02 (seed 2): mean −0.005, std 0.0212132,
	// half-width 12.706205 · 0.0212132/√2 = 0.1905931.
	if !slices.Equal(d.Seeds, []uint64{1, 2}) || !slices.Equal(d.OnlyCell, []uint64{4}) || !slices.Equal(d.OnlyRef, []uint64{3}) {
		t.Errorf("paired %v, only p-sgd %v, only unif-sgd %v; want [1 2], [4], [3]", d.Seeds, d.OnlyCell, d.OnlyRef)
	}
	if !near(d.D.Mean, -0.005, 1e-12) || !near(d.D.Std, 0.0212132, 1e-7) || !near(d.D.HalfWidth, 0.1905931, 1e-6) {
		t.Errorf("diff mean %v std %v hw %v", d.D.Mean, d.D.Std, d.D.HalfWidth)
	}
	md := markdown(t, rep)
	for _, want := range []string{
		"| 0.3 | unif-sgd | 3 | 73.00 ± 3.61 | [64.04, 81.96] |",
		"| 0.3 | p-sgd | 3 | 73.67 ± 5.51 |",
		"| 90.00 | -0.50 [-19.56, +18.56] (2 pairs) |", // the last epoch's train accuracy, then Δ
		"-0.50 [-19.56, +18.56] (2 pairs)",
		"| 2 | -0.50 | 2.12 | [-19.56, +18.56] | only p-sgd: 4; only unif-sgd: 3 |",
		"Full-budget reference (b = 1, sgd): 81.00 ± 1.41 % (n = 2",
		"**sgd** (full budget)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q\n%s", want, md)
		}
	}
}

// TestMetricBest summarises best_test_acc instead of the final accuracy.
func TestMetricBest(t *testing.T) {
	root := writeRuns(t,
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.70, best: 0.75},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 2, acc: 0.70, best: 0.77},
	)
	if c := cell(t, build(t, root, MetricBest), "unif-sgd", 0.3); !near(c.Acc.Mean, 0.76, 1e-12) {
		t.Errorf("best: mean %v, want 0.76", c.Acc.Mean)
	}
	if _, err := Build(nil, nil, "worst"); err == nil || !strings.Contains(err.Error(), `got "worst"`) {
		t.Errorf("unknown metric: %v", err)
	}
}

// TestMissingAndFailedListed: runs that are not complete are listed and not averaged; a cell
// without a folder for a seed its group has is listed as missing that seed.
func TestMissingAndFailedListed(t *testing.T) {
	root := writeRuns(t,
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.70},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 2, acc: 0.72},
		fakeRun{method: "p-sgd", budget: 0.3, seed: 1, acc: 0.71},
		fakeRun{method: "p-sgd", budget: 0.3, seed: 2, status: "failed"},
		fakeRun{method: "selective-backprop", budget: 0.3, seed: 1, acc: 0.69},
		fakeRun{method: "c-sgd", budget: 0.3, seed: 1, acc: 0.5, status: "incomplete"},
	)
	rep := build(t, root, MetricFinal)
	if c := cell(t, rep, "p-sgd", 0.3); c.Acc.N != 1 || c.Acc.Mean != 0.71 {
		t.Errorf("p-sgd averaged %d runs (mean %v), want only the complete one", c.Acc.N, c.Acc.Mean)
	}
	for _, g := range rep.Groups {
		for _, c := range g.Cells {
			if c.Method == "c-sgd" {
				t.Error("c-sgd has only an incomplete run but became a cell")
			}
		}
	}
	if len(rep.Missing) != 1 || rep.Missing[0].Label != "selective-backprop" || !slices.Equal(rep.Missing[0].Seeds, []uint64{2}) {
		t.Errorf("missing %+v, want selective-backprop seed 2 only (p-sgd's seed 2 is listed as failed)", rep.Missing)
	}
	md := markdown(t, rep)
	for _, want := range []string{
		"| failed | fashion-mnist | standard | 0.3 | p-sgd | 2 | failed: diverged at step 5 (loss NaN) |",
		"| incomplete | fashion-mnist | standard | 0.3 | c-sgd | 1 | completed false",
		"| Fashion-MNIST · resnet8 · standard | 0.3 | selective-backprop | 2 |",
		"6 folders found, 4 complete, 1 incomplete, 1 failed.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q\n%s", want, md)
		}
	}
}

// TestOtherVaryingKeysMakeGroups: runs that differ in a key besides the four are never
// averaged together, and pair only within their own setting; a sampler option makes a
// variant of its method in the same group; a thread count makes no new cell.
func TestOtherVaryingKeysMakeGroups(t *testing.T) {
	root := writeRuns(t,
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.70},
		fakeRun{method: "p-sgd", budget: 0.3, seed: 1, acc: 0.72},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.60, set: []string{"train.lr=0.05"}},
		fakeRun{method: "p-sgd", budget: 0.3, seed: 1, acc: 0.61, set: []string{"train.lr=0.05"}},
		fakeRun{method: "selective-backprop", budget: 0.3, seed: 1, acc: 0.65, set: []string{"sampler.sb_beta=3"}},
		fakeRun{method: "p-sgd", budget: 0.3, seed: 2, acc: 0.74, set: []string{"threads=1"}}, // speed only: same cell
	)
	rep := build(t, root, MetricFinal)
	if len(rep.Groups) != 2 {
		t.Fatalf("%d groups, want 2 (one per train.lr)", len(rep.Groups))
	}
	for _, d := range rep.Diffs {
		if d.Cell.Method != "p-sgd" {
			continue
		}
		lr := d.Cell.Group.Other[0]
		want := map[string]float64{"0.1": 0.02, "0.05": 0.01}[lr.Value]
		if lr.Key != "train.lr" || !near(d.D.Mean, want, 1e-12) {
			t.Errorf("%v: diff %v, want %v", lr, d.D.Mean, want)
		}
	}
	sb := cell(t, rep, "selective-backprop (sb_beta=3)", 0.3)
	if sb.Group.Other[0].Value != "0.1" {
		t.Errorf("sb_beta variant in group %v, want the train.lr=0.1 group", sb.Group.Other)
	}
	if u := cell(t, rep, "unif-sgd", 0.3); u.Label != "unif-sgd" {
		t.Errorf("unif-sgd relabelled %q", u.Label)
	}
	if !slices.Contains(rep.Varying, "threads") {
		t.Errorf("threads varies but is not among %v (results.csv shows it)", rep.Varying)
	}
	for _, g := range rep.Groups {
		for _, c := range g.Cells {
			if c.Method == "p-sgd" && g.Other[0].Value == "0.1" && c.Acc.N != 2 {
				t.Errorf("p-sgd at train.lr=0.1 has %d runs, want 2 (threads does not split cells)", c.Acc.N)
			}
		}
	}
}

// paperConfig is the paper's recipe on CIFAR-10 as --set values.
var paperConfig = []string{"dataset.name=cifar10", "model.name=resnet18", "train.epochs=200", "train.batch_size=128",
	"train.lr=0.1", "train.final_lr=1e-06", "train.schedule=linear", "train.momentum=0.9", "train.nesterov=false",
	"train.weight_decay=0.0001", "train.label_smoothing=0", "dataset.train_limit=0", "dataset.test_limit=0",
	"dataset.validation=false"}

// TestPaperNumbersForPaperRecipe: runs of the paper's recipe show the published numbers of
// spec §5.1 beside the measured ones; other runs do not.
func TestPaperNumbersForPaperRecipe(t *testing.T) {
	root := writeRuns(t,
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.925, set: paperConfig},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 2, acc: 0.929, set: paperConfig},
		fakeRun{method: "fixed-random", budget: 0.3, seed: 1, acc: 0.870, set: paperConfig},
		fakeRun{method: "p-sgd", budget: 0.3, seed: 1, acc: 0.920, set: paperConfig},
		fakeRun{method: "sgd", budget: 1, seed: 1, acc: 0.945, set: paperConfig},
	)
	rep := build(t, root, MetricFinal)
	for _, c := range []struct {
		label string
		b     float64
		paper float64
	}{{"unif-sgd", 0.3, 92.8}, {"fixed-random", 0.3, 87.6}, {"sgd", 1, 94.55}, {"p-sgd", 0.3, math.NaN()}} {
		got := cell(t, rep, c.label, c.b).Paper
		if !(got == c.paper || math.IsNaN(got) && math.IsNaN(c.paper)) {
			t.Errorf("%s b=%g: paper %v, want %v", c.label, c.b, got, c.paper)
		}
	}
	md := markdown(t, rep)
	for _, want := range []string{"follow the paper's recipe", "| 92.80 | -0.10 |", "| 87.60 | -0.60 |", "| 94.55 | -0.05 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q\n%s", want, md)
		}
	}
	ok, diff := PaperRecipe(map[string]string{KeyDataset: "cifar10", "train.epochs": "15"})
	if ok || !slices.ContainsFunc(diff, func(s string) bool { return s == "train.epochs = 15, paper 200" }) {
		t.Errorf("PaperRecipe of a 15-epoch run: %v %v", ok, diff)
	}
	// The fake runs' configs lack train.warmup_steps, as configs saved before it existed do:
	// they count as 0 (readConfig), the recipe's value. A warm-up leaves the recipe.
	recipe := map[string]string{KeyDataset: "cifar10"}
	for _, kv := range paperConfig {
		k, v, _ := strings.Cut(kv, "=")
		recipe[k] = v
	}
	recipe["train.warmup_steps"] = "100"
	if ok, diff := PaperRecipe(recipe); ok || !slices.Contains(diff, "train.warmup_steps = 100, paper 0") {
		t.Errorf("PaperRecipe of a run with a warm-up: %v %v", ok, diff)
	}
	if md := markdown(t, build(t, pairedRuns(t), MetricFinal)); strings.Contains(md, "paper %") {
		t.Error("Fashion-MNIST runs got a paper column")
	}
}

// TestPlotsAreValidPNGs: every plot kind is written, decodes as a PNG of PlotPixels, and
// shows the colours of the methods it draws.
func TestPlotsAreValidPNGs(t *testing.T) {
	if testing.Short() {
		t.Skip("renders PNGs")
	}
	rep := build(t, pairedRuns(t), MetricFinal)
	dir := t.TempDir()
	plots, err := rep.WritePlots(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, p := range plots {
		files = append(files, p.File)
	}
	want := []string{
		"acc-vs-budget_fashion-mnist_standard.png", "diff-vs-budget_fashion-mnist_standard.png",
		"acc-vs-time_fashion-mnist_standard.png", "curves_fashion-mnist_standard_b0.3.png",
		"curves_fashion-mnist_standard_b1.png",
	}
	if !slices.Equal(files, want) {
		t.Fatalf("plots %v\nwant  %v", files, want)
	}
	w, h := PlotPixels()
	if w != 960 || h != 576 {
		t.Errorf("PlotPixels = %d×%d, want 960×576", w, h)
	}
	pSGD := rep.Styles["p-sgd"].Color
	for _, f := range files {
		fh, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
			t.Errorf("%s: %d×%d, want %d×%d", f, b.Dx(), b.Dy(), w, h)
		}
		method, col := "p-sgd", pSGD
		if strings.HasSuffix(f, "_b1.png") { // only sgd ran at b = 1
			method, col = "sgd", rep.Styles["sgd"].Color
		}
		if !hasColour(img, col) {
			t.Errorf("%s: no pixel of %s's colour %v", f, method, col)
		}
	}
}

func hasColour(img image.Image, c color.Color) bool {
	r0, g0, b0, _ := c.RGBA()
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if near(float64(r>>8), float64(r0>>8), 12) && near(float64(g>>8), float64(g0>>8), 12) && near(float64(bb>>8), float64(b0>>8), 12) {
				return true
			}
		}
	}
	return false
}

// TestWriteEndToEnd: Write makes the folder with results.csv, report.md and every plot that
// report.md links to; a folder without runs is ErrNoRuns.
func TestWriteEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("renders PNGs")
	}
	root := pairedRuns(t)
	out := filepath.Join(t.TempDir(), "new", "report")
	// An earlier report's plot of a group that is gone is removed; a user's own file is not.
	os.MkdirAll(out, 0o755)
	for _, f := range []string{"curves_gone_b0.5.png", "my-notes.png"} {
		os.WriteFile(filepath.Join(out, f), []byte("x"), 0o644)
	}
	rep, plots, err := Write(out, []string{root}, MetricFinal)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "curves_gone_b0.5.png")); !errors.Is(err, os.ErrNotExist) || strings.Join(rep.Stale, ",") != "curves_gone_b0.5.png" {
		t.Errorf("stale plot: %v, Stale %v; want removed and listed", err, rep.Stale)
	}
	if _, err := os.Stat(filepath.Join(out, "my-notes.png")); err != nil {
		t.Errorf("a file that is not a plot was touched: %v", err)
	}
	if len(rep.Runs) != 8 || len(plots) != 5 {
		t.Errorf("%d runs, %d plots; want 8, 5", len(rep.Runs), len(plots))
	}
	md, err := os.ReadFile(filepath.Join(out, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plots {
		if !strings.Contains(string(md), "]("+p.File+")") {
			t.Errorf("report.md does not link %s", p.File)
		}
		if _, err := os.Stat(filepath.Join(out, p.File)); err != nil {
			t.Error(err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, CSVFile)); err != nil || strings.Count(string(b), "\n") != 9 {
		t.Errorf("results.csv: %v, %d lines; want 9", err, strings.Count(string(b), "\n"))
	}
	if _, _, err := Write(filepath.Join(t.TempDir(), "r"), []string{t.TempDir()}, MetricFinal); !errors.Is(err, ErrNoRuns) {
		t.Errorf("empty folder: %v, want ErrNoRuns", err)
	}
	if _, _, err := Write(t.TempDir(), []string{filepath.Join(root, "nope")}, MetricFinal); err == nil {
		t.Error("missing folder: no error")
	}
}

// TestStandardReferenceForOtherAugmentations: a group of another augmentation without a b = 1
// run of its own is compared with the full-budget run of standard augmentation with the same
// other settings (the paper's claim about augmentation under a budget), in its table and plots;
// a group whose other settings differ gets no such reference.
func TestStandardReferenceForOtherAugmentations(t *testing.T) {
	ricap := []string{"augment.policy=standard+ricap-a0.3", "augment.ops=[]"}
	other := []string{"augment.policy=standard+mixup-a0.3", "augment.ops=[]", "train.epochs=9"}
	root := writeRuns(t,
		fakeRun{method: "sgd", budget: 1, seed: 1, acc: 0.80},
		fakeRun{method: "sgd", budget: 1, seed: 2, acc: 0.82},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.75},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.83, set: ricap},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 2, acc: 0.84, set: ricap},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.70, set: other},
		fakeRun{method: "sgd", budget: 1, seed: 1, acc: 0.9, set: []string{"train.epochs=9"}},
	)
	rep := build(t, root, MetricFinal)
	var std, withRicap, withMixup *Group
	for _, g := range rep.Groups {
		switch {
		case g.Augment == "standard" && len(g.Other) > 0 && g.Other[0].Value == "3":
			std = g
		case g.Augment == "standard+ricap-a0.3":
			withRicap = g
		case g.Augment == "standard+mixup-a0.3":
			withMixup = g
		}
	}
	if std == nil || withRicap == nil || withMixup == nil {
		t.Fatalf("groups %v: want standard, ricap and mixup ones", rep.Groups)
	}
	if withRicap.FullBudget != nil || withRicap.StandardRef != std.FullBudget || std.FullBudget == nil {
		t.Errorf("ricap group: full budget %v, standard reference %v; want none and %v", withRicap.FullBudget, withRicap.StandardRef, std.FullBudget)
	}
	if withMixup.StandardRef != nil && withMixup.StandardRef.Group == std {
		t.Error("the mixup group (9 epochs) got the 3-epoch standard reference")
	}
	md := markdown(t, rep)
	if want := "with standard augmentation and the same other settings, sgd at b = 1: 81.00 ± 1.41 % (n = 2"; !strings.Contains(md, want) {
		t.Errorf("report.md lacks %q\n%s", want, md)
	}
	// RICAP at 0.3 minus sgd at 1 by seed: 0.83 − 0.80 and 0.84 − 0.82, mean +2.50 pp, std 0.71,
	// t(0.975, 1) = 12.706, half-width 12.706 · 0.7071 / √2 = 6.35.
	if want := "Minus the full-budget reference, paired by seed (pp, 95% CI): unif-sgd at b = 0.3 +2.50 [-3.85, +8.85] (2 pairs)."; !strings.Contains(md, want) {
		t.Errorf("report.md lacks %q\n%s", want, md)
	}
}

// TestFindEachRunOnce: a folder given twice, or given beside its parent, is one run; a run
// reached through a symbolic link is found (once, with the link's path), and a link cycle ends.
func TestFindEachRunOnce(t *testing.T) {
	root, elsewhere := t.TempDir(), t.TempDir()
	fakeRun{method: "sgd", budget: 1, seed: 1, acc: 0.8}.write(t, filepath.Join(root, "a"))
	fakeRun{method: "sgd", budget: 1, seed: 2, acc: 0.8}.write(t, filepath.Join(elsewhere, "b"))
	if err := os.Symlink(filepath.Join(elsewhere, "b"), filepath.Join(root, "linked")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(root, filepath.Join(root, "loop")); err != nil {
		t.Fatal(err)
	}
	for _, dirs := range [][]string{{root}, {root, root}, {root, filepath.Join(root, "a")}, {root, filepath.Join(root, "loop")}} {
		runs, err := Find(dirs...)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range runs {
			rel, _ := filepath.Rel(root, r.Dir)
			names = append(names, filepath.ToSlash(rel))
		}
		if got := strings.Join(names, " "); got != "a linked" {
			t.Errorf("Find(%v): %q, want %q", dirs, got, "a linked")
		}
	}
}

// TestConfigsFromBeforeAKeyReadAsItsEarlierValue: runs saved before train.warmup_steps existed
// and runs with train.warmup_steps 0 are one cell (the key does not vary); a warm-up of 5 does
// vary.
func TestConfigsFromBeforeAKeyReadAsItsEarlierValue(t *testing.T) {
	rep := build(t, writeRuns(t,
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.90},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 2, acc: 0.91, set: []string{"train.warmup_steps=0"}},
	), MetricFinal)
	if slices.Contains(rep.Varying, "train.warmup_steps") || rep.Constant["train.warmup_steps"] != "0" {
		t.Errorf("varying %v, constant warmup_steps %q: want constant 0", rep.Varying, rep.Constant["train.warmup_steps"])
	}
	if c := cell(t, rep, "unif-sgd", 0.3); len(c.Runs) != 2 {
		t.Errorf("cell has %d runs, want both", len(c.Runs))
	}
	rep = build(t, writeRuns(t,
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.90},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 2, acc: 0.91, set: []string{"train.warmup_steps=5"}},
	), MetricFinal)
	if !slices.Contains(rep.Varying, "train.warmup_steps") {
		t.Errorf("a warm-up of 5 beside none: varying %v", rep.Varying)
	}
}

// TestReadRunIsAViewOfTheFolderState: report's status follows runfolder.ReadState. A held lock
// makes even a run whose summary says completed incomplete, until it is released; any
// failed.json (plain text included) makes a run without a completed summary failed.
func TestReadRunIsAViewOfTheFolderState(t *testing.T) {
	dir := fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.7}.write(t, filepath.Join(t.TempDir(), "run"))
	lock, err := runfolder.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r := ReadRun(dir); r.Status != StatusIncomplete || r.Reason != "running: a process holds .lock" {
		t.Errorf("locked: %s (%s), want incomplete (running)", r.Status, r.Reason)
	}
	lock.Unlock()
	if r := ReadRun(dir); r.Status != StatusOK {
		t.Errorf("unlocked: %s (%s), want ok", r.Status, r.Reason)
	}

	dir = fakeRun{method: "unif-sgd", budget: 0.3, seed: 2, status: "checkpoint"}.write(t, filepath.Join(t.TempDir(), "run"))
	os.WriteFile(filepath.Join(dir, runfolder.FailedFile), []byte("Segmentation fault\n  (core dumped)\n"), 0o644)
	if r := ReadRun(dir); r.Status != StatusFailed || r.Reason != "failed: Segmentation fault (core dumped)" {
		t.Errorf("plain-text failed.json: %s (%q), want failed with its text on one line", r.Status, r.Reason)
	}
	if got := runfolder.ReadState(dir).Status; got != runfolder.Failed {
		t.Errorf("runfolder.ReadState = %s, want failed as report says", got)
	}
}
