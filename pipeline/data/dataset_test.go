package data

import (
	"bytes"
	"math"
	"slices"
	"testing"
)

// indexed returns a dataset whose image i is filled with byte i, so that
// every image can be identified after copying.
func indexed(labels []int, k int) *Dataset {
	d := &Dataset{N: len(labels), H: 2, W: 1, C: 2, Labels: labels, Classes: numberedClasses(k)}
	for i := range labels {
		d.Pix = append(d.Pix, bytes.Repeat([]byte{byte(i)}, 4)...)
	}
	return d
}

func TestImageIsClippedView(t *testing.T) {
	d := indexed([]int{0, 1, 0}, 2)
	img := d.Image(1)
	if len(img) != 4 || cap(img) != 4 || img[0] != 1 {
		t.Fatalf("Image(1) = %v (cap %d), want 4 bytes of 1 with capacity 4", img, cap(img))
	}
	img[0] = 9
	if d.Pix[4] != 9 {
		t.Error("Image is not a view of Pix")
	}
	_ = append(img, 7)
	if d.Pix[8] != 2 {
		t.Error("appending to Image(1) overwrote image 2")
	}
}

func TestImagePanicsOutOfRange(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Image(3) on 3 images did not panic")
		}
	}()
	indexed([]int{0, 1, 0}, 2).Image(3)
}

func TestSubsetCopiesInOrder(t *testing.T) {
	d := indexed([]int{0, 1, 1, 0}, 2)
	s := Subset(d, []int{3, 1, 3})
	if s.N != 3 || !slices.Equal(s.Labels, []int{0, 1, 0}) || s.Image(0)[0] != 3 || s.Image(1)[0] != 1 || s.Image(2)[0] != 3 {
		t.Fatalf("Subset = N %d labels %v pix %v", s.N, s.Labels, s.Pix)
	}
	s.Pix[0] = 99
	if d.Pix[12] == 99 {
		t.Error("Subset shares pixels with its source")
	}
	if err := s.Validate(); err != nil {
		t.Error(err)
	}
}

func TestValidateFindsInconsistencies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(d *Dataset)
		want   string
	}{
		{"ZeroHeight", func(d *Dataset) { d.H = 0 }, "bad shape"},
		{"ShortPix", func(d *Dataset) { d.Pix = d.Pix[1:] }, "11 pixel bytes, want N*H*W*C = 12"},
		{"ShortLabels", func(d *Dataset) { d.Labels = d.Labels[1:] }, "2 labels, want N = 3"},
		{"LabelTooLarge", func(d *Dataset) { d.Labels[2] = 2 }, "label 2 at index 2 out of range [0, 2)"},
		{"NegativeLabel", func(d *Dataset) { d.Labels[0] = -1 }, "label -1 at index 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := indexed([]int{0, 1, 0}, 2)
			tc.modify(d)
			wantErr(t, d.Validate(), tc.want)
		})
	}
}

func TestMeanStdPerChannel(t *testing.T) {
	// Channel 0 is always 255; channel 1 alternates 0 and 255.
	d := &Dataset{N: 2, H: 1, W: 1, C: 2, Pix: []byte{255, 0, 255, 255}, Labels: []int{0, 0}, Classes: []string{"a"}}
	mean, std := d.MeanStd()
	want := [][]float32{{1, 0.5}, {0, 0.5}}
	for c := range 2 {
		if math.Abs(float64(mean[c]-want[0][c])) > 1e-6 || math.Abs(float64(std[c]-want[1][c])) > 1e-6 {
			t.Errorf("channel %d: mean %v std %v, want %v %v", c, mean[c], std[c], want[0][c], want[1][c])
		}
	}
}

func TestClassCounts(t *testing.T) {
	if got := indexed([]int{0, 2, 2, 1, 2}, 4).ClassCounts(); !slices.Equal(got, []int{1, 1, 3, 0}) {
		t.Errorf("ClassCounts = %v, want [1 1 3 0]", got)
	}
}
