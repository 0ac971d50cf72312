package pipeline

import (
	"slices"
	"testing"

	"budgetrain/augment"
	"budgetrain/pipeline/data"
)

// TestLoaderSameBatchesForAnyWorkerCount: every image's randomness comes from (seed, epoch,
// index, occurrence) and every mixer's from (seed, epoch, batch), so 1 and 3 workers give
// identical batches.
func TestLoaderSameBatchesForAnyWorkerCount(t *testing.T) {
	info, train, pipe := loaderFixture(t, "rand-n2-m4+standard+ricap-a0.3")
	idx := make([]int, train.N)
	for i := range idx {
		idx[i] = (i * 7) % train.N
	}
	one := loadEpochs(NewLoader(train, info, pipe, 9, 16, 1, 3), idx, 2)
	three := loadEpochs(NewLoader(train, info, pipe, 9, 16, 3, 3), idx, 2)
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

// TestLoaderRepeatsGetTheirOwnAugmentation: a sampler drawing with replacement lists an index
// several times in an epoch; every repeat gets a different augmentation (keyed by its
// occurrence), identically for 1 and 3 workers, and the first occurrence of an index is
// augmented as it is at any other position of a list.
func TestLoaderRepeatsGetTheirOwnAugmentation(t *testing.T) {
	info, train, pipe := loaderFixture(t, "rand-n2-m4+standard")
	idx := make([]int, 48) // indices 0..7, each six times, interleaved
	for p := range idx {
		idx[p] = (p*5 + p/8) % 8
	}
	images := func(bs []Batch) [][]float32 {
		var out [][]float32
		for _, b := range bs {
			per := len(b.X) / b.N
			for j := range b.N {
				out = append(out, b.X[j*per:(j+1)*per])
			}
		}
		return out
	}
	one := images(loadEpochs(NewLoader(train, info, pipe, 9, 16, 1, 3), idx, 1))
	three := images(loadEpochs(NewLoader(train, info, pipe, 9, 16, 3, 3), idx, 1))
	if len(one) != len(idx) || len(three) != len(idx) {
		t.Fatalf("%d and %d images, want %d", len(one), len(three), len(idx))
	}
	first := map[int]int{}
	for p, k := range idx {
		if !slices.Equal(one[p], three[p]) {
			t.Errorf("position %d (index %d) differs between 1 and 3 workers", p, k)
		}
		for q := 0; q < p; q++ {
			if idx[q] == k && slices.Equal(one[p], one[q]) {
				t.Errorf("index %d has the same augmentation at positions %d and %d", k, q, p)
			}
		}
		if _, ok := first[k]; !ok {
			first[k] = p
		}
	}
	// The same indices once each, in another order: first occurrences match.
	perm := []int{3, 6, 0, 5, 2, 7, 1, 4, 8, 9, 10, 11, 12, 13, 14, 15}
	alone := images(loadEpochs(NewLoader(train, info, pipe, 9, 16, 2, 3), perm, 1))
	for p, k := range perm[:8] {
		if !slices.Equal(alone[p], one[first[k]]) {
			t.Errorf("index %d: first occurrence at position %d is augmented differently from position %d of a list without repeats", k, first[k], p)
		}
	}
}

// loaderFixture returns the 64-image Fashion-MNIST fixture and the pipeline of policy.
func loaderFixture(t *testing.T, policy string) (data.Info, *data.Dataset, augment.Pipeline) {
	t.Helper()
	c := tinyConfig(t)
	info, train, _, err := LoadData(c.Dataset)
	if err != nil {
		t.Fatal(err)
	}
	ds := augment.DatasetInfo{H: train.H, W: train.W, C: train.C, FlipProb: 0.5, Pad: 4, Mean: info.Mean, Std: info.Std}
	pipe, err := augment.Parse(policy, ds)
	if err != nil {
		t.Fatal(err)
	}
	return info, train, pipe
}

// loadEpochs returns copies of every batch that l yields for idx in epochs 0..epochs-1.
func loadEpochs(l *Loader, idx []int, epochs int) []Batch {
	var out []Batch
	for e := 0; e < epochs; e++ {
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
