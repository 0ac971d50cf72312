package sampler

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func newInfoBatchT(t *testing.T, n, epochs int) *infoBatch {
	t.Helper()
	c := testConfig("infobatch", n, 0.3)
	c.Epochs = epochs
	return mustNew(t, c).(*infoBatch)
}

// TestInfoBatchPrunesHalfOfTheBelowMeanSamples: 500 samples at loss 0.1 and 500 at
// 1.0 (mean 0.55): every epoch keeps all 500 high-loss samples at weight 1 and 250
// of the low-loss ones at weight 2.
func TestInfoBatchPrunesHalfOfTheBelowMeanSamples(t *testing.T) {
	const n = 1000
	s := newInfoBatchT(t, n, 100)
	loss := make([]float32, n)
	for i := range loss {
		loss[i] = 0.1
		if i%2 == 1 {
			loss[i] = 1
		}
	}
	mustObserve(t, s, loss)
	for e := range 3 {
		out := s.Epoch(e, 300)
		if len(out) != 750 {
			t.Fatalf("epoch %d: %d indices, want 750", e, len(out))
		}
		w := s.Weights(out)
		seen := make([]bool, n)
		low := 0
		for k, i := range out {
			if seen[i] {
				t.Fatalf("index %d repeated", i)
			}
			seen[i] = true
			want := float32(1)
			if loss[i] < 0.55 {
				want, low = 2, low+1
			}
			if w[k] != want {
				t.Fatalf("weight of sample %d (loss %g) = %g, want %g", i, loss[i], w[k], want)
			}
		}
		if low != 250 {
			t.Fatalf("kept %d below-mean samples, want 250", low)
		}
		for i := 1; i < n; i += 2 {
			if !seen[i] {
				t.Fatalf("above-mean sample %d was pruned", i)
			}
		}
	}
	if st := s.Report(); st.Pruned != 3*250 || math.Abs(st.MeanImportance-0.55) > 1e-6 {
		t.Fatalf("Report() = %+v, want Pruned 750 and MeanImportance 0.55", st)
	}
}

func TestInfoBatchKeepsUnseenSamples(t *testing.T) {
	const n = 100
	s := newInfoBatchT(t, n, 100)
	// Only samples 0..49 observed; half of them below the mean.
	loss := make([]float32, 50)
	for i := range loss {
		loss[i] = float32(i % 2)
	}
	if err := s.Observe(Obs{Idx: seq(0, 50), Loss: loss}); err != nil {
		t.Fatal(err)
	}
	out := s.Epoch(0, 30)
	in := map[int]bool{}
	for _, i := range out {
		in[i] = true
	}
	for i := 50; i < n; i++ {
		if !in[i] {
			t.Fatalf("never-observed sample %d was pruned", i)
		}
	}
	if len(out) != 100-13 { // 25 below the mean, int(0.5·25) = 12 kept
		t.Fatalf("epoch size %d, want 87", len(out))
	}
}

// TestInfoBatchAnnealsOverTheLastStepsOfTheRun runs the training loop's protocol (batches of
// B, the last partial one dropped, one Observe per batch, stop after T steps) with fresh
// losses every step. The full-data phase must be the last (1−δ)·T steps, up to half a pruned
// epoch of rounding to an epoch boundary, at every budget: epochs are shorter than N while
// pruning, so counting epochs against δ·E (the reference rule) never anneals at b = 0.3 (the
// run ends after about 16 of its 40 planned epochs). Full-data epochs have weight 1 throughout.
func TestInfoBatchAnnealsOverTheLastStepsOfTheRun(t *testing.T) {
	const n, batch, epochs, delta = 1000, 10, 40, 0.875
	for _, b := range []float64{0.3, 0.5, 1} {
		t.Run(fmt.Sprint("b=", b), func(t *testing.T) {
			c := testConfig("infobatch", n, b)
			c.BatchSize, c.Epochs, c.InfoBatchAnneal = batch, epochs, delta
			s := mustNew(t, c).(*infoBatch)
			k := c.EpochSize()
			total := epochs * (k / batch)
			if got := c.TotalSteps(); got != total {
				t.Fatalf("TotalSteps() = %d, want %d", got, total)
			}
			rng := rand.New(rand.NewPCG(5, 6))
			step, full, longest := 0, 0, 0
			for e := 0; step < total; e++ {
				out := s.Epoch(e, k)
				annealing := e > 0 && len(out) == n // epoch 0 has no scores, so nothing to prune
				if !annealing && e > 0 {
					longest = max(longest, len(out)/batch)
				} else if annealing {
					for i, w := range s.Weights(out) {
						if w != 1 {
							t.Fatalf("epoch %d: full-data weight of %d is %g, want 1", e, out[i], w)
						}
					}
				}
				if full > 0 && !annealing {
					t.Fatalf("epoch %d (step %d) prunes again after full-data epochs", e, step)
				}
				for lo := 0; lo+batch <= len(out) && step < total; lo += batch {
					loss := make([]float32, batch)
					for i := range loss {
						loss[i] = float32(rng.ExpFloat64())
					}
					if err := s.Observe(Obs{Idx: out[lo : lo+batch], Loss: loss}); err != nil {
						t.Fatal(err)
					}
					step++
					if annealing {
						full++
					}
				}
			}
			want := (1 - delta) * float64(total)
			if tol := float64(longest)/2 + 1; math.Abs(float64(full)-want) > tol {
				t.Errorf("%d of %d steps on full data, want %.0f ± %.0f (the last 1−δ of the run)", full, total, want, tol)
			}
			if st := s.Report(); st.Pruned == 0 {
				t.Errorf("Report().Pruned = 0, want the samples left out while pruning")
			}
		})
	}
}

// TestInfoBatchStepsSurviveCheckpoint: the step count behind annealing is part of the state.
func TestInfoBatchStepsSurviveCheckpoint(t *testing.T) {
	c := testConfig("infobatch", 100, 0.3)
	a := mustNew(t, c).(*infoBatch)
	mustObserve(t, a, randomLosses(1, 100))
	mustObserve(t, a, randomLosses(2, 100))
	st, err := a.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	b := mustNew(t, c).(*infoBatch)
	if err := b.UnmarshalState(st); err != nil {
		t.Fatal(err)
	}
	if b.steps != 2 || b.steps != a.steps {
		t.Fatalf("restored %d steps, want 2", b.steps)
	}
}

// TestInfoBatchRescalingIsUnbiased: averaged over epochs, weight × [kept] ≈ 1 for
// every below-mean sample (the expected gradient is unchanged, InfoBatch's claim).
func TestInfoBatchRescalingIsUnbiased(t *testing.T) {
	const n, epochs = 200, 4000
	s := newInfoBatchT(t, n, 1<<20)
	loss := make([]float32, n)
	for i := range loss {
		loss[i] = float32(i % 4) // 0, 1 below the mean 1.5
	}
	mustObserve(t, s, loss)
	sum := make([]float64, n)
	for e := range epochs {
		out := s.Epoch(e, 60)
		for k, w := range s.Weights(out) {
			sum[out[k]] += float64(w)
		}
	}
	for i, x := range sum {
		// sd of the mean for a below-mean sample: 2·sqrt(0.25/4000) ≈ 0.016.
		if m := x / epochs; math.Abs(m-1) > 0.08 {
			t.Fatalf("sample %d (loss %g): mean weight×kept = %.3f, want 1", i, loss[i], m)
		}
	}
}

func seq(lo, hi int) []int {
	out := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}
