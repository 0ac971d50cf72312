package sampler

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
)

// base holds what every sampler shares: the config, the seeded RNG, input validation
// and the visit counts behind Stats.
type base struct {
	cfg    Config
	stream uint64 // per-method PCG stream id, see streamID
	pcg    *rand.PCG
	rng    *rand.Rand

	visits    []int32 // Obs entries per sample (weight ignored), see Stats
	observed  int64
	scheduled int64
}

func newBase(c Config) base {
	s := streamID(c.Method)
	pcg := rand.NewPCG(c.Seed, s)
	return base{cfg: c, stream: s, pcg: pcg, rng: rand.New(pcg), visits: make([]int32, c.N)}
}

// Config returns the config the sampler was built with (Configured).
func (b *base) Config() Config { return b.cfg }

// streamID is the per-method PCG stream: FNV-1a of the method name, so methods given
// the same seed draw from unrelated streams.
func streamID(method string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(method))
	return h.Sum64()
}

// splitmix64 is a bijective 64-bit mixer (Steele et al. 2014) used to derive seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Tags passed to reseed. Epoch e uses tag e+1; tagSubset is for the one-off subset
// of the fixed-* methods, independent of the epoch in which it is drawn.
const tagSubset = 0

// reseed resets the owned PCG to a state that depends only on (seed, method, tag) and
// returns the owned *rand.Rand. Reseeding at the start of every Epoch is what makes
// Epoch(e, n) a pure function of (seed, e, observations) rather than of how many
// times Epoch was called before.
func (b *base) reseed(tag uint64) *rand.Rand {
	b.pcg.Seed(b.cfg.Seed, splitmix64(b.stream^splitmix64(tag)))
	return b.rng
}

// epochRand reseeds for epoch e.
func (b *base) epochRand(e int) *rand.Rand { return b.reseed(uint64(e) + 1) }

// checkEpoch panics on arguments that only a programming error can produce.
func (b *base) checkEpoch(e, n int) {
	if e < 0 {
		panic(fmt.Sprintf("sampler: %s: epoch %d must be >= 0", b.cfg.Method, e))
	}
	if n < 0 || n > b.cfg.N {
		panic(fmt.Sprintf("sampler: %s: epoch size n (%d) must be in [0, N=%d]", b.cfg.Method, n, b.cfg.N))
	}
}

// validate checks a whole Obs before any state changes. needGrad requires GradNorm.
func (b *base) validate(o Obs, needGrad bool) error {
	n := len(o.Idx)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("sampler: %s: observe: %s: %w", b.cfg.Method, fmt.Sprintf(format, args...), ErrBadObs)
	}
	if len(o.Loss) != n {
		return bad("len(loss) (%d) must equal len(idx) (%d)", len(o.Loss), n)
	}
	if o.Weight != nil && len(o.Weight) != n {
		return bad("len(weight) (%d) must equal len(idx) (%d)", len(o.Weight), n)
	}
	if needGrad && o.GradNorm == nil {
		return bad("grad_norm is nil but this method needs it")
	}
	if o.GradNorm != nil && len(o.GradNorm) != n {
		return bad("len(grad_norm) (%d) must equal len(idx) (%d)", len(o.GradNorm), n)
	}
	for k, i := range o.Idx {
		if i < 0 || i >= b.cfg.N {
			return bad("idx[%d] (%d) must be in [0,%d)", k, i, b.cfg.N)
		}
		if l := float64(o.Loss[k]); !(l >= 0) || math.IsInf(l, 1) {
			return bad("loss[%d] (%g) for index %d must be finite and >= 0", k, l, i)
		}
		if o.Weight != nil {
			if w := o.Weight[k]; !(w > 0 && w <= 1) {
				return bad("weight[%d] (%g) for index %d must be in (0,1]", k, w, i)
			}
		}
		if o.GradNorm != nil {
			if g := float64(o.GradNorm[k]); !(g >= 0) || math.IsInf(g, 1) {
				return bad("grad_norm[%d] (%g) for index %d must be finite and >= 0", k, g, i)
			}
		}
	}
	return nil
}

// count records the visits of a validated Obs.
func (b *base) count(o Obs) {
	for _, i := range o.Idx {
		b.visits[i]++
	}
	b.observed += int64(len(o.Idx))
}

// weight returns entry k's credit share (1 when o.Weight is nil).
func weightAt(o Obs, k int) float64 {
	if o.Weight == nil {
		return 1
	}
	return float64(o.Weight[k])
}

// VisitCounts returns a copy of the per-sample visit counts.
func (b *base) VisitCounts() []int {
	out := make([]int, len(b.visits))
	for i, v := range b.visits {
		out[i] = int(v)
	}
	return out
}

// report fills the fields every method shares.
func (b *base) report() Stats {
	c := make([]float64, len(b.visits))
	never := 0
	for i, v := range b.visits {
		c[i] = float64(v)
		if v == 0 {
			never++
		}
	}
	return Stats{
		Method:     b.cfg.Method,
		Entropy:    Entropy(c),
		MaxEntropy: math.Log(float64(b.cfg.N)),
		NeverSeen:  float64(never) / float64(b.cfg.N),
		Observed:   b.observed,
		Scheduled:  b.scheduled,
	}
}

// Entropy returns H = −Σ qᵢ ln qᵢ with qᵢ = cᵢ/Σc, in nats, of non-negative counts
// (zero counts contribute 0). It is 0 when Σc = 0 and at most ln(len(counts)), reached
// when all counts are equal. The paper (§5.1, claim 4) uses it to measure how evenly a
// sampler spreads training over the data set. It panics on a negative, NaN or infinite
// count.
func Entropy(counts []float64) float64 {
	var sum float64
	for i, c := range counts {
		if !(c >= 0) || math.IsInf(c, 1) {
			panic(fmt.Sprintf("sampler: Entropy: counts[%d] (%g) must be finite and >= 0", i, c))
		}
		sum += c
	}
	if sum == 0 {
		return 0
	}
	var h float64
	for _, c := range counts {
		if c > 0 {
			q := c / sum
			h -= q * math.Log(q)
		}
	}
	return h
}
