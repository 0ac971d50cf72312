package augment

import "fmt"

// Batch is a normalized float32 NCHW batch with the bookkeeping mixers need
// to form soft targets and to credit each source image its share.
//
// Without mixing, Parts = 1, Src[j] = j and Weight[j] = 1. A mixer rewrites X,
// Parts, Src and Weight: output image j is made of Parts parts, part k coming
// from the image at batch position Src[j*Parts+k] (its label is
// Label[Src[j*Parts+k]]) with label weight Weight[j*Parts+k]; the weights of
// an image sum to 1 and are the actual pixel shares where that applies.
type Batch struct {
	N, C, H, W int
	X          []float32 // N*C*H*W, normalized
	Label      []int     // N hard labels of the images as loaded
	Parts      int       // parts per output image: 1, 2 (mixup, cutmix) or 4 (RICAP)
	Src        []int     // N*Parts batch positions of the source of each part
	Weight     []float32 // N*Parts label weights, summing to 1 per image
}

// NewBatch returns an unmixed batch of n images of c x h x w, zeroed.
func NewBatch(n, c, h, w int) *Batch {
	if n <= 0 || c <= 0 || h <= 0 || w <= 0 {
		panic(fmt.Sprintf("augment: bad batch shape %dx%dx%dx%d", n, c, h, w))
	}
	b := &Batch{N: n, C: c, H: h, W: w, X: make([]float32, n*c*h*w), Label: make([]int, n),
		Src: make([]int, n, 4*n), Weight: make([]float32, n, 4*n)}
	b.Unmix()
	return b
}

// Unmix resets the bookkeeping to one part per image (Parts = 1,
// Src[j] = j, Weight[j] = 1), reusing the slices. X is untouched.
func (b *Batch) Unmix() {
	b.Parts = 1
	b.Src = resize(b.Src, b.N)
	b.Weight = resize(b.Weight, b.N)
	for j := range b.N {
		b.Src[j], b.Weight[j] = j, 1
	}
}

// setParts resizes Src and Weight for p parts per image.
func (b *Batch) setParts(p int) {
	b.Parts = p
	b.Src = resize(b.Src, b.N*p)
	b.Weight = resize(b.Weight, b.N*p)
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Image returns the CHW slice of image j of X.
func (b *Batch) Image(j int) []float32 {
	n := b.C * b.H * b.W
	return b.X[j*n : (j+1)*n]
}

// SoftTargets writes the soft targets into dst (N x classes, row-major):
// row j is the sum over parts k of Weight[j*Parts+k] times the one-hot of
// Label[Src[j*Parts+k]]. It panics if len(dst) != N*classes or a label is
// outside [0, classes).
func (b *Batch) SoftTargets(classes int, dst []float32) {
	if len(dst) != b.N*classes {
		panic(fmt.Sprintf("augment: soft targets for %d x %d into %d floats", b.N, classes, len(dst)))
	}
	clear(dst)
	for j := range b.N {
		for k := range b.Parts {
			y := b.Label[b.Src[j*b.Parts+k]]
			if y < 0 || y >= classes {
				panic(fmt.Sprintf("augment: label %d outside [0, %d)", y, classes))
			}
			dst[j*classes+y] += b.Weight[j*b.Parts+k]
		}
	}
}

// check panics when the slices do not match the shape.
func (b *Batch) check() {
	if b.N <= 0 || len(b.X) != b.N*b.C*b.H*b.W || len(b.Label) != b.N || b.Parts < 1 ||
		len(b.Src) != b.N*b.Parts || len(b.Weight) != b.N*b.Parts {
		panic(fmt.Sprintf("augment: inconsistent batch N=%d C=%d H=%d W=%d Parts=%d (len X %d, Label %d, Src %d, Weight %d)",
			b.N, b.C, b.H, b.W, b.Parts, len(b.X), len(b.Label), len(b.Src), len(b.Weight)))
	}
}
