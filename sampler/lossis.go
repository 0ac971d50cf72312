package sampler

import "fmt"

var (
	_ Sampler      = (*importanceIS)(nil)
	_ Weighter     = (*importanceIS)(nil)
	_ GradNormUser = (*importanceIS)(nil)
	_ Reporter     = (*importanceIS)(nil)
	_ Stateful     = (*importanceIS)(nil)
	_ VisitCounter = (*importanceIS)(nil)
)

// importanceIS is "loss-is" and "upper-bound-is": unbiased importance sampling with
// replacement, p ∝ smoothed running mean of the loss or of the gradient-norm upper
// bound (Katharopoulos & Fleuret, ICML 2018, "Not All Samples Are Created Equal").
// See doc.go for the formulas and the deviations from that paper.
type importanceIS struct {
	base
	grad  bool      // upper-bound-is: importance from Obs.GradNorm
	mean  []float64 // running mean of the signal, unseenMean if never observed
	cnt   []float64 // weighted visit count behind mean
	probs []float64 // the current epoch's sampling distribution (nil before Epoch)
}

func newImportanceIS(c Config, grad bool) *importanceIS {
	s := &importanceIS{base: newBase(c), grad: grad, mean: make([]float64, c.N), cnt: make([]float64, c.N)}
	fill(s.mean, unseenMean)
	return s
}

// NeedsGradNorm is true for upper-bound-is.
func (s *importanceIS) NeedsGradNorm() bool { return s.grad }

// importance writes the running means into dst, with never-observed samples set to
// the largest observed mean (all ones if nothing was observed), and returns dst.
func (s *importanceIS) importance(dst []float64) []float64 {
	maxv := unseenMean
	for _, m := range s.mean {
		maxv = max(maxv, m)
	}
	if maxv == unseenMean {
		maxv = 1
	}
	for i, m := range s.mean {
		if m == unseenMean {
			m = maxv
		}
		dst[i] = m
	}
	return dst
}

// Epoch draws n indices i.i.d. WITH replacement from p ∝ w + ε (duplicates are
// expected), in draw order. Weights then gives 1/(N·pᵢ) for them.
func (s *importanceIS) Epoch(e, n int) []int {
	s.checkEpoch(e, n)
	r := s.epochRand(e)
	if s.probs == nil {
		s.probs = make([]float64, s.cfg.N)
	}
	w := s.importance(s.probs)
	if e < s.cfg.WarmupEpochs {
		fill(w, 1)
	}
	normalise(w, !s.cfg.NoSmoothing)
	t := newAliasTable(w)
	out := make([]int, n)
	for k := range out {
		out[k] = t.draw(r)
	}
	s.scheduled += int64(n)
	return out
}

// Weights returns 1/(N·pᵢ) under the current epoch's distribution, so that the batch
// mean of weight × loss is an unbiased estimate of the full-data mean loss. It panics
// if called before the first Epoch or with an index outside [0, N); an index with
// pᵢ = 0 (never drawn) gets +Inf.
func (s *importanceIS) Weights(idx []int) []float32 {
	if s.probs == nil {
		panic(fmt.Sprintf("sampler: %s: Weights called before Epoch", s.cfg.Method))
	}
	out := make([]float32, len(idx))
	n := float64(s.cfg.N)
	for k, i := range idx {
		if i < 0 || i >= s.cfg.N {
			panic(fmt.Sprintf("sampler: %s: Weights: idx[%d] (%d) must be in [0,%d)", s.cfg.Method, k, i, s.cfg.N))
		}
		out[k] = float32(1 / (n * s.probs[i]))
	}
	return out
}

// Observe updates the weighted running mean of the loss (loss-is) or of GradNorm
// (upper-bound-is): m ← (t·m + w·v)/(t + w), t ← t + w, with w the credit share.
func (s *importanceIS) Observe(o Obs) error {
	if err := s.validate(o, s.grad); err != nil {
		return err
	}
	s.count(o)
	for k, i := range o.Idx {
		v := float64(o.Loss[k])
		if s.grad {
			v = float64(o.GradNorm[k])
		}
		w := weightAt(o, k)
		switch {
		case s.cfg.LatestValue || s.mean[i] == unseenMean:
			s.mean[i] = v
		default:
			s.mean[i] = (s.cnt[i]*s.mean[i] + w*v) / (s.cnt[i] + w)
		}
		s.cnt[i] += w
	}
	return nil
}

// Report's MeanImportance is the mean of the importance vector before smoothing
// (mean loss for loss-is, mean gradient-norm bound for upper-bound-is).
func (s *importanceIS) Report() Stats {
	st := s.report()
	st.MeanImportance = mean(s.importance(make([]float64, s.cfg.N)))
	return st
}

type importanceState struct{ Mean, Count, Probs []float64 }

func (s *importanceIS) MarshalState() ([]byte, error) {
	return s.marshal(importanceState{Mean: s.mean, Count: s.cnt, Probs: s.probs})
}

func (s *importanceIS) UnmarshalState(d []byte) error {
	var p importanceState
	h, err := s.unmarshal(d, &p)
	if err != nil {
		return err
	}
	if err := s.checkLen("mean", len(p.Mean), s.cfg.N); err != nil {
		return err
	}
	if err := s.checkLen("count", len(p.Count), s.cfg.N); err != nil {
		return err
	}
	if p.Probs != nil {
		if err := s.checkLen("probs", len(p.Probs), s.cfg.N); err != nil {
			return err
		}
	}
	s.commit(h)
	s.mean, s.cnt, s.probs = p.Mean, p.Count, p.Probs
	return nil
}

// Importance returns the running-mean loss (loss-is) or gradient-norm bound
// (upper-bound-is) for idx, never-observed samples at the maximum.
func (s *importanceIS) Importance(idx []int) []float32 {
	return pick(s.importance(make([]float64, s.cfg.N)), idx)
}

var _ Importancer = (*importanceIS)(nil)
