package data

import (
	"image"

	"golang.org/x/image/draw"
)

// resizedSize returns the size of a w×h image after scaling it, aspect kept,
// so that its shorter side is s: the shorter side becomes s and the longer
// side L becomes ⌊L·s/shorter⌋, as torchvision's Resize(s) computes it
// (int(s * long / short)). A square image becomes s×s.
func resizedSize(w, h, s int) (rw, rh int) {
	if w <= h {
		return s, int(int64(h) * int64(s) / int64(w))
	}
	return int(int64(w) * int64(s) / int64(h)), s
}

// cropOffset returns where a centred crop of s pixels starts in a side of n
// pixels: (n−s)/2 rounded half to even, as torchvision's CenterCrop does
// (int(round((n - s) / 2.0)) with Python's round), so an odd margin of 2k+1
// puts the extra pixel on the near side when k is odd and on the far side
// when k is even.
func cropOffset(n, s int) int {
	d := n - s
	k := d / 2
	if d%2 == 1 && k%2 == 1 {
		k++
	}
	return k
}

// appendResizedRGB appends the pixels of img, resized so that its shorter
// side is s (resizedSize) with the Catmull-Rom filter and centre-cropped to
// s×s (cropOffset), as RGB bytes row by row, and reports whether img is
// greyscale. Alpha is dropped before resizing, as appendRGB drops it, so a
// transparent pixel keeps its colour instead of darkening its neighbours.
//
// golang.org/x/image/draw's kernels widen their support by the shrink
// factor when downscaling, so the result is antialiased as PIL's and
// torchvision's (antialias=True) bicubic resize is; Catmull-Rom is PIL's
// BICUBIC kernel (a = −0.5). Edge pixels are weighted by the pixels inside
// the image only, so borders do not darken.
func appendResizedRGB(dst []uint8, img image.Image, s int) ([]uint8, bool) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var src image.Image
	var gray bool
	switch m := img.(type) {
	case *image.Gray:
		src, gray = m, true
	case *image.YCbCr: // JPEG colour: opaque, converted by the scaler
		src = m
	default:
		var pix []uint8
		pix, gray = appendRGB(nil, img)
		src = opaqueRGBA(pix, w, h)
	}
	rw, rh := resizedSize(w, h, s)
	scaled := image.NewRGBA(image.Rect(0, 0, rw, rh))
	draw.CatmullRom.Scale(scaled, scaled.Bounds(), src, src.Bounds(), draw.Src, nil)
	x0, y0 := cropOffset(rw, s), cropOffset(rh, s)
	for y := y0; y < y0+s; y++ {
		row := scaled.Pix[scaled.PixOffset(x0, y):scaled.PixOffset(x0+s, y)]
		for i := 0; i < len(row); i += 4 {
			dst = append(dst, row[i], row[i+1], row[i+2])
		}
	}
	return dst, gray
}

// opaqueRGBA wraps RGB bytes of a w×h image as an opaque *image.RGBA.
func opaqueRGBA(rgb []uint8, w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, j := 0, 0; i < len(rgb); i, j = i+3, j+4 {
		m.Pix[j], m.Pix[j+1], m.Pix[j+2], m.Pix[j+3] = rgb[i], rgb[i+1], rgb[i+2], 255
	}
	return m
}
