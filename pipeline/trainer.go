package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"budgetrain/augment"
	"budgetrain/internal/torchx"
	"budgetrain/models"
	"budgetrain/pipeline/data"
	"budgetrain/pipeline/runfolder"
	"budgetrain/sampler"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	ts "github.com/sugarme/gotch/ts"
)

// Trainer owns everything one run needs. Build it with NewTrainer, then call Run from the
// goroutine that built it (locked to its OS thread).
type Trainer struct {
	Cfg         Config
	threads     int // libtorch and onnxruntime threads: Cfg.Threads resolved by Threads
	Info        data.Info
	Train, Test *data.Dataset
	Device      gotch.Device
	VS          *nn.VarStore
	Model       models.Model
	Opt         *torchx.SGD // PyTorch SGD whose momentum buffers are checkpointed
	Sampler     sampler.Sampler
	Pipe        augment.Pipeline
	Loader      *Loader
	Sched       Schedule
	Hooks       []Hook
	Log         io.Writer // startup report and notes (io.Discard if nil)

	// Budget arithmetic (spec §1).
	EpochSamples, StepsPerEpoch, TotalSteps int

	state      State
	selLog     *selectionLog
	buf        []float32   // logits copied back from the device
	queue      *Batch      // Selective Backprop: selected examples waiting for a full batch
	resumed    *Checkpoint // the checkpoint this run continues, if any
	paramNames []string    // trainable variables in the optimizer's order (sorted)
	final      *finalAcc   // accuracies of the exported final model, once evaluated
	events     *events     // the TensorBoard events file, while Run runs (nil when off)
}

// State is the progress of a run, as seen by hooks.
type State struct {
	Epoch           int     // current epoch, 0-based
	Step            int     // optimizer steps done
	LR              float64 // learning rate of the last step
	SamplesForward  int64   // images forwarded (training forwards and selection passes)
	SamplesBackward int64   // images back-propagated
	TrainSeconds    float64 // wall time spent in training (excludes evaluation)
	EpochLoss       float64 // running sums for the current epoch
	EpochCorrect    float64
	EpochSeen       int
}

// DeviceFor resolves the device name: "auto" picks CUDA when libtorch sees a GPU.
func DeviceFor(name string) (gotch.Device, error) {
	switch name {
	case "cpu":
		return gotch.CPU, nil
	case "cuda":
		if !gotch.CUDA.IsAvailable() {
			if !torchx.CUDALoaded() {
				return gotch.CPU, errors.New("device cuda: this budgetrain was built for CPU only (libtorch_cuda is not loaded); " +
					"on a machine with an NVIDIA GPU rebuild with BUDGETRAIN_CUDA=1 make build, or use device cpu or auto")
			}
			return gotch.CPU, errors.New("device cuda: libtorch has CUDA, but sees no CUDA device " +
				"(no GPU, or no NVIDIA driver: check nvidia-smi); use device cpu or auto")
		}
		return gotch.CudaBuilder(0), nil
	default:
		return gotch.CudaIfAvailable(), nil
	}
}

// LoadProgress reports the decoding of a split of an image folder ("train" or "test"): done of
// total images, done increasing by one each call. Only image folders report it.
type LoadProgress func(split string, done, total int)

// AugmentInfo returns the numbers of a dataset's record that augment needs: its shape, the flip
// probability and padding of the standard augmentation, and the normalization. augment knows no
// dataset names, so this is the one place a record becomes an augment.DatasetInfo. An image
// folder's record has no shape (and may have no statistics): the caller fills them in from the
// data. The slices are the record's (Lookup returns copies).
func AugmentInfo(info data.Info) augment.DatasetInfo {
	return augment.DatasetInfo{H: info.H, W: info.W, C: info.C, FlipProb: info.FlipProb, Pad: info.Pad, Mean: info.Mean, Std: info.Std}
}

// LoadData reads the training and test sets of the config, applying the limits.
func LoadData(c DatasetConfig) (info data.Info, train, test *data.Dataset, err error) {
	return LoadDataWith(c, nil)
}

