package pipeline

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"budgetrain/internal/torchx"
	"budgetrain/onnx/ort"
	"budgetrain/pipeline/runfolder"
	"budgetrain/sampler"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	ts "github.com/sugarme/gotch/ts"
)

// The GPU check (docs/gpu.md, scripts/gpu-check.sh): the tests and the benchmark named
// *GPUCheck* / *Device* train on the device gpuCheckDevice picks and compare it with the CPU from
// the same weights. Without a GPU the CPU stands in for the device, so `go test` runs every one
// of them everywhere and a GPU machine changes only the device.

// gpuCheckEnv names the device of the GPU check: cuda, cpu (the stand-in) or unset.
const gpuCheckEnv = "BUDGETRAIN_GPU_CHECK_DEVICE"

// gpuCheckDevice returns the device the GPU check runs on, "cuda" or "cpu", from
// BUDGETRAIN_GPU_CHECK_DEVICE: cuda or cpu as given; unset, cuda when libtorch sees a CUDA
// device and otherwise the CPU as the stand-in. cuda without a CUDA device skips, and fails
// under CI (a GPU job whose GPU is missing must not pass). Any other value fails. It turns TF32
// off for cuBLAS and cuDNN until the test ends (on every device, so the stand-in runs the same
// code): with TF32 a float32 convolution on Ampere or newer is accurate to about 1e-3, which no
// CPU comparison survives.
func gpuCheckDevice(tb testing.TB) string {
	tb.Helper()
	runtime.LockOSThread() // torch state and libtorch's error slot are per OS thread
	dev := os.Getenv(gpuCheckEnv)
	switch dev {
	case "":
		dev = "cpu"
		if gotch.CUDA.IsAvailable() {
			dev = "cuda"
		}
	case "cpu", "cuda":
	default:
		tb.Fatalf("%s=%q: want cuda, cpu (the CPU standing in for the GPU) or unset", gpuCheckEnv, dev)
	}
	if dev == "cuda" && !gotch.CUDA.IsAvailable() {
		msg := fmt.Sprintf("%s=cuda, but libtorch sees no CUDA device (libtorch_cuda loaded: %v); scripts/gpu-check.sh runs this on a GPU machine, %s=cpu with the CPU standing in",
			gpuCheckEnv, torchx.CUDALoaded(), gpuCheckEnv)
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	cublas, cudnn, err := torchx.AllowTF32()
	if err == nil {
		err = torchx.SetAllowTF32(false, false)
	}
	if err != nil {
		tb.Fatalf("turn TF32 off: %v", err)
	}
	tb.Cleanup(func() { torchx.SetAllowTF32(cublas, cudnn) })
	return dev
}

// tolerance bounds the difference of a device's result from the CPU's:
// |got_i − want_i| ≤ rel·max_j |want_j| for every element of a tensor, a loss or a vector of
// logits. Scaling by the largest magnitude of the vector rather than by each element keeps
// values near zero (a logit, a weight) from demanding an absolute precision that float32 rounding
// cannot give. The zero tolerance demands bit equality.
type tolerance struct{ rel float64 }

// deviceTolerance is the agreement the check demands of dev with the CPU: exact for the CPU
// stand-in (two runs of the same code on one CPU are deterministic), and relative 1e-3 for CUDA.
// cuDNN and cuBLAS sum in other orders than the CPU's kernels, so float32 results differ by
// rounding, about 1e-6 relative per layer; a few SGD steps amplify that, and 1e-3 leaves room
// for it while staying far below what changes a prediction or a sampler's choice. (Not measured
// on a GPU here; see docs/gpu.md.)
func deviceTolerance(dev string) tolerance {
	if dev == "cpu" {
		return tolerance{}
	}
	return tolerance{rel: 1e-3}
}

// onnxTolerance is the agreement demanded of onnxruntime (CPU) with libtorch on dev: onnxruntime
// fuses BatchNorm into the convolutions and sums in its own order, so even on the CPU it differs
// by rounding (about 1e-7 relative was measured, docs/onnx.md); 1e-4 on the CPU, and the device
// tolerance where that is larger.
func onnxTolerance(dev string) tolerance {
	return tolerance{rel: max(1e-4, deviceTolerance(dev).rel)}
}

// diff returns the largest |got_i − want_i| relative to max |want|, and whether it is within
// the tolerance (false when the lengths differ or a value is not finite).
func (tol tolerance) diff(got, want []float32) (float64, bool) {
	if len(got) != len(want) {
		return math.Inf(1), false
	}
	scale, d := 0.0, 0.0
	for i := range want {
		scale = max(scale, math.Abs(float64(want[i])))
		dd := math.Abs(float64(got[i]) - float64(want[i]))
		if !finite(float64(got[i])) || !finite(float64(want[i])) {
			dd = math.Inf(1)
		}
		d = max(d, dd)
	}
	if scale > 0 {
		d /= scale
	}
	return d, d <= tol.rel
}

// check reports a difference beyond the tolerance as a test error naming what differs.
func (tol tolerance) check(t testing.TB, what string, got, want []float32) {
	t.Helper()
	if d, ok := tol.diff(got, want); !ok {
		t.Errorf("%s: device differs from the CPU by %.3g relative (%d vs %d values), want <= %g", what, d, len(got), len(want), tol.rel)
	}
}

func TestToleranceIsRelativeToTheLargestValue(t *testing.T) {
	want := []float32{10, 0.001, -5}
	for _, c := range []struct {
		tol  tolerance
		got  []float32
		ok   bool
		name string
	}{
		{tolerance{}, []float32{10, 0.001, -5}, true, "exact equal"},
		{tolerance{}, []float32{10, 0.0011, -5}, false, "exact, one value off"},
		{tolerance{1e-3}, []float32{10.009, 0.002, -5}, true, "within 1e-3 of max |want| = 10"},
		{tolerance{1e-3}, []float32{10, 0.001, -5.02}, false, "beyond 1e-3 of 10"},
		{tolerance{1e-3}, []float32{10, 0.001}, false, "length"},
		{tolerance{1}, []float32{10, float32(math.NaN()), -5}, false, "NaN"},
	} {
		if _, ok := c.tol.diff(c.got, want); ok != c.ok {
			t.Errorf("%s: ok = %v, want %v", c.name, ok, c.ok)
		}
	}
}

// deviceConfig is tinyConfig on dev: test-tiny on the 64-image Fashion-MNIST fixture, 3 epochs
// of 4 steps of 8 images, evaluated by libtorch every epoch, the sampler's choices logged.
func deviceConfig(t testing.TB, dev string) Config {
	c := tinyConfig(t)
	c.Device = dev
	c.Train.Budget, c.Train.BatchSize, c.Train.Epochs = 0.5, 8, 3
	c.Train.EvalBackend, c.Train.EvalEvery = "torch", 1
	c.Train.LogSelection = filepath.Join(c.Out, "selection.jsonl")
	return c
}

// weightsOf copies every variable of vs to Go, by name.
func weightsOf(vs *nn.VarStore) map[string][]float32 {
	out := map[string][]float32{}
	ts.NoGrad(func() {
		for name, v := range vs.Variables() {
			buf := make([]float32, v.Numel())
			v.MustCopyData(buf, v.Numel())
			out[name] = buf
		}
	})
	return out
}

// weightsFile reads a weights file (model.pt) to Go on the CPU, by name, wherever it was saved.
func weightsFile(t testing.TB, path string) map[string][]float32 {
	t.Helper()
	named, err := ts.LoadMultiWithDevice(path, gotch.CPU)
	if err != nil {
		t.Fatalf("read %s on the CPU: %v", path, torchx.Error(err))
	}
	out := map[string][]float32{}
	for _, n := range named {
		buf := make([]float32, n.Tensor.Numel())
		n.Tensor.MustCopyData(buf, n.Tensor.Numel())
		out[n.Name] = buf
		n.Tensor.MustDrop()
	}
	return out
}

// checkWeights compares two sets of named weights.
func checkWeights(t testing.TB, tol tolerance, what string, got, want map[string][]float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d variables, want %d", what, len(got), len(want))
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		tol.check(t, what+" "+n, got[n], want[n])
	}
}

