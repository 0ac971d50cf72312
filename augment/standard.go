package augment

import (
	"fmt"
	"math/rand/v2"
)

// Transform changes one image in place, keeping its shape. Implementations
// hold scratch buffers and are not safe for concurrent use: give each
// worker its own (Pipeline.Clone).
type Transform interface {
	Apply(img *Image, rng *rand.Rand)
}

var (
	_ Transform = (*Standard)(nil)
	_ Transform = (*RandAugment)(nil)
	_ Transform = (*TrivialAugment)(nil)
	_ Transform = (*AutoAugment)(nil)
	_ Transform = (*Cutout)(nil)
	_ Transform = (*RandomErasing)(nil)
)

// Standard is the paper's standard augmentation (spec §3.1): zero-pad Pad
// pixels on every side, crop back to the original size at a uniform random
// offset in 0..2*Pad on each axis (torchvision RandomCrop(size, padding)),
// then flip horizontally with probability FlipProb (RandomHorizontalFlip;
// 0.5 for CIFAR, 0 for SVHN). Normalization is separate (Normalize).
// Every call draws the two offsets and one flip number, whatever FlipProb,
// so the random stream does not depend on the dataset.
type Standard struct {
	Pad      int
	FlipProb float64
	s        scratch
}

// Apply implements Transform.
func (t *Standard) Apply(img *Image, rng *rand.Rand) {
	img.check()
	oy := rng.IntN(2*t.Pad+1) - t.Pad // source row of output row 0
	ox := rng.IntN(2*t.Pad+1) - t.Pad
	flip := rng.Float64() < t.FlipProb
	t.crop(img, oy, ox, flip)
}

// crop writes out(y, x) = in(y+oy, x+ox) (0 outside), mirrored when flip.
func (t *Standard) crop(img *Image, oy, ox int, flip bool) {
	if oy == 0 && ox == 0 && !flip {
		return
	}
	W, H, C := img.W, img.H, img.C
	src := t.s.copyOf(img)
	clear(img.Pix)
	// Columns x with 0 <= x+ox < W.
	x0, x1 := max(0, -ox), min(W, W-ox)
	for y := range H {
		sy := y + oy
		if sy < 0 || sy >= H || x0 >= x1 {
			continue
		}
		out := img.Pix[y*W*C : (y+1)*W*C]
		in := src[sy*W*C : (sy+1)*W*C]
		if !flip {
			copy(out[x0*C:x1*C], in[(x0+ox)*C:(x1+ox)*C])
			continue
		}
		d, s := (W-1-x0)*C, (x0+ox)*C // walk the output backwards
		if C == 3 {
			for range x1 - x0 {
				o, i := out[d:d+3:d+3], in[s:s+3:s+3]
				o[0], o[1], o[2] = i[0], i[1], i[2]
				d, s = d-3, s+3
			}
			continue
		}
		for range x1 - x0 {
			out[d] = in[s]
			d, s = d-1, s+1
		}
	}
}

func (t *Standard) String() string {
	return fmt.Sprintf("standard(pad=%d, flip=%g)", t.Pad, t.FlipProb)
}
