// Bench: end-to-end timing of the training step, evaluation and the input pipeline on synthetic
// data of a dataset's shape (budgetrain bench; STYLE rule 28).

package pipeline

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"budgetrain/models"
	"budgetrain/onnx/ort"
	"budgetrain/pipeline/data"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	ts "github.com/sugarme/gotch/ts"
)

// Precisions lists the precisions Bench accepts, train.precision's values: the training step
// runs in that precision (evaluation is float32 whatever it is).
var Precisions = []string{"fp32", "bf16"}

// BenchConfig is what Bench times: a model on a device and precision, at a batch size, on
// random images of a dataset's shape (its record's H, W, C and classes; no files are read).
type BenchConfig struct {
	Model     string // a models registry name
	Device    string // auto, cpu or cuda
	Precision string // one of Precisions
	Dataset   string // a dataset with a fixed shape (not an image folder)
	Batch     int    // images per step, > 0
	Warmup    int    // untimed iterations of each part before the timed ones, >= 0
	Iters     int    // timed iterations of each part, > 0
	Threads   int    // libtorch and onnxruntime threads (0 = one per CPU)
	Seed      uint64 // weights (libtorch) and the synthetic data
}

// DefaultBenchConfig is the benchmark users run first: ResNet-18 on CIFAR-10's shape, batch 128.
func DefaultBenchConfig() BenchConfig {
	return BenchConfig{Model: "resnet18", Device: "auto", Precision: "fp32", Dataset: "cifar10", Batch: 128, Warmup: 5, Iters: 20}
}

// Problems lists every problem of c, one line each, naming the setting and its value.
func (c BenchConfig) Problems() []string {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if !slices.Contains(models.Names(), c.Model) {
		bad("model (%q) is unknown (known: %s)", c.Model, strings.Join(models.Names(), ", "))
	}
	switch c.Device {
	case "auto", "cpu", "cuda":
	default:
		bad("device (%q) must be auto, cpu or cuda", c.Device)
	}
	if !slices.Contains(Precisions, c.Precision) {
		bad("precision (%q) is unknown (accepted: %s)", c.Precision, strings.Join(Precisions, ", "))
	}
	if info, err := data.Lookup(c.Dataset); err != nil {
		bad("dataset: %v", err)
	} else if info.H <= 0 || info.W <= 0 || info.C <= 0 || len(info.Classes) == 0 || len(info.Mean) == 0 {
		bad("dataset (%q) has no fixed shape, classes and statistics in its record (an image folder): pick one that has", c.Dataset)
	}
	if c.Batch <= 0 {
		bad("batch (%d) must be > 0", c.Batch)
	}
	if c.Warmup < 0 {
		bad("warmup (%d) must be >= 0", c.Warmup)
	}
	if c.Iters <= 0 {
		bad("iters (%d) must be > 0", c.Iters)
	}
	if c.Threads < 0 {
		bad("threads (%d) must be >= 0 (0 = one per CPU)", c.Threads)
	}
	return errs
}

// Validate returns all of Problems as one error, nil when there are none.
func (c BenchConfig) Validate() error {
	if errs := c.Problems(); len(errs) > 0 {
		return errors.New("invalid bench settings:\n  " + strings.Join(errs, "\n  "))
	}
	return nil
}

// Throughput summarises the timed iterations of one part in images per second: the median
// iteration and the slowest and fastest.
type Throughput struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// throughput turns per-iteration durations of batch images each into images per second.
func throughput(batch int, d []time.Duration) Throughput {
	r := make([]float64, len(d))
	for i, s := range d {
		r[i] = float64(batch) / max(s.Seconds(), 1e-9)
	}
	slices.Sort(r)
	med := r[len(r)/2]
	if len(r)%2 == 0 {
		med = (r[len(r)/2-1] + r[len(r)/2]) / 2
	}
	return Throughput{Median: med, Min: r[0], Max: r[len(r)-1]}
}

