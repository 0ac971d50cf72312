package augment

import (
	"testing"
)

// benchmarkPolicy measures a pipeline on size x size RGB images: the
// per-image transforms, Normalize into a batch of 128, and the mixer once
// per batch. It reports images per second on one goroutine (one core).
func benchmarkPolicy(b *testing.B, policy string, size int) {
	ds := datasetInfo(b, "cifar10")
	ds.H, ds.W = size, size
	p, err := Parse(policy, ds)
	if err != nil {
		b.Fatal(err)
	}
	const batch = 128
	rng := newRNG(40)
	src := make([]*Image, batch)
	for i := range src {
		src[i] = randomImage(rng, size, size, 3)
	}
	img := NewImage(size, size, 3)
	bt := NewBatch(batch, 3, size, size)
	// Warm-up: one batch sizes every scratch buffer (the mixer's copy of X).
	for j := range batch {
		copy(img.Pix, src[j].Pix)
		p.Apply(img, rng)
		p.norm.Apply(img, bt.Image(j))
	}
	if p.Mixer != nil {
		p.Mixer.Mix(bt, rng)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		j := i % batch
		copy(img.Pix, src[j].Pix)
		p.Apply(img, rng)
		p.norm.Apply(img, bt.Image(j))
		if j == batch-1 && p.Mixer != nil {
			bt.Unmix()
			p.Mixer.Mix(bt, rng)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "img/s")
}

func BenchmarkStandard32(b *testing.B)    { benchmarkPolicy(b, "standard", 32) }
func BenchmarkStandard84(b *testing.B)    { benchmarkPolicy(b, "standard", 84) }
func BenchmarkRandAugment32(b *testing.B) { benchmarkPolicy(b, "rand-n2-m4", 32) }
func BenchmarkRandAugment84(b *testing.B) { benchmarkPolicy(b, "rand-n2-m4", 84) }

// The full pipeline: the paper's RandAugment, standard crop/flip, and RICAP.
func BenchmarkFull32(b *testing.B) { benchmarkPolicy(b, "rand-n2-m4+standard+ricap-a0.3", 32) }
func BenchmarkFull84(b *testing.B) { benchmarkPolicy(b, "rand-n2-m4+standard+ricap-a0.3", 84) }
