package pipeline

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"budgetrain/internal/torchx"

	"github.com/sugarme/gotch"
)

// requireCUDA skips a test or benchmark without a CUDA device, also under CI (no machine of
// ours has a GPU; scripts/gpu-check.sh runs these where one is).
func requireCUDA(tb testing.TB) {
	tb.Helper()
	if !gotch.CUDA.IsAvailable() {
		tb.Skipf("no CUDA device (libtorch_cuda loaded: %v); scripts/gpu-check.sh runs this on a GPU machine", torchx.CUDALoaded())
	}
}

// maxAbsDiff is the largest |a_i − b_i|, +Inf when the lengths differ.
func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// TestCUDAMatchesCPU (GPU only): resnet8 from the same weights, trained on the same five
// batches with momentum SGD on CUDA and on the CPU, gives training logits and batch losses that
// agree to 1e-3 at every step, and evaluation-mode logits on 64 test images that agree to 1e-3
// afterwards. (cuDNN's convolution algorithms differ from the CPU's, so bit equality is not
// expected; 1e-3 is far below what changes a prediction.)
func TestCUDAMatchesCPU(t *testing.T) {
	requireCUDA(t)
	c := tinyConfig(t)
	c.Model.Name, c.Train.BatchSize, c.Train.EvalBackend = "resnet8", 32, "torch"
	cpu := newTestTrainer(t, c)
	g := c
	g.Device, g.Out = "cuda", t.TempDir()
	gpu := newTestTrainer(t, g)
	if !gpu.Device.IsCuda() {
		t.Fatalf("device cuda gave %v", gpu.Device)
	}
	w := filepath.Join(t.TempDir(), "w.pt")
	if err := cpu.VS.Save(w); err != nil {
		t.Fatal(err)
	}
	if err := torchx.LoadWeights(gpu.VS, w); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	ch := cpu.Loader.Epoch(0, cpu.Sampler.Epoch(0, cpu.EpochSamples), stop)
	for step := 1; step <= 5; step++ {
		bt, ok := cpu.Loader.Next(ch)
		if !ok {
			t.Fatalf("the epoch ended before step %d", step)
		}
		l0c, l0g := cpu.state.EpochLoss, gpu.state.EpochLoss
		if err := cpu.trainStep(bt, nil, false); err != nil {
			t.Fatal(err)
		}
		want := append([]float32(nil), cpu.buf[:bt.N*10]...)
		if err := gpu.trainStep(bt, nil, false); err != nil {
			t.Fatal(err)
		}
		cpu.Loader.Release(bt)
		lc, lg := (cpu.state.EpochLoss-l0c)/float64(bt.N), (gpu.state.EpochLoss-l0g)/float64(bt.N)
		d := maxAbsDiff(want, gpu.buf[:bt.N*10])
		t.Logf("step %d: loss cpu %.6f cuda %.6f, max |Δ logit| %.2e", step, lc, lg, d)
		if d > 1e-3 || math.Abs(lc-lg) > 1e-3 {
			t.Errorf("step %d: CUDA and CPU differ: loss %.6f vs %.6f, max |Δ logit| %.3g (want <= 1e-3)", step, lg, lc, d)
		}
	}
	logits := func(tr *Trainer) []float32 {
		var all []float32
		forEachLogits(tr.Model, tr.Info, tr.Test, 64, 64, tr.toDevice, func(_, _ int, out []float32) { all = append(all, out...) })
		return all
	}
	if d := maxAbsDiff(logits(cpu), logits(gpu)); d > 1e-3 {
		t.Errorf("evaluation-mode logits after 5 steps: max |Δ| %.3g, want <= 1e-3", d)
	} else {
		t.Logf("evaluation-mode logits after 5 steps: max |Δ| %.2e", d)
	}
}

// BenchmarkTrainStepCUDA (GPU only) measures training throughput on CUDA: resnet18 on
// CIFAR-shaped data (3×32×32, 10 classes, from the fixture), batch 128, as BenchmarkTrainStep
// does on the CPU.
func BenchmarkTrainStepCUDA(b *testing.B) {
	requireCUDA(b)
	for _, m := range []string{"resnet18", "resnet8"} {
		b.Run(fmt.Sprintf("%s/batch=128", m), func(b *testing.B) {
			c := tinyConfig(b)
			c.Device, c.Threads = "cuda", 0
			c.Dataset.Name, c.Dataset.Dir = "cifar10", filepath.Join("..", "testdata", "cifar10")
			c.Model.Name, c.Train.BatchSize, c.Train.Budget, c.Train.Epochs = m, 128, 1, 1000
			benchmarkSteps(b, c)
		})
	}
}
