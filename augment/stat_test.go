package augment

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Statistical tests with fixed seeds: each bound is several standard errors
// wide, so they pass for these seeds and would fail for a biased sampler.

// TestStandardFlipRateMatchesFlipProb: with Pad 0 only the flip changes an
// asymmetric image; the flip frequency is FlipProb within 4 standard errors.
func TestStandardFlipRateMatchesFlipProb(t *testing.T) {
	const n = 20000
	base := NewImage(2, 3, 1)
	copy(base.Pix, []uint8{1, 2, 3, 4, 5, 6})
	for _, p := range []float64{0, 0.25, 0.5, 1} {
		rng := newRNG(10)
		s := &Standard{Pad: 0, FlipProb: p}
		img := base.Clone()
		flips := 0
		for range n {
			copy(img.Pix, base.Pix)
			s.Apply(img, rng)
			if img.Pix[0] == 3 {
				flips++
			}
		}
		rate := float64(flips) / n
		if tol := 4*math.Sqrt(p*(1-p)/n) + 1e-12; math.Abs(rate-p) > tol {
			t.Errorf("FlipProb %g: flip rate %g, tolerance %g", p, rate, tol)
		}
	}
}

// TestStandardCropOffsetsUniform: the 81 (dy, dx) offsets of a pad-4 crop
// are uniform (χ² with 80 degrees of freedom below 124.8, p = 0.001), read
// back from the zero rows and columns the padding leaves.
func TestStandardCropOffsetsUniform(t *testing.T) {
	const pad, per = 4, 200
	rng := newRNG(11)
	s := &Standard{Pad: pad, FlipProb: 0}
	base := filledImage(16, 16, 3, 200)
	img := base.Clone()
	counts := make([]int, (2*pad+1)*(2*pad+1))
	for range len(counts) * per {
		copy(img.Pix, base.Pix)
		s.Apply(img, rng)
		dy, dx := zeroBorder(img)
		if dy < -pad || dy > pad || dx < -pad || dx > pad {
			t.Fatalf("offset (%d, %d) outside ±%d", dy, dx, pad)
		}
		counts[(dy+pad)*(2*pad+1)+dx+pad]++
	}
	if c := chi2Uniform(counts); c > 124.8 {
		t.Errorf("χ² = %.1f over 81 crop offsets, want < 124.8", c)
	}
}

// zeroBorder returns the crop offset (source row/column of output 0,0
// minus 0) from the zero rows and columns of a cropped non-zero image.
func zeroBorder(img *Image) (dy, dx int) {
	rowZero := func(y int) bool { return at(img, y, img.W/2, 0) == 0 }
	colZero := func(x int) bool { return at(img, img.H/2, x, 0) == 0 }
	for y := 0; y < img.H && rowZero(y); y++ {
		dy--
	}
	for y := img.H - 1; y >= 0 && rowZero(y); y-- {
		dy++
	}
	for x := 0; x < img.W && colZero(x); x++ {
		dx--
	}
	for x := img.W - 1; x >= 0 && colZero(x); x-- {
		dx++
	}
	return dy, dx
}

// TestRandAugmentDrawsOpsUniformlyWithReplacement: N ops per image, each of
// the 16 equally likely (χ² with 15 dof below 37.7, p = 0.001), the sign of
// signed ops negative half the time, all at the value of magnitude M.
func TestRandAugmentDrawsOpsUniformlyWithReplacement(t *testing.T) {
	r, err := NewRandAugment(2, 4)
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]int, len(randAugmentOps))
	var neg, signed int
	calls := 0
	ops := make([]raOp, len(randAugmentOps))
	for i, op := range randAugmentOps {
		ops[i] = op
		want := levelToArg(&randAugmentOps[i], 4)
		ops[i].apply = func(_ *Image, v float64, _ *rand.Rand, _ *scratch) {
			calls++
			counts[i]++
			if math.Abs(v) != want {
				t.Fatalf("%s applied at %v, want ±%v", op.name, v, want)
			}
			if op.signed {
				signed++
				if v < 0 {
					neg++
				}
			}
		}
	}
	r.ops = ops
	rng := newRNG(12)
	img := NewImage(4, 4, 3)
	const images = 8000
	for range images {
		r.Apply(img, rng)
	}
	if calls != 2*images {
		t.Fatalf("%d ops applied to %d images, want %d", calls, images, 2*images)
	}
	if c := chi2Uniform(counts); c > 37.7 {
		t.Errorf("χ² = %.1f over 16 ops, want < 37.7 (counts %v)", c, counts)
	}
	if f := float64(neg) / float64(signed); math.Abs(f-0.5) > 4*math.Sqrt(0.25/float64(signed)) {
		t.Errorf("negative sign rate %g over %d signed ops, want 0.5", f, signed)
	}
}