// testLogits returns the evaluation-mode logits of the whole test set.
func testLogits(tr *Trainer) []float32 {
	var all []float32
	forEachLogits(tr.Model, tr.Info, tr.Test, tr.Test.N, 16, tr.up.images, func(_, _ int, out []float32) { all = append(all, out...) })
	return all
}

// runRecord is what the check compares of a run.
type runRecord struct {
	losses  []float32 // training loss of every step
	metrics []EpochMetrics
	sel     []selectionRecord
	weights map[string][]float32 // after the run
	logits  []float32            // evaluation-mode logits of the test set after the run
	sum     Summary
}

type selectionRecord struct {
	Epoch      int       `json:"epoch"`
	Indices    []int     `json:"indices"`
	Importance []float32 `json:"importance"`
}

// recordRun runs tr to the end and records it.
func recordRun(t *testing.T, tr *Trainer) runRecord {
	t.Helper()
	var r runRecord
	tr.Hooks = append(tr.Hooks, HookFuncs{OnStep: func(_ *Trainer, loss float64) { r.losses = append(r.losses, float32(loss)) }})
	s, err := tr.Run(context.Background())
	if err != nil {
		t.Fatalf("run on %s: %v", tr.Cfg.Device, err)
	}
	r.sum, r.metrics = s, readMetrics(t, tr.Cfg.Out)
	if p := tr.Cfg.Train.LogSelection; p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range splitLines(b) {
			var rec selectionRecord
			if err := json.Unmarshal(line, &rec); err != nil {
				t.Fatal(err)
			}
			r.sel = append(r.sel, rec)
		}
	}
	r.weights, r.logits = weightsOf(tr.VS), testLogits(tr)
	return r
}

