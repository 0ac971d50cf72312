package sampler

import (
	"fmt"
	"math"
)

var (
	_ Sampler      = (*infoBatch)(nil)
	_ Weighter     = (*infoBatch)(nil)
	_ Reporter     = (*infoBatch)(nil)
	_ Stateful     = (*infoBatch)(nil)
	_ VisitCounter = (*infoBatch)(nil)
)

const unseenLoss = -1.0 // infobatch "never observed" sentinel (losses are >= 0)

// infoBatch is "infobatch" (Qin et al., ICLR 2024, "InfoBatch: Lossless Training Speed
// Up by Unbiased Dynamic Data Pruning", Alg. 1): soft pruning of well-learned samples
// with loss rescaling, and full data for the last part of training.
//
// Deviation: InfoBatch anneals in the last (1−δ) of its planned epochs. Here a run is
// bounded by T optimizer steps, not by epochs, and pruned epochs are shorter than N, so
// an epoch count says little about how far the run is (at b = 0.3 the run ends after
// about 0.4·E pruned epochs, and annealing by epoch number would never start below
// b ≈ 0.66). Progress is therefore measured in optimizer steps: one per Observe call,
// as the training loop observes each trained batch once, against Config.TotalSteps.
type infoBatch struct {
	base
	last    []float64 // latest observed loss per sample, unseenLoss if never observed
	weights []float32 // this epoch's loss multiplier per sample
	pruned  int64
	steps   int64 // Observe calls so far: the optimizer steps trained
}

func newInfoBatch(c Config) *infoBatch {
	s := &infoBatch{base: newBase(c), last: make([]float64, c.N), weights: make([]float32, c.N)}
	fill(s.last, unseenLoss)
	for i := range s.weights {
		s.weights[i] = 1
	}
	return s
}

// pruning reports whether an epoch starting now prunes, given the number of steps a
// pruned epoch would take: while the run has trained fewer than δ·T steps, and the
// annealing boundary δ·T is not nearer to now than to the end of that pruned epoch. So
// full data starts at the epoch boundary nearest to step δ·T (at most half a pruned
// epoch away from it), and the annealing phase is the last (1−δ)·T steps up to that
// rounding, as InfoBatch's last (1−δ)·E epochs are at full budget.
func (s *infoBatch) pruning(epochSteps int) bool {
	left := s.cfg.InfoBatchAnneal*float64(s.cfg.TotalSteps()) - float64(s.steps)
	return left > 0 && left >= float64(epochSteps)/2
}

// Epoch ignores n and returns a variable number of indices: every sample except a
// random ⌈r·m⌉ of the m "well-learned" ones, whose last observed loss is below the mean
// of the observed losses (never-observed samples are always kept). The kept
// well-learned samples get weight 1/(1−r). In the annealing phase (see pruning) it
// returns all N with weight 1. The epoch is therefore not budget-bounded: the caller's
// global step budget bounds the run, and Stats.Pruned counts the samples left out.
func (s *infoBatch) Epoch(e, n int) []int {
	s.checkEpoch(e, n)
	r := s.epochRand(e)
	for i := range s.weights {
		s.weights[i] = 1
	}
	thr, seen := s.meanLoss()
	out := make([]int, 0, s.cfg.N)
	var well []int
	if seen > 0 {
		for i, l := range s.last {
			if l != unseenLoss && l < thr {
				well = append(well, i)
			} else {
				out = append(out, i)
			}
		}
	} else {
		for i := range s.last {
			out = append(out, i)
		}
	}
	// Keep int((1−r)·m) well-learned samples uniformly at random, as the reference
	// implementation does, so each is pruned with probability ≈ r.
	keepN := int((1 - s.cfg.InfoBatchRatio) * float64(len(well)))
	if !s.pruning((len(out) + keepN) / max(s.cfg.BatchSize, 1)) {
		out = permutation(r, s.cfg.N)
		s.scheduled += int64(len(out))
		return out
	}
	for i := 0; i < keepN; i++ {
		j := i + r.IntN(len(well)-i)
		well[i], well[j] = well[j], well[i]
	}
	up := float32(1 / (1 - s.cfg.InfoBatchRatio))
	for _, i := range well[:keepN] {
		s.weights[i] = up
		out = append(out, i)
	}
	s.pruned += int64(len(well) - keepN)
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	s.scheduled += int64(len(out))
	return out
}

// meanLoss is the mean of the last observed losses over observed samples, and their count.
func (s *infoBatch) meanLoss() (float64, int) {
	var sum float64
	seen := 0
	for _, l := range s.last {
		if l != unseenLoss {
			sum += l
			seen++
		}
	}
	if seen == 0 {
		return 0, 0
	}
	return sum / float64(seen), seen
}

// Weights returns this epoch's loss multipliers: 1/(1−r) for kept well-learned
// samples, 1 otherwise. It panics on an index outside [0, N).
func (s *infoBatch) Weights(idx []int) []float32 {
	out := make([]float32, len(idx))
	for k, i := range idx {
		if i < 0 || i >= s.cfg.N {
			panic(fmt.Sprintf("sampler: infobatch: Weights: idx[%d] (%d) must be in [0,%d)", k, i, s.cfg.N))
		}
		out[k] = s.weights[i]
	}
	return out
}

// Observe stores each entry's loss as the sample's latest score (the credit share is
// not used: InfoBatch scores a sample by its latest loss) and counts one optimizer step,
// so call it once per trained batch.
func (s *infoBatch) Observe(o Obs) error {
	if err := s.validate(o, false); err != nil {
		return err
	}
	s.count(o)
	s.steps++
	for k, i := range o.Idx {
		s.last[i] = float64(o.Loss[k])
	}
	return nil
}

// Report adds the total pruned count; MeanImportance is the mean of the last observed
// losses over observed samples (the pruning threshold of the next epoch).
func (s *infoBatch) Report() Stats {
	st := s.report()
	st.MeanImportance, _ = s.meanLoss()
	st.Pruned = s.pruned
	return st
}

// infoBatchState is the checkpoint payload. A state written before Steps existed decodes
// with Steps = 0, so a run resumed from it anneals late.
type infoBatchState struct {
	Last    []float64
	Weights []float32
	Pruned  int64
	Steps   int64
}

func (s *infoBatch) MarshalState() ([]byte, error) {
	return s.marshal(infoBatchState{Last: s.last, Weights: s.weights, Pruned: s.pruned, Steps: s.steps})
}

func (s *infoBatch) UnmarshalState(d []byte) error {
	var p infoBatchState
	h, err := s.unmarshal(d, &p)
	if err != nil {
		return err
	}
	if err := s.checkLen("last", len(p.Last), s.cfg.N); err != nil {
		return err
	}
	if err := s.checkLen("weights", len(p.Weights), s.cfg.N); err != nil {
		return err
	}
	s.commit(h)
	s.last, s.weights, s.pruned, s.steps = p.Last, p.Weights, p.Pruned, p.Steps
	return nil
}

// Importance returns the latest observed loss of each index (its InfoBatch score); a
// never-observed sample gets NaN.
func (s *infoBatch) Importance(idx []int) []float32 {
	out := make([]float32, len(idx))
	for k, i := range idx {
		if s.last[i] == unseenLoss {
			out[k] = float32(math.NaN())
			continue
		}
		out[k] = float32(s.last[i])
	}
	return out
}

var _ Importancer = (*infoBatch)(nil)
