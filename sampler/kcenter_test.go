package sampler

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveKCenter is the textbook O(N·k·dim) farthest-first traversal, the reference
// for the pruned implementation (same distance function, ties to the lowest index).
func naiveKCenter(feat []float32, dim, k, first int) []int {
	n := len(feat) / dim
	d := make([]float32, n)
	chosen := make([]bool, n)
	row := func(i int) []float32 { return feat[i*dim : (i+1)*dim] }
	out := []int{first}
	chosen[first] = true
	for i := range d {
		d[i] = dist2Bound(row(i), row(first), inf32)
	}
	for len(out) < k {
		best := -1
		for i := range d {
			if !chosen[i] && (best < 0 || d[i] > d[best]) {
				best = i
			}
		}
		out = append(out, best)
		chosen[best] = true
		for i := range d {
			if dd := dist2Bound(row(i), row(best), inf32); dd < d[i] {
				d[i] = dd
			}
		}
	}
	return out
}

// gaussianFeatures returns n points in dim dimensions; with clusters > 0 they are
// drawn around that many centers in a low-dimensional subspace (like real features),
// otherwise i.i.d. N(0,1) (the worst case for pruning).
func gaussianFeatures(seed uint64, n, dim, clusters int) []float32 {
	r := rand.New(rand.NewPCG(seed, 2))
	f := make([]float32, n*dim)
	if clusters == 0 {
		for i := range f {
			f[i] = float32(r.NormFloat64())
		}
		return f
	}
	const latent = 6
	basis := make([]float64, latent*dim)
	for i := range basis {
		basis[i] = r.NormFloat64()
	}
	centers := make([]float64, clusters*latent)
	for i := range centers {
		centers[i] = 4 * r.NormFloat64()
	}
	for i := 0; i < n; i++ {
		c := r.IntN(clusters)
		for l := 0; l < latent; l++ {
			z := centers[c*latent+l] + r.NormFloat64()
			for j := 0; j < dim; j++ {
				f[i*dim+j] += float32(z * basis[l*dim+j])
			}
		}
		for j := 0; j < dim; j++ {
			f[i*dim+j] += float32(0.05 * r.NormFloat64())
		}
	}
	return f
}

func TestKCenterMatchesNaive(t *testing.T) {
	tests := []struct {
		name             string
		n, dim, k, blobs int
		duplicate        bool
	}{
		{"iid/dim=64", 1500, 64, 300, 0, false},
		{"iid/dim=3", 2000, 3, 700, 0, false},
		{"clustered/dim=20", 3000, 20, 900, 10, false},
		{"clustered/dim=64", 3000, 64, 1000, 10, false},
		{"duplicates/k>distinct", 400, 5, 390, 0, true},
		{"k=n", 300, 7, 300, 0, false},
		{"k=1", 300, 7, 1, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := gaussianFeatures(uint64(tc.n), tc.n, tc.dim, tc.blobs)
			if tc.duplicate { // only 100 distinct points, each 4 times
				for i := 100; i < tc.n; i++ {
					copy(f[i*tc.dim:(i+1)*tc.dim], f[(i%100)*tc.dim:])
				}
			}
			want := naiveKCenter(f, tc.dim, tc.k, 17)
			if tc.duplicate {
				// Past the 100 distinct points all remaining distances are 0: the naive
				// loop then picks the lowest-index non-center, as the pruned one does.
				want = want[:100]
			}
			for _, workers := range []int{1, 3} {
				got := kCenterGreedyWorkers(f, tc.dim, tc.k, 17, workers)
				if len(got) != tc.k {
					t.Fatalf("workers=%d: got %d centers, want %d", workers, len(got), tc.k)
				}
				if !slices.Equal(got[:len(want)], want) {
					t.Fatalf("workers=%d: selection differs from the naive algorithm", workers)
				}
				seen := map[int]bool{}
				for _, c := range got {
					if seen[c] || c < 0 || c >= tc.n {
						t.Fatalf("workers=%d: center %d repeated or out of range", workers, c)
					}
					seen[c] = true
				}
			}
		})
	}
}
