package sampler

import (
	"math"
	"math/rand/v2"
	"testing"
)

// chi2 returns Σ (obs−exp)²/exp over the categories with exp > 0, and fails the test
// if an empty category (exp == 0) was observed.
func chi2(t *testing.T, obs, exp []float64) float64 {
	t.Helper()
	var s float64
	for i := range obs {
		if exp[i] == 0 {
			if obs[i] != 0 {
				t.Fatalf("category %d has expectation 0 but was observed %g times", i, obs[i])
			}
			continue
		}
		d := obs[i] - exp[i]
		s += d * d / exp[i]
	}
	return s
}

// chi2Critical is the upper 0.1% point of χ²(df) (Wilson–Hilferty approximation,
// z = 3.0902), so a correct sampler fails a fixed-seed test with probability 0.001.
func chi2Critical(df int) float64 {
	k := float64(df)
	z := 3.0902
	c := 1 - 2/(9*k) + z*math.Sqrt(2/(9*k))
	return k * c * c * c
}

// testConfig is a valid config for method with N samples and budget b: DefaultConfig with
// seed 7, batch size 1 and 20 epochs.
func testConfig(method string, n int, b float64) Config {
	c := DefaultConfig()
	c.Method, c.Seed, c.N, c.Budget, c.BatchSize, c.Epochs = method, 7, n, b, 1, 20
	return c
}

func mustNew(t testing.TB, c Config) Sampler {
	t.Helper()
	s, err := New(c)
	if err != nil {
		t.Fatalf("New(%+v): %v", c, err)
	}
	return s
}

// mustObserve feeds loss[i] for every index i in batches of 128 (with grad norms
// equal to the losses, for upper-bound-is).
func mustObserve(t testing.TB, s Sampler, loss []float32) {
	t.Helper()
	for lo := 0; lo < len(loss); lo += 128 {
		hi := min(lo+128, len(loss))
		idx := make([]int, 0, hi-lo)
		for i := lo; i < hi; i++ {
			idx = append(idx, i)
		}
		if err := s.Observe(Obs{Idx: idx, Loss: loss[lo:hi], GradNorm: loss[lo:hi]}); err != nil {
			t.Fatalf("Observe: %v", err)
		}
	}
}

// randomLosses returns n losses ~ Exp(1) with a fixed seed.
func randomLosses(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(r.ExpFloat64())
	}
	return out
}
