package augment

// Pixel ops with PIL's semantics (ImageOps and ImageEnhance), golden-tested
// against Pillow 13. Each works on C = 1 ("L") and C = 3 ("RGB") images;
// per-channel ops treat every channel on its own, as PIL's histogram and LUT
// machinery does.

// applyLUT maps every channel c of img through tab[c].
func applyLUT(img *Image, tab *[3][256]uint8) {
	img.check()
	if img.C == 1 {
		applyLUT1(img, &tab[0])
		return
	}
	t0, t1, t2 := &tab[0], &tab[1], &tab[2]
	p := img.Pix
	for i := 0; i+2 < len(p); i += 3 {
		p[i], p[i+1], p[i+2] = t0[p[i]], t1[p[i+1]], t2[p[i+2]]
	}
}

// applyLUT1 maps every sample of img through one table.
func applyLUT1(img *Image, tab *[256]uint8) {
	img.check()
	for i, v := range img.Pix {
		img.Pix[i] = tab[v]
	}
}

// histogram counts the samples of each channel.
func histogram(img *Image, h *[3][256]int) {
	p := img.Pix
	if img.C == 1 {
		for _, v := range p {
			h[0][v]++
		}
		return
	}
	h0, h1, h2 := &h[0], &h[1], &h[2]
	for i := 0; i+2 < len(p); i += 3 {
		h0[p[i]]++
		h1[p[i+1]]++
		h2[p[i+2]]++
	}
}

// Invert replaces every sample v by 255-v (PIL ImageOps.invert).
func Invert(img *Image) {
	img.check()
	for i, v := range img.Pix {
		img.Pix[i] = 255 - v
	}
}

// Posterize keeps the top bits of every sample (PIL ImageOps.posterize).
// It panics unless 1 <= bits <= 8, as PIL raises.
func Posterize(img *Image, bits int) {
	if bits < 1 || bits > 8 {
		panic("augment: posterize bits must be in [1, 8]")
	}
	mask := ^uint8(0) << (8 - bits)
	img.check()
	for i, v := range img.Pix {
		img.Pix[i] = v & mask
	}
}

// Solarize inverts every sample v >= threshold (PIL ImageOps.solarize,
// which keeps v when v < threshold). Threshold 256 or more is the identity.
func Solarize(img *Image, threshold float64) {
	var tab [256]uint8
	for i := range tab {
		if float64(i) < threshold {
			tab[i] = uint8(i)
		} else {
			tab[i] = uint8(255 - i)
		}
	}
	applyLUT1(img, &tab)
}

// SolarizeAdd adds add to every sample, clips to [0, 255], truncates to
// uint8 (numpy astype) and then solarizes with the threshold (ildoonet
// SolarizeAdd, which uses threshold 128).
func SolarizeAdd(img *Image, add, threshold float64) {
	var tab [256]uint8
	for i := range tab {
		v := float64(i) + add
		v = min(max(v, 0), 255)
		u := int(v)
		if float64(u) < threshold {
			tab[i] = uint8(u)
		} else {
			tab[i] = uint8(255 - u)
		}
	}
	applyLUT1(img, &tab)
}

// AutoContrast stretches each channel so its lowest sample becomes 0 and
// its highest 255 (PIL ImageOps.autocontrast with cutoff 0), through PIL's
// float64 LUT int(i*scale + offset), which can land the highest level on 254.
// A channel with a single level is left unchanged.
func AutoContrast(img *Image) {
	img.check()
	var h [3][256]int
	histogram(img, &h)
	var tab [3][256]uint8
	for c := range img.C {
		lo, hi := 0, 255
		for lo < 256 && h[c][lo] == 0 {
			lo++
		}
		for hi >= 0 && h[c][hi] == 0 {
			hi--
		}
		if hi <= lo {
			for i := range tab[c] {
				tab[c][i] = uint8(i)
			}
			continue
		}
		scale := 255.0 / float64(hi-lo)
		offset := float64(-lo) * scale
		for i := range tab[c] {
			v := int(float64(float64(i)*scale) + offset)
			tab[c][i] = uint8(min(max(v, 0), 255))
		}
	}
	applyLUT(img, &tab)
}

// Equalize equalizes the histogram of each channel (PIL ImageOps.equalize):
// step = (count - count of the highest level) / 255, and level i maps to
// (step/2 + samples below i) / step, all in integers.
func Equalize(img *Image) {
	img.check()
	var h [3][256]int
	histogram(img, &h)
	var tab [3][256]uint8
	for c := range img.C {
		levels, total, last := 0, 0, 0
		for _, n := range h[c] {
			if n > 0 {
				levels++
				total += n
				last = n
			}
		}
		step := 0
		if levels > 1 {
			step = (total - last) / 255
		}
		if step == 0 {
			for i := range tab[c] {
				tab[c][i] = uint8(i)
			}
			continue
		}
		n := step / 2
		for i := range tab[c] {
			tab[c][i] = uint8(min(n/step, 255))
			n += h[c][i]
		}
	}
	applyLUT(img, &tab)
}

