package sampler

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// kCenterGreedy returns k indices chosen by the greedy k-center (farthest-first)
// algorithm of Sener & Savarese (ICLR 2018, "Active Learning for Convolutional Neural
// Networks: A Core-Set Approach", Alg. 1, after Gonzalez 1985): start from `first`,
// then repeatedly add the point whose Euclidean distance to its nearest chosen center
// is largest (ties: lowest index). The result is in selection order.
//
// feat holds N rows of dim float32 values. The answer equals that of the plain
// O(N·k·dim) algorithm; two exact prunings make it much faster on real features:
//
//   - Points are grouped by nearest center j, with cluster radius rⱼ. A point x of
//     cluster j can only move to a new center c if d(c,cⱼ) < 2·d(x) (triangle
//     inequality), so a cluster with d(c,cⱼ) >= 2·rⱼ is skipped, and one with
//     rⱼ <= R/2 (R = d(c), the current largest radius, <= d(c,cⱼ)) is skipped without
//     computing d(c,cⱼ).
//   - Squared distances are accumulated in blocks of 8 dimensions and abandoned
//     once they reach the point's current distance (partial sums never decrease).
//
// The bounds carry a 0.1% margin so float32 rounding cannot prune a point the plain
// algorithm would move. Clusters are processed by up to GOMAXPROCS goroutines; the
// result does not depend on the number of goroutines or their scheduling, because
// each point's update is independent and ties are broken by index.
func kCenterGreedy(feat []float32, dim, k, first int) []int {
	return kCenterGreedyWorkers(feat, dim, k, first, runtime.GOMAXPROCS(0))
}

// kCenterGreedyWorkers is kCenterGreedy with an explicit goroutine count (>= 1).
func kCenterGreedyWorkers(feat []float32, dim, k, first, workers int) []int {
	n := len(feat) / dim
	if k > n {
		k = n
	}
	g := &kcenter{feat: feat, dim: dim, d2: make([]float32, n), isCenter: make([]bool, n),
		workers: max(workers, 1)}
	centers := make([]int, 0, k)
	if k == 0 {
		return centers
	}
	// The first center owns every point.
	all := make([]int32, n)
	cf := g.row(first)
	for i := range all {
		all[i] = int32(i)
		g.d2[i] = dist2Bound(g.row(i), cf, inf32)
	}
	g.d2[first] = 0
	g.addCluster(first, all)
	centers = append(centers, first)
	g.isCenter[first] = true

	for len(centers) < k {
		best := g.farthest()
		r2 := g.rad2[best]
		if r2 == 0 {
			// Every remaining point coincides with a center: no greedy choice is left,
			// so complete with the lowest-index non-centers.
			for i := 0; len(centers) < k; i++ {
				if !g.isCenter[i] {
					centers = append(centers, i)
					g.isCenter[i] = true
				}
			}
			break
		}
		c := int(g.far[best])
		centers = append(centers, c)
		g.isCenter[c] = true
		g.add(c, r2)
	}
	return centers
}

const (
	inf32      = float32(3.4e38)
	pruneSlack = 1.001 // safety factor on squared-distance bounds, see kCenterGreedy
	parallelAt = 256   // clusters below which one goroutine does the update
	chunk      = 64    // clusters per work item
)

type kcenter struct {
	feat     []float32
	dim      int
	d2       []float32 // squared distance to the nearest center
	isCenter []bool
	workers  int

	ctr     []int32   // center point of each cluster
	members [][]int32 // points whose nearest center is ctr[j] (ctr[j] included)
	rad2    []float32 // max d2 over members
	far     []int32   // member attaining rad2 (lowest index on ties)
}

func (g *kcenter) row(i int) []float32 { return g.feat[i*g.dim : (i+1)*g.dim] }

// addCluster appends a cluster and computes its radius.
func (g *kcenter) addCluster(c int, members []int32) {
	g.ctr = append(g.ctr, int32(c))
	g.members = append(g.members, members)
	g.rad2 = append(g.rad2, 0)
	g.far = append(g.far, int32(c))
	g.refresh(len(g.ctr) - 1)
}

