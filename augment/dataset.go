package augment

import (
	"errors"
	"fmt"
)

// DatasetInfo is what the pipeline needs to know about a dataset: the image
// shape, the flip probability and padding of the standard augmentation, and
// the per-channel normalization (spec §3.1). augment knows no dataset by
// name: the numbers are in each dataset's record (pipeline/data Info), and
// the caller passes them in (pipeline.AugmentInfo).
type DatasetInfo struct {
	H, W, C  int
	FlipProb float64
	Pad      int
	Mean     []float32
	Std      []float32
}

// Validate reports every problem of ds, one per line.
func (ds DatasetInfo) Validate() error {
	var errs []error
	if ds.H <= 0 || ds.W <= 0 {
		errs = append(errs, fmt.Errorf("dataset size (%dx%d) must be positive", ds.H, ds.W))
	}
	if ds.C != 1 && ds.C != 3 {
		errs = append(errs, fmt.Errorf("dataset channels (%d) must be 1 or 3", ds.C))
	}
	if !(ds.FlipProb >= 0 && ds.FlipProb <= 1) {
		errs = append(errs, fmt.Errorf("dataset flip_prob (%g) must be in [0, 1]", ds.FlipProb))
	}
	if ds.Pad < 0 {
		errs = append(errs, fmt.Errorf("dataset pad (%d) must be >= 0", ds.Pad))
	}
	if len(ds.Mean) != ds.C || len(ds.Std) != ds.C {
		errs = append(errs, fmt.Errorf("dataset mean/std lengths (%d, %d) must equal channels (%d)", len(ds.Mean), len(ds.Std), ds.C))
	}
	for i, s := range ds.Std {
		if !(s > 0) {
			errs = append(errs, fmt.Errorf("dataset std[%d] (%g) must be > 0", i, s))
		}
	}
	return errors.Join(errs...)
}

// Normalize writes img as a CHW float32 tensor, (x/255 - mean[c]) / std[c],
// into dst, in float32 as torchvision's ToTensor + Normalize compute it.
// It allocates nothing. It panics if len(dst) != C*H*W or mean/std do not
// have C entries. A Normalizer saves rebuilding the lookup tables per image.
func Normalize(img *Image, mean, std []float32, dst []float32) {
	var n Normalizer
	n.init(img.C, mean, std)
	n.Apply(img, dst)
}

// Normalizer is Normalize with its per-channel lookup tables built once.
// It is read-only after NewNormalizer, so workers can share it.
type Normalizer struct {
	c   int
	lut [3][256]float32
}

// NewNormalizer returns the Normalizer for len(mean) channels (1 or 3). It
// panics if mean and std differ in length or have another length.
func NewNormalizer(mean, std []float32) *Normalizer {
	n := new(Normalizer)
	n.init(len(mean), mean, std)
	return n
}

func (n *Normalizer) init(c int, mean, std []float32) {
	if (c != 1 && c != 3) || len(mean) != c || len(std) != c {
		panic(fmt.Sprintf("augment: normalize %d channels with %d means, %d stds", c, len(mean), len(std)))
	}
	n.c = c
	for ch := range c {
		for v := range 256 {
			n.lut[ch][v] = (float32(v)/255 - mean[ch]) / std[ch]
		}
	}
}

// Apply writes the normalized CHW image into dst (len C*H*W). It panics
// on a channel or length mismatch.
func (n *Normalizer) Apply(img *Image, dst []float32) {
	img.check()
	C, HW := img.C, img.H*img.W
	if C != n.c || len(dst) != C*HW {
		panic(fmt.Sprintf("augment: normalize %dx%dx%d into %d floats with a %d-channel normalizer",
			img.H, img.W, C, len(dst), n.c))
	}
	if C == 1 {
		l := &n.lut[0]
		for i, v := range img.Pix {
			dst[i] = l[v]
		}
		return
	}
	r, g, b := dst[:HW], dst[HW:2*HW], dst[2*HW:3*HW]
	l0, l1, l2 := &n.lut[0], &n.lut[1], &n.lut[2]
	pix := img.Pix[:3*HW]
	for i := range r {
		p := pix[3*i : 3*i+3]
		r[i], g[i], b[i] = l0[p[0]], l1[p[1]], l2[p[2]]
	}
}
