package augment

import (
	"math"
	"strconv"
)

// Geometric ops with PIL's semantics: Image.transform(size, AFFINE, data,
// NEAREST) with a black fill, and Image.rotate(deg) about the centre. They
// reproduce Pillow's integer arithmetic exactly (golden-tested against
// Pillow 13), which matters because nearest-neighbour sampling turns any
// rounding difference into a different source pixel.

// Affine applies PIL's inverse-mapping affine transform with nearest
// neighbour sampling: output pixel (x, y) takes the input pixel at
// (a0*x + a1*y + a2, a3*x + a4*y + a5), sampled at pixel centres; pixels that
// map outside the input become black. It allocates a scratch copy; pipelines
// use an internal variant that reuses its buffer.
func Affine(img *Image, a [6]float64) { affine(img, a, new(scratch)) }

// Rotate rotates img counter-clockwise by deg degrees about its centre, as
// PIL's Image.rotate(deg) does (NEAREST, same size, black corners, the exact
// transpose fast paths for multiples of 90°).
func Rotate(img *Image, deg float64) { rotate(img, deg, new(scratch)) }

// ShearX applies PIL's affine (1, v, 0, 0, 1, 0): input x = x + v*y.
func ShearX(img *Image, v float64) { affine(img, [6]float64{1, v, 0, 0, 1, 0}, new(scratch)) }

// ShearY applies PIL's affine (1, 0, 0, v, 1, 0): input y = v*x + y.
func ShearY(img *Image, v float64) { affine(img, [6]float64{1, 0, 0, v, 1, 0}, new(scratch)) }

// TranslateX applies PIL's affine (1, 0, px, 0, 1, 0): output x shows input
// x + px, so a positive px moves the content left (ildoonet TranslateXabs).
func TranslateX(img *Image, px float64) {
	affine(img, [6]float64{1, 0, px, 0, 1, 0}, new(scratch))
}

// TranslateY applies PIL's affine (1, 0, 0, 0, 1, px) (ildoonet TranslateYabs).
func TranslateY(img *Image, px float64) {
	affine(img, [6]float64{1, 0, 0, 0, 1, px}, new(scratch))
}

// coord is PIL's COORD macro: floor for non-negative values, -1 (outside)
// for negative ones. Values too large for an int are outside too.
func coord(v float64) int {
	if v < 0 || v >= 1<<30 || v != v {
		return -1
	}
	return int(v)
}

// fix16 is PIL's FIX macro: 16.16 fixed point, rounded half up.
func fix16(v float64) int32 {
	v = float64(v*65536.0) + 0.5
	if v < 0 {
		return int32(math.Floor(v))
	}
	return int32(v)
}

// checkFixed reports whether the corner (x, y) maps inside the range that
// 16.16 fixed point can hold (PIL's check_fixed).
func checkFixed(a *[6]float64, x, y float64) bool {
	u := float64(float64(x*a[0])+float64(y*a[1])) + a[2]
	v := float64(float64(x*a[3])+float64(y*a[4])) + a[5]
	return math.Abs(u) < 32768.0 && math.Abs(v) < 32768.0
}

// affine dispatches like PIL's ImagingTransformAffine for NEAREST: a pure
// scale/translation, the 16.16 fixed-point loop, or the float loop. The
// explicit float64 conversions keep each product rounded on its own, as C
// does, instead of letting the compiler fuse a multiply-add.
func affine(img *Image, a [6]float64, s *scratch) {
	img.check()
	src := s.copyOf(img)
	clear(img.Pix)
	w, h := float64(img.W), float64(img.H)
	switch {
	case a[1] == 0 && a[3] == 0:
		affineScale(img, src, &a, s)
	case checkFixed(&a, 0, 0) && checkFixed(&a, w, h) && checkFixed(&a, 0, h) && checkFixed(&a, w, 0):
		affineFixed(img, src, &a)
	default:
		affineFloat(img, src, &a)
	}
}

func affineScale(img *Image, src []uint8, a *[6]float64, s *scratch) {
	W, H, C := img.W, img.H, img.C
	xo := a[2] + float64(a[0]*0.5)
	yo := a[5] + float64(a[4]*0.5)
	xin := s.intBuf(W)
	xmin, xmax := W, 0
	for x := range W {
		xin[x] = 0
		if xi := coord(xo); xi >= 0 && xi < W {
			xmax = x + 1
			xmin = min(xmin, x)
			xin[x] = xi
		}
		xo += a[0]
	}
	for y := range H {
		yi := coord(yo)
		yo += a[4]
		if yi < 0 || yi >= H {
			continue
		}
		in := src[yi*W*C : (yi+1)*W*C]
		out := img.Pix[y*W*C : (y+1)*W*C]
		for x := xmin; x < xmax; x++ {
			copyPixel(out[x*C:], in[xin[x]*C:], C)
		}
	}
}