// TestBetaMoments: Beta(a, b) draws have mean a/(a+b) and variance
// ab/((a+b)²(a+b+1)); mixup's Beta(0.3, 0.3) has mean 0.5 and variance
// 1/6.4 = 0.15625. Gamma(k) has mean k.
func TestBetaMoments(t *testing.T) {
	const n = 40000
	for _, c := range []struct{ a, b float64 }{{0.3, 0.3}, {1, 1}, {2, 5}, {0.05, 0.05}} {
		rng := newRNG(13)
		var s, s2 float64
		for range n {
			x := Beta(rng, c.a, c.b)
			if !(x >= 0 && x <= 1) {
				t.Fatalf("Beta(%g, %g) drew %v", c.a, c.b, x)
			}
			s += x
			s2 += x * x
		}
		mean := s / n
		v := s2/n - mean*mean
		wm := c.a / (c.a + c.b)
		wv := c.a * c.b / ((c.a + c.b) * (c.a + c.b) * (c.a + c.b + 1))
		if math.Abs(mean-wm) > 4*math.Sqrt(wv/n) {
			t.Errorf("Beta(%g, %g): mean %g, want %g", c.a, c.b, mean, wm)
		}
		// The variance of the sample variance is below E[(x-m)^4]/n <= wv/n
		// for x in [0, 1]; 5% relative is many standard errors here.
		if math.Abs(v-wv) > 0.05*wv {
			t.Errorf("Beta(%g, %g): variance %g, want %g", c.a, c.b, v, wv)
		}
	}
	for _, k := range []float64{0.3, 1, 4.5} {
		rng := newRNG(14)
		s := 0.0
		for range n {
			s += Gamma(rng, k)
		}
		if m := s / n; math.Abs(m-k) > 4*math.Sqrt(k/n) {
			t.Errorf("Gamma(%g): mean %g", k, m)
		}
	}
}

// TestMixupLambdaMoments: the λ that Mixup records (Weight of part 0) has
// the Beta(0.3, 0.3) mean 0.5 and variance 0.15625.
func TestMixupLambdaMoments(t *testing.T) {
	const n = 20000
	rng := newRNG(15)
	m := &Mixup{Alpha: 0.3}
	b := NewBatch(2, 1, 2, 2)
	var s, s2 float64
	for range n {
		b.Unmix()
		m.Mix(b, rng)
		l := float64(b.Weight[0])
		s += l
		s2 += l * l
	}
	mean := s / n
	v := s2/n - mean*mean
	if math.Abs(mean-0.5) > 4*math.Sqrt(0.15625/n) {
		t.Errorf("mixup λ mean %g, want 0.5", mean)
	}
	if math.Abs(v-0.15625) > 0.01 {
		t.Errorf("mixup λ variance %g, want 0.15625", v)
	}
}

// TestRandomErasingRate: an image is erased with probability p (the
// rectangle fits on a 32x32 image on nearly every attempt), and the erased
// area is within scale (0.02, 0.33) of the image.
func TestRandomErasingRate(t *testing.T) {
	const n, p = 4000, 0.3
	rng := newRNG(16)
	e, err := NewRandomErasing(p)
	if err != nil {
		t.Fatal(err)
	}
	base := filledImage(32, 32, 3, 0)
	img := base.Clone()
	erased := 0
	for range n {
		copy(img.Pix, base.Pix)
		e.Apply(img, rng)
		changed := 0
		for i := 0; i < len(img.Pix); i += 3 {
			if img.Pix[i] != 0 || img.Pix[i+1] != 0 || img.Pix[i+2] != 0 {
				changed++
			}
		}
		if changed > 0 {
			erased++
			if a := float64(changed) / 1024; a > 0.36 {
				t.Fatalf("erased %g of the image, want <= 0.33 (plus rounding)", a)
			}
		}
	}
	if r := float64(erased) / n; math.Abs(r-p) > 4*math.Sqrt(p*(1-p)/n) {
		t.Errorf("erase rate %g, want %g", r, p)
	}
}

// TestCutoutClipsAtBorders: an interior centre blanks size² pixels with
// the fill, a corner centre fewer; the mean blanked area is below size².
func TestCutoutClipsAtBorders(t *testing.T) {
	rng := newRNG(17)
	c := &Cutout{Size: 8, Fill: [3]uint8{1, 2, 3}}
	base := filledImage(32, 32, 3, 200)
	img := base.Clone()
	full, total := 0, 0
	const n = 2000
	for range n {
		copy(img.Pix, base.Pix)
		c.Apply(img, rng)
		k := 0
		for i := 0; i < len(img.Pix); i += 3 {
			if img.Pix[i] == 1 && img.Pix[i+1] == 2 && img.Pix[i+2] == 3 {
				k++
			}
		}
		if k > 64 || k < 16 {
			t.Fatalf("cutout blanked %d pixels, want 16..64", k)
		}
		if k == 64 {
			full++
		}
		total += k
	}
	// Full squares need the centre in rows/columns 4..28: (25/32)² ≈ 0.61.
	if f := float64(full) / n; math.Abs(f-0.61) > 0.05 {
		t.Errorf("full squares %g of the time, want about 0.61", f)
	}
}

// TestCutMixApplicationRate: CutMix mixes a batch with probability P (Yun
// et al.'s cutmix_prob) within 4 standard errors; a batch it skips is left
// exactly as loaded (one part, own pixels).
func TestCutMixApplicationRate(t *testing.T) {
	const n = 20000
	for _, p := range []float64{0, 0.25, 0.5, 1} {
		rng := newRNG(40)
		m, err := NewCutMix(1, p)
		if err != nil {
			t.Fatal(err)
		}
		ref := codedBatch(4, 1, 6, 6)
		b := codedBatch(4, 1, 6, 6)
		mixed := 0
		for range n {
			copy(b.X, ref.X)
			b.Unmix()
			m.Mix(b, rng)
			switch b.Parts {
			case 2:
				mixed++
			case 1:
				for i := range b.X {
					if b.X[i] != ref.X[i] {
						t.Fatalf("P %g: a skipped batch has changed pixels", p)
					}
				}
			default:
				t.Fatalf("P %g: %d parts", p, b.Parts)
			}
		}
		rate := float64(mixed) / n
		if tol := 4*math.Sqrt(p*(1-p)/n) + 1e-12; math.Abs(rate-p) > tol {
			t.Errorf("P %g: mixed %g of the batches, tolerance %g", p, rate, tol)
		}
	}
}