// BenchResult is what Bench measured and on what.
type BenchResult struct {
	Model      string `json:"model"`
	Dataset    string `json:"dataset"`
	H          int    `json:"height"`
	W          int    `json:"width"`
	C          int    `json:"channels"`
	Classes    int    `json:"classes"`
	Precision  string `json:"precision"`
	Batch      int    `json:"batch"`
	Warmup     int    `json:"warmup"`
	Iters      int    `json:"iters"`
	Parameters int64  `json:"parameters"`

	Device      string `json:"device"`  // cpu or cuda:N
	CPU         string `json:"cpu"`     // the processor's model (provenance)
	Threads     int    `json:"threads"` // libtorch intra-op threads; onnxruntime got as many
	Libtorch    string `json:"libtorch"`
	Onnxruntime string `json:"onnxruntime"`
	Budgetrain  string `json:"budgetrain"` // the commit it was built from, "-dirty" if modified

	Train     Throughput `json:"train"`      // optimizer steps, loader included
	EvalTorch Throughput `json:"eval_torch"` // libtorch forward, evaluation mode, on the device
	EvalONNX  Throughput `json:"eval_onnx"`  // onnxruntime on the CPU, exported model
	Input     Throughput `json:"input"`      // loader and augmentation alone, a pass over 8 batches
	// LoaderWorkers is the number of goroutines preparing batches (train.workers' default).
	LoaderWorkers int `json:"loader_workers"`

	// MaxRelLogitDiff is max |logit_device − logit_cpu| / max |logit_cpu| over one batch
	// forwarded in evaluation mode from the same weights; nil when the device is the CPU.
	MaxRelLogitDiff *float64 `json:"max_rel_logit_diff"`
	Agreement       string   `json:"agreement"` // the same as a sentence
}

// streamBench is the random stream of Bench's synthetic images and labels.
const streamBench = 100

// benchStepsPerEpoch is the number of batches in Bench's synthetic training set: enough that the
// loader's workers run as in training, small enough to cost little memory.
const benchStepsPerEpoch = 8

