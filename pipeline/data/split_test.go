package data

import (
	"math"
	"slices"
	"testing"
)

// labelsCycle returns n labels 0, 1, …, k-1, 0, 1, ….
func labelsCycle(n, k int) []int {
	l := make([]int, n)
	for i := range l {
		l[i] = i % k
	}
	return l
}

// ids returns the image identities (first byte) of an indexed dataset.
func ids(d *Dataset) []int {
	out := make([]int, d.N)
	for i := range out {
		out[i] = int(d.Image(i)[0])
	}
	return out
}

func TestSplitBalancedIsBalancedPartition(t *testing.T) {
	d := indexed(labelsCycle(200, 4), 4)
	train, val := SplitBalanced(d, 7, 42)
	if c := val.ClassCounts(); !slices.Equal(c, []int{7, 7, 7, 7}) {
		t.Errorf("val class counts %v, want 7 per class", c)
	}
	if c := train.ClassCounts(); !slices.Equal(c, []int{43, 43, 43, 43}) {
		t.Errorf("train class counts %v, want 43 per class", c)
	}
	all := append(ids(train), ids(val)...)
	slices.Sort(all)
	for i, v := range all {
		if v != i {
			t.Fatalf("train ∪ val is not a partition of the 200 images: element %d is %d", i, v)
		}
	}
	if !slices.IsSorted(ids(train)) || !slices.IsSorted(ids(val)) {
		t.Error("splits do not keep the source order")
	}
	for i, id := range ids(val) {
		if val.Labels[i] != d.Labels[id] {
			t.Fatalf("val image %d has label %d, source %d", id, val.Labels[i], d.Labels[id])
		}
	}
}

func TestSplitBalancedSameSeedSameSplit(t *testing.T) {
	d := indexed(labelsCycle(100, 5), 5)
	_, a := SplitBalanced(d, 3, 1)
	_, b := SplitBalanced(d, 3, 1)
	_, c := SplitBalanced(d, 3, 2)
	if !slices.Equal(ids(a), ids(b)) {
		t.Error("same seed gave different splits")
	}
	if slices.Equal(ids(a), ids(c)) {
		t.Error("seeds 1 and 2 gave the same split")
	}
}

func TestSplitBalancedSmallClassGoesToVal(t *testing.T) {
	d := indexed([]int{0, 0, 0, 0, 1}, 2)
	train, val := SplitBalanced(d, 2, 0)
	if c := val.ClassCounts(); !slices.Equal(c, []int{2, 1}) {
		t.Errorf("val counts %v, want [2 1]", c)
	}
	if train.N != 2 {
		t.Errorf("train has %d images, want 2", train.N)
	}
}

// TestSplitBalancedUniformSelection checks with fixed seeds that each image
// of a class is held out with probability perClass/classSize.
func TestSplitBalancedUniformSelection(t *testing.T) {
	const n, k, per, runs = 40, 2, 5, 4000
	d := indexed(labelsCycle(n, k), k)
	hits := make([]int, n)
	for seed := range uint64(runs) {
		_, val := SplitBalanced(d, per, seed)
		for _, id := range ids(val) {
			hits[id]++
		}
	}
	p := float64(per) / float64(n/k)
	sd := math.Sqrt(runs * p * (1 - p))
	chi2 := 0.0
	for id, h := range hits {
		if dev := math.Abs(float64(h) - runs*p); dev > 5*sd {
			t.Errorf("image %d held out %d times, want %.0f ± %.0f", id, h, runs*p, 5*sd)
		}
		chi2 += (float64(h) - runs*p) * (float64(h) - runs*p) / (sd * sd)
	}
	// Each term has mean 1, so the sum is about χ²(40) (slightly less
	// spread, as the counts of a class sum to a constant); the 99.9%
	// quantile of χ²(40) is 73.4.
	if chi2 > 73.4 {
		t.Errorf("χ² = %.1f over %d images, want < 73.4", chi2, n)
	}
}

func TestSplitBalancedPanicsOnNegativeCount(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("perClass -1 did not panic")
		}
	}()
	SplitBalanced(indexed([]int{0}, 1), -1, 0)
}
