package sampler

import (
	"math"
	"slices"
	"sync"
)

// pcaSample is the most rows used to estimate the covariance in pcaRotate.
const pcaSample = 20000

// pcaRotate returns the rows of feat (N×dim) centered and expressed in the principal
// axes of a deterministic subsample (every ⌈N/20000⌉-th row), axes in decreasing
// order of variance. An orthonormal change of basis keeps all Euclidean distances (up
// to float32 rounding), so k-center greedy picks the same points, but the leading
// coordinates now carry most of each distance and dist2Bound's early exit fires after
// the first block or two. It uses up to `workers` goroutines; the result does not
// depend on their number.
func pcaRotate(feat []float32, dim, workers int) []float32 {
	n := len(feat) / dim
	step := (n + pcaSample - 1) / pcaSample
	mu := make([]float64, dim)
	cov := make([]float64, dim*dim)
	m := 0
	for i := 0; i < n; i += step {
		for a, v := range feat[i*dim : (i+1)*dim] {
			mu[a] += float64(v)
		}
		m++
	}
	for a := range mu {
		mu[a] /= float64(m)
	}
	x := make([]float64, dim)
	for i := 0; i < n; i += step {
		for a, v := range feat[i*dim : (i+1)*dim] {
			x[a] = float64(v) - mu[a]
		}
		for a := 0; a < dim; a++ {
			row := cov[a*dim : (a+1)*dim]
			for b := a; b < dim; b++ {
				row[b] += x[a] * x[b]
			}
		}
	}
	for a := 0; a < dim; a++ {
		for b := 0; b < a; b++ {
			cov[a*dim+b] = cov[b*dim+a]
		}
	}
	_, vec := symEigen(cov, dim)

	// out[i] = Vᵀ(x_i − μ), rows split across goroutines.
	out := make([]float32, len(feat))
	workers = max(1, min(workers, n))
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Go(func() {
			x := make([]float64, dim)
			for i := lo; i < hi; i++ {
				for a, v := range feat[i*dim : (i+1)*dim] {
					x[a] = float64(v) - mu[a]
				}
				o := out[i*dim : (i+1)*dim]
				for c := 0; c < dim; c++ {
					var s float64
					col := vec[c*dim : (c+1)*dim] // eigenvector c, stored as a row
					for a, xa := range x {
						s += xa * col[a]
					}
					o[c] = float32(s)
				}
			}
		})
	}
	wg.Wait()
	return out
}

// symEigen diagonalises the symmetric dim×dim matrix a (row-major, overwritten) with
// the cyclic Jacobi method (Golub & Van Loan, "Matrix Computations", §8.5). It returns
// the eigenvalues in decreasing order and the matching unit eigenvectors as the rows
// of a dim×dim matrix.
func symEigen(a []float64, n int) ([]float64, []float64) {
	v := make([]float64, n*n) // columns are eigenvectors while iterating
	for i := 0; i < n; i++ {
		v[i*n+i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		var off, diag float64
		for p := 0; p < n; p++ {
			diag += a[p*n+p] * a[p*n+p]
			for q := p + 1; q < n; q++ {
				off += a[p*n+q] * a[p*n+q]
			}
		}
		if off <= 1e-30*diag || off == 0 {
			break
		}
		for p := 0; p < n; p++ {
			for q := p + 1; q < n; q++ {
				apq := a[p*n+q]
				if apq == 0 {
					continue
				}
				theta := (a[q*n+q] - a[p*n+p]) / (2 * apq)
				t := 1 / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				if theta < 0 {
					t = -t
				}
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := 0; k < n; k++ { // A ← A·J (columns p, q)
					akp, akq := a[k*n+p], a[k*n+q]
					a[k*n+p], a[k*n+q] = c*akp-s*akq, s*akp+c*akq
				}
				for k := 0; k < n; k++ { // A ← Jᵀ·A (rows p, q)
					apk, aqk := a[p*n+k], a[q*n+k]
					a[p*n+k], a[q*n+k] = c*apk-s*aqk, s*apk+c*aqk
				}
				for k := 0; k < n; k++ { // V ← V·J
					vkp, vkq := v[k*n+p], v[k*n+q]
					v[k*n+p], v[k*n+q] = c*vkp-s*vkq, s*vkp+c*vkq
				}
			}
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		switch di, dj := a[i*n+i], a[j*n+j]; {
		case di > dj:
			return -1
		case di < dj:
			return 1
		}
		return 0
	})
	vals := make([]float64, n)
	vecs := make([]float64, n*n)
	for r, i := range order {
		vals[r] = a[i*n+i]
		for k := 0; k < n; k++ {
			vecs[r*n+k] = v[k*n+i]
		}
	}
	return vals, vecs
}
