package augment

import (
	"math/rand/v2"
	"slices"
	"testing"

	"budgetrain/pipeline/data"
)

// datasetInfo returns the augmentation numbers of a registered dataset, as
// pipeline.AugmentInfo passes them: augment has no dataset table of its own,
// so its tests read the records (pipeline/data is pure Go too).
func datasetInfo(tb testing.TB, name string) DatasetInfo {
	tb.Helper()
	info, err := data.Lookup(name)
	if err != nil {
		tb.Fatal(err)
	}
	return DatasetInfo{H: info.H, W: info.W, C: info.C, FlipProb: info.FlipProb, Pad: info.Pad, Mean: info.Mean, Std: info.Std}
}

// newRNG returns the fixed-seed generator of a test.
func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

// randomImage returns an image with uniform random samples.
func randomImage(rng *rand.Rand, h, w, c int) *Image {
	img := NewImage(h, w, c)
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	return img
}

// filledImage returns an image with every sample set to v.
func filledImage(h, w, c int, v uint8) *Image {
	img := NewImage(h, w, c)
	for i := range img.Pix {
		img.Pix[i] = v
	}
	return img
}

// at returns the sample of channel c at row y, column x.
func at(img *Image, y, x, c int) uint8 { return img.Pix[(y*img.W+x)*img.C+c] }

func sameImage(t *testing.T, name string, got, want *Image) {
	t.Helper()
	if got.H != want.H || got.W != want.W || got.C != want.C || !slices.Equal(got.Pix, want.Pix) {
		t.Errorf("%s: image changed\n got  %dx%dx%d %v\n want %dx%dx%d %v", name,
			got.H, got.W, got.C, got.Pix, want.H, want.W, want.C, want.Pix)
	}
}

// chi2Uniform returns the χ² statistic of counts against a uniform law.
func chi2Uniform(counts []int) float64 {
	total := 0
	for _, c := range counts {
		total += c
	}
	e := float64(total) / float64(len(counts))
	s := 0.0
	for _, c := range counts {
		d := float64(c) - e
		s += d * d / e
	}
	return s
}
