package pipeline

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"budgetrain/augment"
	"budgetrain/models"
	"budgetrain/pipeline/data"
	"budgetrain/sampler"

	"github.com/sugarme/gotch"
)

// Config is the whole resolved configuration of a run. Start from DefaultConfig: cmd overlays a
// YAML file, the environment, flags and --set on it; everything below cmd takes it as a plain
// struct and uses every value as given.
type Config struct {
	Name    string `mapstructure:"name" yaml:"name"`       // run name; the run folder defaults to runs/<name>
	Out     string `mapstructure:"out" yaml:"out"`         // run folder (cmd: "" = runs/<name>)
	Seed    uint64 `mapstructure:"seed" yaml:"seed"`       // drives every random stream (Go and libtorch)
	Device  string `mapstructure:"device" yaml:"device"`   // auto, cpu or cuda
	Threads int    `mapstructure:"threads" yaml:"threads"` // libtorch intra-op and onnxruntime threads (0 = all cores)

	Dataset DatasetConfig  `mapstructure:"dataset" yaml:"dataset"`
	Model   ModelConfig    `mapstructure:"model" yaml:"model"`
	Train   TrainConfig    `mapstructure:"train" yaml:"train"`
	Sampler sampler.Config `mapstructure:"sampler" yaml:"sampler"`
	Augment augment.Config `mapstructure:"augment" yaml:"augment"`
	CUDA    CUDAConfig     `mapstructure:"cuda" yaml:"cuda"`
}

// CUDAConfig sets libtorch's process-wide CUDA numerics (docs/gpu.md, "Numerics"). They change
// nothing on the CPU.
type CUDAConfig struct {
	// TF32 lets cuBLAS matrix products and cuDNN convolutions compute in TF32 (10-bit mantissa,
	// relative error near 1e-3; faster on Ampere and newer). Default false: float32 throughout,
	// within float rounding of the CPU.
	TF32 bool `mapstructure:"tf32" yaml:"tf32"`
	// Benchmark lets cuDNN time its convolution algorithms once per input shape and keep the
	// fastest (torch.backends.cudnn.benchmark). Default true: a run's shapes are fixed.
	Benchmark bool `mapstructure:"cudnn_benchmark" yaml:"cudnn_benchmark"`
	// Deterministic restricts cuDNN to deterministic algorithms (torch.backends.cudnn.
	// deterministic), so that two CUDA runs of one seed give the same bits on one GPU model.
	// Default false.
	Deterministic bool `mapstructure:"deterministic" yaml:"deterministic"`
}

// DatasetConfig selects the data.
type DatasetConfig struct {
	Name       string `mapstructure:"name" yaml:"name"`               // fashion-mnist, ...
	Dir        string `mapstructure:"dir" yaml:"dir"`                 // folder with the files ("" = the dataset's default)
	TrainLimit int    `mapstructure:"train_limit" yaml:"train_limit"` // use only the first n training images (0 = all)
	TestLimit  int    `mapstructure:"test_limit" yaml:"test_limit"`   // use only the first n test images (0 = all)
	// Validation holds out a class-balanced split of the training set (the dataset's
	// val_samples, 5000 by default, e.g. 500 per class as the paper's --validation_exp) and
	// evaluates on it instead of the test set.
	Validation bool   `mapstructure:"validation" yaml:"validation"`
	ValSamples int    `mapstructure:"val_samples" yaml:"val_samples"` // held-out images (0 = the dataset's default)
	ValSeed    uint64 `mapstructure:"val_seed" yaml:"val_seed"`       // seed of the split (42 as in the paper)
	// ImageSize S > 0 resizes every image of an image folder (imagefolder, mini-imagenet) so
	// that its shorter side is S and crops its centre S×S (data.FolderOptions.ImageSize);
	// 0 keeps the images as they are, which must then all have one size.
	ImageSize int `mapstructure:"image_size" yaml:"image_size"`
}

// ModelConfig selects the architecture.
type ModelConfig struct {
	Name string `mapstructure:"name" yaml:"name"` // a name from models.Names()
}

