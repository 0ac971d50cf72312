package augment

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Cutout blanks one Size x Size square (DeVries & Taylor 2017, "Improved
// Regularization of Convolutional Neural Networks with Cutout"): the centre
// is uniform over the pixels, the square is clipped at the borders, so near
// an edge less than Size*Size is blanked. Policy token: cutout-{size}.
//
// Deviation: the reference code zeroes the normalized tensor; this runs on
// uint8 before normalization, so the square is filled with Fill, which
// Parse sets to the dataset mean (round(255*mean)), whose normalized value is
// about 0. With no mean it is black.
type Cutout struct {
	Size int
	Fill [3]uint8
}

// Apply implements Transform.
func (t *Cutout) Apply(img *Image, rng *rand.Rand) {
	img.check()
	cy, cx := rng.IntN(img.H), rng.IntN(img.W)
	h := t.Size / 2
	fillRect(img, max(cy-h, 0), min(cy+t.Size-h, img.H), max(cx-h, 0), min(cx+t.Size-h, img.W), t.Fill)
}

func (t *Cutout) String() string { return fmt.Sprintf("cutout(size=%d, fill=%v)", t.Size, t.Fill[:]) }

// fillRect fills rows [y0, y1) and columns [x0, x1) with fill.
func fillRect(img *Image, y0, y1, x0, x1 int, fill [3]uint8) {
	C := img.C
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			copyPixel(img.Pix[(y*img.W+x)*C:], fill[:], C)
		}
	}
}

// RandomErasing is random erasing (Zhong et al. 2020, "Random Erasing Data
// Augmentation", AAAI): with probability P, pick a rectangle of area
// U(0.02, 0.33) of the image and aspect ratio log-uniform in (0.3, 3.3),
// placed uniformly where it fits (up to 10 attempts, as torchvision's
// RandomErasing), and fill it with uniform random values. Policy token:
// erase-p{p}.
type RandomErasing struct {
	P                float64
	ScaleLo, ScaleHi float64
	RatioLo, RatioHi float64
}

// NewRandomErasing returns random erasing with probability p and the
// paper's default scale (0.02, 0.33) and ratio (0.3, 3.3).
func NewRandomErasing(p float64) (*RandomErasing, error) {
	if !(p >= 0 && p <= 1) {
		return nil, fmt.Errorf("erase: p must be in [0, 1], got %g", p)
	}
	return &RandomErasing{P: p, ScaleLo: 0.02, ScaleHi: 0.33, RatioLo: 0.3, RatioHi: 3.3}, nil
}

// Apply implements Transform.
func (t *RandomErasing) Apply(img *Image, rng *rand.Rand) {
	img.check()
	if rng.Float64() >= t.P {
		return
	}
	area := float64(img.H * img.W)
	logLo, logHi := math.Log(t.RatioLo), math.Log(t.RatioHi)
	for range 10 {
		target := area * (t.ScaleLo + (t.ScaleHi-t.ScaleLo)*rng.Float64())
		ratio := math.Exp(logLo + (logHi-logLo)*rng.Float64())
		h := int(math.RoundToEven(math.Sqrt(target * ratio)))
		w := int(math.RoundToEven(math.Sqrt(target / ratio)))
		if h < 1 || w < 1 || h >= img.H || w >= img.W {
			continue
		}
		y0, x0 := rng.IntN(img.H-h+1), rng.IntN(img.W-w+1)
		C := img.C
		for y := y0; y < y0+h; y++ {
			row := img.Pix[(y*img.W+x0)*C : (y*img.W+x0+w)*C]
			for i := 0; i < len(row); i += 8 {
				u := rng.Uint64()
				for k := i; k < min(i+8, len(row)); k++ {
					row[k] = uint8(u)
					u >>= 8
				}
			}
		}
		return
	}
}

func (t *RandomErasing) String() string {
	return fmt.Sprintf("erase(p=%g, scale=[%g, %g], ratio=[%g, %g], fill=random)", t.P, t.ScaleLo, t.ScaleHi, t.RatioLo, t.RatioHi)
}