// Bench times, in this order and each for c.Warmup untimed then c.Iters timed iterations of one
// batch of c.Batch images:
//
//   - train: one optimizer step as the training loop runs it (Trainer.trainStep): the next batch
//     from the loader with the standard augmentation, upload, forward, per-example losses,
//     backward, SGD with momentum, logits read back;
//   - eval_torch: a libtorch forward in evaluation mode without gradients on the device, logits
//     read back (EvalTorch);
//   - eval_onnx: onnxruntime on the CPU running the exported model (EvalONNXBytes' session);
//   - input: the loader alone (random pixels in memory, then the standard augmentation,
//     normalisation and batching in its worker goroutines), the consumer doing nothing else; its
//     iteration is a pass over all benchStepsPerEpoch batches of the synthetic training set,
//     since the prefetch queue would hide the cost of one batch.
//
// Every timed GPU iteration ends with its logits copied to the host, which waits for the device,
// so the times include all device work. Then it forwards one batch on the device and on the CPU
// from the same weights and reports their largest relative logit difference. It must run on the
// goroutine that owns libtorch's per-thread state (cmd locks it to its OS thread).
func Bench(c BenchConfig) (BenchResult, error) {
	if err := c.Validate(); err != nil {
		return BenchResult{}, err
	}
	info, _ := data.Lookup(c.Dataset)
	n := benchStepsPerEpoch * c.Batch
	cfg := DefaultConfig()
	cfg.Name, cfg.Seed, cfg.Device, cfg.Threads = "bench", c.Seed, c.Device, c.Threads
	cfg.Dataset.Name, cfg.Model.Name = c.Dataset, c.Model
	cfg.Train.BatchSize, cfg.Train.EvalBatchSize, cfg.Train.Budget = c.Batch, c.Batch, 1
	cfg.Train.Precision = c.Precision
	cfg.Train.Epochs = (c.Warmup+c.Iters)/benchStepsPerEpoch + 2
	t, err := newTrainer(cfg, nil, func() (data.Info, *data.Dataset, *data.Dataset, error) {
		rng := rand.New(rand.NewPCG(c.Seed, streamBench))
		return info, randomDataset(info, n, rng), randomDataset(info, c.Batch, rng), nil
	})
	if err != nil {
		return BenchResult{}, fmt.Errorf("bench: %w", err)
	}
	defer t.Close()
	prov := currentProvenance(deviceName(t.Device))
	r := BenchResult{
		Model: c.Model, Dataset: c.Dataset, H: info.H, W: info.W, C: info.C, Classes: len(info.Classes),
		Precision: c.Precision, Batch: c.Batch, Warmup: c.Warmup, Iters: c.Iters, Parameters: t.ParamCount(),
		Device: prov.Device, CPU: prov.CPU, Threads: prov.Threads, Libtorch: prov.Libtorch, Budgetrain: version(prov),
	}
	times := func(f func() error) ([]time.Duration, error) {
		d := make([]time.Duration, 0, c.Iters)
		for i := 0; i < c.Warmup+c.Iters; i++ {
			t0 := time.Now()
			if err := f(); err != nil {
				return nil, err
			}
			if i >= c.Warmup {
				d = append(d, time.Since(t0))
			}
		}
		return d, nil
	}
	next, stop := t.benchBatches()
	d, err := times(func() error {
		b := next()
		defer t.Loader.Release(b)
		return t.trainStep(b, nil, true)
	})
	stop()
	if err == nil {
		err = t.flushStep()
	}
	if err != nil {
		return r, fmt.Errorf("bench: train: %w", err)
	}
	r.Train = throughput(c.Batch, d)

	if d, err = times(func() error { t.EvalTorch(t.Test); return nil }); err != nil {
		return r, err
	}
	r.EvalTorch = throughput(c.Batch, d)

	model, err := t.ExportBytes()
	if err != nil {
		return r, fmt.Errorf("bench: export: %w", err)
	}
	s, err := ort.OpenBytes(model, t.threads)
	if err != nil {
		return r, fmt.Errorf("bench: onnxruntime: %w", err)
	}
	defer s.Close()
	r.Onnxruntime = ort.Version()
	d, err = times(func() error {
		_, err := ort.Evaluate(s, t.Test.Pix, t.Test.Labels, t.Test.H, t.Test.W, t.Test.C, c.Batch)
		return err
	})
	if err != nil {
		return r, fmt.Errorf("bench: onnxruntime: %w", err)
	}
	r.EvalONNX = throughput(c.Batch, d)

	// The loader's prefetch queue hides a single batch's cost, so the input pipeline's iteration
	// is one pass over the synthetic training set (benchStepsPerEpoch batches), start to end.
	idx := t.Sampler.Epoch(0, t.EpochSamples)
	epoch := 0
	d, _ = times(func() error {
		ch := t.Loader.Epoch(epoch, idx, nil)
		epoch++
		for b := range ch {
			t.Loader.Release(b)
		}
		return nil
	})
	r.Input = throughput(len(idx)/c.Batch*c.Batch, d)
	r.LoaderWorkers = t.Cfg.Train.Workers

	r.Agreement = "device is the CPU"
	if t.Device.IsCuda() {
		rel, err := t.agreement()
		if err != nil {
			return r, fmt.Errorf("bench: device against CPU: %w", err)
		}
		r.MaxRelLogitDiff = &rel
		r.Agreement = fmt.Sprintf("max relative logit difference %s against the CPU (same weights and batch, evaluation mode; TF32 %s)", fmtRel(rel), onOff(t.Cfg.CUDA.TF32))
	}
	return r, nil
}

