package sampler

import "errors"

// Obs is one forward batch's per-example signals, credited to dataset indices.
//
// Idx, Loss and the optional Weight and GradNorm are parallel slices of the same length.
// Indices may repeat within one Obs when a batch mixer (mixup, RICAP) credits several
// source samples for one mixed image; each entry is then one (source, share) credit.
type Obs struct {
	// Idx holds dataset indices in [0, N).
	Idx []int
	// Loss is the per-example cross-entropy against the credited label, in nats, >= 0.
	// NaN, ±Inf or a negative value makes Observe return an error wrapping ErrBadObs.
	Loss []float32
	// Weight is the optional credit share in (0, 1] per entry; nil means 1 for every entry.
	// With mixup a source sample gets its mixing weight, with RICAP its patch area.
	// Running means are weighted by it (the share-credit rule, see doc.go).
	Weight []float32
	// GradNorm is the optional ||∂loss/∂logits||₂ = ||softmax − onehot||₂ per entry.
	// Required (non-nil) when the sampler's NeedsGradNorm reports true, ignored otherwise
	// except for validation.
	GradNorm []float32
}

// Sampler chooses the dataset indices visited in one epoch.
type Sampler interface {
	// Epoch returns the indices to train on in epoch e (0-based), in training order
	// (already shuffled). n is the number of examples the budget allows (K = ⌊N·b⌋,
	// Config.EpochSize); some methods return a different count, see each method's doc.
	// The caller trains batches of B in order, drops the last partial batch, and stops
	// when the global optimizer-step budget is used up.
	//
	// Epoch is a pure function of (seed, e, n, observations so far): calling it twice
	// for the same epoch without observing in between returns the same slice contents.
	// The returned slice is owned by the caller. Epoch panics if e < 0 or n is not in
	// [0, N] (programmer errors).
	Epoch(e, n int) []int
	// Observe records one forward batch's per-example signals. It validates the whole
	// batch before changing any state, so a returned error leaves the sampler unchanged.
	Observe(o Obs) error
}

// Weighter is implemented by samplers whose epochs need per-example loss multipliers
// (importance unbiasing or rescaling). Weights returns one multiplier per index for
// indices scheduled in the CURRENT epoch (the last Epoch call); the caller multiplies
// each example's loss by it before averaging over the batch. Under a batch mixer the
// multiplier belongs to the sample, not to the image position: every loss term scored
// against sample i's label (its mixup share, its RICAP patch) gets sample i's multiplier,
// which keeps the estimate unbiased (the pipeline's lossWeights).
type Weighter interface {
	Weights(idx []int) []float32
}

// Selector keeps a subset of a forwarded batch for backprop (Selective Backprop).
// keep holds positions within loss (not dataset indices), in increasing order.
type Selector interface {
	Select(loss []float32) (keep []int)
}

// GradNormUser is implemented by samplers that need Obs.GradNorm.
type GradNormUser interface {
	NeedsGradNorm() bool
}

// FeatureUser is implemented by samplers that need per-sample feature vectors.
// f holds N·dim values, row-major (sample i is f[i*dim:(i+1)*dim]). It must be called
// once before the first Epoch call.
type FeatureUser interface {
	SetFeatures(f []float32, dim int) error
}

// Stateful samplers can be checkpointed and resumed. MarshalState captures every
// statistic and the RNG state; UnmarshalState restores it into a sampler built by New
// with the same method, seed and N (otherwise it returns an error). Checkpoint at
// epoch boundaries: the next Epoch call then returns exactly what the uninterrupted
// run would have.
type Stateful interface {
	MarshalState() ([]byte, error)
	UnmarshalState([]byte) error
}

// Reporter exposes run statistics for logging; every sampler in this package implements it.
type Reporter interface {
	Report() Stats
}

// VisitCounter exposes the per-sample visit counts used for Stats.Entropy.
type VisitCounter interface {
	// VisitCounts returns a fresh copy of the N visit counts.
	VisitCounts() []int
}

// Stats summarises how a sampler has used the data so far.
//
// Visits are counted from Observe: every Obs entry adds 1 to its index, whatever its
// Weight (a mixup source credited with λ = 0.3 still had its pixels used). With the
// usual loop (Observe on each trained batch) this counts samples actually trained on,
// unlike counting Epoch output, which includes the dropped last partial batch and the
// batches after the step budget ran out.
type Stats struct {
	Method string
	// Entropy is H(c) = −Σ (cᵢ/Σc) ln(cᵢ/Σc) of the visit counts, in nats; 0 before any visit.
	Entropy float64
	// MaxEntropy is ln N, the entropy of perfectly even usage.
	MaxEntropy float64
	// NeverSeen is the fraction of the N samples with no visit yet, in [0, 1].
	NeverSeen float64
	// MeanImportance is the mean of the current importance vector (its meaning depends
	// on the method, see doc.go); 0 for methods without one.
	MeanImportance float64
	// Observed is the total number of Obs entries seen by Observe.
	Observed int64
	// Scheduled is the total number of indices returned by Epoch.
	Scheduled int64
	// Pruned is the total number of samples infobatch left out of its epochs.
	Pruned int64
	// Forwarded and Kept count the losses given to Select and the positions it kept
	// (selective-backprop); Kept/Forwarded is the backprop fraction.
	Forwarded, Kept int64
}

var (
	// ErrUnknownMethod is wrapped by New and Validate for a method name not in Methods().
	ErrUnknownMethod = errors.New("unknown sampler method")
	// ErrBadObs is wrapped by every error Observe returns for malformed input.
	ErrBadObs = errors.New("bad observation")
	// ErrState is wrapped by UnmarshalState errors.
	ErrState = errors.New("bad sampler state")
)

// Importancer is implemented by samplers that keep a per-sample importance. Importance
// returns the current importance of each index (the vector the next Epoch would sample
// from, before smoothing), for logging and analysis.
type Importancer interface {
	Importance(idx []int) []float32
}

// pick returns w[idx] as float32.
func pick(w []float64, idx []int) []float32 {
	out := make([]float32, len(idx))
	for k, i := range idx {
		out[k] = float32(w[i])
	}
	return out
}
