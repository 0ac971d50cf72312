package augment

import (
	"fmt"
	"math/rand/v2"
)

// trivialWideOps is TrivialAugment's "wide" augmentation space (Müller &
// Hutter 2021, "TrivialAugment: Tuning-free Yet State-of-the-Art Data
// Augmentation", ICCV, Table/Appendix "Wide"), with 31 magnitude bins as in
// torchvision's TrivialAugmentWide: shear 0.99, translate 32 px, rotate
// 135°, enhancement factors 1±0.99, posterize 8..2 bits, solarize
// threshold 256..0. The ops are this package's PIL-semantics ops.
var trivialWideOps = []levelOp{
	{"Identity", false, noValue, doIdentity},
	{"ShearX", true, linear(0.99), doShearX},
	{"ShearY", true, linear(0.99), doShearY},
	{"TranslateX", true, linear(32), doTranslateX},
	{"TranslateY", true, linear(32), doTranslateY},
	{"Rotate", true, linear(135), doRotate},
	{"Brightness", true, linear(0.99), doBrightness},
	{"Color", true, linear(0.99), doColor},
	{"Contrast", true, linear(0.99), doContrast},
	{"Sharpness", true, linear(0.99), doSharpness},
	{"Posterize", false, posterizeBits(6), doPosterize},
	{"Solarize", false, solarizeThreshold, doSolarize},
	{"AutoContrast", false, noValue, doAutoContrast},
	{"Equalize", false, noValue, doEqualize},
}

// trivialBins is the number of magnitude bins of TrivialAugment (0..30).
const trivialBins = 31

// TrivialAugment applies one op drawn uniformly from the wide space at a
// magnitude drawn uniformly from 0..30 (Müller & Hutter 2021). Not part of
// the paper. Policy token: trivial.
type TrivialAugment struct {
	ops []levelOp
	s   scratch
}

// NewTrivialAugment returns TrivialAugment over the wide space.
func NewTrivialAugment() *TrivialAugment { return &TrivialAugment{ops: trivialWideOps} }

// Apply implements Transform.
func (t *TrivialAugment) Apply(img *Image, rng *rand.Rand) {
	img.check()
	op := &t.ops[rng.IntN(len(t.ops))]
	m := rng.IntN(trivialBins)
	v := op.value(m, trivialBins-1, img)
	if op.signed && rng.IntN(2) == 1 {
		v = -v
	}
	op.apply(img, v, &t.s)
}

func (t *TrivialAugment) String() string {
	return fmt.Sprintf("trivial(wide, %d ops, %d bins)", len(t.ops), trivialBins)
}