// devicePair builds c's trainer on the CPU and on dev (run folders of their own) and checks that
// the seed gave both the same initial weights, bit for bit (NewModel initialises on the CPU and
// copies to the device).
func devicePair(t *testing.T, c Config, dev string) (cpu, device *Trainer) {
	t.Helper()
	c.Device = "cpu"
	cpu = newTestTrainer(t, c)
	d := c
	d.Device, d.Out = dev, t.TempDir()
	if c.Train.LogSelection != "" {
		d.Train.LogSelection = filepath.Join(d.Out, filepath.Base(c.Train.LogSelection))
	}
	device = newTestTrainer(t, d)
	if device.Device.IsCuda() != (dev == "cuda") {
		t.Fatalf("device %s gave %v", dev, device.Device)
	}
	checkWeights(t, tolerance{}, "initial weights on "+dev+" against the CPU from one seed", weightsOf(device.VS), weightsOf(cpu.VS))
	return cpu, device
}

// compareRuns checks a device run against the CPU run from the same weights: every step's loss,
// every epoch's training loss and libtorch accuracy, every epoch's sampler choice (indices
// exactly, importances within the tolerance), the step and sample counts, the final weights and
// the final evaluation-mode logits.
func compareRuns(t *testing.T, tol tolerance, got, want runRecord) {
	t.Helper()
	tol.check(t, "training loss of every step", got.losses, want.losses)
	if len(got.metrics) != len(want.metrics) {
		t.Errorf("%d epochs, want %d", len(got.metrics), len(want.metrics))
	}
	for i := range min(len(got.metrics), len(want.metrics)) {
		g, w := got.metrics[i], want.metrics[i]
		tol.check(t, fmt.Sprintf("epoch %d training loss", w.Epoch), []float32{float32(g.TrainLoss)}, []float32{float32(w.TrainLoss)})
		if g.TestAcc == nil || w.TestAcc == nil {
			t.Errorf("epoch %d: no libtorch accuracy", w.Epoch)
		} else if d := math.Abs(*g.TestAcc - *w.TestAcc); d > 0 && (tol.rel == 0 || d > 1.5/32) {
			t.Errorf("epoch %d: test accuracy %v, CPU %v (the CUDA tolerance allows one image of the 32 to flip)", w.Epoch, *g.TestAcc, *w.TestAcc)
		}
	}
	if len(got.sel) != len(want.sel) {
		t.Errorf("%d selection records, want %d", len(got.sel), len(want.sel))
	}
	for i := range min(len(got.sel), len(want.sel)) {
		g, w := got.sel[i], want.sel[i]
		if !slices.Equal(g.Indices, w.Indices) {
			t.Errorf("epoch %d: the sampler chose other indices on the device (%d vs %d): %v, CPU %v", w.Epoch, len(g.Indices), len(w.Indices), g.Indices, w.Indices)
		}
		tol.check(t, fmt.Sprintf("epoch %d importance", w.Epoch), g.Importance, w.Importance)
	}
	gs, ws := got.sum, want.sum
	if gs.Iterations != ws.Iterations || gs.SamplesForward != ws.SamplesForward || gs.SamplesBackward != ws.SamplesBackward || gs.Pruned != ws.Pruned || !gs.Completed {
		t.Errorf("steps %d, forward %d, backward %d, pruned %d, completed %v; CPU %d, %d, %d, %d",
			gs.Iterations, gs.SamplesForward, gs.SamplesBackward, gs.Pruned, gs.Completed, ws.Iterations, ws.SamplesForward, ws.SamplesBackward, ws.Pruned)
	}
	checkWeights(t, tol, "final weight", got.weights, want.weights)
	tol.check(t, "final evaluation-mode logits", got.logits, want.logits)
}

