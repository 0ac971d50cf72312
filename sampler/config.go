package sampler

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Config selects and parameterises a sampler. Start from DefaultConfig, set N and what
// else differs, and give it to New, which validates it. Every value is used as given: a
// zero is a zero (and rejected where it is not valid), never a stand-in for a default.
type Config struct {
	// Run holds the facts of the run the sampler serves (seed, N, budget, batch size, epochs,
	// T), which the trainer sets from the run's configuration and data; they are not sampler
	// settings, and their errors name the run's keys.
	Run `mapstructure:"-"`

	// Method is one of Methods(). Default "unif-sgd".
	Method string `mapstructure:"method"`

	// NoSmoothing drops the smoothing constant ε = mean(w) (paper §2.4) in p-sgd, c-sgd,
	// loss-is and upper-bound-is (ablation). Default false.
	NoSmoothing bool `mapstructure:"no_smoothing"`
	// LatestValue uses the latest observed value instead of the running mean of all
	// visits as importance in p-sgd, c-sgd, loss-is and upper-bound-is (ablation of
	// "averaging predictions over time"). Default false.
	LatestValue bool `mapstructure:"latest_value"`
	// WarmupEpochs is the number of initial epochs sampled uniformly by p-sgd, c-sgd,
	// loss-is and upper-bound-is (epochs e < WarmupEpochs, 0-based). Default 0.
	WarmupEpochs int `mapstructure:"warmup_epochs"`
	// SBBeta is Selective Backprop's selectivity β >= 0 (P = percentile^β; 0 keeps every
	// example). A negative value means "derive from the budget": β = 1/b − 1, so that
	// E[P] = 1/(β+1) = b. Default −1 (derived).
	SBBeta float64 `mapstructure:"sb_beta"`
	// SBHistory is the length of Selective Backprop's loss history, in losses. Default 1024.
	SBHistory int `mapstructure:"sb_history"`
	// InfoBatchRatio r is the fraction of below-mean-loss samples infobatch prunes per
	// epoch, in (0, 1). Default 0.5.
	InfoBatchRatio float64 `mapstructure:"infobatch_ratio"`
	// InfoBatchAnneal δ is the fraction of the run's optimizer steps (TotalSteps) during
	// which infobatch prunes; epochs from the boundary nearest to step δ·T on use full
	// data. In (0, 1]. Default 0.875.
	InfoBatchAnneal float64 `mapstructure:"infobatch_anneal"`
}

// Run is what a sampler knows of the run it serves.
type Run struct {
	// Seed is the run seed; every sampler derives its RNG stream from (Seed, method).
	Seed uint64
	// N is the training-set size (number of samples); required, > 0.
	N int
	// Budget b is the fraction of full-data iterations allowed per epoch, in (0, 1]
	// (paper §1, train.budget).
	Budget float64
	// BatchSize B, in examples (train.batch_size).
	BatchSize int
	// Epochs E is the planned number of epochs (train.epochs).
	Epochs int
	// Steps is T, the run's budget of optimizer steps; infobatch anneals over its last
	// (1−δ). 0 means the paper's T = E·⌊⌊N·b⌋/B⌋ (§1, Budget.Steps).
	Steps int
}

// Plan is the run's budget arithmetic.
func (r Run) Plan() Budget {
	return Budget{N: r.N, Fraction: r.Budget, BatchSize: r.BatchSize, Epochs: r.Epochs}
}

// Validate reports the problems of the run facts, naming the run's keys (train.budget,
// train.batch_size, train.epochs) and the real number of training images.
func (r Run) Validate() error {
	var errs []error
	if err := r.Plan().Check(); err != nil {
		errs = append(errs, err)
	}
	if r.Steps < 0 {
		errs = append(errs, fmt.Errorf("the run's step budget T (%d) must be >= 0", r.Steps))
	}
	return errors.Join(errs...)
}

// Defaults of DefaultConfig.
const (
	DefaultMethod          = "unif-sgd"
	DefaultBudget          = 1.0
	DefaultBatchSize       = 128
	DefaultEpochs          = 200
	DefaultSBHistory       = 1024
	DefaultInfoBatchRatio  = 0.5
	DefaultInfoBatchAnneal = 0.875
	DefaultSBBeta          = -1.0 // derive β from the budget
)

// DefaultConfig returns the documented defaults (N, the dataset size, is left 0: the caller
// must set it).
func DefaultConfig() Config {
	return Config{Run: Run{Budget: DefaultBudget, BatchSize: DefaultBatchSize, Epochs: DefaultEpochs}, Method: DefaultMethod,
		SBBeta: DefaultSBBeta, SBHistory: DefaultSBHistory, InfoBatchRatio: DefaultInfoBatchRatio, InfoBatchAnneal: DefaultInfoBatchAnneal}
}

// Configured is implemented by every sampler New builds: Config returns the config it was
// built with (what the pipeline's tests read back).
type Configured interface {
	Config() Config
}

// Validate reports every problem in c, its settings (ValidateSettings) and its run facts
// (Run.Validate), one line each, naming the key and its value. Errors for an unknown method
// wrap ErrUnknownMethod.
func (c *Config) Validate() error {
	return errors.Join(c.ValidateSettings(), c.Run.Validate())
}

// ValidateSettings reports every problem in the sampler's own settings (the sampler.* keys),
// one line each, naming the key and its value, without looking at the run facts.
func (c *Config) ValidateSettings() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if _, ok := registry[c.Method]; !ok {
		errs = append(errs, fmt.Errorf("sampler.method (%q) must be one of %s: %w",
			c.Method, strings.Join(Methods(), ", "), ErrUnknownMethod))
	}
	if c.WarmupEpochs < 0 {
		bad("sampler.warmup_epochs (%d) must be >= 0", c.WarmupEpochs)
	}
	if math.IsNaN(c.SBBeta) || math.IsInf(c.SBBeta, 0) {
		bad("sampler.sb_beta (%g) must be finite (>= 0, or negative to derive it from the budget)", c.SBBeta)
	}
	if c.SBHistory <= 0 {
		bad("sampler.sb_history (%d) must be > 0", c.SBHistory)
	}
	if !(c.InfoBatchRatio > 0 && c.InfoBatchRatio < 1) {
		bad("sampler.infobatch_ratio (%g) must be in (0,1)", c.InfoBatchRatio)
	}
	if !(c.InfoBatchAnneal > 0 && c.InfoBatchAnneal <= 1) {
		bad("sampler.infobatch_anneal (%g) must be in (0,1]", c.InfoBatchAnneal)
	}
	return errors.Join(errs...)
}

// EpochSize is K = ⌊N·b⌋ (Budget.EpochSamples).
func (r Run) EpochSize() int { return r.Plan().EpochSamples() }

// TotalSteps is T, the run's optimizer-step budget: Steps, or when Steps is 0 the paper's
// E·⌊K/B⌋ (Budget.Steps), which is what the pipeline trains for.
func (r Run) TotalSteps() int {
	if r.Steps > 0 {
		return r.Steps
	}
	return r.Plan().Steps()
}

// SBEffectiveBeta is the β Selective Backprop uses: SBBeta, or 1/b − 1 when SBBeta is negative.
// With percentiles ≈ U(0,1), E[percentile^β] = 1/(β+1), so the derived β backprops a
// fraction b of the forwarded examples. At b = 1 it is 0: every example is kept.
func (c *Config) SBEffectiveBeta() float64 {
	if c.SBBeta >= 0 {
		return c.SBBeta
	}
	return 1/c.Budget - 1
}
