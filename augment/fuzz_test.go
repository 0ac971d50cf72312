package augment

import (
	"math"
	"testing"
)

// fuzzPolicies are run on every fuzzed image shape.
var fuzzPolicies = []string{
	"standard", "rand-n2-m4+standard", "rand-n3-m30", "trivial+standard", "autoaug-cifar10",
	"cutout-1+cutout-50", "erase-p1", "standard+mixup-a0.3", "standard+ricap-a0.3",
	"standard+cutmix-a1", "rand-n1-m0+cutmix-a0.05", "none",
}

// fuzzShape maps fuzz inputs to an image shape of 1..40 x 1..40 x {1, 3}.
func fuzzShape(h, w uint8, grey bool) (int, int, int) {
	c := 3
	if grey {
		c = 1
	}
	return 1 + int(h)%40, 1 + int(w)%40, c
}

func checkShape(t *testing.T, name string, img *Image, h, w, c int) {
	t.Helper()
	if img.H != h || img.W != w || img.C != c || len(img.Pix) != h*w*c {
		t.Fatalf("%s: shape became %dx%dx%d with %d bytes, want %dx%dx%d", name, img.H, img.W, img.C, len(img.Pix), h, w, c)
	}
}

// FuzzOps: for any image size, channels, magnitude and seed, every op of
// every augmenter keeps the shape (uint8 keeps values in range by type)
// and never panics.
func FuzzOps(f *testing.F) {
	f.Add(uint8(31), uint8(31), false, uint8(4), uint64(1))
	f.Add(uint8(0), uint8(0), true, uint8(30), uint64(2))
	f.Add(uint8(27), uint8(6), true, uint8(0), uint64(3))
	f.Add(uint8(1), uint8(39), false, uint8(17), uint64(4))
	f.Fuzz(func(t *testing.T, hb, wb uint8, grey bool, mb uint8, seed uint64) {
		h, w, c := fuzzShape(hb, wb, grey)
		m := int(mb) % 31
		rng := newRNG(seed)
		base := randomImage(rng, h, w, c)
		img := base.Clone()
		var s scratch
		for i := range randAugmentOps {
			op := &randAugmentOps[i]
			for _, sign := range []float64{1, -1} {
				copy(img.Pix, base.Pix)
				op.apply(img, sign*levelToArg(op, m), rng, &s)
				checkShape(t, op.name, img, h, w, c)
			}
		}
		for _, ops := range [][]levelOp{trivialWideOps, valuesOf(autoAugmentOps)} {
			for i := range ops {
				top := trivialBins - 1
				if len(ops) == len(autoAugmentOps) {
					top = aaBins - 1
				}
				mm := m % (top + 1)
				copy(img.Pix, base.Pix)
				ops[i].apply(img, ops[i].value(mm, top, img), &s)
				checkShape(t, ops[i].name, img, h, w, c)
			}
		}
		// Explicit-parameter ops at arbitrary values.
		x := rng.NormFloat64() * 100
		copy(img.Pix, base.Pix)
		Rotate(img, x)
		Affine(img, [6]float64{rng.NormFloat64(), rng.NormFloat64(), x, rng.NormFloat64(), rng.NormFloat64(), -x})
		Affine(img, [6]float64{1e9, 0, -1e9, 0, 1, 0})
		CutoutAbs(img, math.Abs(x), npUniformQuirk(rng, w), npUniformQuirk(rng, h))
		SolarizeAdd(img, x, 128)
		Contrast(img, x)
		Sharpness(img, x)
		checkShape(t, "explicit", img, h, w, c)
	})
}

func valuesOf(m map[string]levelOp) []levelOp {
	out := make([]levelOp, 0, len(m))
	for _, op := range m {
		out = append(out, op)
	}
	return out
}

// FuzzPolicies: every policy keeps the image shape, and Fill produces a
// batch whose values stay within the normalized range of [0, 255] and
// whose part weights are non-negative and sum to 1 per image.
func FuzzPolicies(f *testing.F) {
	f.Add(uint8(31), uint8(31), false, uint8(3), uint64(1))
	f.Add(uint8(0), uint8(0), true, uint8(1), uint64(2))
	f.Add(uint8(27), uint8(6), true, uint8(5), uint64(3))
	f.Fuzz(func(t *testing.T, hb, wb uint8, grey bool, nb uint8, seed uint64) {
		h, w, c := fuzzShape(hb, wb, grey)
		n := 1 + int(nb)%6
		ds := DatasetInfo{H: h, W: w, C: c, FlipProb: 0.5, Pad: 4}
		for range c {
			ds.Mean = append(ds.Mean, 0.45)
			ds.Std = append(ds.Std, 0.25)
		}
		lo, hi := (0-0.45)/0.25, (1-0.45)/0.25
		rng := newRNG(seed)
		for _, policy := range fuzzPolicies {
			p, err := Parse(policy, ds)
			if err != nil {
				t.Fatalf("%s: %v", policy, err)
			}
			imgs := make([]*Image, n)
			labels := make([]int, n)
			for j := range imgs {
				imgs[j] = randomImage(rng, h, w, c)
				labels[j] = j
			}
			b := NewBatch(n, c, h, w)
			p.Fill(b, imgs, labels, rng)
			for _, img := range imgs {
				checkShape(t, policy, img, h, w, c)
			}
			for i, v := range b.X {
				if !(float64(v) >= lo-1e-4 && float64(v) <= hi+1e-4) {
					t.Fatalf("%s: X[%d] = %v outside [%g, %g]", policy, i, v, lo, hi)
				}
			}
			for j := range n {
				sum := float32(0)
				for k := range b.Parts {
					wt, s := b.Weight[j*b.Parts+k], b.Src[j*b.Parts+k]
					if wt < 0 || s < 0 || s >= n {
						t.Fatalf("%s: image %d part %d weight %v source %d", policy, j, k, wt, s)
					}
					sum += wt
				}
				if math.Abs(float64(sum)-1) > 1e-6 {
					t.Fatalf("%s: image %d weights sum to %v", policy, j, sum)
				}
			}
		}
	})
}
