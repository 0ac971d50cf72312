package sampler

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refActiveBias is a line-by-line transcription of the reference update_sampling_metrics
// (spec §2.5) in array form, for batches of distinct indices.
type refActiveBias struct{ avg, seen []float64 }

func newRef(n int) *refActiveBias {
	r := &refActiveBias{avg: make([]float64, n), seen: make([]float64, n)}
	for i := range r.avg {
		r.avg[i], r.seen[i] = -1, 1e-6
	}
	return r
}

func (r *refActiveBias) update(idx []int, loss []float32) {
	count := make([]float64, len(idx))
	mx := math.Inf(-1)
	for k, i := range idx {
		count[k] = r.seen[i]
		mx = max(mx, count[k])
	}
	if mx < 1 {
		clear(count)
	}
	for k, i := range idx {
		a := r.avg[i]
		if a == -1 {
			a = 0
		}
		prob := math.Exp(-float64(loss[k]))
		r.avg[i] = (count[k]*a + (1 - prob)) / (count[k] + 1)
	}
	for _, i := range idx {
		r.seen[i] += 1
		if r.seen[i] == 1+1e-6 {
			r.seen[i] = 1
		}
	}
}

func TestPSGDUpdateMatchesReference(t *testing.T) {
	const n = 300
	s := mustNew(t, testConfig("p-sgd", n, 0.5)).(*activeBias)
	ref := newRef(n)
	r := rand.New(rand.NewPCG(9, 9))
	for step := range 60 {
		// Batches of distinct indices; early batches are all-unseen, later ones mixed.
		idx := r.Perm(n)[:16+step%5]
		loss := make([]float32, len(idx))
		for k := range loss {
			loss[k] = float32(r.ExpFloat64() * 2)
			if k%7 == 0 {
				loss[k] = 0
			}
		}
		ref.update(idx, loss)
		if err := s.Observe(Obs{Idx: idx, Loss: loss}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if math.Abs(s.avg[i]-ref.avg[i]) > 1e-12 || s.seen[i] != ref.seen[i] {
			t.Fatalf("sample %d: (avg, seen) = (%v, %v), reference (%v, %v)", i, s.avg[i], s.seen[i], ref.avg[i], ref.seen[i])
		}
	}
}

func TestActiveBiasImportanceQuirks(t *testing.T) {
	tests := []struct {
		method string
		want   func(v []float64) []float64 // importance for losses observed on samples 0..2 of 5
	}{
		{"p-sgd", func(v []float64) []float64 {
			m := max(v[0], v[1], v[2])
			return []float64{v[0], v[1], v[2], m, m} // unseen get max(w)
		}},
		{"c-sgd", func(v []float64) []float64 {
			m := max(v[0], v[1], v[2])
			c := func(x float64) float64 { return x * (1 - x) }
			return []float64{c(v[0]), c(v[1]), c(v[2]), c(m), c(m)} // quirk (b)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			s := mustNew(t, testConfig(tc.method, 5, 1)).(*activeBias)
			w := s.importance(make([]float64, 5))
			init := 1.0 // nothing seen: w = −(−1) = 1, and c-sgd's 1·(1−1) = 0
			if tc.method == "c-sgd" {
				init = 0
			}
			for i, x := range w {
				if x != init {
					t.Fatalf("nothing seen: importance[%d] = %g, want all ones (p-sgd) or zeros (c-sgd)", i, x)
				}
			}
			loss := []float32{0.1, 2, 0.7}
			if err := s.Observe(Obs{Idx: []int{0, 1, 2}, Loss: loss}); err != nil {
				t.Fatal(err)
			}
			v := make([]float64, 3)
			for i, l := range loss {
				v[i] = 1 - math.Exp(-float64(l))
			}
			want := tc.want(v)
			w = s.importance(w)
			for i := range w {
				if math.Abs(w[i]-want[i]) > 1e-12 {
					t.Fatalf("importance = %v, want %v", w, want)
				}
			}
		})
	}
}

// epochFrequencies counts the single index returned by Epoch(e, 1) over many epochs.
func epochFrequencies(s Sampler, n, epochs int) []float64 {
	obs := make([]float64, n)
	for e := range epochs {
		obs[s.Epoch(e, 1)[0]]++
	}
	return obs
}

// TestActiveBiasDrawMatchesSmoothedImportance: with n = 1 every epoch is one draw
// from p ∝ w + mean(w); over many epochs (independent streams) the counts follow a
// multinomial, tested with χ², for both methods and the ablation options.
func TestActiveBiasDrawMatchesSmoothedImportance(t *testing.T) {
	loss := []float32{0.05, 0.2, 0.5, 1, 2, 4, 0, 0.3} // samples 8, 9 never seen
	v := make([]float64, 10)
	for i, l := range loss {
		v[i] = 1 - math.Exp(-float64(l))
	}
	tests := []struct {
		name   string
		method string
		mod    func(*Config)
		w      func(v []float64) []float64
	}{
		{"p-sgd", "p-sgd", nil, func(v []float64) []float64 { return fillUnseen(v, 8, false) }},
		{"c-sgd", "c-sgd", nil, func(v []float64) []float64 { return fillUnseen(v, 8, true) }},
		{"p-sgd/no-smoothing", "p-sgd", func(c *Config) { c.NoSmoothing = true },
			func(v []float64) []float64 { return fillUnseen(v, 8, false) }},
		{"p-sgd/warmup", "p-sgd", func(c *Config) { c.WarmupEpochs = 1 << 30 },
			func(v []float64) []float64 { return []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1} }},
	}
	const epochs = 30000
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(tc.method, 10, 1)
			if tc.mod != nil {
				tc.mod(&c)
			}
			s := mustNew(t, c)
			if err := s.Observe(Obs{Idx: []int{0, 1, 2, 3, 4, 5, 6, 7}, Loss: loss}); err != nil {
				t.Fatal(err)
			}
			w := tc.w(v)
			eps := 0.0
			if !c.NoSmoothing {
				eps = mean(w)
			}
			var sum float64
			for _, x := range w {
				sum += x + eps
			}
			exp := make([]float64, len(w))
			for i, x := range w {
				exp[i] = epochs * (x + eps) / sum
			}
			obs := epochFrequencies(s, 10, epochs)
			if x := chi2(t, obs, exp); x > chi2Critical(9) {
				t.Fatalf("χ² = %.1f > %.1f\nobs %v\nexp %v", x, chi2Critical(9), obs, exp)
			}
		})
	}
}

