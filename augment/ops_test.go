package augment

import (
	"math"
	"testing"
)

// TestOpsIdentityAtNeutralValues: every op is the identity at its neutral
// value, on grey and RGB images of odd and even sizes.
func TestOpsIdentityAtNeutralValues(t *testing.T) {
	ops := []struct {
		name string
		f    func(*Image)
	}{
		{"Rotate0", func(img *Image) { Rotate(img, 0) }},
		{"Rotate360", func(img *Image) { Rotate(img, 360) }},
		{"RotateMinus720", func(img *Image) { Rotate(img, -720) }},
		{"ShearX0", func(img *Image) { ShearX(img, 0) }},
		{"ShearY0", func(img *Image) { ShearY(img, 0) }},
		{"TranslateX0", func(img *Image) { TranslateX(img, 0) }},
		{"TranslateY0.49", func(img *Image) { TranslateY(img, 0.49) }},
		{"AffineIdentity", func(img *Image) { Affine(img, [6]float64{1, 0, 0, 0, 1, 0}) }},
		{"Brightness1", func(img *Image) { Brightness(img, 1) }},
		{"Color1", func(img *Image) { Color(img, 1) }},
		{"Contrast1", func(img *Image) { Contrast(img, 1) }},
		{"Sharpness1", func(img *Image) { Sharpness(img, 1) }},
		{"Posterize8", func(img *Image) { Posterize(img, 8) }},
		{"Solarize256", func(img *Image) { Solarize(img, 256) }},
		{"SolarizeAdd0At256", func(img *Image) { SolarizeAdd(img, 0, 256) }},
		{"CutoutAbsNegative", func(img *Image) { CutoutAbs(img, -1, 2, 2) }},
	}
	rng := newRNG(1)
	for _, shape := range [][3]int{{8, 8, 3}, {7, 11, 3}, {5, 6, 1}, {1, 1, 3}} {
		base := randomImage(rng, shape[0], shape[1], shape[2])
		for _, op := range ops {
			img := base.Clone()
			op.f(img)
			sameImage(t, op.name, img, base)
		}
	}
}

// TestOpsInvolutions: ops that undo themselves.
func TestOpsInvolutions(t *testing.T) {
	rng := newRNG(2)
	cases := []struct {
		name string
		f    func(*Image)
		reps int
	}{
		{"InvertTwice", Invert, 2},
		{"Rotate90FourTimes", func(img *Image) { Rotate(img, 90) }, 4},
		{"Rotate180Twice", func(img *Image) { Rotate(img, 180) }, 2},
		{"Rotate270FourTimes", func(img *Image) { Rotate(img, -90) }, 4},
		{"MirrorTwice", func(img *Image) { Affine(img, [6]float64{-1, 0, float64(img.W), 0, 1, 0}) }, 2},
	}
	for _, c := range cases {
		for _, ch := range []int{1, 3} {
			base := randomImage(rng, 9, 9, ch)
			img := base.Clone()
			for range c.reps {
				c.f(img)
			}
			sameImage(t, c.name, img, base)
		}
	}
}

// TestGeometricOpsMoveContent: translations and 90° rotations move pixels
// where PIL's inverse mapping says, and fill the rest with black.
func TestGeometricOpsMoveContent(t *testing.T) {
	rng := newRNG(3)
	base := randomImage(rng, 6, 9, 3)
	cases := []struct {
		name string
		f    func(*Image)
		src  func(y, x int) (int, int) // source (y, x) of output (y, x), or off-image
	}{
		{"TranslateXPlus2", func(img *Image) { TranslateX(img, 2) }, func(y, x int) (int, int) { return y, x + 2 }},
		{"TranslateXMinus3", func(img *Image) { TranslateX(img, -3) }, func(y, x int) (int, int) { return y, x - 3 }},
		{"TranslateYPlus1.6", func(img *Image) { TranslateY(img, 1.6) }, func(y, x int) (int, int) { return y + 2, x }},
		{"Rotate180", func(img *Image) { Rotate(img, 180) }, func(y, x int) (int, int) { return 5 - y, 8 - x }},
		// Pixel centres: input x = (x+0.5) + 1*(y+0.5), floored.
		{"ShearX1", func(img *Image) { ShearX(img, 1) }, func(y, x int) (int, int) { return y, x + y + 1 }},
	}
	for _, c := range cases {
		img := base.Clone()
		c.f(img)
		for y := range img.H {
			for x := range img.W {
				sy, sx := c.src(y, x)
				for ch := range 3 {
					want := uint8(0)
					if sy >= 0 && sy < img.H && sx >= 0 && sx < img.W {
						want = at(base, sy, sx, ch)
					}
					if got := at(img, y, x, ch); got != want {
						t.Fatalf("%s: (%d,%d,%d) = %d, want %d", c.name, y, x, ch, got, want)
					}
				}
			}
		}
	}
}

