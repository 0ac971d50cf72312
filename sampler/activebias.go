package sampler

import "math"

var (
	_ Sampler      = (*activeBias)(nil)
	_ Reporter     = (*activeBias)(nil)
	_ Stateful     = (*activeBias)(nil)
	_ VisitCounter = (*activeBias)(nil)
)

// Constants of the reference statistics (paper §2.3, §2.5).
const (
	unseenMean  = -1.0 // avg_probs sentinel for "never seen"
	unseenCount = 1e-6 // initial times_seen
	zeroProb    = 1e-10
)

// activeBias is "p-sgd" and "c-sgd" (paper §2.3–2.5, after Chang et al. 2017,
// "Active Bias"). See doc.go for the formulas.
type activeBias struct {
	base
	confusion bool      // c-sgd: w ← w(1−w)
	avg       []float64 // running mean of 1 − p_true, unseenMean if never seen
	seen      []float64 // times_seen: unseenCount, then the (weighted) visit count
	p         []float64 // scratch for the epoch's distribution
	keys      []keyed   // scratch for drawWithoutReplacement
}

func newActiveBias(c Config, confusion bool) *activeBias {
	s := &activeBias{base: newBase(c), confusion: confusion,
		avg: make([]float64, c.N), seen: make([]float64, c.N)}
	for i := range s.avg {
		s.avg[i] = unseenMean
		s.seen[i] = unseenCount
	}
	return s
}

// importance writes the importance vector w of §2.3 into dst: a copy of the running
// means, all ones if nothing has been seen, never-seen samples set to the current
// maximum; c-sgd then takes w(1−w). It returns dst.
func (s *activeBias) importance(dst []float64) []float64 {
	maxv := unseenMean
	for _, a := range s.avg {
		maxv = max(maxv, a)
	}
	if maxv == unseenMean { // nothing seen: −w is all ones
		maxv = 1
	}
	for i, a := range s.avg {
		if a == unseenMean {
			a = maxv
		}
		if s.confusion {
			a *= 1 - a
		}
		dst[i] = a
	}
	return dst
}

// Epoch draws n distinct indices with probability ∝ w + ε (paper §2.4) and returns
// them shuffled.
func (s *activeBias) Epoch(e, n int) []int {
	s.checkEpoch(e, n)
	r := s.epochRand(e)
	if s.p == nil {
		s.p = make([]float64, s.cfg.N)
	}
	w := s.importance(s.p)
	if e < s.cfg.WarmupEpochs {
		fill(w, 1)
	}
	normalise(w, !s.cfg.NoSmoothing)
	ensurePositive(w, n)
	var out []int
	out, s.keys = drawWithoutReplacement(r, w, n, s.keys)
	s.scheduled += int64(len(out))
	return out
}

func fill(w []float64, v float64) {
	for i := range w {
		w[i] = v
	}
}

// normalise turns importances into probabilities in place, as select_samples does
// (paper §2.4): optionally add ε = mean(w), add 1e-10 if the sum is 0, divide by the sum.
func normalise(w []float64, smooth bool) {
	if smooth {
		var sum float64
		for _, x := range w {
			sum += x
		}
		eps := sum / float64(len(w))
		for i := range w {
			w[i] += eps
		}
	}
	var sum float64
	for _, x := range w {
		sum += x
	}
	if sum == 0 {
		for i := range w {
			w[i] += zeroProb
		}
		sum = zeroProb * float64(len(w))
	}
	for i := range w {
		w[i] /= sum
	}
}

// ensurePositive applies the paper's fallback for a draw of n without replacement
// from p with fewer than n non-zero entries: zeros become 1e-10, then renormalise.
func ensurePositive(p []float64, n int) {
	pos := 0
	for _, x := range p {
		if x > 0 {
			pos++
		}
	}
	if pos >= n {
		return
	}
	var sum float64
	for i, x := range p {
		if x == 0 {
			p[i] = zeroProb
		}
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
}

// Observe updates the running mean of 1 − p_true, with p_true = exp(−loss), for every
// entry (paper §2.5), following the share-credit rule for weighted entries (doc.go).
func (s *activeBias) Observe(o Obs) error {
	if err := s.validate(o, false); err != nil {
		return err
	}
	s.count(o)
	// The reference zeroes the counts of a batch in which no sample was seen before
	// ("if count.max() < 1"); otherwise unseen samples keep times_seen = 1e-6.
	anySeen := false
	for _, i := range o.Idx {
		if s.avg[i] != unseenMean {
			anySeen = true
			break
		}
	}
	for k, i := range o.Idx {
		w := weightAt(o, k)
		v := -math.Expm1(-float64(o.Loss[k])) // 1 − exp(−loss), exact near loss = 0
		switch {
		case s.cfg.LatestValue:
			s.seen[i] = s.visitCount(i) + w
			s.avg[i] = v
		case s.avg[i] == unseenMean:
			count := unseenCount
			if !anySeen {
				count = 0
			}
			// (count·0 + w·v)/(count + w); for w = 1 exactly the reference's v/(1e-6+1) or v.
			s.avg[i] = w * v / (count + w)
			// The reference snaps times_seen = 1e-6+1 back to 1; with shares, to w.
			s.seen[i] = w
		default:
			t := s.seen[i]
			s.avg[i] = (t*s.avg[i] + w*v) / (t + w)
			s.seen[i] = t + w
		}
	}
	return nil
}

// visitCount is times_seen without the initial 1e-6.
func (s *activeBias) visitCount(i int) float64 {
	if s.avg[i] == unseenMean {
		return 0
	}
	return s.seen[i]
}

// Report's MeanImportance is mean(w) of §2.3 (before warm-up and smoothing): the mean
// difficulty 1 − p̄ for p-sgd, the mean p̄(1−p̄) for c-sgd.
func (s *activeBias) Report() Stats {
	st := s.report()
	st.MeanImportance = mean(s.importance(make([]float64, s.cfg.N)))
	return st
}

func mean(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	var sum float64
	for _, v := range x {
		sum += v
	}
	return sum / float64(len(x))
}

type activeBiasState struct{ Avg, Seen []float64 }

func (s *activeBias) MarshalState() ([]byte, error) {
	return s.marshal(activeBiasState{Avg: s.avg, Seen: s.seen})
}

func (s *activeBias) UnmarshalState(d []byte) error {
	var p activeBiasState
	h, err := s.unmarshal(d, &p)
	if err != nil {
		return err
	}
	if err := s.checkLen("avg", len(p.Avg), s.cfg.N); err != nil {
		return err
	}
	if err := s.checkLen("seen", len(p.Seen), s.cfg.N); err != nil {
		return err
	}
	s.commit(h)
	s.avg, s.seen = p.Avg, p.Seen
	return nil
}

// Importance returns w of §2.3 (p-sgd: 1 − p̄, c-sgd: p̄(1 − p̄)) for idx.
func (s *activeBias) Importance(idx []int) []float32 {
	return pick(s.importance(make([]float64, s.cfg.N)), idx)
}

var _ Importancer = (*activeBias)(nil)
