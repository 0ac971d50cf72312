package ort

import (
	"fmt"
	"math"
)

// Result is the outcome of Evaluate.
type Result struct {
	Accuracy   float64   // Correct / Total, top-1, in [0, 1]
	Correct    int       // examples whose largest logit is at the label
	Total      int       // examples evaluated
	PerClass   []float64 // per-class accuracy (recall); 0 for a class with no examples
	ClassTotal []int     // examples per class, to tell an empty class from a 0% one
	Confusion  [][]int   // Confusion[label][predicted] counts
}

// pixelScale[v] = v/255, the ToTensor scaling (spec §3.1), computed by division as torchvision
// does rather than by multiplying with 1/255, so that the inputs match training bit for bit.
var pixelScale = func() (t [256]float32) {
	for v := range t {
		t[v] = float32(v) / 255
	}
	return t
}()

// Evaluate runs images through s in batches of batch and scores top-1 accuracy against labels.
// images holds len(labels) images of h×w×c uint8 pixels in HWC order (the CIFAR and
// Fashion-MNIST record layout); each batch is converted to NCHW float32 in [0, 1] straight into
// the session's input buffer, and any normalisation must be part of the model graph. The
// predicted class is the first largest logit. Labels must lie in [0, NumClasses()).
// Non-finite logits are an error, because a diverged model's accuracy would be meaningless.
func Evaluate(s *Session, images []uint8, labels []int, h, w, c, batch int) (Result, error) {
	if h < 1 || w < 1 || c < 1 || batch < 1 {
		return Result{}, fmt.Errorf("ort: evaluate: h, w, c and batch must be >= 1, got %d, %d, %d and %d", h, w, c, batch)
	}
	if sh := s.InputShape(); len(sh) != 4 || sh[1] != int64(c) || sh[2] != int64(h) || sh[3] != int64(w) {
		return Result{}, fmt.Errorf("ort: evaluate: images are %d×%d×%d (C×H×W) but the model input is %v", c, h, w, sh)
	}
	per := h * w * c
	if len(images) != len(labels)*per {
		return Result{}, fmt.Errorf("ort: evaluate: %d pixel bytes for %d labels, want %d·%d = %d",
			len(images), len(labels), len(labels), per, len(labels)*per)
	}
	k := s.NumClasses()
	for i, l := range labels {
		if l < 0 || l >= k {
			return Result{}, fmt.Errorf("ort: evaluate: label %d of example %d is outside [0, %d)", l, i, k)
		}
	}

	r := Result{Total: len(labels), PerClass: make([]float64, k), ClassTotal: make([]int, k), Confusion: make([][]int, k)}
	for i := range r.Confusion {
		r.Confusion[i] = make([]int, k)
	}
	for start := 0; start < len(labels); start += batch {
		n := min(batch, len(labels)-start)
		var bad error
		err := s.run(n, func(in []float32) error {
			hwcToCHW(in, images[start*per:(start+n)*per], h, w, c)
			return nil
		}, func(out []float32) {
			for i := range n {
				pred, err := argmax(out[i*k : (i+1)*k])
				if err != nil {
					bad = fmt.Errorf("ort: evaluate: example %d: %w", start+i, err)
					return
				}
				r.Confusion[labels[start+i]][pred]++
			}
		})
		if err == nil {
			err = bad
		}
		if err != nil {
			return Result{}, err
		}
	}
	for l := range k {
		r.ClassTotal[l] = 0
		for _, v := range r.Confusion[l] {
			r.ClassTotal[l] += v
		}
		r.Correct += r.Confusion[l][l]
		if r.ClassTotal[l] > 0 {
			r.PerClass[l] = float64(r.Confusion[l][l]) / float64(r.ClassTotal[l])
		}
	}
	if r.Total > 0 {
		r.Accuracy = float64(r.Correct) / float64(r.Total)
	}
	return r, nil
}

// hwcToCHW converts n images of h×w×c bytes (HWC) into dst as NCHW floats in [0, 1].
func hwcToCHW(dst []float32, src []uint8, h, w, c int) {
	hw := h * w
	per := hw * c
	for img := 0; img < len(src)/per; img++ {
		s, d := src[img*per:(img+1)*per], dst[img*per:(img+1)*per]
		for p := range hw {
			for ch := range c {
				d[ch*hw+p] = pixelScale[s[p*c+ch]]
			}
		}
	}
}

// argmax returns the index of the first largest value; non-finite values are an error.
func argmax(v []float32) (int, error) {
	best := 0
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return 0, fmt.Errorf("logit %d is %v", i, x)
		}
		if x > v[best] {
			best = i
		}
	}
	return best, nil
}