// TestGPUCheckStepsMatchCPU: resnet8 from the same weights, trained on the same five batches
// with momentum SGD on the device and on the CPU, gives training logits and batch losses within
// the device tolerance at every step, and evaluation-mode logits on the whole test set within it
// afterwards.
func TestGPUCheckStepsMatchCPU(t *testing.T) {
	dev := gpuCheckDevice(t)
	tol := deviceTolerance(dev)
	c := tinyConfig(t)
	c.Model.Name, c.Train.BatchSize, c.Train.Budget, c.Train.EvalBackend = "resnet8", 8, 1, "torch"
	cpu, gpu := devicePair(t, c, dev)
	if n := cpu.EpochSamples / c.Train.BatchSize; n < 5 {
		t.Fatalf("the fixture gives %d batches per epoch, the test needs 5", n)
	}
	stop := make(chan struct{})
	defer close(stop)
	ch := cpu.Loader.Epoch(0, cpu.Sampler.Epoch(0, cpu.EpochSamples), stop)
	classes := len(cpu.Info.Classes)
	for step := 1; step <= 5; step++ {
		bt, ok := cpu.Loader.Next(ch)
		if !ok {
			t.Fatalf("the epoch ended before step %d", step)
		}
		l0c, l0g := cpu.state.EpochLoss, gpu.state.EpochLoss
		stepNow(t, cpu, bt)
		want := slices.Clone(cpu.buf[:bt.N*classes])
		stepNow(t, gpu, bt)
		cpu.Loader.Release(bt)
		lc, lg := float32((cpu.state.EpochLoss-l0c)/float64(bt.N)), float32((gpu.state.EpochLoss-l0g)/float64(bt.N))
		tol.check(t, fmt.Sprintf("step %d training logits", step), gpu.buf[:bt.N*classes], want)
		tol.check(t, fmt.Sprintf("step %d loss", step), []float32{lg}, []float32{lc})
	}
	tol.check(t, "evaluation-mode logits after 5 steps", testLogits(gpu), testLogits(cpu))
	checkWeights(t, tol, "weight after 5 steps", weightsOf(gpu.VS), weightsOf(cpu.VS))
}