// LoadDataWith is LoadData that reports the decoding of image folders to progress (nil = no
// report). An image folder is resized to dataset.image_size, and the train and test limits are
// applied while it is read, so that only the images used are decoded.
func LoadDataWith(c DatasetConfig, progress LoadProgress) (info data.Info, train, test *data.Dataset, err error) {
	if info, err = data.Lookup(c.Name); err != nil {
		return info, nil, nil, err
	}
	dir := c.Dir
	if dir == "" {
		dir = data.DefaultDir(c.Name)
	}
	opts := func(split string, limit int) data.FolderOptions {
		o := data.FolderOptions{ImageSize: c.ImageSize, Limit: limit}
		if progress != nil {
			o.Progress = func(done, total int) { progress(split, done, total) }
		}
		return o
	}
	if train, err = data.LoadWith(c.Name, dir, true, opts("train", c.TrainLimit)); err != nil {
		return info, nil, nil, err
	}
	if test, err = data.LoadWith(c.Name, dir, false, opts("test", c.TestLimit)); err != nil {
		return info, nil, nil, err
	}
	train = limit(train, c.TrainLimit)
	if c.Validation {
		n := c.ValSamples
		if n == 0 {
			n = info.ValSamples
		}
		perClass := n / max(len(train.Classes), 1)
		if perClass < 1 || perClass*len(train.Classes) >= train.N {
			return info, nil, nil, fmt.Errorf("dataset.val_samples (%d) must leave training images and give at least one per class (%d classes, %d images)", n, len(train.Classes), train.N)
		}
		train, test = data.SplitBalanced(train, perClass, c.ValSeed)
	}
	test = limit(test, c.TestLimit)
	if len(info.Mean) == 0 { // image folders: statistics of the training images
		info.Mean, info.Std = train.MeanStd()
	}
	if len(info.Classes) == 0 {
		info.Classes = train.Classes
	}
	info.H, info.W, info.C = train.H, train.W, train.C
	return info, train, test, nil
}

