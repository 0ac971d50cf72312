package sampler

import (
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"testing"
)

// benchSampler builds method for n samples at b = 0.3 and observes a loss (and grad
// norm) for every sample, as after one epoch of training.
func benchSampler(b *testing.B, method string, n int) (Sampler, int) {
	b.Helper()
	c := DefaultConfig()
	c.Method, c.Seed, c.N, c.Budget, c.BatchSize, c.Epochs = method, 1, n, 0.3, 128, 200
	s, err := New(c)
	if err != nil {
		b.Fatal(err)
	}
	if fu, ok := s.(FeatureUser); ok {
		if err := fu.SetFeatures(gaussianFeatures(1, n, 64, 10), 64); err != nil {
			b.Fatal(err)
		}
	}
	mustObserve(b, s, randomLosses(1, n))
	return s, c.EpochSize()
}

// benchmarkEpoch times one Epoch selection. Fixed subsets are chosen before the timer.
func benchmarkEpoch(b *testing.B, method string, n int) {
	if method == "fixed-coreset" && n > 100000 {
		b.Skip("k-center greedy with k = 0.3·N is O(N·k) in the worst case; see BenchmarkCoreset")
	}
	s, k := benchSampler(b, method, n)
	s.Epoch(0, k)
	b.ReportAllocs()
	for e := 1; b.Loop(); e++ {
		s.Epoch(e, k)
	}
}

func BenchmarkEpoch(b *testing.B) {
	for _, m := range Methods() {
		b.Run(m, func(b *testing.B) {
			b.Run("N=50000", func(b *testing.B) { benchmarkEpoch(b, m, 50000) })
			b.Run("N=1281167", func(b *testing.B) { benchmarkEpoch(b, m, 1281167) })
		})
	}
}

// BenchmarkObserve times the per-step bookkeeping for one batch of 128.
func BenchmarkObserve(b *testing.B) {
	for _, m := range Methods() {
		b.Run(m, func(b *testing.B) {
			const n = 50000
			s, _ := benchSampler(b, m, n)
			r := rand.New(rand.NewPCG(2, 2))
			o := Obs{Idx: make([]int, 128), Loss: randomLosses(3, 128), GradNorm: randomLosses(4, 128)}
			b.ReportAllocs()
			for b.Loop() {
				for k := range o.Idx {
					o.Idx[k] = r.IntN(n)
				}
				if err := s.Observe(o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSelect times Selective Backprop's decision for one forwarded batch of 128.
func BenchmarkSelect(b *testing.B) {
	s, _ := benchSampler(b, "selective-backprop", 50000)
	sel := s.(Selector)
	sel.Select(randomLosses(5, 50000)) // priming
	l := randomLosses(6, 128)
	b.ReportAllocs()
	for b.Loop() {
		sel.Select(l)
	}
}

// benchmarkCoreset times one fixed-coreset choice (PCA rotation + k-center greedy).
func benchmarkCoreset(b *testing.B, feat []float32, dim, k int) {
	for b.Loop() {
		coreset(feat, dim, k, 0)
	}
}

// BenchmarkCoreset uses clustered synthetic features and, when the Debian package
// dataset-fashion-mnist is installed, Fashion-MNIST pixels randomly projected to 64
// dimensions (a harder, higher intrinsic-dimension case).
func BenchmarkCoreset(b *testing.B) {
	b.Run("clustered/N=60000/k=18000/dim=64", func(b *testing.B) {
		benchmarkCoreset(b, gaussianFeatures(1, 60000, 64, 10), 64, 18000)
	})
	b.Run("fashion-mnist-proj/N=60000/k=18000/dim=64", func(b *testing.B) {
		benchmarkCoreset(b, fashionMNISTProjection(b, 64), 64, 18000)
	})
}

// fashionMNISTProjection reads the Fashion-MNIST training images and projects the
// 784 pixels (scaled to [0,1]) onto dim fixed Gaussian directions.
func fashionMNISTProjection(b testing.TB, dim int) []float32 {
	const path = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
	fh, err := os.Open(path)
	if err != nil {
		b.Skip(err)
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil || len(raw) < 16 {
		b.Fatal(fmt.Errorf("read %s: %v", path, err))
	}
	px := raw[16:]
	n := len(px) / 784
	r := rand.New(rand.NewPCG(3, 3))
	proj := make([]float32, 784*dim)
	for i := range proj {
		proj[i] = float32(r.NormFloat64() / 8)
	}
	f := make([]float32, n*dim)
	for i := range n {
		row := f[i*dim : (i+1)*dim]
		for p := range 784 {
			if v := float32(px[i*784+p]) / 255; v != 0 {
				for d, w := range proj[p*dim : (p+1)*dim] {
					row[d] += v * w
				}
			}
		}
	}
	return f
}