// TestPointOpsValues: hand-checked values of the point ops.
func TestPointOpsValues(t *testing.T) {
	img := &Image{H: 1, W: 6, C: 1, Pix: []uint8{0, 34, 35, 127, 128, 255}}
	cases := []struct {
		name string
		f    func(*Image)
		want []uint8
	}{
		{"Posterize1", func(i *Image) { Posterize(i, 1) }, []uint8{0, 0, 0, 0, 128, 128}},
		{"SolarizeM4", func(i *Image) { Solarize(i, 256*4.0/30) }, []uint8{0, 34, 220, 128, 127, 0}},
		{"SolarizeAdd14.67", func(i *Image) { SolarizeAdd(i, 110*4.0/30, 128) }, []uint8{14, 48, 49, 114, 113, 0}},
		{"Invert", Invert, []uint8{255, 221, 220, 128, 127, 0}},
		{"Brightness0.5", func(i *Image) { Brightness(i, 0.5) }, []uint8{0, 17, 17, 63, 64, 127}},
		{"Brightness2Clips", func(i *Image) { Brightness(i, 2) }, []uint8{0, 68, 70, 254, 255, 255}},
		{"AutoContrast", AutoContrast, []uint8{0, 34, 35, 127, 128, 255}},
		// step = (6-1)/255 = 0: PIL leaves small images unchanged.
		{"EqualizeFewPixels", Equalize, []uint8{0, 34, 35, 127, 128, 255}},
	}
	for _, c := range cases {
		x := img.Clone()
		c.f(x)
		sameImage(t, c.name, x, &Image{H: 1, W: 6, C: 1, Pix: c.want})
	}
}

// TestAutoContrastStretchesEachChannel: after AutoContrast every channel
// with two or more levels spans [0, 255], except that PIL's float LUT can
// land the top level on 254.
func TestAutoContrastStretchesEachChannel(t *testing.T) {
	rng := newRNG(4)
	img := randomImage(rng, 10, 10, 3)
	for i := range img.Pix {
		img.Pix[i] = 50 + img.Pix[i]%(uint8(40+30*(i%3)))
	}
	AutoContrast(img)
	for c := range 3 {
		lo, hi := 255, 0
		for i := c; i < len(img.Pix); i += 3 {
			lo, hi = min(lo, int(img.Pix[i])), max(hi, int(img.Pix[i]))
		}
		if lo != 0 || hi < 254 {
			t.Errorf("channel %d spans [%d, %d] after AutoContrast", c, lo, hi)
		}
	}
}

// TestEqualizeFlattensHistogram: 64 levels with 16 pixels each spread
// evenly over 0..255.
func TestEqualizeFlattensHistogram(t *testing.T) {
	img := NewImage(32, 32, 1)
	for i := range img.Pix {
		img.Pix[i] = uint8(100 + i%64)
	}
	Equalize(img)
	// step = (1024-16)/255 = 3; level 100+k maps to (1 + 16k)/3, which
	// PIL's LUT clips at 255 from k = 48 on (integer step truncation).
	for i, v := range img.Pix {
		if want := uint8(min((1+16*(i%64))/3, 255)); v != want {
			t.Fatalf("sample %d = %d, want %d", i, v, want)
		}
	}
}

// TestLevelToArgMatchesSpecTable: the values at M = 4 of spec §3.4.
func TestLevelToArgMatchesSpecTable(t *testing.T) {
	want := map[string]float64{
		"Rotate": 4, "Posterize": 0.5333333, "Solarize": 34.1333333, "SolarizeAdd": 14.6666667,
		"Color": 0.34, "Contrast": 0.34, "Brightness": 0.34, "Sharpness": 0.34,
		"ShearX": 0.04, "ShearY": 0.04, "CutoutAbs": 5.3333333, "TranslateXabs": 13.3333333,
		"TranslateYabs": 13.3333333, "AutoContrast": 0.1333333, "Equalize": 0.1333333, "Invert": 0.1333333,
	}
	if len(randAugmentOps) != 16 || len(opByName) != 16 {
		t.Fatalf("table has %d ops (%d names), want 16", len(randAugmentOps), len(opByName))
	}
	for name, v := range want {
		op := opByName[name]
		if op == nil {
			t.Fatalf("op %s missing", name)
		}
		if got := levelToArg(op, 4); math.Abs(got-v) > 1e-6 {
			t.Errorf("%s at M=4: %v, want %v", name, got, v)
		}
	}
	// M = 4 gives a 1-bit Posterize (spec §7 quirk g).
	img := &Image{H: 1, W: 2, C: 1, Pix: []uint8{100, 200}}
	posterizeLevel(img, levelToArg(opByName["Posterize"], 4))
	sameImage(t, "Posterize at M=4", img, &Image{H: 1, W: 2, C: 1, Pix: []uint8{0, 128}})
}