// benchBatches returns a function handing out the loader's batches without end (epoch after
// epoch of the sampler's order) and a function that stops the loader.
func (t *Trainer) benchBatches() (next func() *Batch, stop func()) {
	idx := t.Sampler.Epoch(0, t.EpochSamples)
	done := make(chan struct{})
	epoch := 0
	ch := t.Loader.Epoch(epoch, idx, done)
	next = func() *Batch {
		for {
			if b, ok := t.Loader.Next(ch); ok {
				return b
			}
			epoch++
			ch = t.Loader.Epoch(epoch, idx, done)
		}
	}
	return next, func() { close(done) }
}

// agreement forwards the test batch through the trainer's model on its device and through a
// copy of the same weights on the CPU, both in evaluation mode, and returns
// max |device − cpu| / max |cpu| over the logits.
func (t *Trainer) agreement() (float64, error) {
	vs := nn.NewVarStore(gotch.CPU)
	defer vs.Destroy()
	m, err := NewModel(vs, t.Cfg, t.Info)
	if err != nil {
		return 0, err
	}
	if err := CopyWeights(vs, t.VS); err != nil {
		return 0, err
	}
	logits := func(m models.Model, to imagesTo) []float32 {
		var out []float32
		forEachLogits(m, t.Info, t.Test, t.Test.N, t.Test.N, to, func(_, _ int, l []float32) { out = slices.Clone(l) })
		return out
	}
	dev := logits(t.Model, t.up.images)
	cpu := logits(m, cpuImages)
	return maxRelDiff(dev, cpu), nil
}

// CopyWeights gives dst (on any device) the values of every variable of src, BatchNorm's running
// statistics included; both must hold the same model. Comparing devices from the same weights
// after training, or two models built apart, needs this copy.
func CopyWeights(dst, src *nn.VarStore) error {
	sv, dv := src.Variables(), dst.Variables()
	if len(sv) != len(dv) {
		return fmt.Errorf("copy weights: %d variables into %d", len(sv), len(dv))
	}
	for name := range sv {
		if _, ok := dv[name]; !ok {
			return fmt.Errorf("copy weights: the destination has no %s", name)
		}
	}
	ts.NoGrad(func() {
		for name, s := range sv {
			d := dv[name]
			d.Copy_(&s)
		}
	})
	return nil
}

// maxRelDiff returns max_i |got_i − want_i| / max_j |want_j| (+Inf for a length mismatch or a
// value that is not finite). It panics if either slice is empty.
func maxRelDiff(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	scale, d := 0.0, 0.0
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if !finite(g) || !finite(w) {
			return math.Inf(1)
		}
		scale = max(scale, math.Abs(w))
		d = max(d, math.Abs(g-w))
	}
	if scale > 0 {
		d /= scale
	}
	return d
}

// randomDataset is n images of info's shape with uniform random pixels and labels.
func randomDataset(info data.Info, n int, rng *rand.Rand) *data.Dataset {
	d := &data.Dataset{Name: info.Name, N: n, H: info.H, W: info.W, C: info.C,
		Pix: make([]uint8, n*info.H*info.W*info.C), Labels: make([]int, n), Classes: info.Classes}
	for i := range d.Pix {
		d.Pix[i] = uint8(rng.UintN(256))
	}
	for i := range d.Labels {
		d.Labels[i] = rng.IntN(len(info.Classes))
	}
	return d
}

// version names the budgetrain build of a provenance: its commit, "-dirty" when files that go
// into the binary were modified, or "unknown" when the build recorded none (go build without
// make in a git worktree).
func version(p Provenance) string {
	v := p.Commit
	if v == "" {
		return "unknown"
	}
	if len(v) > 12 {
		v = v[:12]
	}
	if p.Dirty {
		v += "-dirty"
	}
	return v
}

func fmtRel(x float64) string {
	if x == 0 {
		return "0 (bit-identical)"
	}
	return fmt.Sprintf("%.2g", x)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
