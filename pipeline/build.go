// Building a Trainer: device, threads and seed, the data, the model, optimizer, sampler, input
// pipeline and schedule.

package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"sort"

	"budgetrain/augment"
	"budgetrain/internal/torchx"
	"budgetrain/models"
	"budgetrain/pipeline/data"
	"budgetrain/sampler"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	ts "github.com/sugarme/gotch/ts"
)

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
		perClass := valPerClass(c, info, len(train.Classes))
		if perClass < 1 || perClass*len(train.Classes) >= train.N {
			return info, nil, nil, fmt.Errorf("dataset.val_samples (%d) must leave training images and give at least one per class (%d classes, %d images)", cmp.Or(c.ValSamples, info.ValSamples), len(train.Classes), train.N)
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
	return newTrainer(cfg, log, func() (data.Info, *data.Dataset, *data.Dataset, error) {
		return LoadDataWith(cfg.Dataset, progress)
	})
}

// newTrainer is NewTrainerWith with the data coming from load, called after the config is
// validated (Bench passes synthetic data of a dataset's shape).
func newTrainer(cfg Config, log io.Writer, load func() (data.Info, *data.Dataset, *data.Dataset, error)) (*Trainer, error) {
	if log == nil {
		log = io.Discard
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Trainer{Cfg: cfg, Log: log}
	var err error
	if t.Info, t.Train, t.Test, err = load(); err != nil {
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
	t.up, t.down = newUploader(t.Device), newUploader(t.Device)
	torchx.SetNumThreads(threads)
	if err := torchx.SetAllowTF32(cfg.CUDA.TF32, cfg.CUDA.TF32); err != nil {
		return nil, fmt.Errorf("cuda.tf32: %w", err)
	}
	if err := torchx.SetCuDNN(cfg.CUDA.Benchmark, cfg.CUDA.Deterministic); err != nil {
		return nil, fmt.Errorf("cuda.cudnn_benchmark, cuda.deterministic: %w", err)
	}
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

// NewModel builds the configured model for a dataset (its channels and classes) under vs.
//
// The weights come from libtorch's CPU generator whatever vs's device: on a GPU the model is
// also built on the CPU and its variables are copied to the device, so that one seed starts
// training from the same weights on every device (initialising on the device would draw from
// the GPU's generator). A model that computes channels-last (models.ChannelsLaster) gets its 4-d
// weights in that layout, as PyTorch's model.to(memory_format=torch.channels_last).
func NewModel(vs *nn.VarStore, c Config, info data.Info) (models.Model, error) {
	spec := models.Spec{InChannels: int64(info.C), NumClasses: int64(len(info.Classes))}
	m, err := models.New(c.Model.Name, vs.Root(), spec)
	if err != nil {
		return nil, err
	}
	if vs.Device().IsCuda() {
		if err := initOnCPU(vs, c.Model.Name, spec); err != nil {
			return nil, fmt.Errorf("model %s: initialise on the CPU: %w", c.Model.Name, err)
		}
	}
	if cl, ok := m.(models.ChannelsLaster); ok && cl.ChannelsLast() {
		if err := torchx.ChannelsLast(weights4D(vs)); err != nil {
			return nil, fmt.Errorf("model %s: channels-last weights: %w", c.Model.Name, err)
		}
	}
	return m, nil
}

// initOnCPU builds the named model a second time in a CPU store, drawing its initial values
// from libtorch's CPU generator exactly as a CPU run would, copies every variable into vs (same
// names and shapes) and frees the CPU copy.
func initOnCPU(vs *nn.VarStore, name string, spec models.Spec) error {
	cpu := nn.NewVarStore(gotch.CPU)
	defer cpu.Destroy()
	if _, err := models.New(name, cpu.Root(), spec); err != nil {
		return err
	}
	return CopyWeights(vs, cpu)
}

// weights4D returns the 4-d variables of vs (convolution weights), sharing the live tensors.
func weights4D(vs *nn.VarStore) []*ts.Tensor {
	var out []*ts.Tensor
	for _, v := range vs.Variables() {
		if v.Dim() == 4 {
			out = append(out, &v)
		}
	}
	return out
}