// refresh recomputes cluster j's radius and farthest member.
func (g *kcenter) refresh(j int) {
	r, f := float32(0), g.ctr[j]
	for _, x := range g.members[j] {
		if d := g.d2[x]; d > r || (d == r && x < f) {
			r, f = d, x
		}
	}
	g.rad2[j], g.far[j] = r, f
}

// better orders clusters by radius, then by lowest farthest index.
func (g *kcenter) better(a, b int) bool {
	if g.rad2[a] != g.rad2[b] {
		return g.rad2[a] > g.rad2[b]
	}
	return g.far[a] < g.far[b]
}

func (g *kcenter) farthest() int {
	best := 0
	for j := 1; j < len(g.ctr); j++ {
		if g.better(j, best) {
			best = j
		}
	}
	return best
}

// add makes point c (at squared distance r2 from its center) a new center and moves
// every point that is now closer to it.
func (g *kcenter) add(c int, r2 float32) {
	m := len(g.ctr) // clusters 0..m-1 exist
	if m < parallelAt || g.workers == 1 {
		moved := g.update(0, m, c, r2, nil)
		g.d2[c] = 0
		g.addCluster(c, moved)
		return
	}
	var next atomic.Int64
	out := make([][]int32, g.workers)
	var wg sync.WaitGroup
	for w := range g.workers {
		wg.Go(func() {
			var moved []int32
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= m {
					break
				}
				moved = g.update(lo, min(lo+chunk, m), c, r2, moved)
			}
			out[w] = moved
		})
	}
	wg.Wait()
	var moved []int32
	for _, o := range out {
		moved = append(moved, o...)
	}
	g.d2[c] = 0
	g.addCluster(c, moved)
}

// update moves points of clusters [lo, hi) that are closer to the new center c,
// appending them to moved. Only those clusters and their points are written, so
// disjoint ranges can run concurrently.
func (g *kcenter) update(lo, hi, c int, r2 float32, moved []int32) []int32 {
	cf := g.row(c)
	for j := lo; j < hi; j++ {
		rj := g.rad2[j]
		if 4*rj*pruneSlack <= r2 { // rⱼ <= R/2 <= d(c,cⱼ)/2
			continue
		}
		// d(c,cⱼ)², or a partial sum >= the bound, which is all the test needs.
		dc := dist2Bound(g.row(int(g.ctr[j])), cf, 4*rj*pruneSlack)
		if dc >= 4*rj*pruneSlack {
			continue
		}
		kept := g.members[j][:0]
		farMoved := false
		for _, x := range g.members[j] {
			if int(x) == c { // c leaves cluster j; add gives it its own
				farMoved = farMoved || x == g.far[j]
				continue
			}
			if dx := g.d2[x]; dc < 4*dx*pruneSlack {
				if d := dist2Bound(g.row(int(x)), cf, dx); d < dx {
					g.d2[x] = d
					moved = append(moved, x)
					farMoved = farMoved || x == g.far[j]
					continue
				}
			}
			kept = append(kept, x)
		}
		g.members[j] = kept
		if farMoved {
			g.refresh(j)
		}
	}
	return moved
}

// dist2Bound returns the squared Euclidean distance between a and b, or some partial
// sum >= bound as soon as one is reached (so "result < bound" is exact).
func dist2Bound(a, b []float32, bound float32) float32 {
	b = b[:len(a)]
	var s float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x, y := a[i:i+8:i+8], b[i:i+8:i+8]
		d0, d1, d2, d3 := x[0]-y[0], x[1]-y[1], x[2]-y[2], x[3]-y[3]
		s0 := d0*d0 + d1*d1 + d2*d2 + d3*d3
		d0, d1, d2, d3 = x[4]-y[4], x[5]-y[5], x[6]-y[6], x[7]-y[7]
		s1 := d0*d0 + d1*d1 + d2*d2 + d3*d3
		s += s0 + s1
		if s >= bound {
			return s
		}
	}
	for ; i < len(a); i++ {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}
