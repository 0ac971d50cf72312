package sampler

import (
	"compress/gzip"
	"io"
	"math/rand/v2"
	"os"
	"testing"
)

func fmnistFeatures(t testing.TB, dim int) []float32 {
	fh, err := os.Open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
	if err != nil {
		t.Skip(err)
	}
	defer fh.Close()
	zr, _ := gzip.NewReader(fh)
	b, _ := io.ReadAll(zr)
	px := b[16:]
	n := len(px) / 784
	r := rand.New(rand.NewPCG(3, 3))
	proj := make([]float32, 784*dim)
	for i := range proj {
		proj[i] = float32(r.NormFloat64() / 8)
	}
	f := make([]float32, n*dim)
	for i := 0; i < n; i++ {
		for p := 0; p < 784; p++ {
			v := float32(px[i*784+p]) / 255
			if v == 0 {
				continue
			}
			for d := 0; d < dim; d++ {
				f[i*dim+d] += v * proj[p*dim+d]
			}
		}
	}
	return f
}
