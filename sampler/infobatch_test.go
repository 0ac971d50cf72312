package sampler

import (
	"math"
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

func TestInfoBatchAnnealUsesFullData(t *testing.T) {
	const n = 200
	s := newInfoBatchT(t, n, 8) // δ·E = 7: epoch 7 anneals
	mustObserve(t, s, randomLosses(1, n))
	if got := len(s.Epoch(6, 60)); got == n {
		t.Fatalf("epoch 6 (pruning) returned all %d samples", n)
	}
	out := s.Epoch(7, 60)
	if len(out) != n {
		t.Fatalf("annealing epoch returned %d samples, want %d", len(out), n)
	}
	for k, w := range s.Weights(out) {
		if w != 1 {
			t.Fatalf("annealing weight of %d = %g, want 1", out[k], w)
		}
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
