package data

import (
	"testing"

	"budgetrain/pipeline/data/internal/gen"
)

// benchmarkParseIDX parses n gzipped 28×28 images from memory.
func benchmarkParseIDX(b *testing.B, n int) {
	im := gen.Learnable(1, n, 28, 28, 1, 10)
	img := gen.Gzip(gen.IDXImages(n, 28, 28, im.Pix))
	lbl := gen.Gzip(gen.IDXLabels(im.Labels))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := parseIDX("images", img, "labels", lbl); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "img/s")
}

func BenchmarkParseIDX1k(b *testing.B)  { benchmarkParseIDX(b, 1_000) }
func BenchmarkParseIDX10k(b *testing.B) { benchmarkParseIDX(b, 10_000) }

// benchmarkParseCIFAR decodes n CIFAR-10 records from memory.
func benchmarkParseCIFAR(b *testing.B, n int) {
	im := gen.Learnable(1, n, 32, 32, 3, 10)
	labels := make([][]byte, n)
	for i, l := range im.Labels {
		labels[i] = []byte{byte(l)}
	}
	file := gen.CIFAR(labels, im.Pix)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := parseCIFAR(cifar10Format, "f.bin", file); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "img/s")
}

func BenchmarkParseCIFAR1k(b *testing.B)  { benchmarkParseCIFAR(b, 1_000) }
func BenchmarkParseCIFAR10k(b *testing.B) { benchmarkParseCIFAR(b, 10_000) }

// BenchmarkLoadFashionMNISTTrain reads the installed 60,000-image training
// set from disk (the brief's target: under 0.5 s).
func BenchmarkLoadFashionMNISTTrain(b *testing.B) {
	dir := realFashionMNIST(b)
	b.ReportAllocs()
	for b.Loop() {
		d, err := Load("fashion-mnist", dir, true)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(d.N), "img/op")
	}
}
