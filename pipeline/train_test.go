package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"budgetrain/onnx/ort"
	"budgetrain/pipeline/data"
	"budgetrain/pipeline/runfolder"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	ts "github.com/sugarme/gotch/ts"
)

// requireNative skips a test whose native dependency is missing on a developer machine, and
// fails it under CI, where a missing install must never pass silently.
func requireNative(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is required under CI: %v", what, err)
	}
	t.Skipf("%s not available: %v", what, err)
}

// tinyConfig trains test-tiny on the 64-image Fashion-MNIST fixture: DefaultConfig with the
// fields below changed.
func tinyConfig(t testing.TB) Config {
	c := DefaultConfig()
	c.Name, c.Out, c.Seed, c.Device, c.Threads = "tiny", t.TempDir(), 7, "cpu", 1
	c.Dataset.Name = "fashion-mnist"
	c.Dataset.Dir = filepath.Join("..", "testdata", "fashion-mnist")
	c.Model.Name = "test-tiny"
	c.Train.Epochs = 3
	c.Train.Budget = 0.5
	c.Train.BatchSize = 16
	c.Train.EvalBackend = "both"
	return c
}

// newTestTrainer locks the test to its OS thread (torch state is per thread), requires
// onnxruntime and builds a trainer that is closed when the test ends.
func newTestTrainer(t *testing.T, c Config) *Trainer {
	t.Helper()
	runtime.LockOSThread()
	requireNative(t, "onnxruntime", ort.Init(1))
	tr, err := NewTrainer(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	return tr
}

func train(t *testing.T, c Config) Summary {
	t.Helper()
	s, err := newTestTrainer(t, c).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readMetrics(t *testing.T, dir string) []EpochMetrics {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []EpochMetrics
	for _, line := range splitLines(b) {
		var m EpochMetrics
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != '\n' {
			i++
		}
		if i > 0 {
			out = append(out, b[:i])
		}
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return out
}

// TestSmokeTrainWritesRunFolder trains a few steps on fixture data through export and
// onnxruntime evaluation, and checks the run folder and the budget accounting.
func TestSmokeTrainWritesRunFolder(t *testing.T) {
	c := tinyConfig(t)
	s := train(t, c)
	// 64 images, b=0.5 → K=32, I=2 steps/epoch, T=6.
	if s.Iterations != 6 || s.PlannedSteps != 6 || s.SamplesBackward != 6*16 || !s.Completed {
		t.Errorf("summary accounting: %+v", s)
	}
	for _, f := range []string{runfolder.ConfigFile, "metrics.jsonl", runfolder.WeightsFile, runfolder.CheckpointFile, runfolder.ONNXFile, runfolder.SummaryFile} {
		if _, err := os.Stat(filepath.Join(c.Out, f)); err != nil {
			t.Errorf("run folder lacks %s: %v", f, err)
		}
	}
	ms := readMetrics(t, c.Out)
	if len(ms) != 3 {
		t.Fatalf("%d metrics lines, want 3", len(ms))
	}
	for _, m := range ms {
		if m.TestAccTorch == nil || m.TestAccONNX == nil {
			t.Fatalf("epoch %d lacks a backend's accuracy: %+v", m.Epoch, m)
		}
		if math.Abs(*m.TestAccTorch-*m.TestAccONNX) > 1.0/32+1e-9 {
			t.Errorf("epoch %d: libtorch %v vs onnxruntime %v", m.Epoch, *m.TestAccTorch, *m.TestAccONNX)
		}
	}
	if ms[2].Step != 6 || ms[2].LR != 1e-6 {
		t.Errorf("last epoch step %d lr %g, want 6 and 1e-6", ms[2].Step, ms[2].LR)
	}
	if s.ONNXTestAcc < 0 || s.ONNXTestAcc > 1 || s.Params <= 0 || s.Weights != runfolder.WeightsFile {
		t.Errorf("summary fields: %+v", s)
	}
	if _, err := ReadCheckpoint(c.Out); err != nil {
		t.Error(err)
	}
	matches, _ := filepath.Glob(filepath.Join(c.Out, "*.tmp*"))
	if len(matches) > 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}
}

// TestSameSeedSameMetrics: two CPU runs with one seed give identical metrics; another seed
// gives different ones.
func TestSameSeedSameMetrics(t *testing.T) {
	run := func(seed uint64) []EpochMetrics {
		c := tinyConfig(t)
		c.Seed = seed
		c.Train.EvalBackend = "torch"
		train(t, c)
		return readMetrics(t, c.Out)
	}
	a, b, other := run(3), run(3), run(4)
	for i := range a {
		if a[i].TrainLoss != b[i].TrainLoss || *a[i].TestAcc != *b[i].TestAcc {
			t.Errorf("epoch %d differs between runs with the same seed: %+v vs %+v", i+1, a[i], b[i])
		}
	}
	if a[0].TrainLoss == other[0].TrainLoss {
		t.Errorf("seeds 3 and 4 gave the same first-epoch loss %v", a[0].TrainLoss)
	}
}

// TestONNXParityTinyModel: onnxruntime's logits equal gotch's eval forward within 1e-4.
func TestONNXParityTinyModel(t *testing.T) {
	c := tinyConfig(t)
	c.Train.EvalBackend = "torch"
	tr := newTestTrainer(t, c)
	if _, err := tr.Run(context.Background()); err != nil { // trained, so BN running stats are not trivial
		t.Fatal(err)
	}
	d := tr.Test
	n, per, classes := d.N, d.C*d.H*d.W, len(tr.Info.Classes)
	raw := make([]float32, n*per) // pixels in [0,1], NCHW (C=1 so HWC = CHW)
	for i, p := range d.Pix {
		raw[i] = float32(p) / 255
	}
	b, err := tr.ExportBytes()
	if err != nil {
		t.Fatal(err)
	}
	s, err := ort.OpenBytes(b, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Run(raw, n)
	if err != nil {
		t.Fatal(err)
	}
	norm := make([]float32, len(raw))
	for i, v := range raw {
		norm[i] = (v - tr.Info.Mean[0]) / tr.Info.Std[0]
	}
	want := make([]float32, n*classes)
	ts.NoGrad(func() {
		x := ts.MustOfSlice(norm).MustView([]int64{int64(n), 1, int64(d.H), int64(d.W)}, true)
		y := tr.Model.ForwardT(x, false)
		y.MustCopyData(want, uint(len(want)))
		x.MustDrop()
		y.MustDrop()
	})
	var worst float64
	for i := range want {
		worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
	}
	if worst > 1e-4 {
		t.Errorf("max |onnxruntime - libtorch| = %g, want <= 1e-4", worst)
	}
	t.Logf("max abs logit difference %.3g over %d images", worst, n)
}

// TestEndToEndRealFashionMNIST trains a few steps on a few hundred real Fashion-MNIST images,
// exports the model and evaluates the file with onnxruntime.
func TestEndToEndRealFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("real-data run skipped under -short")
	}
	_, err := os.Stat(filepath.Join(data.DefaultDir("fashion-mnist"), "t10k-labels-idx1-ubyte.gz"))
	requireNative(t, "Fashion-MNIST (apt-get install dataset-fashion-mnist)", err)
	c := tinyConfig(t)
	c.Dataset.Dir = ""
	c.Dataset.TrainLimit, c.Dataset.TestLimit = 512, 256
	c.Model.Name = "resnet8"
	c.Train.BatchSize, c.Train.Epochs, c.Train.Budget = 32, 2, 1
	c.Train.EvalBackend = "onnx"
	s := train(t, c)
	if s.Iterations != 32 {
		t.Errorf("%d iterations, want 32", s.Iterations)
	}
	// 10 balanced classes: a model that learned something beats 10% clearly.
	if s.ONNXTestAcc < 0.3 {
		t.Errorf("onnxruntime accuracy %.3f after 32 steps on real data, want >= 0.3", s.ONNXTestAcc)
	}
	if math.Abs(s.ONNXTestAcc-s.TorchTestAcc) > 1.0/256+1e-9 {
		t.Errorf("onnxruntime %.4f vs libtorch %.4f", s.ONNXTestAcc, s.TorchTestAcc)
	}
	sess, err := ort.Open(filepath.Join(c.Out, runfolder.ONNXFile), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	md := sess.Metadata()
	for _, k := range []string{"mean", "std", "classes", "dataset", "model", "method", "budget", "augmentation"} {
		if md[k] == "" {
			t.Errorf("model.onnx metadata lacks %q: %v", k, md)
		}
	}
	var classes []string
	if err := json.Unmarshal([]byte(md["classes"]), &classes); err != nil || len(classes) != 10 || classes[9] != "Ankle boot" {
		t.Errorf("metadata classes %q: %v", md["classes"], err)
	}
}

func TestCancelSavesCheckpoint(t *testing.T) {
	c := tinyConfig(t)
	c.Train.EvalBackend = "torch"
	tr := newTestTrainer(t, c)
	tr.syncStats = true // the hook's cancel lands after step 3 itself, not the step queued after it (see interruptedRun)
	ctx, cancel := context.WithCancel(context.Background())
	tr.Hooks = append(tr.Hooks, HookFuncs{OnStep: func(t *Trainer, _ float64) {
		if t.Progress().Step == 3 {
			cancel()
		}
	}})
	s, err := tr.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if s.Iterations != 3 || s.Completed {
		t.Errorf("summary after cancel: %+v", s)
	}
	// The checkpoint is the last completed epoch's (2 steps per epoch): a resumed run redoes
	// the interrupted epoch.
	ck, err := ReadCheckpoint(c.Out)
	if err != nil || ck.Step != 2 || ck.Epoch != 1 {
		t.Errorf("checkpoint epoch %d step %d (%v), want epoch 1 step 2", ck.Epoch, ck.Step, err)
	}
	// The weights load back into a fresh model.
	vs := nn.NewVarStore(gotch.CPU)
	defer vs.Destroy()
	if _, err := NewModel(vs, tr.Cfg, tr.Info); err != nil {
		t.Fatal(err)
	}
	if err := vs.Load(filepath.Join(c.Out, runfolder.WeightsFile)); err != nil {
		t.Errorf("load saved weights: %v", err)
	}
}

// TestResumeContinuesSelections: a run interrupted after epoch 1 and resumed selects the same
// indices in epoch 2 as an uninterrupted run (p-sgd: statistics and random state restored).
func TestResumeContinuesSelections(t *testing.T) {
	full := tinyConfig(t)
	full.Sampler.Method = "p-sgd"
	full.Train.EvalBackend = "torch"
	full.Train.LogSelection = filepath.Join(full.Out, "sel.jsonl")
	train(t, full)

	part := full
	part.Out = t.TempDir()
	part.Train.LogSelection = filepath.Join(part.Out, "sel.jsonl")
	runtime.LockOSThread()
	tr, err := NewTrainer(part, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tr.Hooks = append(tr.Hooks, HookFuncs{OnEpoch: func(*Trainer, EpochMetrics) { cancel() }})
	if _, err := tr.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	tr.Close()
	// cancel arrives after epoch 1 is saved; epoch 2 starts and stops at once
	ck, err := ReadCheckpoint(part.Out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("checkpoint after interruption: epoch %d step %d", ck.Epoch, ck.Step)

	cfg, err := ConfigFromMap(ck.Config)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Train.LogSelection = filepath.Join(part.Out, "sel2.jsonl")
	tr2, err := NewTrainer(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tr2.Close()
	if err := tr2.Resume(part.Out); err != nil {
		t.Fatal(err)
	}
	s, err := tr2.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Iterations != 6 {
		t.Errorf("resumed run ended at step %d, want 6", s.Iterations)
	}
	want := selections(t, full.Train.LogSelection)
	got := selections(t, cfg.Train.LogSelection)
	if len(got) == 0 {
		t.Fatal("resumed run logged no selection")
	}
	for e, idx := range got {
		if fmt.Sprint(idx) != fmt.Sprint(want[e]) {
			t.Errorf("epoch %d: resumed run selected %v, uninterrupted %v", e, idx, want[e])
		}
	}
}

func selections(t *testing.T, path string) map[int][]int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int][]int{}
	for _, line := range splitLines(b) {
		var rec struct {
			Epoch   int   `json:"epoch"`
			Indices []int `json:"indices"`
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatal(err)
		}
		out[rec.Epoch] = rec.Indices
	}
	return out
}

// TestAsyncEvalReportsEveryEpoch: with eval_async the onnxruntime accuracy of every epoch still
// reaches metrics.jsonl, in order, and equals the synchronous run's.
func TestAsyncEvalReportsEveryEpoch(t *testing.T) {
	run := func(async bool) []EpochMetrics {
		c := tinyConfig(t)
		c.Train.EvalBackend, c.Train.EvalAsync = "onnx", async
		train(t, c)
		return readMetrics(t, c.Out)
	}
	sync, async := run(false), run(true)
	if len(async) != len(sync) {
		t.Fatalf("%d metrics lines with eval_async, want %d", len(async), len(sync))
	}
	for i := range sync {
		if async[i].Epoch != i+1 || async[i].TestAccONNX == nil || *async[i].TestAccONNX != *sync[i].TestAccONNX {
			t.Errorf("epoch %d: async %+v, sync accuracy %v", i+1, async[i], *sync[i].TestAccONNX)
		}
	}
}