func affineFixed(img *Image, src []uint8, a *[6]float64) {
	W, H, C := img.W, img.H, img.C
	a0, a1, a3, a4 := fix16(a[0]), fix16(a[1]), fix16(a[3]), fix16(a[4])
	a2 := fix16(float64(a[2]+float64(a[0]*0.5)) + float64(a[1]*0.5))
	a5 := fix16(float64(a[5]+float64(a[3]*0.5)) + float64(a[4]*0.5))
	for y := range H {
		xx, yy := a2, a5
		out := img.Pix[y*W*C : (y+1)*W*C]
		for x := range W {
			if xi := int(xx >> 16); xi >= 0 && xi < W {
				if yi := int(yy >> 16); yi >= 0 && yi < H {
					o := (yi*W + xi) * C
					copyPixel(out[x*C:], src[o:], C)
				}
			}
			xx += a0
			yy += a3
		}
		a2 += a1
		a5 += a4
	}
}

func affineFloat(img *Image, src []uint8, a *[6]float64) {
	W, H, C := img.W, img.H, img.C
	xo := float64(a[2]+float64(a[1]*0.5)) + float64(a[0]*0.5)
	yo := float64(a[5]+float64(a[4]*0.5)) + float64(a[3]*0.5)
	for y := range H {
		xx, yy := xo, yo
		out := img.Pix[y*W*C : (y+1)*W*C]
		for x := range W {
			if xi := coord(xx); xi >= 0 && xi < W {
				if yi := coord(yy); yi >= 0 && yi < H {
					o := (yi*W + xi) * C
					copyPixel(out[x*C:], src[o:], C)
				}
			}
			xx += a[0]
			yy += a[3]
		}
		xo += a[1]
		yo += a[4]
	}
}

// pyMod is Python's float modulo: the result takes the sign of m.
func pyMod(x, m float64) float64 {
	r := math.Mod(x, m)
	if r == 0 {
		return math.Copysign(0, m)
	}
	if (m < 0) != (r < 0) {
		r += m
	}
	return r
}

// round15 is Python's round(v, 15): the nearest double to v's correctly
// rounded 15-decimal representation.
func round15(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 15, 64), 64)
	return r
}

// degToRad is computed at run time, as CPython's math.radians does
// (pi/180.0 rounded once), rather than as an exact constant.
var degToRad = func() float64 { pi := math.Pi; return pi / 180.0 }()

func rotate(img *Image, deg float64, s *scratch) {
	img.check()
	angle := pyMod(deg, 360)
	switch {
	case angle == 0:
		return
	case angle == 180:
		transpose(img, s, rot180)
		return
	case (angle == 90 || angle == 270) && img.W == img.H:
		if angle == 90 {
			transpose(img, s, rot90)
		} else {
			transpose(img, s, rot270)
		}
		return
	}
	cx, cy := float64(img.W)/2, float64(img.H)/2
	r := s.rotation(angle)
	a := [6]float64{r.cos, r.sin, 0, r.nsin, r.cos, 0}
	a[2] = float64(float64(a[0]*-cx)+float64(a[1]*-cy)) + 0.0 + cx
	a[5] = float64(float64(a[3]*-cx)+float64(a[4]*-cy)) + 0.0 + cy
	affine(img, a, s)
}

// rotationMatrix is PIL's rounded rotation matrix for one angle.
type rotationMatrix struct {
	ok                    bool
	angle, cos, sin, nsin float64
}

// rotation returns PIL's matrix entries for angle (degrees, in [0, 360)):
// round(cos(-rad), 15), round(sin(-rad), 15), round(-sin(-rad), 15). The
// decimal rounding goes through strconv, which allocates, so the last few
// angles are cached: augmenters use a handful of distinct angles.
func (s *scratch) rotation(angle float64) rotationMatrix {
	for _, r := range s.rot {
		if r.ok && r.angle == angle {
			return r
		}
	}
	rad := -(angle * degToRad)
	r := rotationMatrix{true, angle, round15(math.Cos(rad)), round15(math.Sin(rad)), round15(-math.Sin(rad))}
	s.rot[s.rotNext] = r
	s.rotNext = (s.rotNext + 1) % len(s.rot)
	return r
}

type transposeKind int

const (
	rot90 transposeKind = iota
	rot180
	rot270
)

// transpose is PIL's exact ROTATE_90/180/270 (counter-clockwise); rot90 and
// rot270 are only used on square images, where the shape is unchanged.
func transpose(img *Image, s *scratch, k transposeKind) {
	src := s.copyOf(img)
	W, H, C := img.W, img.H, img.C
	for y := range H {
		for x := range W {
			var sx, sy int
			switch k {
			case rot90:
				sx, sy = W-1-y, x
			case rot180:
				sx, sy = W-1-x, H-1-y
			case rot270:
				sx, sy = y, H-1-x
			}
			o, i := (y*W+x)*C, (sy*W+sx)*C
			copyPixel(img.Pix[o:], src[i:], C)
		}
	}
}
