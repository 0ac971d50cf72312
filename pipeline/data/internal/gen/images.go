package gen

import "math/rand/v2"

// Images is a labelled image set in HWC order, as package data's Dataset.
type Images struct {
	N, H, W, C int
	Pix        []byte
	Labels     []int
}

// classColors are the RGB colours of the block of each class (10 classes).
var classColors = [10][3]byte{
	{250, 40, 40}, {40, 250, 40}, {40, 40, 250}, {250, 250, 40}, {250, 40, 250},
	{40, 250, 250}, {250, 140, 40}, {140, 40, 250}, {250, 250, 250}, {140, 140, 140},
}

// Learnable returns n images of h×w×c with labels that cover classes
// 0…k-1 about equally, in a seed-determined order. Image i has uniform
// noise in [0, 40] and, for class l, a bright block of about h/3 × w/4
// pixels at grid cell l of a 4-column grid, shifted by up to one pixel; RGB
// images colour the block with classColors[l%10].
func Learnable(seed uint64, n, h, w, c, k int) Images {
	rng := rand.New(rand.NewPCG(seed, 0x67656e))
	im := Images{N: n, H: h, W: w, C: c, Pix: make([]byte, n*h*w*c), Labels: make([]int, n)}
	for i, j := range rng.Perm(n) {
		im.Labels[i] = j % k
	}
	bh, bw := max(h/3-1, 1), max(w/4-1, 1)
	for i, l := range im.Labels {
		img := im.Pix[i*h*w*c : (i+1)*h*w*c]
		for p := range img {
			img[p] = byte(rng.IntN(41))
		}
		cell := l % 12
		y0 := (cell/4)*(h/3) + rng.IntN(3) - 1
		x0 := (cell%4)*(w/4) + rng.IntN(3) - 1
		for y := max(y0, 0); y < min(y0+bh, h); y++ {
			for x := max(x0, 0); x < min(x0+bw, w); x++ {
				for ch := range c {
					v := byte(230)
					if c == 3 {
						v = classColors[l%10][ch]
					}
					img[(y*w+x)*c+ch] = v - byte(rng.IntN(20))
				}
			}
		}
	}
	return im
}
