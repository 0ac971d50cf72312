package pipeline

import (
	"math/rand/v2"
	"sync"
	"time"

	"budgetrain/augment"
	"budgetrain/pipeline/data"
)

// Random stream ids derived from the run seed (STYLE rule 12): one per consumer.
const (
	streamAugment = 1 + iota
	streamMix
)

// Batch is one training batch prepared by the loader.
type Batch struct {
	augment.Batch
	Index []int // dataset index of each image as loaded (before mixing)
	seq   int
}

// Loader prepares batches in worker goroutines ahead of the training step. Every image's
// randomness is derived from (seed, epoch, dataset index, occurrence) and every batch mixer's
// from (seed, epoch, batch number), so the batches are identical for any number of workers.
// The occurrence is how many times the index already appeared earlier in the epoch's list:
// samplers that draw with replacement (loss-is, upper-bound-is) repeat indices, and each
// repeat gets its own crop, flip and RandAugment draw instead of a copy of the first. A first
// occurrence is keyed as before occurrences existed, so its augmentation depends on
// (seed, epoch, index) alone, whatever the order or the sampler.
type Loader struct {
	ds       *data.Dataset
	mean     []float32
	std      []float32
	pipe     augment.Pipeline
	seed     uint64
	batch    int
	workers  int
	prefetch int

	pool sync.Pool
	wait time.Duration // time the consumer spent blocked on data
}

// NewLoader builds a loader over ds applying pipe.
func NewLoader(ds *data.Dataset, info data.Info, pipe augment.Pipeline, seed uint64, batch, workers, prefetch int) *Loader {
	if workers < 1 {
		workers = 1
	}
	if prefetch < 1 {
		prefetch = 1
	}
	return &Loader{ds: ds, mean: info.Mean, std: info.Std, pipe: pipe, seed: seed, batch: batch, workers: workers, prefetch: prefetch}
}

// Epoch streams the full batches of idx in order (a last partial batch is dropped, as the
// paper's DataLoader does with drop_last=True). Closing stop ends the stream early. Give each
// received batch back with Release once its data has been copied.
func (l *Loader) Epoch(epoch int, idx []int, stop <-chan struct{}) <-chan *Batch {
	nb := len(idx) / l.batch
	occ := occurrences(idx[:nb*l.batch], l.ds.N)
	slots := make(chan chan *Batch, l.prefetch)
	type job struct {
		seq  int
		slot chan *Batch
	}
	jobs := make(chan job, l.prefetch)
	out := make(chan *Batch)
	var wg sync.WaitGroup
	for w := 0; w < l.workers; w++ {
		wg.Add(1)
		pipe := l.pipe.Clone() // transforms hold scratch buffers: one pipeline per worker
		go func() {
			defer wg.Done()
			ds := l.ds
			img := augment.Image{H: ds.H, W: ds.W, C: ds.C, Pix: make([]uint8, ds.H*ds.W*ds.C)}
			pcg := rand.NewPCG(0, 0)
			rng := rand.New(pcg)
			for j := range jobs {
				lo, hi := j.seq*l.batch, (j.seq+1)*l.batch
				j.slot <- l.build(pipe, &img, pcg, rng, epoch, j.seq, idx[lo:hi], occ[lo:hi])
			}
		}()
	}
	go func() { // dispatcher: keeps batches in order through per-batch slots
		defer close(slots)
		defer close(jobs)
		for j := 0; j < nb; j++ {
			slot := make(chan *Batch, 1)
			select {
			case slots <- slot:
			case <-stop:
				return
			}
			jobs <- job{j, slot}
		}
	}()
	go func() { // collector
		defer close(out)
		for slot := range slots {
			b := <-slot
			select {
			case out <- b:
			case <-stop:
				l.Release(b)
				for s := range slots { // drain so workers can finish
					l.Release(<-s)
				}
				wg.Wait()
				return
			}
		}
		wg.Wait()
	}()
	return out
}

// Next receives the next batch from ch, accounting the time spent waiting. ok is false at the
// end of the epoch.
func (l *Loader) Next(ch <-chan *Batch) (b *Batch, ok bool) {
	t0 := time.Now()
	b, ok = <-ch
	l.wait += time.Since(t0)
	return b, ok
}

// Wait returns the total time the consumer has waited for data.
func (l *Loader) Wait() time.Duration { return l.wait }

// Release returns a batch's buffers for reuse.
func (l *Loader) Release(b *Batch) {
	if b != nil {
		l.pool.Put(b)
	}
}

func (l *Loader) get() *Batch {
	ds := l.ds
	if b, ok := l.pool.Get().(*Batch); ok {
		return b
	}
	n := l.batch
	return &Batch{
		Batch: augment.Batch{
			N: n, C: ds.C, H: ds.H, W: ds.W,
			X:     make([]float32, n*ds.C*ds.H*ds.W),
			Label: make([]int, n),
		},
		Index: make([]int, n),
	}
}

// occurrences returns, for every position of idx, how many times its index (in [0, n))
// appeared at earlier positions.
func occurrences(idx []int, n int) []uint32 {
	seen := make([]uint32, n)
	occ := make([]uint32, len(idx))
	for p, k := range idx {
		occ[p] = seen[k]
		seen[k]++
	}
	return occ
}

// augmentKey is the first PCG seed word of an image's augmentation: the run seed in the
// augment stream, and for a repeated index (occurrence o > 0) a SplitMix64 hash of o, so that
// repeats get unrelated streams while first occurrences keep the key they always had.
func (l *Loader) augmentKey(o uint32) uint64 {
	key := l.seed ^ streamAugment<<56
	if o > 0 {
		x := uint64(o) + 0x9e3779b97f4a7c15 // SplitMix64 (Steele et al. 2014)
		x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
		x = (x ^ x>>27) * 0x94d049bb133111eb
		key ^= x ^ x>>31
	}
	return key
}

// build prepares batch number seq of an epoch from the dataset indices idx, where occ[i] is
// the occurrence number of idx[i] in the epoch. img, pcg and rng are the calling worker's
// scratch image and random source.
func (l *Loader) build(pipe augment.Pipeline, img *augment.Image, pcg *rand.PCG, rng *rand.Rand, epoch, seq int, idx []int, occ []uint32) *Batch {
	ds := l.ds
	b := l.get()
	b.seq = seq
	b.N = len(idx)
	b.Parts = 1
	b.Src = resize(b.Src, b.N)
	b.Weight = resize(b.Weight, b.N)
	per := ds.C * ds.H * ds.W
	for i, k := range idx {
		copy(img.Pix, ds.Image(k))
		pcg.Seed(l.augmentKey(occ[i]), uint64(epoch)<<32|uint64(k))
		for _, t := range pipe.Transforms {
			t.Apply(img, rng)
		}
		augment.Normalize(img, l.mean, l.std, b.X[i*per:(i+1)*per])
		b.Label[i] = ds.Labels[k]
		b.Index[i] = k
		b.Src[i] = i
		b.Weight[i] = 1
	}
	if pipe.Mixer != nil {
		pcg.Seed(l.seed^streamMix<<56, uint64(epoch)<<32|uint64(seq))
		pipe.Mixer.Mix(&b.Batch, rng)
	}
	return b
}

// resize returns s with length n, reusing its storage when it is large enough.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
