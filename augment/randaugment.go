package augment

import (
	"fmt"
	"math/rand/v2"
)

// raOp is one row of the RandAugment table (spec §3.4): an op, its value
// range and whether its value gets a random sign.
type raOp struct {
	name     string
	min, max float64
	signed   bool
	// apply runs the op with value v (already signed); rng is only used by
	// ops with a random position (CutoutAbs).
	apply func(img *Image, v float64, rng *rand.Rand, s *scratch)
}

// randAugmentOps is the table of the RandAugment implementation used by the
// paper (ildoonet/pytorch-randaugment augment_list, spec §3.4), in its order.
var randAugmentOps = []raOp{
	{"AutoContrast", 0, 1, false, func(img *Image, _ float64, _ *rand.Rand, _ *scratch) { AutoContrast(img) }},
	{"Equalize", 0, 1, false, func(img *Image, _ float64, _ *rand.Rand, _ *scratch) { Equalize(img) }},
	{"Invert", 0, 1, false, func(img *Image, _ float64, _ *rand.Rand, _ *scratch) { Invert(img) }},
	{"Rotate", 0, 30, true, func(img *Image, v float64, _ *rand.Rand, s *scratch) { rotate(img, v, s) }},
	{"Posterize", 0, 4, false, func(img *Image, v float64, _ *rand.Rand, _ *scratch) { posterizeLevel(img, v) }},
	{"Solarize", 0, 256, false, func(img *Image, v float64, _ *rand.Rand, _ *scratch) { Solarize(img, v) }},
	{"SolarizeAdd", 0, 110, false, func(img *Image, v float64, _ *rand.Rand, _ *scratch) { SolarizeAdd(img, v, 128) }},
	{"Color", 0.1, 1.9, false, func(img *Image, v float64, _ *rand.Rand, _ *scratch) { Color(img, v) }},
	{"Contrast", 0.1, 1.9, false, func(img *Image, v float64, _ *rand.Rand, _ *scratch) { Contrast(img, v) }},
	{"Brightness", 0.1, 1.9, false, func(img *Image, v float64, _ *rand.Rand, _ *scratch) { Brightness(img, v) }},
	{"Sharpness", 0.1, 1.9, false, func(img *Image, v float64, _ *rand.Rand, s *scratch) { sharpness(img, v, s) }},
	{"ShearX", 0, 0.3, true, func(img *Image, v float64, _ *rand.Rand, s *scratch) {
		affine(img, [6]float64{1, v, 0, 0, 1, 0}, s)
	}},
	{"ShearY", 0, 0.3, true, func(img *Image, v float64, _ *rand.Rand, s *scratch) {
		affine(img, [6]float64{1, 0, 0, v, 1, 0}, s)
	}},
	{"CutoutAbs", 0, 40, false, func(img *Image, v float64, rng *rand.Rand, _ *scratch) {
		cx, cy := npUniformQuirk(rng, img.W), npUniformQuirk(rng, img.H)
		CutoutAbs(img, v, cx, cy)
	}},
	{"TranslateXabs", 0, 100, true, func(img *Image, v float64, _ *rand.Rand, s *scratch) {
		affine(img, [6]float64{1, 0, v, 0, 1, 0}, s)
	}},
	{"TranslateYabs", 0, 100, true, func(img *Image, v float64, _ *rand.Rand, s *scratch) {
		affine(img, [6]float64{1, 0, 0, 0, 1, v}, s)
	}},
}

// opByName indexes randAugmentOps by name.
var opByName = func() map[string]*raOp {
	m := make(map[string]*raOp, len(randAugmentOps))
	for i := range randAugmentOps {
		m[randAugmentOps[i].name] = &randAugmentOps[i]
	}
	return m
}()

// RandAugmentOpNames returns the names of the 16 RandAugment ops in table
// order.
func RandAugmentOpNames() []string {
	names := make([]string, len(randAugmentOps))
	for i, op := range randAugmentOps {
		names[i] = op.name
	}
	return names
}

// levelToArg maps magnitude m on the 30-level scale to the op's value,
// v = (m/30)*(max-min) + min (spec §3.4), in the same float64 operation
// order as the reference so that the values match bit for bit.
func levelToArg(op *raOp, m int) float64 {
	return float64((float64(m)/30)*(op.max-op.min)) + op.min
}

// posterizeLevel is ildoonet's Posterize: bits = max(1, int(v)).
func posterizeLevel(img *Image, v float64) { Posterize(img, max(1, int(v))) }

// npUniformQuirk reproduces np.random.uniform(n), which is uniform(low=n,
// high=1.0): a value in (1, n] for n >= 1 (spec §3.4 CutoutAbs quirk).
func npUniformQuirk(rng *rand.Rand, n int) float64 {
	w := float64(n)
	return w + (1-w)*rng.Float64()
}

// RandAugment is the paper's RandAugment (Cubuk et al. 2020, as implemented
// by ildoonet/pytorch-randaugment; spec §3.4): N ops drawn uniformly with
// replacement from the 16-op table, each applied with probability 1 at
// magnitude M of 30; signed ops flip their sign with probability 0.5.
// Policy token: rand-n{N}-m{M}. A RandAugment holds scratch buffers and is not
// safe for concurrent use.
type RandAugment struct {
	N, M int
	ops  []raOp
	s    scratch
}

// NewRandAugment returns RandAugment with n ops at magnitude m (0..30).
func NewRandAugment(n, m int) (*RandAugment, error) {
	if n < 1 {
		return nil, fmt.Errorf("randaugment: n must be >= 1, got %d", n)
	}
	if m < 0 || m > 30 {
		return nil, fmt.Errorf("randaugment: m must be in [0, 30], got %d", m)
	}
	return &RandAugment{N: n, M: m, ops: randAugmentOps}, nil
}

// Apply implements Transform.
func (r *RandAugment) Apply(img *Image, rng *rand.Rand) {
	for range r.N {
		op := &r.ops[rng.IntN(len(r.ops))]
		v := levelToArg(op, r.M)
		// ildoonet: if random.random() > 0.5: v = -v
		if op.signed && rng.Float64() > 0.5 {
			v = -v
		}
		op.apply(img, v, rng, &r.s)
	}
}

func (r *RandAugment) String() string {
	return fmt.Sprintf("rand-n%d-m%d(%d ops, ildoonet ranges)", r.N, r.M, len(r.ops))
}
