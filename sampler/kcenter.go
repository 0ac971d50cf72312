package sampler

import (
	"cmp"
	"runtime"
	"slices"
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
// O(N·k·dim) algorithm with the same distance function (dist2Bound); exact prunings
// make it much faster on real features:
//
//   - Points are grouped by nearest center j. A point x of cluster j can only move to
//     a new center c if d(c,cⱼ) < 2·d(x) (triangle inequality). Members are kept
//     sorted by decreasing d(x), so the scan of a cluster stops at the first member
//     with 2·d(x) <= d(c,cⱼ); a cluster with radius rⱼ <= R/2 (R = d(c), the current
//     largest radius, <= d(c,cⱼ)) is skipped without computing d(c,cⱼ).
//   - Squared distances are accumulated in blocks of 8 dimensions and abandoned once
//     they reach the point's current distance (partial sums never decrease). The
//     first 16 coordinates of every member are stored contiguously in its cluster
//     (one cache line), so most candidates are rejected without touching their full
//     feature row. On PCA-rotated features (see coreset) those coordinates carry most
//     of the distance.
//
// The bounds carry a 0.1% margin so float32 rounding cannot prune a point the plain
// algorithm would move. Clusters are processed by up to GOMAXPROCS goroutines; the
// result does not depend on the number of goroutines or their scheduling, because
// each point's update is independent and ties are broken by index.
func kCenterGreedy(feat []float32, dim, k, first int) []int {
	return kCenterGreedyWorkers(feat, dim, k, first, runtime.GOMAXPROCS(0))
}

const (
	inf32      = float32(3.4e38)
	pruneSlack = 1.001 // safety factor on squared-distance bounds, see kCenterGreedy
	parallelAt = 256   // clusters below which one goroutine does the update
	chunk      = 64    // clusters per work item
	headDim    = 16    // leading dimensions stored in the clusters (two dist2Bound blocks, one cache line)
)

// kCenterGreedyWorkers is kCenterGreedy with an explicit goroutine count (>= 1).
func kCenterGreedyWorkers(feat []float32, dim, k, first, workers int) []int {
	n := len(feat) / dim
	k = min(k, n)
	centers := make([]int, 0, k)
	if k == 0 {
		return centers
	}
	g := &kcenter{feat: feat, dim: dim, head: min(headDim, dim), isCenter: make([]bool, n),
		workers: max(workers, 1)}
	// The first center owns every point.
	all := make([]member, n)
	cf := g.row(first)
	for i := range all {
		all[i] = member{x: int32(i), d2: dist2Bound(g.row(i), cf, inf32)}
	}
	all[first].d2 = 0
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

// member is a point and its squared distance to its cluster's center.
type member struct {
	x  int32
	d2 float32
}

// cluster holds its members sorted by decreasing d2 (ties: increasing index), so
// the first member is the farthest, with their leading coordinates alongside.
type cluster struct {
	idx  []int32
	d2   []float32
	head []float32 // head coordinates of member p at [p*h, (p+1)*h)
}

type kcenter struct {
	feat     []float32
	dim      int
	head     int // coordinates per member in cluster.head
	isCenter []bool
	workers  int

	ctrRows []float32 // feature rows of the centers, contiguous
	rad2    []float32 // squared radius of each cluster
	far     []int32   // farthest member of each cluster
	cl      []cluster // members, the center included (last, at distance 0)
}

func (g *kcenter) row(i int) []float32 { return g.feat[i*g.dim : (i+1)*g.dim] }

// addCluster appends the cluster of center c with the given members (any order).
func (g *kcenter) addCluster(c int, ms []member) {
	slices.SortFunc(ms, func(a, b member) int {
		if a.d2 != b.d2 {
			return cmp.Compare(b.d2, a.d2)
		}
		return cmp.Compare(a.x, b.x)
	})
	m := cluster{idx: make([]int32, len(ms)), d2: make([]float32, len(ms)), head: make([]float32, 0, len(ms)*g.head)}
	for p, mb := range ms {
		m.idx[p], m.d2[p] = mb.x, mb.d2
		m.head = append(m.head, g.row(int(mb.x))[:g.head]...)
	}
	g.ctrRows = append(g.ctrRows, g.row(c)...)
	g.cl = append(g.cl, m)
	g.rad2 = append(g.rad2, m.d2[0])
	g.far = append(g.far, m.idx[0])
}

// farthest returns the cluster with the largest radius (lowest farthest index on ties).
func (g *kcenter) farthest() int {
	best := 0
	for j := 1; j < len(g.rad2); j++ {
		if r, b := g.rad2[j], g.rad2[best]; r > b || (r == b && g.far[j] < g.far[best]) {
			best = j
		}
	}
	return best
}

// add makes point c (at squared distance r2 from its center) a new center and moves
// every point that is now closer to it into the new cluster.
func (g *kcenter) add(c int, r2 float32) {
	m := len(g.cl) // clusters 0..m-1 exist
	moved := []member{{x: int32(c)}}
	if m < parallelAt || g.workers == 1 {
		moved = g.update(0, m, c, r2, moved)
		g.addCluster(c, moved)
		return
	}
	var next atomic.Int64
	out := make([][]member, g.workers)
	var wg sync.WaitGroup
	for w := range g.workers {
		wg.Go(func() {
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= m {
					break
				}
				out[w] = g.update(lo, min(lo+chunk, m), c, r2, out[w])
			}
		})
	}
	wg.Wait()
	for _, o := range out {
		moved = append(moved, o...)
	}
	g.addCluster(c, moved)
}

// update moves the points of clusters [lo, hi) that are closer to the new center c
// into moved (returned), and removes c from its old cluster. Only those clusters are
// written, so disjoint ranges can run concurrently.
func (g *kcenter) update(lo, hi, c int, r2 float32, moved []member) []member {
	h, dim := g.head, g.dim
	cf := g.row(c)
	c32 := int32(c)
	for j := lo; j < hi; j++ {
		bound := 4 * g.rad2[j] * pruneSlack
		if bound <= r2 { // rⱼ <= R/2 <= d(c,cⱼ)/2
			continue
		}
		// d(c,cⱼ)², or a partial sum >= bound, which is all the tests below need.
		dc := dist2Bound(g.ctrRows[j*dim:(j+1)*dim], cf, bound)
		if dc >= bound {
			continue
		}
		m := &g.cl[j]
		w, p := 0, 0
		for ; p < len(m.idx); p++ {
			x, dx := m.idx[p], m.d2[p]
			if dc >= 4*dx*pruneSlack {
				break // members are sorted: no later one can move either
			}
			move := x == c32
			if !move {
				// First block from the cluster, the rest from the feature row.
				var d float32
				if h == headDim {
					d = head16(m.head[p*h:(p+1)*h:(p+1)*h], cf, dx)
				} else {
					d = dist2Bound(m.head[p*h:(p+1)*h], cf[:h], dx)
				}
				if d < dx && h < dim {
					d = dist2Continue(g.row(int(x))[h:], cf[h:], d, dx)
				}
				if d < dx {
					move = true
					moved = append(moved, member{x: x, d2: d})
				}
			}
			if move {
				continue
			}
			if w != p {
				m.idx[w], m.d2[w] = x, dx
				copy(m.head[w*h:(w+1)*h], m.head[p*h:(p+1)*h])
			}
			w++
		}
		if w == p {
			continue // nobody left
		}
		// Close the gap left by the moved members; order is preserved, so the
		// cluster stays sorted and its first member is its farthest.
		n := copy(m.idx[w:], m.idx[p:])
		copy(m.d2[w:], m.d2[p:])
		copy(m.head[w*h:], m.head[p*h:])
		m.idx, m.d2, m.head = m.idx[:w+n], m.d2[:w+n], m.head[:(w+n)*h]
		if cap(m.idx) > 4*len(m.idx)+64 { // release memory of clusters that shrank a lot
			m.idx = slices.Clone(m.idx)
			m.d2 = slices.Clone(m.d2)
			m.head = slices.Clone(m.head)
		}
		g.rad2[j], g.far[j] = m.d2[0], m.idx[0] // the center itself is always left
	}
	return moved
}

// dist2Bound returns the squared Euclidean distance between a and b, or some partial
// sum >= bound as soon as one is reached (so "result < bound" is exact).
func dist2Bound(a, b []float32, bound float32) float32 {
	return dist2Continue(a, b, 0, bound)
}

// dist2Continue adds the squared differences of a and b to the partial sum s, in
// blocks of 8 then one by one, returning early once the sum reaches bound.
// Continuing a sum split at a multiple of 8 gives the same bits as one call.
func dist2Continue(a, b []float32, s, bound float32) float32 {
	b = b[:len(a)]
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

// head16 is dist2Continue over exactly 16 coordinates (two blocks), unrolled: the
// hottest loop of kCenterGreedy. It returns the same bits as dist2Bound(a, b[:16], bound).
func head16(a, b []float32, bound float32) float32 {
	a, b = a[:16:16], b[:16:16]
	d0, d1, d2, d3 := a[0]-b[0], a[1]-b[1], a[2]-b[2], a[3]-b[3]
	s0 := d0*d0 + d1*d1 + d2*d2 + d3*d3
	d0, d1, d2, d3 = a[4]-b[4], a[5]-b[5], a[6]-b[6], a[7]-b[7]
	s1 := d0*d0 + d1*d1 + d2*d2 + d3*d3
	s := float32(0) + (s0 + s1)
	if s >= bound {
		return s
	}
	d0, d1, d2, d3 = a[8]-b[8], a[9]-b[9], a[10]-b[10], a[11]-b[11]
	s0 = d0*d0 + d1*d1 + d2*d2 + d3*d3
	d0, d1, d2, d3 = a[12]-b[12], a[13]-b[13], a[14]-b[14], a[15]-b[15]
	s1 = d0*d0 + d1*d1 + d2*d2 + d3*d3
	return s + (s0 + s1)
}
