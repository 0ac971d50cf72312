package sampler

import (
	"errors"
	"math"
	"testing"
)

// TestLossISDrawsFollowSmoothedLoss: the draws with replacement are a multinomial with p ∝ w + mean(w), w = per-sample mean loss (unseen = max).
func TestLossISDrawsFollowSmoothedLoss(t *testing.T) {
	tests := []struct {
		method string
		grad   bool
	}{{"loss-is", false}, {"upper-bound-is", true}}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			const n, draws = 40, 100000
			s := mustNew(t, testConfig(tc.method, n, 1))
			sig := randomLosses(11, n-5) // samples 35..39 never observed
			loss, grad := sig, make([]float32, len(sig))
			if tc.grad { // the importance must come from GradNorm, not from Loss
				loss = make([]float32, len(sig))
				for i := range loss {
					loss[i] = 1
				}
				grad = sig
			}
			if err := s.Observe(Obs{Idx: seq(0, n-5), Loss: loss, GradNorm: grad}); err != nil {
				t.Fatal(err)
			}
			w := make([]float64, n)
			mx := 0.0
			for i, x := range sig {
				w[i] = float64(x)
				mx = max(mx, w[i])
			}
			for i := n - 5; i < n; i++ {
				w[i] = mx
			}
			eps := mean(w)
			var sum float64
			for i := range w {
				w[i] += eps
				sum += w[i]
			}
			obs := make([]float64, n) // n ≤ N draws per epoch: pool independent epochs
			for e := range draws / n {
				for _, i := range s.Epoch(e, n) {
					obs[i]++
				}
			}
			exp := make([]float64, n)
			for i := range w {
				exp[i] = draws * w[i] / sum
			}
			if x := chi2(t, obs, exp); x > chi2Critical(n-1) {
				t.Fatalf("χ² = %.1f > %.1f", x, chi2Critical(n-1))
			}
		})
	}
}

// TestLossISWeightsAreUnbiased: mean over draws of (1/(N·pᵢ))·ℓᵢ ≈ (1/N)·Σℓ.
func TestLossISWeightsAreUnbiased(t *testing.T) {
	const n, draws = 500, 200000
	s := mustNew(t, testConfig("loss-is", n, 1))
	loss := randomLosses(12, n)
	mustObserve(t, s, loss)
	var idx []int
	var w []float32
	for e := range draws / n {
		ie := s.Epoch(e, n)
		idx = append(idx, ie...)
		w = append(w, s.(Weighter).Weights(ie)...) // weights of the current epoch
	}
	var est, full float64
	for k, i := range idx {
		est += float64(w[k]) * float64(loss[i])
	}
	est /= draws
	for _, l := range loss {
		full += float64(l)
	}
	full /= n
	if math.Abs(est-full)/full > 0.01 {
		t.Fatalf("importance-weighted mean %.4f, full-data mean %.4f", est, full)
	}
	// And per sample: E[weight × count] = draws/N for every index.
	cnt := make([]float64, n)
	for k, i := range idx {
		cnt[i] += float64(w[k])
	}
	var tot float64
	for _, c := range cnt {
		tot += c
	}
	if math.Abs(tot/draws-1) > 0.01 {
		t.Fatalf("mean weight %.4f, want 1", tot/draws)
	}
}

func TestUpperBoundISNeedsGradNorm(t *testing.T) {
	s := mustNew(t, testConfig("upper-bound-is", 10, 1))
	if !s.(GradNormUser).NeedsGradNorm() {
		t.Fatal("upper-bound-is: NeedsGradNorm() = false")
	}
	err := s.Observe(Obs{Idx: []int{1}, Loss: []float32{1}})
	if !errors.Is(err, ErrBadObs) {
		t.Fatalf("Observe without GradNorm = %v, want ErrBadObs", err)
	}
	if mustNew(t, testConfig("loss-is", 10, 1)).(GradNormUser).NeedsGradNorm() {
		t.Fatal("loss-is: NeedsGradNorm() = true")
	}
}

func TestLossISWeightsBeforeEpochPanics(t *testing.T) {
	s := mustNew(t, testConfig("loss-is", 10, 1)).(Weighter)
	defer func() {
		if recover() == nil {
			t.Fatal("Weights before Epoch did not panic")
		}
	}()
	s.Weights([]int{1})
}