// TrainConfig holds the optimisation settings (spec §4 defaults for the paper's runs).
type TrainConfig struct {
	Epochs        int       `mapstructure:"epochs" yaml:"epochs"`                   // E: planned epochs
	Budget        float64   `mapstructure:"budget" yaml:"budget"`                   // b ∈ (0,1]: fraction of each epoch's iterations allowed
	BatchSize     int       `mapstructure:"batch_size" yaml:"batch_size"`           // B
	LR            float64   `mapstructure:"lr" yaml:"lr"`                           // initial learning rate
	FinalLR       float64   `mapstructure:"final_lr" yaml:"final_lr"`               // end value of linear, cosine and rex (1e-6 in the paper); onecycle ignores it
	Momentum      float64   `mapstructure:"momentum" yaml:"momentum"`               // SGD momentum (PyTorch form)
	WeightDecay   float64   `mapstructure:"weight_decay" yaml:"weight_decay"`       // L2 on every parameter, BN included
	Nesterov      bool      `mapstructure:"nesterov" yaml:"nesterov"`               // Nesterov momentum
	LabelSmooth   float64   `mapstructure:"label_smoothing" yaml:"label_smoothing"` // ε of the training loss (PyTorch's label_smoothing; 0 = plain cross-entropy)
	Schedule      string    `mapstructure:"schedule" yaml:"schedule"`               // linear, step, cosine, rex or onecycle (ScheduleNames)
	WarmupSteps   int       `mapstructure:"warmup_steps" yaml:"warmup_steps"`       // W: the first W steps scale the LR by (s+1)/W; 0 = none
	Milestones    []float64 `mapstructure:"milestones" yaml:"milestones"`           // step schedule: epochs at which LR *= gamma
	Gamma         float64   `mapstructure:"gamma" yaml:"gamma"`                     // step schedule factor
	EvalBatchSize int       `mapstructure:"eval_batch_size" yaml:"eval_batch_size"` // batch size for evaluation
	EvalEvery     int       `mapstructure:"eval_every" yaml:"eval_every"`           // evaluate every n epochs (and always at the end)
	// CheckpointEvery saves a checkpoint every n epochs (and always after the last); a resumed
	// run redoes the epochs since the last one, exactly.
	CheckpointEvery int `mapstructure:"checkpoint_every" yaml:"checkpoint_every"`
	// Precision of the training forward pass: fp32, or bf16 (automatic mixed precision in
	// bfloat16, torch.autocast; weights, gradients, the optimizer and evaluation stay float32).
	Precision    string `mapstructure:"precision" yaml:"precision"`
	EvalBackend  string `mapstructure:"eval_backend" yaml:"eval_backend"`   // auto, onnx, torch or both (EvalBackendOn)
	EvalAsync    bool   `mapstructure:"eval_async" yaml:"eval_async"`       // run onnxruntime evaluation in the background during the next epoch
	Workers      int    `mapstructure:"workers" yaml:"workers"`             // goroutines preparing batches (>= 1)
	Prefetch     int    `mapstructure:"prefetch" yaml:"prefetch"`           // batches prepared ahead (>= 1)
	Credit       string `mapstructure:"credit" yaml:"credit"`               // loss credit under mixing: share or released
	LogSelection string `mapstructure:"log_selection" yaml:"log_selection"` // file for per-epoch selected indices ("" = off)
	// TensorBoard writes an events file into the run folder (docs/tensorboard.md), with the
	// training loss and learning rate every TensorBoardEvery optimizer steps.
	TensorBoard      bool `mapstructure:"tensorboard" yaml:"tensorboard"`
	TensorBoardEvery int  `mapstructure:"tensorboard_every" yaml:"tensorboard_every"`
}