// stepNow runs one training step and finishes its statistics at once (trainStep leaves them
// pending until the next step), so that tr.buf and tr.state hold this step's.
func stepNow(t *testing.T, tr *Trainer, b *Batch) {
	t.Helper()
	err := tr.trainStep(b, nil, false)
	if err == nil {
		err = tr.flushStep()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// methodCases are the training setups every run comparison covers, by name (sorted): every
// sampler of sampler.Methods(), mixup, RICAP, CutMix, label smoothing, and loss-is with mixup
// and label smoothing together.
func methodCases() ([]string, map[string]func(*Config)) {
	cases := map[string]func(*Config){}
	for _, m := range sampler.Methods() {
		cases["sampler="+m] = func(c *Config) { c.Sampler.Method = m }
	}
	for _, p := range []string{"standard+mixup-a0.3", "standard+ricap-a0.3", "standard+cutmix-a1"} {
		cases["augment="+p] = func(c *Config) { c.Augment.Policy = p }
	}
	cases["label_smoothing=0.1"] = func(c *Config) { c.Train.LabelSmooth = 0.1 }
	cases["loss-is+mixup+label_smoothing"] = func(c *Config) {
		c.Sampler.Method, c.Augment.Policy, c.Train.LabelSmooth = "loss-is", "standard+mixup-a0.3", 0.1
	}
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, cases
}

// TestGPUCheckMethodsMatchCPU: every sampler (Selective Backprop's selection passes and queue,
// the importance samplers' loss weights, InfoBatch's pruning and rescaling, ...), every batch
// mixer and label smoothing train the same on the device as on the CPU from the same weights
// (compareRuns).
func TestGPUCheckMethodsMatchCPU(t *testing.T) {
	dev := gpuCheckDevice(t)
	names, cases := methodCases()
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			c := deviceConfig(t, dev)
			cases[name](&c)
			cpu, device := devicePair(t, c, dev)
			want := recordRun(t, cpu)
			compareRuns(t, deviceTolerance(dev), recordRun(t, device), want)
		})
	}
}

// bf16Tolerance is the agreement demanded of a train.precision bf16 run on dev with the same
// run on the CPU: exact for the stand-in; on CUDA, cuDNN's and oneDNN's bfloat16 kernels round
// differently (bfloat16 keeps 8 significant bits, relative steps of 4e-3), so 5e-2 relative.
// (Reasoned, not measured on a GPU here.)
func bf16Tolerance(dev string) tolerance {
	if dev == "cpu" {
		return tolerance{}
	}
	return tolerance{rel: 5e-2}
}

// TestGPUCheckBF16: train.precision bf16 (autocast) trains on the device as on the CPU from the
// same weights (every step's loss, the final weights); it really computes in bfloat16 (its
// losses are not fp32's, though within 5% of them at the first step); autocast is off again
// after every step; weights stay float32 and the run exports an ONNX model that onnxruntime
// evaluates.
func TestGPUCheckBF16(t *testing.T) {
	dev := gpuCheckDevice(t)
	c := deviceConfig(t, dev)
	c.Train.Precision = "bf16"
	c.Train.EvalBackend = "both"
	cpu, device := devicePair(t, c, dev)
	want := recordRun(t, cpu)
	got := recordRun(t, device)
	tol := bf16Tolerance(dev)
	tol.check(t, "bf16 training loss of every step", got.losses, want.losses)
	checkWeights(t, tol, "bf16 weights after the run", got.weights, want.weights)
	for _, tr := range []*Trainer{cpu, device} {
		if torchx.AutocastEnabled(tr.Device) {
			t.Errorf("autocast is still on for %s after the run", deviceName(tr.Device))
		}
		for name, v := range tr.VS.Variables() {
			if k := v.DType(); k != gotch.Float {
				t.Errorf("%s: %s is %v after a bf16 run, want float32", deviceName(tr.Device), name, k)
			}
		}
	}
	if got.sum.ONNX == "" || got.sum.ONNXTestAcc <= 0 {
		t.Errorf("a bf16 run exported %q with onnxruntime accuracy %g; want a model and its accuracy", got.sum.ONNX, got.sum.ONNXTestAcc)
	}

	f := c
	f.Train.Precision, f.Device, f.Out = "fp32", "cpu", t.TempDir()
	f.Train.LogSelection = ""
	fp32 := recordRun(t, newTestTrainer(t, f))
	if slices.Equal(fp32.losses, want.losses) {
		t.Error("bf16 and fp32 runs have identical losses: autocast did not take effect")
	}
	tolerance{rel: 5e-2}.check(t, "first step's loss, bf16 against fp32", want.losses[:1], fp32.losses[:1])
}

