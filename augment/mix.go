package augment

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Mixer mixes the images of a normalized batch and rewrites X, Parts, Src
// and Weight (see Batch). The batch must be unmixed (Parts = 1); a mixer
// that applies with a probability (CutMix with P < 1) may leave it so.
// Mixers keep scratch buffers and are not safe for concurrent use.
type Mixer interface {
	Mix(b *Batch, rng *rand.Rand)
}

var (
	_ Mixer = (*Mixup)(nil)
	_ Mixer = (*CutMix)(nil)
	_ Mixer = (*RICAP)(nil)
)

// mixScratch is the state shared by the mixers: a copy of X and
// permutations.
type mixScratch struct {
	x     []float32
	perms [4][]int
}

// snapshot copies b.X into the scratch and returns it.
func (s *mixScratch) snapshot(b *Batch) []float32 {
	s.x = resize(s.x, len(b.X))
	copy(s.x, b.X)
	return s.x
}

// perm returns permutation k of 0..n-1, drawn with Fisher–Yates.
func (s *mixScratch) perm(k, n int, rng *rand.Rand) []int {
	p := resize(s.perms[k], n)
	s.perms[k] = p
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := rng.IntN(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

func checkUnmixed(b *Batch) {
	b.check()
	if b.Parts != 1 {
		panic(fmt.Sprintf("augment: mixing a batch that already has %d parts", b.Parts))
	}
}

// Mixup is mixup (Zhang et al. 2018, "mixup: Beyond Empirical Risk
// Minimization", ICLR) as the paper's main path does it (spec §3.2):
// λ ~ Beta(α, α) once per batch (no max(λ, 1-λ)), a random permutation
// perm, x_j = λ x_j + (1-λ) x_perm[j]. Parts: (j, λ), (perm[j], 1-λ).
// Policy token: mixup-a{alpha} (paper α = 0.3).
type Mixup struct {
	Alpha float64
	s     mixScratch
}

// Mix implements Mixer.
func (m *Mixup) Mix(b *Batch, rng *rand.Rand) {
	checkUnmixed(b)
	lam := Beta(rng, m.Alpha, m.Alpha)
	perm := m.s.perm(0, b.N, rng)
	src := m.s.snapshot(b)
	l0 := float32(lam)
	l1 := 1 - l0
	n := b.C * b.H * b.W
	for j := range b.N {
		x, a, c := b.X[j*n:(j+1)*n], src[j*n:(j+1)*n], src[perm[j]*n:(perm[j]+1)*n]
		for i := range x {
			x[i] = float32(l0*a[i]) + float32(l1*c[i])
		}
	}
	b.setParts(2)
	for j := range b.N {
		b.Src[2*j], b.Weight[2*j] = j, l0
		b.Src[2*j+1], b.Weight[2*j+1] = perm[j], l1
	}
}

func (m *Mixup) String() string { return fmt.Sprintf("mixup(alpha=%g)", m.Alpha) }

// CutMix is CutMix (Yun et al. 2019, "CutMix: Regularization Strategy to
// Train Strong Classifiers with Localizable Features", ICCV), as their code
// does it: with probability P per batch (one U[0,1) draw, their
// cutmix_prob), λ ~ Beta(α, α), one box per batch with sides
// int(H*sqrt(1-λ)) and int(W*sqrt(1-λ)) around a uniform centre, clipped to
// the image; every image j gets the box from image perm[j]. The label
// weight is corrected to the actual clipped area (timm's correct_lam):
// parts (j, 1-area/HW) and (perm[j], area/HW). A batch that is not mixed is
// left as it is (Parts = 1). Not part of the paper. Policy token:
// cutmix-a{alpha}-p{p}, default α = 1 and p = 1 (every batch). The
// published CIFAR setting is α = 1 with p = 0.5 (cutmix-a1-p0.5); the
// default stays at 1 so that existing policy strings and recorded results
// keep their meaning. P = 1 draws nothing for the decision, so it consumes
// the random stream exactly as before P existed. Build one with NewCutMix,
// or set P explicitly: the zero value never mixes.
type CutMix struct {
	Alpha float64
	P     float64 // probability in [0, 1] that a batch is mixed
	s     mixScratch
}

// NewCutMix returns CutMix with Beta(alpha, alpha) and probability p. It
// returns an error unless alpha > 0 and 0 <= p <= 1.
func NewCutMix(alpha, p float64) (*CutMix, error) {
	if !(alpha > 0) || math.IsInf(alpha, 1) {
		return nil, fmt.Errorf("cutmix: alpha must be finite and > 0, got %g", alpha)
	}
	if !(p >= 0 && p <= 1) {
		return nil, fmt.Errorf("cutmix: p must be in [0, 1], got %g", p)
	}
	return &CutMix{Alpha: alpha, P: p}, nil
}

// Mix implements Mixer.
func (m *CutMix) Mix(b *Batch, rng *rand.Rand) {
	checkUnmixed(b)
	if m.P < 1 && !(rng.Float64() < m.P) {
		return
	}
	lam := Beta(rng, m.Alpha, m.Alpha)
	perm := m.s.perm(0, b.N, rng)
	H, W := b.H, b.W
	rat := math.Sqrt(1 - lam)
	ch, cw := int(float64(H)*rat), int(float64(W)*rat)
	cy, cx := rng.IntN(H), rng.IntN(W)
	y0, y1 := min(max(cy-ch/2, 0), H), min(max(cy+ch/2, 0), H)
	x0, x1 := min(max(cx-cw/2, 0), W), min(max(cx+cw/2, 0), W)
	src := m.s.snapshot(b)
	n := b.C * H * W
	for j := range b.N {
		for c := range b.C {
			for y := y0; y < y1; y++ {
				o := c*H*W + y*W
				copy(b.X[j*n+o+x0:j*n+o+x1], src[perm[j]*n+o+x0:perm[j]*n+o+x1])
			}
		}
	}
	area := float32(float64((y1-y0)*(x1-x0)) / float64(H*W))
	b.setParts(2)
	for j := range b.N {
		b.Src[2*j], b.Weight[2*j] = j, 1-area
		b.Src[2*j+1], b.Weight[2*j+1] = perm[j], area
	}
}

func (m *CutMix) String() string {
	return fmt.Sprintf("cutmix(alpha=%g, p=%g, weight=clipped area)", m.Alpha, m.P)
}
