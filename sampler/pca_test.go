package sampler

import (
	"math"
	"testing"
)

func TestSymEigenDiagonalises(t *testing.T) {
	const n = 12
	f := gaussianFeatures(3, 200, n, 0)
	a := make([]float64, n*n)
	for i := range 200 {
		for p := range n {
			for q := range n {
				a[p*n+q] += float64(f[i*n+p]) * float64(f[i*n+q])
			}
		}
	}
	orig := append([]float64(nil), a...)
	vals, vecs := symEigen(a, n)
	for r := range n {
		if r > 0 && vals[r] > vals[r-1] {
			t.Fatalf("eigenvalues not decreasing: %v", vals)
		}
		// A·v = λ·v for the r-th eigenvector.
		for p := range n {
			var s float64
			for q := range n {
				s += orig[p*n+q] * vecs[r*n+q]
			}
			if math.Abs(s-vals[r]*vecs[r*n+p]) > 1e-9*math.Abs(vals[0]) {
				t.Fatalf("A·v ≠ λ·v for eigenpair %d", r)
			}
		}
		// Orthonormal.
		for r2 := range n {
			var d float64
			for q := range n {
				d += vecs[r*n+q] * vecs[r2*n+q]
			}
			want := 0.0
			if r == r2 {
				want = 1
			}
			if math.Abs(d-want) > 1e-9 {
				t.Fatalf("vectors %d·%d = %g, want %g", r, r2, d, want)
			}
		}
	}
}

func TestPCARotateKeepsDistancesAndOrdersVariance(t *testing.T) {
	const n, dim = 3000, 20
	f := gaussianFeatures(4, n, dim, 5)
	for _, workers := range []int{1, 3} {
		g := pcaRotate(f, dim, workers)
		for i := 0; i < n; i += 97 {
			j := (i*7 + 13) % n
			d0 := dist2Bound(f[i*dim:(i+1)*dim], f[j*dim:(j+1)*dim], inf32)
			d1 := dist2Bound(g[i*dim:(i+1)*dim], g[j*dim:(j+1)*dim], inf32)
			if math.Abs(float64(d1-d0)) > 1e-4*float64(d0)+1e-4 {
				t.Fatalf("workers=%d: distance² %d-%d changed from %g to %g", workers, i, j, d0, d1)
			}
		}
		prev := math.Inf(1)
		for a := range dim {
			var v float64
			for i := range n {
				v += float64(g[i*dim+a]) * float64(g[i*dim+a])
			}
			if v > prev*(1+1e-6) {
				t.Fatalf("workers=%d: coordinate %d has more variance than %d", workers, a, a-1)
			}
			prev = v
		}
	}
}