// DefaultConfig returns the defaults: the demo run (Fashion-MNIST, resnet8, unif-sgd, budget 0.3,
// standard augmentation) with the paper's optimiser settings. It is the one place defaults
// live: cmd overlays the config file, the environment, flags and --set on it, and a library
// user changes the fields it needs. Nothing fills zero fields later, so an explicit 0, false or
// "" is used as given (weight decay 0, momentum 0 and seed 0 are real settings) and checked by
// Validate. The zero values with a meaning of their own are documented on the fields (threads,
// dataset.dir, train_limit, test_limit, val_samples, image_size, log_selection); sampler.sb_beta's default
// is negative, "derive β from the budget", so that 0 is a β like any other.
func DefaultConfig() Config {
	c := Config{
		Name:    "demo",
		Out:     filepath.Join("runs", "demo"),
		Seed:    1,
		Device:  "auto",
		Threads: 0,
		Dataset: DatasetConfig{Name: "fashion-mnist", ValSeed: 42},
		Model:   ModelConfig{Name: "resnet8"},
		Train: TrainConfig{
			Epochs:          15,
			Budget:          0.3,
			BatchSize:       128,
			LR:              0.1,
			FinalLR:         1e-6,
			Momentum:        0.9,
			WeightDecay:     1e-4,
			Schedule:        "linear",
			Gamma:           0.1,
			EvalBatchSize:   500,
			EvalEvery:       1,
			CheckpointEvery: 1,
			EvalBackend:     "auto",
			Precision:       "fp32",
			Workers:         2,
			Prefetch:        4,
			Credit:          "share",

			TensorBoard:      true,
			TensorBoardEvery: 10,
		},
		Sampler: sampler.DefaultConfig(),
		CUDA:    CUDAConfig{TF32: false, Benchmark: true, Deterministic: false},
		Augment: augment.DefaultConfig(),
	}
	c.Sampler.Method = "unif-sgd" // the run's default, whatever the sampler library's is
	return c
}

// Default is DefaultConfig.
//
// Deprecated: use DefaultConfig.
func Default() Config { return DefaultConfig() }

// Validate reports every problem at once, one line each, naming the key and its value, as one
// error. It changes nothing.
func (c Config) Validate() error {
	if errs := c.Problems(); len(errs) > 0 {
		return errors.New("invalid configuration:\n  " + strings.Join(errs, "\n  "))
	}
	return nil
}