// TestGPUCheckEvalBackendAuto: with train.eval_backend auto (the default) the epochs are
// evaluated by libtorch on a GPU and by onnxruntime on the CPU (so the stand-in takes the CPU's
// path), and the final model by both.
func TestGPUCheckEvalBackendAuto(t *testing.T) {
	dev := gpuCheckDevice(t)
	c := deviceConfig(t, dev)
	c.Train.EvalBackend, c.Train.LogSelection = "auto", ""
	tr := newTestTrainer(t, c)
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ms := readMetrics(t, c.Out)
	if len(ms) < 2 {
		t.Fatalf("%d metrics lines, want 3", len(ms))
	}
	first := ms[0]
	if dev == "cuda" && (first.TestAccTorch == nil || first.TestAccONNX != nil) {
		t.Errorf("epoch 1 on cuda: torch accuracy %v, onnxruntime %v; want libtorch's only", first.TestAccTorch, first.TestAccONNX)
	}
	if dev == "cpu" && (first.TestAccONNX == nil || first.TestAccTorch != nil) {
		t.Errorf("epoch 1 on the CPU: torch accuracy %v, onnxruntime %v; want onnxruntime's only", first.TestAccTorch, first.TestAccONNX)
	}
	if last := ms[len(ms)-1]; last.TestAccONNX == nil || last.TestAccTorch == nil {
		t.Errorf("final epoch: torch accuracy %v, onnxruntime %v; want both", last.TestAccTorch, last.TestAccONNX)
	}
}

// TestGPUCheckResume: a run on the device interrupted after its first epoch and resumed on the
// device ends where the uninterrupted device run does (exactly on the CPU stand-in, whose
// resume is bit-exact; within the device tolerance on CUDA, where cuDNN's kernels need not be
// deterministic); resumed on the CPU instead (a device-trained checkpoint moved to a machine
// without the GPU), it ends within the device tolerance of it. Selective Backprop carries a
// queue and momentum buffers across the resume, loss-is its sampler state.
func TestGPUCheckResume(t *testing.T) {
	dev := gpuCheckDevice(t)
	for _, m := range []string{"selective-backprop", "loss-is"} {
		base := deviceConfig(t, dev)
		base.Sampler.Method, base.Train.LogSelection, base.Train.EvalBackend = m, "", "both"
		full := newTestTrainer(t, base)
		want := recordRun(t, full)
		for _, r := range []struct{ name, on string }{{"resumed on the device", dev}, {"resumed on the CPU", "cpu"}} {
			t.Run(m+"/"+r.name, func(t *testing.T) {
				c := base
				c.Out = t.TempDir()
				lines := 0 // stop at the first step after the first epoch's line
				interruptedRun(t, c, func(_ int, line bool) bool {
					if line {
						lines++
					}
					return !line && lines > 0
				})
				ck, err := ReadCheckpoint(c.Out)
				if err != nil || ck.Epoch < 1 || ck.Step >= want.sum.Iterations {
					t.Fatalf("checkpoint of epoch %d, step %d (%v), want one after an epoch and before the last step", ck.Epoch, ck.Step, err)
				}
				rc, err := ConfigFromMap(ck.Config)
				if err != nil {
					t.Fatal(err)
				}
				rc.Device = r.on
				tr := newTestTrainer(t, rc)
				if err := tr.Resume(c.Out); err != nil {
					t.Fatal(err)
				}
				got := recordRun(t, tr)
				tol := deviceTolerance(dev) // exact on the CPU stand-in
				tol.check(t, "training losses after the resume", got.losses, want.losses[len(want.losses)-len(got.losses):])
				checkWeights(t, tol, "final weight", got.weights, want.weights)
				checkWeights(t, tol, "model.pt", weightsFile(t, filepath.Join(c.Out, runfolder.WeightsFile)), weightsFile(t, filepath.Join(base.Out, runfolder.WeightsFile)))
				tol.check(t, "final evaluation-mode logits", got.logits, want.logits)
				if got.sum.Iterations != want.sum.Iterations || got.sum.SamplesBackward != want.sum.SamplesBackward || !got.sum.Completed {
					t.Errorf("summary %+v, want %+v", got.sum, want.sum)
				}
			})
		}
	}
}

