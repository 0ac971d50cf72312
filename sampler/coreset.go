package sampler

import (
	"fmt"
	"math"
	"runtime"
)

var (
	_ Sampler      = (*fixedCoreset)(nil)
	_ FeatureUser  = (*fixedCoreset)(nil)
	_ Reporter     = (*fixedCoreset)(nil)
	_ Stateful     = (*fixedCoreset)(nil)
	_ VisitCounter = (*fixedCoreset)(nil)
)

// fixedCoreset is "fixed-coreset" (paper §2.8, "Core-set" in the teaser figure; the
// paper's core-set algorithm was not retrieved, so this uses the k-center greedy of
// Sener & Savarese 2018): one subset of n samples chosen at the first Epoch call from
// the features given to SetFeatures, then reshuffled every epoch. The first center
// is drawn uniformly from the seeded stream. Later calls' n is ignored.
type fixedCoreset struct {
	base
	feat   []float32 // released once the subset is chosen
	dim    int
	subset []int
}

func newFixedCoreset(c Config) *fixedCoreset { return &fixedCoreset{base: newBase(c)} }

// SetFeatures stores a copy of the N·dim feature matrix (row i = sample i). It returns
// an error for a wrong size, a non-finite value, or a subset that is already chosen.
func (s *fixedCoreset) SetFeatures(f []float32, dim int) error {
	if s.subset != nil {
		return fmt.Errorf("sampler: fixed-coreset: set features: the subset was already chosen")
	}
	if dim <= 0 {
		return fmt.Errorf("sampler: fixed-coreset: set features: dim (%d) must be > 0", dim)
	}
	if len(f) != s.cfg.N*dim {
		return fmt.Errorf("sampler: fixed-coreset: set features: len(f) (%d) must be n*dim (%d*%d=%d)", len(f), s.cfg.N, dim, s.cfg.N*dim)
	}
	for i, v := range f {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("sampler: fixed-coreset: set features: f[%d] (%g, sample %d) must be finite", i, v, i/dim)
		}
	}
	s.feat, s.dim = append([]float32(nil), f...), dim
	return nil
}

// Epoch returns the core-set in a fresh random order. The first call runs k-center
// greedy with k = n. It panics if SetFeatures was never called: that is a programming
// error, since the pipeline must provide features for this method.
func (s *fixedCoreset) Epoch(e, n int) []int {
	s.checkEpoch(e, n)
	if s.subset == nil {
		if s.feat == nil {
			panic("sampler: fixed-coreset: Epoch called before SetFeatures")
		}
		first := s.reseed(tagSubset).IntN(s.cfg.N)
		s.subset = coreset(s.feat, s.dim, n, first)
		s.feat = nil
	}
	out := shuffled(s.epochRand(e), s.subset)
	s.scheduled += int64(len(out))
	return out
}

// Observe only counts visits.
func (s *fixedCoreset) Observe(o Obs) error {
	if err := s.validate(o, false); err != nil {
		return err
	}
	s.count(o)
	return nil
}

func (s *fixedCoreset) Report() Stats { return s.report() }

// MarshalState stores the chosen subset (not the features).
func (s *fixedCoreset) MarshalState() ([]byte, error) {
	return s.marshal(fixedState{Chosen: s.subset != nil, Subset: s.subset})
}

func (s *fixedCoreset) UnmarshalState(d []byte) error {
	subset, h, err := s.unmarshalSubset(d)
	if err != nil {
		return err
	}
	s.commit(h)
	s.subset = subset
	if subset != nil {
		s.feat = nil
	}
	return nil
}

// coreset runs k-center greedy on the PCA-rotated features (same distances, faster
// pruning; see pcaRotate) with GOMAXPROCS goroutines.
func coreset(feat []float32, dim, k, first int) []int {
	w := runtime.GOMAXPROCS(0)
	return kCenterGreedyWorkers(pcaRotate(feat, dim, w), dim, k, first, w)
}