// TestCutoutAbsQuirks: the corner is int(max(0, c - v/2)) and PIL's
// inclusive rectangle makes the square int(v)+1 wide; the centre draw is
// in (1, W].
func TestCutoutAbsQuirks(t *testing.T) {
	img := NewImage(20, 20, 3)
	CutoutAbs(img, 5.33, 10.5, 10.5)
	n := 0
	for y := range 20 {
		for x := range 20 {
			if at(img, y, x, 0) == 125 {
				n++
				if y < 7 || y > 12 || x < 7 || x > 12 || at(img, y, x, 1) != 123 || at(img, y, x, 2) != 114 {
					t.Fatalf("unexpected fill at (%d,%d)", y, x)
				}
			}
		}
	}
	if n != 36 {
		t.Errorf("filled %d pixels, want 6x6 = 36", n)
	}
	grey := NewImage(4, 4, 1)
	CutoutAbs(grey, 1, 1, 1)
	if grey.Pix[0] != 123 || grey.Pix[5] != 123 || grey.Pix[10] != 0 {
		t.Errorf("grey cutout = %v, want 123 at (0,0)..(1,1)", grey.Pix)
	}
	rng := newRNG(5)
	lo, hi := math.Inf(1), math.Inf(-1)
	for range 10000 {
		v := npUniformQuirk(rng, 32)
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo <= 1 || hi > 32 || lo > 1.1 || hi < 31.9 {
		t.Errorf("np.random.uniform(32) quirk spans [%v, %v], want (1, 32]", lo, hi)
	}
}

// TestStandardCropAndFlipGeometry: an offset crop shifts the content and
// pads with zeros; the flip mirrors it.
func TestStandardCropAndFlipGeometry(t *testing.T) {
	rng := newRNG(6)
	base := randomImage(rng, 5, 7, 3)
	s := &Standard{Pad: 4}
	for _, c := range []struct {
		oy, ox int
		flip   bool
	}{{0, 0, false}, {0, 0, true}, {-4, 3, false}, {2, -1, true}, {4, 4, true}} {
		img := base.Clone()
		s.crop(img, c.oy, c.ox, c.flip)
		for y := range 5 {
			for x := range 7 {
				sx := x
				if c.flip {
					sx = 6 - x
				}
				sy, sx := y+c.oy, sx+c.ox
				for ch := range 3 {
					want := uint8(0)
					if sy >= 0 && sy < 5 && sx >= 0 && sx < 7 {
						want = at(base, sy, sx, ch)
					}
					if got := at(img, y, x, ch); got != want {
						t.Fatalf("crop %+v: (%d,%d,%d) = %d, want %d", c, y, x, ch, got, want)
					}
				}
			}
		}
	}
}

// TestNormalizeMatchesFormula: CHW layout, (x/255-mean)/std, no allocation.
func TestNormalizeMatchesFormula(t *testing.T) {
	rng := newRNG(7)
	img := randomImage(rng, 3, 4, 3)
	mean, std := []float32{0.4914, 0.4822, 0.4465}, []float32{0.2023, 0.1994, 0.2010}
	dst := make([]float32, 36)
	Normalize(img, mean, std, dst)
	for c := range 3 {
		for y := range 3 {
			for x := range 4 {
				want := (float32(at(img, y, x, c))/255 - mean[c]) / std[c]
				if got := dst[c*12+y*4+x]; got != want {
					t.Fatalf("(%d,%d,%d) = %v, want %v", c, y, x, got, want)
				}
			}
		}
	}
	if a := testing.AllocsPerRun(100, func() { Normalize(img, mean, std, dst) }); a != 0 {
		t.Errorf("Normalize allocates %v times per call", a)
	}
}