// fillUnseen sets v[from:] to max(v[:from]) and applies w(1−w) if confusion.
func fillUnseen(v []float64, from int, confusion bool) []float64 {
	w := append([]float64(nil), v...)
	m := w[0]
	for _, x := range w[1:from] {
		m = max(m, x)
	}
	for i := from; i < len(w); i++ {
		w[i] = m
	}
	if confusion {
		for i, x := range w {
			w[i] = x * (1 - x)
		}
	}
	return w
}

func TestActiveBiasFallbackWhenTooFewPositive(t *testing.T) {
	c := testConfig("p-sgd", 20, 1)
	c.NoSmoothing = true
	s := mustNew(t, c)
	loss := make([]float32, 20) // zero loss -> zero importance, except samples 3 and 11
	loss[3], loss[11] = 1, 2
	mustObserve(t, s, loss)
	for e := range 50 {
		out := s.Epoch(e, 5)
		if len(out) != 5 {
			t.Fatalf("epoch %d: %d indices, want 5", e, len(out))
		}
		has := map[int]bool{}
		for _, i := range out {
			if has[i] {
				t.Fatalf("epoch %d: index %d repeated", e, i)
			}
			has[i] = true
		}
		if !has[3] || !has[11] {
			t.Fatalf("epoch %d: %v misses a positive-probability sample", e, out)
		}
	}
	// All-zero importance: p = 1e-10 everywhere, i.e. uniform, still valid.
	s = mustNew(t, c)
	mustObserve(t, s, make([]float32, 20))
	if out := s.Epoch(0, 20); len(out) != 20 {
		t.Fatalf("all-zero importance: %d indices, want 20", len(out))
	}
}

// TestActiveBiasShareCredit checks the weighted running mean for mixed batches.
func TestActiveBiasShareCredit(t *testing.T) {
	s := mustNew(t, testConfig("p-sgd", 4, 1)).(*activeBias)
	v := func(l float64) float64 { return -math.Expm1(-l) }
	// Sample 0 credited twice in one all-unseen batch (mixup of an image with itself's pair).
	if err := s.Observe(Obs{Idx: []int{0, 0, 1}, Loss: []float32{1, 2, 0.5}, Weight: []float32{0.25, 0.75, 1}}); err != nil {
		t.Fatal(err)
	}
	want0 := 0.25*v(1) + 0.75*v(2)
	if math.Abs(s.avg[0]-want0) > 1e-7 || s.seen[0] != 1 {
		t.Fatalf("sample 0: (avg, seen) = (%v, %v), want (%v, 1)", s.avg[0], s.seen[0], want0)
	}
	if math.Abs(s.avg[1]-v(0.5)) > 1e-7 || s.seen[1] != 1 {
		t.Fatalf("sample 1: (avg, seen) = (%v, %v), want (%v, 1)", s.avg[1], s.seen[1], v(0.5))
	}
	// A later half credit: mean over total weight 1.5.
	if err := s.Observe(Obs{Idx: []int{0}, Loss: []float32{3}, Weight: []float32{0.5}}); err != nil {
		t.Fatal(err)
	}
	want0 = (1*want0 + 0.5*v(3)) / 1.5
	if math.Abs(s.avg[0]-want0) > 1e-7 || s.seen[0] != 1.5 {
		t.Fatalf("sample 0 after half credit: (avg, seen) = (%v, %v), want (%v, 1.5)", s.avg[0], s.seen[0], want0)
	}
}

func TestActiveBiasLatestValue(t *testing.T) {
	c := testConfig("p-sgd", 4, 1)
	c.LatestValue = true
	s := mustNew(t, c).(*activeBias)
	for _, l := range []float32{0.1, 3, 0.7} {
		if err := s.Observe(Obs{Idx: []int{2}, Loss: []float32{l}}); err != nil {
			t.Fatal(err)
		}
	}
	if want := -math.Expm1(-0.7); math.Abs(s.avg[2]-want) > 1e-7 || s.seen[2] != 3 {
		t.Fatalf("LatestValue (avg, seen) = (%v, %v), want (latest %v, 3)", s.avg[2], s.seen[2], want)
	}
}