// TestGPUCheckEvalTorchMatchesONNX: the model a device run exported (model.onnx), run by
// onnxruntime on the CPU, gives the logits of the trained model evaluated by libtorch on the
// device, within onnxTolerance, and the same accuracy as libtorch's evaluation.
func TestGPUCheckEvalTorchMatchesONNX(t *testing.T) {
	dev := gpuCheckDevice(t)
	c := deviceConfig(t, dev)
	c.Model.Name, c.Train.EvalBackend, c.Train.LogSelection = "resnet8", "both", ""
	tr := newTestTrainer(t, c)
	r := recordRun(t, tr)
	b, err := os.ReadFile(filepath.Join(c.Out, runfolder.ONNXFile))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ort.OpenBytes(b, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d := tr.Test
	x := make([]float32, 0, d.N*d.C*d.H*d.W) // NCHW in [0, 1]; the dataset's pixels are HWC
	for i := 0; i < d.N; i++ {
		img := d.Image(i)
		for ch := 0; ch < d.C; ch++ {
			for p := 0; p < d.H*d.W; p++ {
				x = append(x, float32(img[p*d.C+ch])/255)
			}
		}
	}
	got, err := s.Run(x, d.N)
	if err != nil {
		t.Fatal(err)
	}
	onnxTolerance(dev).check(t, "onnxruntime logits against libtorch's", got, r.logits)
	if r.sum.ONNXTestAcc != r.sum.FinalTestAcc {
		t.Errorf("onnxruntime test accuracy %v, libtorch %v", r.sum.ONNXTestAcc, r.sum.FinalTestAcc)
	}
}

// TestGPUCheckMemoryIsFlat: an epoch of resnet8 training steps at batch 32 on CIFAR-shaped
// data does not grow resident memory (how TestTrainingMemoryIsFlat measures it) by more than
// 40 MiB between its 8th and its last (24th) step, nor, on CUDA, the memory nvidia-smi reports in
// use on the GPU by more than 64 MiB (libtorch's caching allocator takes memory in blocks of 2
// and 20 MiB). A leaked autograd graph is about 9 MB a step at this size (35 MB at batch 128),
// 140 MB over the 16 steps measured; batch 32 keeps the stand-in at a few seconds.
func TestGPUCheckMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped under -short")
	}
	dev := gpuCheckDevice(t)
	const steps, first = 24, 8
	c := cifarShapedConfig(t, dev, "resnet8", 32, steps*32)
	c.Threads = 1 // on a busy 2-core machine more threads only wait for each other
	tr := newBenchTrainer(t, c)
	defer tr.Close()
	if tr.StepsPerEpoch != steps {
		t.Fatalf("%d steps per epoch, want %d", tr.StepsPerEpoch, steps)
	}
	stop := make(chan struct{})
	defer close(stop)
	ch := tr.Loader.Epoch(0, tr.Sampler.Epoch(0, tr.EpochSamples), stop)
	var host, device float64
	for i := 0; i < steps; i++ {
		b, ok := tr.Loader.Next(ch)
		if !ok {
			t.Fatal("epoch ended early")
		}
		if err := tr.trainStep(b, nil, true); err != nil {
			t.Fatal(err)
		}
		tr.Loader.Release(b)
		if i == first-1 {
			host, device = HeldRSSMiB(), deviceMemMiB(t, dev)
		}
	}
	grow, dgrow := HeldRSSMiB()-host, deviceMemMiB(t, dev)-device
	t.Logf("over %d steps on %s: resident memory grew by %.0f MiB, GPU memory by %.0f MiB", steps-first, dev, grow, dgrow)
	if grow > 40 {
		t.Errorf("resident memory grew by %.0f MiB over %d training steps, want <= 40", grow, steps-first)
	}
	if dgrow > 64 {
		t.Errorf("GPU memory in use grew by %.0f MiB over %d training steps, want <= 64", dgrow, steps-first)
	}
}

