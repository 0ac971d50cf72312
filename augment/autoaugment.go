package augment

import (
	"fmt"
	"math/rand/v2"
)

// autoAugmentOps is AutoAugment's search space (Cubuk et al. 2019,
// "AutoAugment: Learning Augmentation Strategies from Data", CVPR, Table 6)
// with 10 magnitude bins (0..9) mapped as torchvision's AutoAugment does:
// shear 0.3, translate 150/331 of the image side, rotate 30°, enhancement
// factors 1±0.9, posterize 8..4 bits, solarize threshold 256..0.
//
// Deviation: the paper lists the enhancement range as [0.1, 1.9] without a
// sign; like torchvision, magnitude m gives 1±0.9*m/9 with a random sign.
var autoAugmentOps = map[string]levelOp{
	"ShearX": {"ShearX", true, linear(0.3), doShearX},
	"ShearY": {"ShearY", true, linear(0.3), doShearY},
	"TranslateX": {"TranslateX", true, func(m, top int, img *Image) float64 {
		return 150.0 / 331.0 * float64(img.W) * float64(m) / float64(top)
	}, doTranslateX},
	"TranslateY": {"TranslateY", true, func(m, top int, img *Image) float64 {
		return 150.0 / 331.0 * float64(img.H) * float64(m) / float64(top)
	}, doTranslateY},
	"Rotate":       {"Rotate", true, linear(30), doRotate},
	"Brightness":   {"Brightness", true, linear(0.9), doBrightness},
	"Color":        {"Color", true, linear(0.9), doColor},
	"Contrast":     {"Contrast", true, linear(0.9), doContrast},
	"Sharpness":    {"Sharpness", true, linear(0.9), doSharpness},
	"Posterize":    {"Posterize", false, posterizeBits(4), doPosterize},
	"Solarize":     {"Solarize", false, solarizeThreshold, doSolarize},
	"AutoContrast": {"AutoContrast", false, noValue, doAutoContrast},
	"Equalize":     {"Equalize", false, noValue, doEqualize},
	"Invert":       {"Invert", false, noValue, doInvert},
}

// aaStep is one op of a sub-policy: apply op with probability p at
// magnitude m (0..9).
type aaStep struct {
	op string
	p  float64
	m  int
}

// autoAugmentCIFAR10 is the CIFAR-10 policy of Cubuk et al. 2019 (appendix,
// Table 7): 25 sub-policies of two steps each.
var autoAugmentCIFAR10 = [25][2]aaStep{
	{{"Invert", 0.1, 7}, {"Contrast", 0.2, 6}},
	{{"Rotate", 0.7, 2}, {"TranslateX", 0.3, 9}},
	{{"Sharpness", 0.8, 1}, {"Sharpness", 0.9, 3}},
	{{"ShearY", 0.5, 8}, {"TranslateY", 0.7, 9}},
	{{"AutoContrast", 0.5, 8}, {"Equalize", 0.9, 2}},
	{{"ShearY", 0.2, 7}, {"Posterize", 0.3, 7}},
	{{"Color", 0.4, 3}, {"Brightness", 0.6, 7}},
	{{"Sharpness", 0.3, 9}, {"Brightness", 0.7, 9}},
	{{"Equalize", 0.6, 5}, {"Equalize", 0.5, 1}},
	{{"Contrast", 0.6, 7}, {"Sharpness", 0.6, 5}},
	{{"Color", 0.7, 7}, {"TranslateX", 0.5, 8}},
	{{"Equalize", 0.3, 7}, {"AutoContrast", 0.4, 8}},
	{{"TranslateY", 0.4, 3}, {"Sharpness", 0.2, 6}},
	{{"Brightness", 0.9, 6}, {"Color", 0.2, 8}},
	{{"Solarize", 0.5, 2}, {"Invert", 0.0, 3}},
	{{"Equalize", 0.2, 0}, {"AutoContrast", 0.6, 0}},
	{{"Equalize", 0.2, 8}, {"Equalize", 0.6, 4}},
	{{"Color", 0.9, 9}, {"Equalize", 0.6, 6}},
	{{"AutoContrast", 0.8, 4}, {"Solarize", 0.2, 8}},
	{{"Brightness", 0.1, 3}, {"Color", 0.7, 0}},
	{{"Solarize", 0.4, 5}, {"AutoContrast", 0.9, 3}},
	{{"TranslateY", 0.9, 9}, {"TranslateY", 0.7, 9}},
	{{"AutoContrast", 0.9, 2}, {"Solarize", 0.8, 3}},
	{{"Equalize", 0.8, 8}, {"Invert", 0.1, 3}},
	{{"TranslateY", 0.7, 9}, {"AutoContrast", 0.9, 1}},
}

// aaBins is the number of AutoAugment magnitude bins (0..9).
const aaBins = 10

// AutoAugment applies one sub-policy of the AutoAugment CIFAR-10 policy,
// drawn uniformly; each of its two ops runs with its own probability.
// Not part of the paper. Policy token: autoaug-cifar10.
type AutoAugment struct {
	policy [25][2]aaStep
	ops    [25][2]*levelOp
	s      scratch
}

// NewAutoAugmentCIFAR10 returns the CIFAR-10 AutoAugment policy.
func NewAutoAugmentCIFAR10() *AutoAugment {
	a := &AutoAugment{policy: autoAugmentCIFAR10}
	for i, sub := range a.policy {
		for j, st := range sub {
			op, ok := autoAugmentOps[st.op]
			if !ok {
				panic("augment: autoaugment table names unknown op " + st.op)
			}
			a.ops[i][j] = &op
		}
	}
	return a
}

// Apply implements Transform.
func (a *AutoAugment) Apply(img *Image, rng *rand.Rand) {
	img.check()
	i := rng.IntN(len(a.policy))
	for j, st := range a.policy[i] {
		if rng.Float64() >= st.p {
			continue
		}
		op := a.ops[i][j]
		v := op.value(st.m, aaBins-1, img)
		if op.signed && rng.IntN(2) == 1 {
			v = -v
		}
		op.apply(img, v, &a.s)
	}
}

func (a *AutoAugment) String() string {
	return fmt.Sprintf("autoaug-cifar10(%d sub-policies, %d bins)", len(a.policy), aaBins)
}
