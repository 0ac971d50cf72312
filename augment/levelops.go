package augment

import "math"

// levelOp is an op of TrivialAugment and AutoAugment: a magnitude bin m in
// 0..top maps to a value, which signed ops negate with probability 1/2.
type levelOp struct {
	name   string
	signed bool
	value  func(m, top int, img *Image) float64
	apply  func(img *Image, v float64, s *scratch)
}

// linear returns the value max*m/top, the torchvision linspace(0, max, bins).
func linear(maxV float64) func(m, top int, _ *Image) float64 {
	return func(m, top int, _ *Image) float64 { return maxV * float64(m) / float64(top) }
}

// Op bodies shared by the level tables.
var (
	doIdentity     = func(*Image, float64, *scratch) {}
	doShearX       = func(img *Image, v float64, s *scratch) { affine(img, [6]float64{1, v, 0, 0, 1, 0}, s) }
	doShearY       = func(img *Image, v float64, s *scratch) { affine(img, [6]float64{1, 0, 0, v, 1, 0}, s) }
	doTranslateX   = func(img *Image, v float64, s *scratch) { affine(img, [6]float64{1, 0, v, 0, 1, 0}, s) }
	doTranslateY   = func(img *Image, v float64, s *scratch) { affine(img, [6]float64{1, 0, 0, 0, 1, v}, s) }
	doRotate       = func(img *Image, v float64, s *scratch) { rotate(img, v, s) }
	doBrightness   = func(img *Image, v float64, _ *scratch) { Brightness(img, 1+v) }
	doColor        = func(img *Image, v float64, _ *scratch) { Color(img, 1+v) }
	doContrast     = func(img *Image, v float64, _ *scratch) { Contrast(img, 1+v) }
	doSharpness    = func(img *Image, v float64, s *scratch) { sharpness(img, 1+v, s) }
	doPosterize    = func(img *Image, v float64, _ *scratch) { Posterize(img, int(v)) }
	doSolarize     = func(img *Image, v float64, _ *scratch) { Solarize(img, v) }
	doAutoContrast = func(img *Image, _ float64, _ *scratch) { AutoContrast(img) }
	doEqualize     = func(img *Image, _ float64, _ *scratch) { Equalize(img) }
	doInvert       = func(img *Image, _ float64, _ *scratch) { Invert(img) }
	noValue        = func(int, int, *Image) float64 { return 0 }
)

// posterizeBits returns 8 - round(m*drop/top) bits: from 8 at m = 0 down to
// 8-drop at m = top (torchvision's posterize bins).
func posterizeBits(drop float64) func(m, top int, _ *Image) float64 {
	return func(m, top int, _ *Image) float64 {
		return 8 - math.RoundToEven(float64(m)*drop/float64(top))
	}
}

// solarizeThreshold returns 256*(1 - m/top): 256 (identity) at m = 0 down
// to 0 (invert all) at m = top (torchvision linspace(256, 0, bins)).
func solarizeThreshold(m, top int, _ *Image) float64 {
	return 256 * (1 - float64(m)/float64(top))
}