// deviceMemMiB is the memory nvidia-smi reports in use on GPU 0 (0 for the CPU): libtorch's
// caching allocator keeps what it once took, so it grows when tensors leak. The whole GPU's use is
// read, not the process's (nvidia-smi cannot see through a container's process namespace): the
// check runs alone on its GPU.
func deviceMemMiB(t testing.TB, dev string) float64 {
	t.Helper()
	if dev != "cuda" {
		return 0
	}
	if err := ts.CudaSynchronize(0); err != nil {
		t.Fatalf("cuda synchronize: %v", err)
	}
	out, err := exec.Command("nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0").Output()
	if err != nil {
		t.Fatalf("nvidia-smi: %v", err)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		t.Fatalf("nvidia-smi memory.used %q: %v", out, err)
	}
	return v
}

// writeCIFARShaped writes a CIFAR-10 binary data set of n training and m test images with
// random pixels and labels i mod 10 into dir (data_batch_1..5.bin, test_batch.bin).
func writeCIFARShaped(t testing.TB, dir string, n, m int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	rec := func(i int) []byte {
		b := make([]byte, 1+3*32*32)
		b[0] = byte(i % 10)
		for j := 1; j < len(b); j += 8 {
			binary.LittleEndian.PutUint64(b[j:min(j+8, len(b))], rng.Uint64())
		}
		return b
	}
	write := func(name string, from, to int) {
		var b []byte
		for i := from; i < to; i++ {
			b = append(b, rec(i)...)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for k := 0; k < 5; k++ {
		write(fmt.Sprintf("data_batch_%d.bin", k+1), n*k/5, n*(k+1)/5)
	}
	write("test_batch.bin", 0, m)
}

// cifarShapedConfig trains model on n synthetic CIFAR-shaped images (3×32×32, 10 classes) on dev
// at the given batch, budget 1, all cores, as the benchmarks do.
func cifarShapedConfig(t testing.TB, dev, model string, batch, n int) Config {
	c := tinyConfig(t)
	dir := t.TempDir()
	writeCIFARShaped(t, dir, n, 100)
	c.Device, c.Threads = dev, 0
	c.Dataset.Name, c.Dataset.Dir = "cifar10", dir
	c.Model.Name, c.Train.BatchSize, c.Train.Budget, c.Train.Epochs = model, batch, 1, 1000
	return c
}

// BenchmarkTrainStepDevice measures training throughput on the GPU check's device: resnet18 and
// resnet8 on synthetic CIFAR-shaped data, batch 128, as BenchmarkTrainStep does on the CPU.
func BenchmarkTrainStepDevice(b *testing.B) {
	dev := gpuCheckDevice(b)
	for _, m := range []string{"resnet18", "resnet8"} {
		b.Run(fmt.Sprintf("%s/%s/batch=128", dev, m), func(b *testing.B) {
			runtime.LockOSThread()
			benchmarkSteps(b, cifarShapedConfig(b, dev, m, 128, 1024))
		})
	}
}
