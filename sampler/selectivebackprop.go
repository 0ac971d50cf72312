package sampler

import (
	"math"
	"slices"
	"sort"
)

var (
	_ Sampler      = (*selectiveBackprop)(nil)
	_ Selector     = (*selectiveBackprop)(nil)
	_ Reporter     = (*selectiveBackprop)(nil)
	_ Stateful     = (*selectiveBackprop)(nil)
	_ VisitCounter = (*selectiveBackprop)(nil)
)

// selectiveBackprop is "selective-backprop" (Jiang et al. 2019, "Accelerating Deep
// Learning by Focusing on the Biggest Losers"; paper §2.7): every epoch forwards all N
// samples and Select keeps each example with probability percentile(loss)^β, the
// "relative" calculator of the vendored code.
type selectiveBackprop struct {
	base
	beta      float64
	hist      []float64 // ring buffer of the last SBHistory losses
	histPos   int       // next write position once the ring is full
	sorted    []float64 // scratch: sorted copy of hist
	forwarded int64     // losses given to Select (priming ends at N)
	kept      int64
}

func newSelectiveBackprop(c Config) *selectiveBackprop {
	return &selectiveBackprop{base: newBase(c), beta: c.SBEffectiveBeta(),
		hist: make([]float64, 0, c.SBHistory)}
}

// Epoch returns a permutation of all N samples: SB forwards everything and decides
// per example in Select, so n (the budget) is ignored (paper §2.7, quirk (c)).
func (s *selectiveBackprop) Epoch(e, n int) []int {
	s.checkEpoch(e, n)
	out := permutation(s.epochRand(e), s.cfg.N)
	s.scheduled += int64(len(out))
	return out
}

// Observe only counts visits. Pass it the examples that were backpropagated, so that
// Stats.Entropy measures training usage as for the other methods; Select keeps its
// own forward and kept counts.
func (s *selectiveBackprop) Observe(o Obs) error {
	if err := s.validate(o, false); err != nil {
		return err
	}
	s.count(o)
	return nil
}

// Select returns the positions in loss (increasing) to backpropagate.
//
// While fewer than N losses have been given to Select before this batch (the first
// epoch) it keeps every position and leaves the history alone (the priming
// selector). Afterwards it first appends the batch's losses to the history of the
// last SBHistory losses, then keeps position k with probability P = pctₖ^β, where
// pctₖ is the fraction of the history strictly below loss[k] (the history includes
// loss[k] and its batch-mates), by drawing U ~ U[0,1) and keeping if U < P.
// NaN losses are never kept and never enter the history.
func (s *selectiveBackprop) Select(loss []float32) []int {
	primed := s.forwarded < int64(s.cfg.N)
	s.forwarded += int64(len(loss))
	keep := make([]int, 0, len(loss))
	if primed {
		for k := range loss {
			keep = append(keep, k)
		}
		s.kept += int64(len(keep))
		return keep
	}
	for _, l := range loss {
		if l == l { // not NaN
			s.push(float64(l))
		}
	}
	s.sorted = append(s.sorted[:0], s.hist...)
	slices.Sort(s.sorted)
	h := float64(len(s.sorted))
	for k, l := range loss {
		if l != l {
			continue
		}
		// SearchFloat64s returns the count of entries strictly below l.
		pct := float64(sort.SearchFloat64s(s.sorted, float64(l))) / h
		if s.rng.Float64() < math.Pow(pct, s.beta) {
			keep = append(keep, k)
		}
	}
	s.kept += int64(len(keep))
	return keep
}

// push appends to the history ring, dropping the oldest loss when full (a deque with
// maxlen SBHistory).
func (s *selectiveBackprop) push(l float64) {
	if len(s.hist) < s.cfg.SBHistory {
		s.hist = append(s.hist, l)
		return
	}
	s.hist[s.histPos] = l
	s.histPos = (s.histPos + 1) % s.cfg.SBHistory
}

// Report adds the forward and kept counts; MeanImportance is 0 (no importance vector).
func (s *selectiveBackprop) Report() Stats {
	st := s.report()
	st.Forwarded, st.Kept = s.forwarded, s.kept
	return st
}

type sbState struct {
	Hist            []float64
	HistPos         int
	Forwarded, Kept int64
}

func (s *selectiveBackprop) MarshalState() ([]byte, error) {
	return s.marshal(sbState{Hist: s.hist, HistPos: s.histPos, Forwarded: s.forwarded, Kept: s.kept})
}

func (s *selectiveBackprop) UnmarshalState(d []byte) error {
	var p sbState
	h, err := s.unmarshal(d, &p)
	if err != nil {
		return err
	}
	if len(p.Hist) > s.cfg.SBHistory || p.HistPos < 0 || p.HistPos >= s.cfg.SBHistory {
		return s.stateErr("history (%d losses, position %d) does not fit sb_history %d", len(p.Hist), p.HistPos, s.cfg.SBHistory)
	}
	s.commit(h)
	s.hist = append(make([]float64, 0, s.cfg.SBHistory), p.Hist...)
	s.histPos, s.forwarded, s.kept = p.HistPos, p.Forwarded, p.Kept
	return nil
}
