package sampler

import (
	"math"
	"math/rand/v2"
)

// keyed pairs a random sort key with a dataset index (16 bytes, so the partial
// selection below moves one cache-friendly array).
type keyed struct {
	key float64
	idx int32
}

// drawWithoutReplacement returns n distinct indices drawn by successive
// (Plackett–Luce) sampling with probabilities proportional to p, in random order.
//
// It uses the Efraimidis–Spirakis exponential-key form: with Eᵢ ~ Exp(1), the n
// smallest keys Eᵢ/pᵢ are distributed exactly as n successive draws, each from p
// renormalised over the items not yet drawn (Efraimidis & Spirakis 2006, "Weighted
// random sampling with a reservoir"; equivalently Gumbel top-k). That is what NumPy's
// choice(N, n, p=p, replace=False) does (paper §2.4). Entries with pᵢ = 0 get key +Inf
// and are drawn only if fewer than n entries are positive; callers avoid that case by
// the paper's fallback. The n smallest keys are found with a partial selection in
// O(N) expected time, not a full sort, and then shuffled, as the paper's
// SubsetRandomSampler does.
//
// scratch is reused if large enough and returned for the next call.
func drawWithoutReplacement(r *rand.Rand, p []float64, n int, scratch []keyed) ([]int, []keyed) {
	if cap(scratch) < len(p) {
		scratch = make([]keyed, len(p))
	}
	keys := scratch[:len(p)]
	for i, pi := range p {
		k := math.Inf(1)
		if pi > 0 {
			k = r.ExpFloat64() / pi
		}
		keys[i] = keyed{k, int32(i)}
	}
	selectSmallest(keys, n)
	out := make([]int, n)
	for i := range out {
		out[i] = int(keys[i].idx)
	}
	r.Shuffle(n, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, scratch
}

// selectSmallest reorders a so that a[:n] holds n elements with the smallest keys
// (in no particular order): Hoare's FIND with a median-of-three pivot, O(len(a))
// expected. Equal keys (for example many +Inf) stop both scans, which keeps the
// partitions balanced.
func selectSmallest(a []keyed, n int) {
	if n <= 0 || n >= len(a) {
		return
	}
	k := n - 1 // a[k] must end up as the n-th smallest, with smaller ones before it
	lo, hi := 0, len(a)-1
	for hi-lo > 16 {
		mid := lo + (hi-lo)/2
		if a[mid].key < a[lo].key {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi].key < a[lo].key {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi].key < a[mid].key {
			a[hi], a[mid] = a[mid], a[hi]
		}
		pivot := a[mid].key
		i, j := lo, hi
		for i <= j {
			for a[i].key < pivot {
				i++
			}
			for a[j].key > pivot {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		// a[lo..j] <= pivot, a[j+1..i-1] == pivot, a[i..hi] >= pivot.
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
	// Insertion sort finishes the small remaining range.
	for i := lo + 1; i <= hi; i++ {
		for j := i; j > lo && a[j].key < a[j-1].key; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// aliasTable samples index i with probability wᵢ/Σw in O(1) per draw after O(N)
// set-up (Walker 1977, "An efficient method for generating discrete random variables
// with general distributions"; Vose 1991's stable construction).
type aliasTable struct {
	prob  []float64 // probability of keeping column i
	alias []int32   // the other index in column i
}

// newAliasTable builds the table for non-negative weights w with a positive sum.
func newAliasTable(w []float64) *aliasTable {
	n := len(w)
	t := &aliasTable{prob: make([]float64, n), alias: make([]int32, n)}
	var sum float64
	for _, x := range w {
		sum += x
	}
	scaled := t.prob // reuse: prob[i] holds the scaled weight until column i is final
	small := make([]int32, 0, n)
	large := make([]int32, 0, n)
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s := small[len(small)-1]
		small = small[:len(small)-1]
		l := large[len(large)-1]
		t.alias[s] = l // prob[s] = scaled[s] already
		scaled[l] = (scaled[l] + scaled[s]) - 1
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	// Whatever is left has scaled weight 1 up to rounding.
	for _, i := range large {
		t.prob[i], t.alias[i] = 1, i
	}
	for _, i := range small {
		t.prob[i], t.alias[i] = 1, i
	}
	return t
}

// draw returns one index.
func (t *aliasTable) draw(r *rand.Rand) int {
	i := r.IntN(len(t.prob))
	if r.Float64() < t.prob[i] {
		return i
	}
	return int(t.alias[i])
}

// permutation returns a uniformly random permutation of [0, n).
func permutation(r *rand.Rand, n int) []int {
	return r.Perm(n)
}

// shuffled returns a shuffled copy of idx.
func shuffled(r *rand.Rand, idx []int) []int {
	out := append([]int(nil), idx...)
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
