package sampler

import "fmt"

// Budget is the budget arithmetic of a run (paper §1), the one place it is computed: with N
// training images, budget b, batch size B and E planned epochs, an epoch visits K = ⌊N·b⌋
// images in I = ⌊K/B⌋ optimizer steps, and the run trains T = E·I steps. The trainer, the sweep's
// step counts and the samplers all ask it.
type Budget struct {
	N         int     // training images
	Fraction  float64 // b, in (0,1] (train.budget)
	BatchSize int     // B (train.batch_size)
	Epochs    int     // E (train.epochs)
}

// EpochSamples is K = ⌊N·b⌋: the float product truncated, as Python's int(N*b).
func (b Budget) EpochSamples() int { return int(float64(b.N) * b.Fraction) }

// StepsPerEpoch is I = ⌊K/B⌋ (0 for a batch size ≤ 0).
func (b Budget) StepsPerEpoch() int {
	if b.BatchSize <= 0 {
		return 0
	}
	return b.EpochSamples() / b.BatchSize
}

// Steps is T = E·I.
func (b Budget) Steps() int { return b.Epochs * b.StepsPerEpoch() }

// Check reports, in one error naming the config keys and the real N, why b allows no optimizer
// step; nil when it allows at least one per epoch.
func (b Budget) Check() error {
	switch {
	case b.N <= 0:
		return fmt.Errorf("no training images (N = %d)", b.N)
	case !(b.Fraction > 0 && b.Fraction <= 1):
		return fmt.Errorf("train.budget (%g) must be in (0,1]", b.Fraction)
	case b.BatchSize <= 0:
		return fmt.Errorf("train.batch_size (%d) must be > 0", b.BatchSize)
	case b.Epochs <= 0:
		return fmt.Errorf("train.epochs (%d) must be > 0", b.Epochs)
	case b.StepsPerEpoch() == 0:
		return fmt.Errorf("train.budget (%g) gives %d images per epoch of the %d training images, fewer than train.batch_size (%d): no optimizer step",
			b.Fraction, b.EpochSamples(), b.N, b.BatchSize)
	}
	return nil
}
