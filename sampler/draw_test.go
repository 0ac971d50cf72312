package sampler

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSelectSmallestPartitions(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	tests := []struct {
		name string
		n, k int
		key  func(i int) float64
	}{
		{"continuous", 1000, 300, func(int) float64 { return r.Float64() }},
		{"few distinct values", 1000, 500, func(int) float64 { return float64(r.IntN(3)) }},
		{"many +Inf", 2000, 100, func(i int) float64 {
			if i%10 != 0 {
				return math.Inf(1)
			}
			return r.Float64()
		}},
		{"sorted", 500, 250, func(i int) float64 { return float64(i) }},
		{"reversed", 500, 1, func(i int) float64 { return float64(-i) }},
		{"tiny", 5, 2, func(int) float64 { return r.Float64() }},
		{"k=n-1", 100, 99, func(int) float64 { return r.Float64() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := make([]keyed, tc.n)
			for i := range a {
				a[i] = keyed{tc.key(i), int32(i)}
			}
			orig := slices.Clone(a)
			selectSmallest(a, tc.k)
			lo := math.Inf(-1)
			for _, x := range a[:tc.k] {
				lo = max(lo, x.key)
			}
			for _, x := range a[tc.k:] {
				if x.key < lo {
					t.Fatalf("key %g after position k is below %g in the first k", x.key, lo)
				}
			}
			cmp := func(x, y keyed) int { return int(x.idx - y.idx) }
			slices.SortFunc(a, cmp)
			slices.SortFunc(orig, cmp)
			if !slices.Equal(a, orig) {
				t.Fatal("selectSmallest is not a permutation of its input")
			}
		})
	}
}

// TestDrawFirstItemMatchesProbabilities: with n = 1 the draw is one categorical
// draw from p (exact multinomial χ²).
func TestDrawFirstItemMatchesProbabilities(t *testing.T) {
	p := []float64{0.05, 0.1, 0.2, 0.3, 0.15, 0.1, 0.07, 0.03}
	const draws = 40000
	r := rand.New(rand.NewPCG(2, 2))
	obs := make([]float64, len(p))
	var keys []keyed
	for range draws {
		var out []int
		out, keys = drawWithoutReplacement(r, p, 1, keys)
		obs[out[0]]++
	}
	exp := make([]float64, len(p))
	for i, pi := range p {
		exp[i] = pi * draws
	}
	if x := chi2(t, obs, exp); x > chi2Critical(len(p)-1) {
		t.Fatalf("χ² = %.1f > %.1f (df %d)", x, chi2Critical(len(p)-1), len(p)-1)
	}
}

// TestDrawPairsMatchSuccessiveSampling: for N = 4, n = 2 each unordered pair {i, j}
// has probability pᵢpⱼ/(1−pᵢ) + pⱼpᵢ/(1−pⱼ) under NumPy's successive sampling; the
// 6 pairs are one multinomial, tested with χ². A zero-probability item is never drawn.
func TestDrawPairsMatchSuccessiveSampling(t *testing.T) {
	p := []float64{0.5, 0.3, 0.15, 0.05, 0}
	const draws = 40000
	r := rand.New(rand.NewPCG(3, 3))
	type pair struct{ i, j int }
	var pairs []pair
	var exp []float64
	for i := 0; i < 4; i++ {
		for j := i + 1; j < 4; j++ {
			pairs = append(pairs, pair{i, j})
			exp = append(exp, draws*(p[i]*p[j]/(1-p[i])+p[j]*p[i]/(1-p[j])))
		}
	}
	obs := make([]float64, len(pairs))
	var keys []keyed
	for range draws {
		var out []int
		out, keys = drawWithoutReplacement(r, p, 2, keys)
		a, b := min(out[0], out[1]), max(out[0], out[1])
		if a == b || b == 4 {
			t.Fatalf("draw %v repeats an index or draws the zero-probability item", out)
		}
		obs[slices.Index(pairs, pair{a, b})]++
	}
	if x := chi2(t, obs, exp); x > chi2Critical(len(exp)-1) {
		t.Fatalf("χ² = %.1f > %.1f (df %d); obs %v exp %v", x, chi2Critical(len(exp)-1), len(exp)-1, obs, exp)
	}
}

func TestDrawWithoutReplacementDistinctInRange(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, n := range []int{0, 1, 500, 999, 1000} {
		p := make([]float64, 1000)
		for i := range p {
			p[i] = r.Float64()
		}
		out, _ := drawWithoutReplacement(r, p, n, nil)
		if len(out) != n {
			t.Fatalf("n=%d: got %d indices", n, len(out))
		}
		seen := make([]bool, len(p))
		for _, i := range out {
			if i < 0 || i >= len(p) || seen[i] {
				t.Fatalf("n=%d: index %d out of range or repeated", n, i)
			}
			seen[i] = true
		}
	}
}

func TestAliasTableMatchesWeights(t *testing.T) {
	tests := []struct {
		name string
		w    []float64
	}{
		{"skewed", []float64{10, 1, 1, 0.5, 3, 0, 7, 2}},
		{"uniform", []float64{1, 1, 1, 1, 1}},
		{"one heavy", []float64{1000, 1, 1, 1}},
		{"single", []float64{4}},
	}
	for k, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, uint64(k)))
			tab := newAliasTable(tc.w)
			const draws = 50000
			obs := make([]float64, len(tc.w))
			for range draws {
				obs[tab.draw(r)]++
			}
			var sum float64
			for _, x := range tc.w {
				sum += x
			}
			exp := make([]float64, len(tc.w))
			for i, x := range tc.w {
				exp[i] = draws * x / sum
			}
			if len(tc.w) == 1 {
				if obs[0] != draws {
					t.Fatalf("single category drawn %g times of %d", obs[0], draws)
				}
				return
			}
			if x := chi2(t, obs, exp); x > chi2Critical(len(tc.w)-1) {
				t.Fatalf("χ² = %.1f > %.1f", x, chi2Critical(len(tc.w)-1))
			}
		})
	}
}
