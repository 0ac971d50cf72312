package data

import (
	"fmt"
	"math"
)

// Dataset is an in-memory labelled image set. Pixels are uint8 in HWC order:
// the value of channel c at row y, column x of image i is
// Pix[((i*H+y)*W+x)*C+c].
type Dataset struct {
	Name       string
	N, H, W, C int
	Pix        []uint8  // N*H*W*C values
	Labels     []int    // N values in [0, len(Classes))
	Classes    []string // class names; label k names Classes[k]
}

// ImageSize returns H*W*C, the number of bytes per image.
func (d *Dataset) ImageSize() int { return d.H * d.W * d.C }

// Image returns a view (not a copy) of image i. Its capacity is clipped to
// the image, so appending to it never overwrites the next image. It panics
// if i is outside [0, N).
func (d *Dataset) Image(i int) []uint8 {
	if i < 0 || i >= d.N {
		panic(fmt.Sprintf("data: image index %d out of range [0, %d)", i, d.N))
	}
	s := d.ImageSize()
	return d.Pix[i*s : (i+1)*s : (i+1)*s]
}

// Validate checks that the dataset is internally consistent: positive sizes,
// slice lengths matching N, H, W and C, and every label in
// [0, len(Classes)). It reports the first problem found.
func (d *Dataset) Validate() error {
	switch {
	case d.N < 0 || d.H <= 0 || d.W <= 0 || d.C <= 0:
		return fmt.Errorf("dataset %q: bad shape N=%d H=%d W=%d C=%d", d.Name, d.N, d.H, d.W, d.C)
	case len(d.Pix) != d.N*d.ImageSize():
		return fmt.Errorf("dataset %q: %d pixel bytes, want N*H*W*C = %d", d.Name, len(d.Pix), d.N*d.ImageSize())
	case len(d.Labels) != d.N:
		return fmt.Errorf("dataset %q: %d labels, want N = %d", d.Name, len(d.Labels), d.N)
	}
	if i, l, ok := firstBadLabel(d.Labels, len(d.Classes)); !ok {
		return fmt.Errorf("dataset %q: label %d at index %d out of range [0, %d)", d.Name, l, i, len(d.Classes))
	}
	return nil
}

// ClassCounts returns the number of images of each class, indexed by label.
func (d *Dataset) ClassCounts() []int {
	counts := make([]int, len(d.Classes))
	for _, l := range d.Labels {
		if l >= 0 && l < len(counts) {
			counts[l]++
		}
	}
	return counts
}

// MeanStd returns the per-channel mean and (population) standard deviation
// of the pixels scaled to [0, 1], as used by Normalize in spec §3.1. It
// returns zeros for an empty dataset.
func (d *Dataset) MeanStd() (mean, std []float32) {
	mean = make([]float32, d.C)
	std = make([]float32, d.C)
	if d.N == 0 || d.C == 0 {
		return mean, std
	}
	// Integer sums are exact: 255² · N·H·W fits in uint64 for any dataset
	// that fits in memory.
	sum := make([]uint64, d.C)
	sq := make([]uint64, d.C)
	for i := 0; i < len(d.Pix); i += d.C {
		for c, v := range d.Pix[i : i+d.C] {
			sum[c] += uint64(v)
			sq[c] += uint64(v) * uint64(v)
		}
	}
	n := float64(len(d.Pix) / d.C)
	for c := range d.C {
		m := float64(sum[c]) / n
		v := float64(sq[c])/n - m*m
		mean[c] = float32(m / 255)
		std[c] = float32(math.Sqrt(math.Max(v, 0)) / 255)
	}
	return mean, std
}

// Subset returns a new dataset holding copies of the images and labels at
// idx, in that order; indices may repeat. Classes is shared with d. It
// panics if an index is outside [0, d.N).
func Subset(d *Dataset, idx []int) *Dataset {
	s := d.ImageSize()
	out := &Dataset{
		Name: d.Name, N: len(idx), H: d.H, W: d.W, C: d.C,
		Pix:     make([]uint8, len(idx)*s),
		Labels:  make([]int, len(idx)),
		Classes: d.Classes,
	}
	for j, i := range idx {
		if i < 0 || i >= d.N {
			panic(fmt.Sprintf("data: Subset index %d out of range [0, %d)", i, d.N))
		}
		copy(out.Pix[j*s:(j+1)*s], d.Pix[i*s:(i+1)*s])
		out.Labels[j] = d.Labels[i]
	}
	return out
}

// firstBadLabel returns the first label outside [0, k) with its index, and
// ok = false if there is one.
func firstBadLabel(labels []int, k int) (i, label int, ok bool) {
	for i, l := range labels {
		if l < 0 || l >= k {
			return i, l, false
		}
	}
	return 0, 0, true
}

// numberedClasses returns the class names "0", "1", …, "k-1".
func numberedClasses(k int) []string {
	names := make([]string, k)
	for i := range names {
		names[i] = fmt.Sprint(i)
	}
	return names
}
