package pipeline

import (
	"slices"
	"testing"

	"budgetrain/augment"
)

// TestLoaderSameBatchesForAnyWorkerCount: every image's randomness comes from (seed, epoch,
// index) and every mixer's from (seed, epoch, batch), so 1 and 3 workers give identical batches.
func TestLoaderSameBatchesForAnyWorkerCount(t *testing.T) {
	c := tinyConfig(t)
	info, train, _, err := LoadData(c.Dataset)
	if err != nil {
		t.Fatal(err)
	}
	ds := augment.DatasetInfo{H: train.H, W: train.W, C: train.C, FlipProb: 0.5, Pad: 4, Mean: info.Mean, Std: info.Std}
	pipe, err := augment.Parse("rand-n2-m4+standard+ricap-a0.3", ds)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, train.N)
	for i := range idx {
		idx[i] = (i * 7) % train.N
	}
	collect := func(workers int) []Batch {
		l := NewLoader(train, info, pipe, 9, 16, workers, 3)
		var out []Batch
		for e := 0; e < 2; e++ {
			stop := make(chan struct{})
			ch := l.Epoch(e, idx, stop)
			for {
				b, ok := l.Next(ch)
				if !ok {
					break
				}
				cp := *b
				cp.X, cp.Label, cp.Index = slices.Clone(b.X), slices.Clone(b.Label), slices.Clone(b.Index)
				cp.Src, cp.Weight = slices.Clone(b.Src), slices.Clone(b.Weight)
				out = append(out, cp)
				l.Release(b)
			}
			close(stop)
		}
		return out
	}
	one, three := collect(1), collect(3)
	if len(one) != 8 || len(three) != 8 {
		t.Fatalf("%d and %d batches, want 8 (64 images / 16, two epochs)", len(one), len(three))
	}
	for i := range one {
		a, b := one[i], three[i]
		if !slices.Equal(a.X, b.X) || !slices.Equal(a.Index, b.Index) || !slices.Equal(a.Src, b.Src) || !slices.Equal(a.Weight, b.Weight) {
			t.Errorf("batch %d differs between 1 and 3 workers", i)
		}
	}
	if slices.Equal(one[0].X, one[4].X) {
		t.Error("epochs 0 and 1 produced the same first batch: augmentation ignores the epoch")
	}
}

// BenchmarkLoaderBatch measures preparing one batch of 128 Fashion-MNIST-size images with the
// standard policy, and its allocations.
func BenchmarkLoaderBatch(b *testing.B) {
	c := tinyConfig(b)
	info, train, _, err := LoadData(c.Dataset)
	if err != nil {
		b.Fatal(err)
	}
	pipe, err := augment.Parse("standard", augment.DatasetInfo{H: train.H, W: train.W, C: train.C, Pad: 4, Mean: info.Mean, Std: info.Std})
	if err != nil {
		b.Fatal(err)
	}
	idx := make([]int, 128*4)
	for i := range idx {
		idx[i] = i % train.N
	}
	l := NewLoader(train, info, pipe, 1, 128, 1, 2)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; {
		stop := make(chan struct{})
		ch := l.Epoch(i, idx, stop)
		for bt, ok := l.Next(ch); ok && i < b.N; bt, ok = l.Next(ch) {
			l.Release(bt)
			i++
		}
		close(stop)
	}
	b.ReportMetric(float64(b.N*128)/b.Elapsed().Seconds(), "img/s")
}