func limit(d *data.Dataset, n int) *data.Dataset {
	if n <= 0 || n >= d.N {
		return d
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return data.Subset(d, idx)
}

// NewTrainer validates the config, loads the data, builds model, optimizer, sampler and input
// pipeline. It seeds libtorch and sets its thread count.
func NewTrainer(cfg Config, log io.Writer) (*Trainer, error) {
	return NewTrainerWith(cfg, log, nil)
}

// NewTrainerWith is NewTrainer reporting the decoding of an image folder to progress (nil =
// no report; cmd draws a bar with it).
func NewTrainerWith(cfg Config, log io.Writer, progress LoadProgress) (*Trainer, error) {
	if log == nil {
		log = io.Discard
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Trainer{Cfg: cfg, Log: log}
	var err error
	if t.Info, t.Train, t.Test, err = LoadDataWith(cfg.Dataset, progress); err != nil {
		return nil, err
	}
	tc := cfg.Train
	plan := sampler.Budget{N: t.Train.N, Fraction: tc.Budget, BatchSize: tc.BatchSize, Epochs: tc.Epochs}
	if err := plan.Check(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n  %w", err)
	}
	// The sampler's run facts: what it serves, set here rather than by users.
	t.Cfg.Sampler.Run = sampler.Run{Seed: cfg.Seed, N: plan.N, Budget: plan.Fraction, BatchSize: plan.BatchSize, Epochs: plan.Epochs, Steps: plan.Steps()}
	if err := t.Cfg.Sampler.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n  %w", err)
	}
	if t.Device, err = DeviceFor(cfg.Device); err != nil {
		return nil, err
	}
	threads, note := Threads(cfg.Threads)
	if note != "" {
		fmt.Fprintln(t.Log, note)
	}
	t.threads = threads
	torchx.SetNumThreads(threads)
	torchx.ManualSeed(int64(cfg.Seed))

	t.VS = nn.NewVarStore(t.Device)
	if t.Model, err = NewModel(t.VS, cfg, t.Info); err != nil {
		return nil, err
	}
	var params []*ts.Tensor
	t.paramNames, params = trainable(t.VS)
	if t.Opt, err = torchx.NewSGD(params, tc.Momentum, 0, tc.WeightDecay, tc.Nesterov); err != nil {
		t.Close()
		return nil, fmt.Errorf("build optimizer: %w", err)
	}
	if t.Sampler, err = sampler.New(t.Cfg.Sampler); err != nil {
		return nil, err
	}
	if fu, ok := t.Sampler.(sampler.FeatureUser); ok {
		f, dim := features(t.Train, t.Info)
		if err := fu.SetFeatures(f, dim); err != nil {
			return nil, err
		}
	}
	ainfo := AugmentInfo(t.Info)
	ainfo.H, ainfo.W, ainfo.C = t.Train.H, t.Train.W, t.Train.C // an image folder's, or a resized one's
	if t.Pipe, err = augment.Parse(cfg.Augment.Policy, ainfo); err != nil {
		return nil, err
	}
	if _, sb := t.Sampler.(sampler.Selector); sb && t.Pipe.Mixer != nil {
		return nil, fmt.Errorf("sampler.method %q cannot be combined with batch mixing (augment.policy %q): Selective Backprop selects single images", cfg.Sampler.Method, cfg.Augment.Policy)
	}
	t.Loader = NewLoader(t.Train, t.Info, t.Pipe, cfg.Seed, tc.BatchSize, tc.Workers, tc.Prefetch)
	t.EpochSamples, t.StepsPerEpoch, t.TotalSteps = plan.EpochSamples(), plan.StepsPerEpoch(), plan.Steps()
	t.Sched = Schedule{Kind: tc.Schedule, LR: tc.LR, FinalLR: tc.FinalLR, Total: t.TotalSteps, StepsPerEpoch: t.StepsPerEpoch, Milestones: tc.Milestones, Gamma: tc.Gamma, Warmup: tc.WarmupSteps}
	if err := t.Sched.Check(); err != nil {
		t.Close()
		return nil, fmt.Errorf("%w (train.budget %g, train.epochs %d, %d training images, train.batch_size %d)", err, tc.Budget, tc.Epochs, t.Train.N, tc.BatchSize)
	}
	if tc.LogSelection != "" {
		if t.selLog, err = newSelectionLog(tc.LogSelection); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// trainable returns the trainable variables sorted by name, with their names. The tensors share
// the live parameters and must not be dropped.
func trainable(vs *nn.VarStore) ([]string, []*ts.Tensor) {
	vars := vs.Variables()
	var names []string
	for n, v := range vars {
		if v.MustRequiresGrad() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	params := make([]*ts.Tensor, len(names))
	for i, n := range names {
		v := vars[n]
		params[i] = &v
	}
	return names, params
}

// ParamCount returns the number of trainable parameters.
func (t *Trainer) ParamCount() int64 {
	var n int64
	for _, p := range t.VS.TrainableVariables() {
		n += int64(p.Numel())
	}
	return n
}

// Report writes the derived quantities of the run (nanoGPT style) to t.Log.
func (t *Trainer) Report() {
	c := t.Cfg
	fmt.Fprintf(t.Log, "data: %s, %d train / %d test images of %dx%dx%d, %d classes\n", c.Dataset.Name, t.Train.N, t.Test.N, t.Train.H, t.Train.W, t.Train.C, len(t.Info.Classes))
	fmt.Fprintf(t.Log, "model: %s, %d parameters, device %s, %d libtorch threads, torch seed %d\n", c.Model.Name, t.ParamCount(), deviceName(t.Device), torchx.NumThreads(), c.Seed)
	fmt.Fprintf(t.Log, "budget: b=%g → %d examples and %d iterations per epoch, %d epochs, T=%d optimizer steps (batch %d)\n",
		c.Train.Budget, t.EpochSamples, t.StepsPerEpoch, c.Train.Epochs, t.TotalSteps, c.Train.BatchSize)
	fmt.Fprintf(t.Log, "schedule: %s; sampler %s; augment %s\n", t.Sched, c.Sampler.Method, t.Pipe.String())
}

func deviceName(d gotch.Device) string {
	if d.IsCuda() {
		return fmt.Sprintf("cuda:%d", d.Value)
	}
	return "cpu"
}

// Run trains until the step budget is used up or ctx is cancelled. A checkpoint is saved at
// the start and after every epoch; on cancellation Run stops after the current step, writes the
// summary so far (completed false) and returns ctx's error: a resumed run redoes the interrupted
// epoch from the last checkpoint, so that it equals the uninterrupted run.
func (t *Trainer) Run(ctx context.Context) (Summary, error) {
	// Grad mode is per OS thread: stay on this one, and do not trust whatever an earlier
	// unlocked ts.NoGrad left on it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if _, err := ts.GradSetEnabled(true); err != nil {
		return Summary{}, fmt.Errorf("enable gradients: %w", err)
	}
	if err := os.MkdirAll(t.Cfg.Out, 0o755); err != nil {
		return Summary{}, fmt.Errorf("create run folder: %w", err)
	}
	if err := writeConfig(filepath.Join(t.Cfg.Out, runfolder.ConfigFile), t.Cfg); err != nil {
		return Summary{}, err
	}
	sum := Summary{}
	metrics, err := t.openMetrics(&sum)
	if err != nil {
		return Summary{}, err
	}
	defer metrics.Close()
	if t.events, err = t.openEvents(); err != nil {
		return Summary{}, err
	}
	defer func() { t.events.close(); t.events = nil }() // a no-op after the close at the end
	if t.selLog != nil {
		defer t.selLog.Close()
	}
	for _, h := range t.Hooks {
		h.Start(t)
	}
	emit := func(m EpochMetrics) error {
		m.RSSMiB = HeldRSSMiB()
		if err := metrics.Write(m); err != nil {
			return err
		}
		observe(&sum, m)
		if err := t.events.epoch(m); err != nil {
			return err
		}
		for _, h := range t.Hooks {
			h.Epoch(t, m)
		}
		return nil
	}
	if ck := t.resumed; ck == nil {
		if err := t.SaveCheckpoint(0, nil, 0); err != nil {
			return sum, err
		}
	} else if ck.Pending != nil { // the checkpoint's epoch was saved but possibly not reported
		if _, err := t.reportEpoch(*ck.Pending, false, emit); err != nil {
			return sum, err
		}
	}
	var pending *asyncEval                                                   // a background onnxruntime evaluation whose epoch is not reported yet
	defer func() { pending.wait(func(EpochMetrics) error { return nil }) }() // never leave it running
	var runErr error
	idle := 0 // consecutive epochs without an optimizer step
	for t.state.Step < t.TotalSteps {
		before := t.state.Step
		if runErr = t.trainEpoch(ctx); runErr != nil {
			break
		}
		if idle = idle + 1; t.state.Step > before {
			idle = 0
		} else if idle >= 5 {
			runErr = fmt.Errorf("sampler %s selected no full batch of %d in 5 epochs (step %d of %d)", t.Cfg.Sampler.Method, t.Cfg.Train.BatchSize, t.state.Step, t.TotalSteps)
			break
		}
		if pending, err = t.endEpoch(pending, metrics, emit); err != nil {
			return sum, err
		}
	}
	if err := pending.wait(emit); err != nil {
		return sum, err
	}
	pending = nil
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return sum, runErr
	}
	if err := t.finish(&sum, runErr != nil); err != nil {
		return sum, err
	}
	if err := t.events.end(sum); err != nil {
		return sum, err
	}
	if err := t.events.close(); err != nil {
		return sum, err
	}
	t.events = nil
	for _, h := range t.Hooks {
		h.End(t, sum)
	}
	return sum, runErr
}

// openMetrics opens metrics.jsonl: a new file, or for a resumed run the existing one cut to the
// checkpoint's length (dropping lines written after it, which the resumed run writes again),
// whose lines are replayed into sum.
func (t *Trainer) openMetrics(sum *Summary) (*metricsWriter, error) {
	path := filepath.Join(t.Cfg.Out, runfolder.MetricsFile)
	if t.resumed == nil {
		return newMetricsWriter(path, false)
	}
	if err := os.Truncate(path, t.resumed.MetricsBytes); err != nil && !(os.IsNotExist(err) && t.resumed.MetricsBytes == 0) {
		return nil, fmt.Errorf("resume: cut %s to the checkpoint's %d bytes: %w", path, t.resumed.MetricsBytes, err)
	}
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("resume: %w", err)
	}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var m EpochMetrics
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			return nil, fmt.Errorf("resume: %s line %d: %w", path, i+1, err)
		}
		observe(sum, m)
	}
	return newMetricsWriter(path, true)
}

