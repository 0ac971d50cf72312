package augment

import "fmt"

// Image is one HWC uint8 image (C = 1 or 3), like a PIL "L" or "RGB" image.
// Pix has H*W*C bytes, row-major with the channels of a pixel interleaved:
// the sample of channel c at row y, column x is Pix[(y*W+x)*C+c].
type Image struct {
	H, W, C int
	Pix     []uint8
}

// NewImage returns a black image of the given shape. It panics if a
// dimension is not positive or c is not 1 or 3.
func NewImage(h, w, c int) *Image {
	if h <= 0 || w <= 0 || (c != 1 && c != 3) {
		panic(fmt.Sprintf("augment: bad image shape %dx%dx%d", h, w, c))
	}
	return &Image{H: h, W: w, C: c, Pix: make([]uint8, h*w*c)}
}

// Clone returns a deep copy of img.
func (img *Image) Clone() *Image {
	out := *img
	out.Pix = append([]uint8(nil), img.Pix...)
	return &out
}

// check panics when Pix does not match the shape: a programmer error.
func (img *Image) check() {
	if img.H <= 0 || img.W <= 0 || (img.C != 1 && img.C != 3) || len(img.Pix) != img.H*img.W*img.C {
		panic(fmt.Sprintf("augment: bad image %dx%dx%d with %d bytes", img.H, img.W, img.C, len(img.Pix)))
	}
}

// copyPixel copies one pixel of c samples (1 or 3) from src to dst,
// without the call overhead of copy for 1- and 3-byte moves.
func copyPixel(dst, src []uint8, c int) {
	if c == 3 {
		_, _ = dst[2], src[2]
		dst[0], dst[1], dst[2] = src[0], src[1], src[2]
		return
	}
	dst[0] = src[0]
}

// scratch holds the reusable buffers of one transform, so that the steady
// state allocates nothing per image. A scratch is not safe for concurrent use.
type scratch struct {
	pix     []uint8
	ints    []int
	rot     [8]rotationMatrix
	rotNext int
}

// copyOf returns a copy of img.Pix in the scratch buffer.
func (s *scratch) copyOf(img *Image) []uint8 {
	if cap(s.pix) < len(img.Pix) {
		s.pix = make([]uint8, len(img.Pix))
	}
	s.pix = s.pix[:len(img.Pix)]
	copy(s.pix, img.Pix)
	return s.pix
}

// intBuf returns n ints of scratch, contents unspecified.
func (s *scratch) intBuf(n int) []int {
	if cap(s.ints) < n {
		s.ints = make([]int, n)
	}
	return s.ints[:n]
}