// blend is PIL's ImagingBlend for one sample: deg + alpha*(img-deg) in
// float32, truncated; clipped to [0, 255] only when alpha is outside [0, 1].
func blend(deg, v uint8, alpha float32) uint8 {
	t := float32(deg) + float32(alpha*float32(int(v)-int(deg)))
	if alpha >= 0 && alpha <= 1 {
		return uint8(t)
	}
	if t <= 0 {
		return 0
	}
	if t >= 255 {
		return 255
	}
	return uint8(t)
}

// grey is PIL's RGB->L conversion (ITU-R 601-2 luma in 16-bit fixed point,
// rounded): (19595 R + 38470 G + 7471 B + 0x8000) >> 16. It agrees with
// R*299/1000 + G*587/1000 + B*114/1000 up to that rounding.
func grey(r, g, b uint8) uint8 {
	return uint8((uint32(r)*19595 + uint32(g)*38470 + uint32(b)*7471 + 0x8000) >> 16)
}

// Color blends img with its grey (L) version: grey + f*(img-grey)
// (PIL ImageEnhance.Color). Grey images are unchanged.
func Color(img *Image, factor float64) {
	img.check()
	if img.C == 1 {
		return
	}
	a := float32(factor)
	p := img.Pix
	for i := 0; i < len(p); i += 3 {
		g := grey(p[i], p[i+1], p[i+2])
		p[i], p[i+1], p[i+2] = blend(g, p[i], a), blend(g, p[i+1], a), blend(g, p[i+2], a)
	}
}

// Contrast blends img with a uniform image at the mean grey level,
// int(mean(L)+0.5) (PIL ImageEnhance.Contrast).
func Contrast(img *Image, factor float64) {
	img.check()
	sum := 0
	if img.C == 1 {
		for _, v := range img.Pix {
			sum += int(v)
		}
	} else {
		p := img.Pix
		for i := 0; i < len(p); i += 3 {
			sum += int(grey(p[i], p[i+1], p[i+2]))
		}
	}
	mean := uint8(int(float64(sum)/float64(img.H*img.W) + 0.5))
	blendLUT(img, mean, float32(factor))
}

// blendLUT blends every sample with the constant deg through a table.
func blendLUT(img *Image, deg uint8, a float32) {
	var tab [256]uint8
	for v := range tab {
		tab[v] = blend(deg, uint8(v), a)
	}
	applyLUT1(img, &tab)
}

// Brightness scales every sample by factor: blend with black
// (PIL ImageEnhance.Brightness).
func Brightness(img *Image, factor float64) {
	img.check()
	blendLUT(img, 0, float32(factor))
}

// Sharpness blends img with its SMOOTH-filtered version (PIL
// ImageEnhance.Sharpness): smooth + f*(img-smooth). SMOOTH is the 3x3 kernel
// with centre 5 and the others 1, divided by 13 and rounded; the one-pixel
// border keeps its original values, and images narrower or shorter than 3
// pixels are not filtered, as in PIL.
func Sharpness(img *Image, factor float64) { sharpness(img, factor, new(scratch)) }

func sharpness(img *Image, factor float64, s *scratch) {
	img.check()
	W, H, C := img.W, img.H, img.C
	if W < 3 || H < 3 {
		return
	}
	src := s.copyOf(img) // original; img.Pix is overwritten in place
	a := float32(factor)
	row := W * C
	for y := 1; y < H-1; y++ {
		for x := 1; x < W-1; x++ {
			for c := range C {
				o := y*row + x*C + c
				sum := 4*int(src[o]) +
					int(src[o-row-C]) + int(src[o-row]) + int(src[o-row+C]) +
					int(src[o-C]) + int(src[o]) + int(src[o+C]) +
					int(src[o+row-C]) + int(src[o+row]) + int(src[o+row+C])
				// PIL sums float32 weights 1/13 and 5/13 plus 0.5 and
				// truncates; sum/13 + 0.5 is never within 1/26 of an
				// integer, so the exact integer form rounds identically.
				smooth := uint8((2*sum + 13) / 26)
				img.Pix[o] = blend(smooth, src[o], a)
			}
		}
	}
}

// cutoutGrey is the fill of CutoutAbs on grey images: PIL's L value of
// (125, 123, 114). PIL itself rejects an RGB fill on an L image.
var cutoutGrey = grey(125, 123, 114)

// CutoutAbs fills a square of side v with (125, 123, 114) as ildoonet's
// CutoutAbs does, given the centre (cx, cy) that it draws with
// np.random.uniform(w) (so cx is in (1, W]): the corner is
// x0 = int(max(0, cx-v/2)), the far edge x1 = min(W, x0+v), and PIL's
// rectangle fills columns x0..int(x1) inclusive, clipped to the image; rows
// likewise. A negative v does nothing. Grey images use cutoutGrey.
func CutoutAbs(img *Image, v, cx, cy float64) {
	img.check()
	if v < 0 {
		return
	}
	x0 := int(max(0, cx-v/2.0))
	y0 := int(max(0, cy-v/2.0))
	x1 := int(min(float64(img.W), float64(x0)+v))
	y1 := int(min(float64(img.H), float64(y0)+v))
	fill := [3]uint8{125, 123, 114}
	if img.C == 1 {
		fill[0] = cutoutGrey
	}
	C := img.C
	for y := y0; y <= min(y1, img.H-1); y++ {
		for x := x0; x <= min(x1, img.W-1); x++ {
			copyPixel(img.Pix[(y*img.W+x)*C:], fill[:], C)
		}
	}
}