// trainEpoch trains one epoch (Selective Backprop's or the sampler's selection) and adds its
// wall time to the training time.
func (t *Trainer) trainEpoch(ctx context.Context) error {
	t0 := time.Now()
	defer func() { t.state.TrainSeconds += time.Since(t0).Seconds() }()
	if _, isSB := t.Sampler.(sampler.Selector); isSB {
		return t.sbEpoch(ctx)
	}
	return t.epoch(ctx)
}

// endEpoch reports the epoch just trained: it first reports a pending background evaluation,
// checks that the weights are finite, saves a checkpoint (before evaluating, so that a failing
// evaluation loses no training), then evaluates this epoch and emits its metrics (see
// reportEpoch). It returns the evaluation left running, if any.
func (t *Trainer) endEpoch(pending *asyncEval, metrics *metricsWriter, emit func(EpochMetrics) error) (*asyncEval, error) {
	m := t.epochMetrics()
	if err := pending.wait(emit); err != nil {
		return nil, err
	}
	if err := t.checkFinite(); err != nil {
		return nil, err
	}
	size, err := metrics.Size()
	if err != nil {
		return nil, err
	}
	if err := t.SaveCheckpoint(t.state.Epoch+1, &m, size); err != nil {
		return nil, err
	}
	t.state.Epoch++
	return t.reportEpoch(m, t.Cfg.Train.EvalAsync, emit)
}