// Problems is Validate's list: one line per problem, each starting with the key it is about.
func (c Config) Problems() []string {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	switch c.Device {
	case "auto", "cpu", "cuda":
	default:
		bad("device (%q) must be auto, cpu or cuda", c.Device)
	}
	if c.Threads < 0 {
		bad("threads (%d) must be >= 0", c.Threads)
	}
	if _, err := data.Lookup(c.Dataset.Name); err != nil {
		hint := ""
		if name, ok := data.Canonical(c.Dataset.Name); ok {
			hint = fmt.Sprintf("; write %q", name)
		}
		bad("dataset.name (%q) is unknown (known: %s%s)", c.Dataset.Name, strings.Join(data.Names(), ", "), hint)
	}
	if c.Dataset.ValSamples < 0 {
		bad("dataset.val_samples (%d) must be >= 0", c.Dataset.ValSamples)
	}
	if c.Dataset.TrainLimit < 0 {
		bad("dataset.train_limit (%d) must be >= 0", c.Dataset.TrainLimit)
	}
	if c.Dataset.TestLimit < 0 {
		bad("dataset.test_limit (%d) must be >= 0", c.Dataset.TestLimit)
	}
	if c.Dataset.ImageSize < 0 {
		bad("dataset.image_size (%d) must be >= 0 (0 = keep each image's size)", c.Dataset.ImageSize)
	} else if info, err := data.Lookup(c.Dataset.Name); err == nil && c.Dataset.ImageSize > 0 && !info.Folder() {
		bad("dataset.image_size (%d) applies to image folders (%s) only, not %s, whose images have one size", c.Dataset.ImageSize, strings.Join(data.FolderNames(), ", "), c.Dataset.Name)
	}
	if !slices.Contains(models.Names(), c.Model.Name) {
		bad("model.name (%q) is unknown (known: %s)", c.Model.Name, strings.Join(models.Names(), ", "))
	}
	t := c.Train
	if t.Epochs <= 0 {
		bad("train.epochs (%d) must be > 0", t.Epochs)
	}
	if !(t.Budget > 0 && t.Budget <= 1) {
		bad("train.budget (%g) must be in (0,1]", t.Budget)
	}
	if t.BatchSize <= 0 {
		bad("train.batch_size (%d) must be > 0", t.BatchSize)
	}
	if !(t.LR > 0) {
		bad("train.lr (%g) must be > 0", t.LR)
	}
	if t.FinalLR < 0 || t.FinalLR > t.LR {
		if t.Schedule == "onecycle" {
			bad("train.final_lr (%g) must be in [0, train.lr] (train.schedule onecycle ignores it: it ends at train.lr/25/1e4)", t.FinalLR)
		} else {
			bad("train.final_lr (%g) must be in [0, train.lr]", t.FinalLR)
		}
	}
	if t.Momentum < 0 || t.Momentum >= 1 {
		bad("train.momentum (%g) must be in [0,1)", t.Momentum)
	}
	if t.Nesterov && t.Momentum == 0 {
		bad("train.nesterov needs train.momentum > 0")
	}
	if t.WeightDecay < 0 {
		bad("train.weight_decay (%g) must be >= 0", t.WeightDecay)
	}
	if t.LabelSmooth < 0 || t.LabelSmooth >= 1 {
		bad("train.label_smoothing (%g) must be in [0,1)", t.LabelSmooth)
	}
	// T is known only after loading the data: NewTrainer checks warmup_steps ≤ T.
	if err := (Schedule{Kind: t.Schedule, Warmup: t.WarmupSteps, Total: math.MaxInt}).Check(); err != nil {
		errs = append(errs, strings.Split(err.Error(), "\n")...)
	}
	for i, m := range t.Milestones {
		if m <= 0 || (i > 0 && m <= t.Milestones[i-1]) {
			bad("train.milestones (%v) must be positive and increasing", t.Milestones)
			break
		}
	}
	if !(t.Gamma > 0 && t.Gamma <= 1) {
		bad("train.gamma (%g) must be in (0,1]", t.Gamma)
	}
	if t.EvalBatchSize <= 0 {
		bad("train.eval_batch_size (%d) must be > 0", t.EvalBatchSize)
	}
	if t.CheckpointEvery <= 0 {
		bad("train.checkpoint_every (%d) must be > 0", t.CheckpointEvery)
	}
	if t.EvalEvery <= 0 {
		bad("train.eval_every (%d) must be > 0", t.EvalEvery)
	}
	switch t.Precision {
	case "fp32", "bf16":
	default:
		bad("train.precision (%q) must be fp32 or bf16", t.Precision)
	}
	switch t.EvalBackend {
	case "auto", "onnx", "torch", "both":
	default:
		bad("train.eval_backend (%q) must be auto, onnx, torch or both", t.EvalBackend)
	}
	// Counts, with no zero meaning "default": 0 workers would leave nobody to prepare batches.
	if t.Workers < 1 {
		bad("train.workers (%d) must be >= 1", t.Workers)
	}
	if t.Prefetch < 1 {
		bad("train.prefetch (%d) must be >= 1", t.Prefetch)
	}
	switch t.Credit {
	case "share", "released":
	default:
		bad("train.credit (%q) must be share or released", t.Credit)
	}
	if t.TensorBoardEvery < 1 {
		bad("train.tensorboard_every (%d) must be >= 1", t.TensorBoardEvery)
	}
	// The sampler's own settings; its run facts (N, budget, batch size, epochs) are the train.*
	// keys above and the data, which NewTrainer checks once the data is loaded.
	if err := c.Sampler.ValidateSettings(); err != nil {
		errs = append(errs, strings.Split(err.Error(), "\n")...)
	}
	if err := c.Augment.Validate(); err != nil {
		errs = append(errs, strings.Split(err.Error(), "\n")...)
	}
	if c.Out == "" {
		bad("out is empty: give a run folder")
	}
	return errs
}

// EvalBackendOn is the backend of the per-epoch evaluations on dev: auto is torch (libtorch on
// the device) on a GPU, where an onnxruntime evaluation on the CPU would take longer than the
// epoch, and onnx on the CPU; the others are as given. The final model is evaluated by both
// whatever this is (finalEval).
func (t TrainConfig) EvalBackendOn(dev gotch.Device) string {
	if t.EvalBackend == "auto" {
		if dev.IsCuda() {
			return "torch"
		}
		return "onnx"
	}
	return t.EvalBackend
}