// reportEpoch evaluates the current weights for epoch m.Epoch's line when due (every
// eval_every epochs, and the final evaluation after the last step) and emits the line. With
// async, an onnxruntime evaluation runs in the background and is returned instead.
func (t *Trainer) reportEpoch(m EpochMetrics, async bool, emit func(EpochMetrics) error) (*asyncEval, error) {
	c := t.Cfg.Train
	last := t.state.Step >= t.TotalSteps
	evalNow := m.Epoch%c.EvalEvery == 0 || last
	var err error
	switch {
	case evalNow && async && !last && c.EvalBackend != "torch":
		return t.evaluateAsync(m)
	case last:
		err = t.finalEval(&m)
	case evalNow:
		err = t.evaluate(&m)
	}
	if err != nil {
		return nil, err
	}
	return nil, emit(m)
}

// checkFinite stops a diverged run before its weights are saved or evaluated: a NaN or
// infinite parameter would otherwise be checkpointed and scored as chance accuracy.
func (t *Trainer) checkFinite() error {
	bad := ""
	ts.NoGrad(func() {
		for name, p := range t.VS.Variables() { // BatchNorm's running statistics included
			s := p.MustSum(gotch.Double, false)
			if v := s.Float64Values(true)[0]; !finite(v) {
				bad = "variable " + name + " is"
				return
			}
		}
	})
	if bad == "" && !t.finiteLogits() {
		bad = "the model's outputs are"
	}
	if bad != "" {
		return &DivergedError{Step: t.state.Step, Loss: t.state.EpochLoss / float64(max(t.state.EpochSeen, 1)), LR: t.state.LR,
			Reason: bad + " not finite", Kept: t.state.Epoch}
	}
	return nil
}

// epoch trains one epoch of the sampler's selection.
func (t *Trainer) epoch(ctx context.Context) error {
	w, _ := t.Sampler.(sampler.Weighter)
	return t.forEachBatch(ctx, func(b *Batch) error {
		var isw []float32
		if w != nil {
			isw = w.Weights(b.Index)
		}
		return t.trainStep(b, isw, true)
	})
}

// forEachBatch asks the sampler for this epoch's indices, logs them, and hands the loader's
// batches to fn until the epoch ends, the step budget is used up or ctx is cancelled.
func (t *Trainer) forEachBatch(ctx context.Context, fn func(b *Batch) error) error {
	idx := t.Sampler.Epoch(t.state.Epoch, t.EpochSamples)
	t.logSelection(idx)
	stop := make(chan struct{})
	defer close(stop)
	ch := t.Loader.Epoch(t.state.Epoch, idx, stop)
	t.state.EpochLoss, t.state.EpochCorrect, t.state.EpochSeen = 0, 0, 0
	for t.state.Step < t.TotalSteps {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, ok := t.Loader.Next(ch)
		if !ok {
			return nil
		}
		err := fn(b)
		t.Loader.Release(b)
		if err != nil {
			return err
		}
	}
	return nil
}

// Close frees the model and optimizer.
func (t *Trainer) Close() {
	if t.Opt != nil {
		t.Opt.Close()
	}
	if t.VS != nil {
		t.VS.Destroy()
	}
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// NewModel builds the configured model for a dataset (its channels and classes) under vs.
func NewModel(vs *nn.VarStore, c Config, info data.Info) (models.Model, error) {
	return models.New(c.Model.Name, vs.Root(), models.Spec{InChannels: int64(info.C), NumClasses: int64(len(info.Classes))})
}
