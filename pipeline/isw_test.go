package pipeline

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"budgetrain/augment"
	"budgetrain/sampler"
)

// TestLossMultiplierFollowsSource: part k of image j gets the multiplier of its source image
// Src[j,k] (here image 0 mixes parts of images 0 and 1, image 1 is all image 1, with a part of
// zero area from image 0), not the multiplier of the image loaded at position j.
func TestLossMultiplierFollowsSource(t *testing.T) {
	b := &Batch{Index: []int{10, 11}}
	b.N, b.Parts = 2, 2
	b.Label = []int{4, 7}
	b.Src = []int{0, 1, 1, 0}
	b.Weight = []float32{0.75, 0.25, 1, 0}
	isw := []float32{2, 3} // of dataset indices 10 and 11
	labels, weights := lossWeights(b, isw)
	if want := []int64{4, 7, 7, 4}; !slices.Equal(labels, want) {
		t.Errorf("labels %v, want %v", labels, want)
	}
	if want := []float32{0.75, 0.375, 1.5, 0}; !slices.Equal(weights, want) {
		t.Errorf("weights %v, want %v (W_jk·isw[Src[j,k]]/B)", weights, want)
	}
	_, plain := lossWeights(b, nil)
	if want := []float32{0.375, 0.125, 0.5, 0}; !slices.Equal(plain, want) {
		t.Errorf("weights without multipliers %v, want %v", plain, want)
	}
}

// TestImportanceWeightsUnbiasedUnderMixing: loss-is draws with replacement from a skewed p and
// unbiases with 1/(N·pᵢ). Under mixup and RICAP, the total loss weight that the label terms of
// sample i receive, averaged over epochs, must equal its value under uniform sampling without
// multipliers, ⌊K/B⌋/N per epoch (each loaded position spreads weight 1/B over its parts). The
// sample's label is its dataset index, so the label a term is scored against says whose term it
// is. Taking the multiplier from the image position instead overweights frequently drawn
// samples (by about (1−λ)·N·pᵢ under mixup and N·pᵢ under RICAP).
func TestImportanceWeightsUnbiasedUnderMixing(t *testing.T) {
	const n, batch, k, epochs = 40, 8, 40, 20000
	for _, tc := range []struct {
		name  string
		mixer augment.Mixer
	}{
		{"mixup", &augment.Mixup{Alpha: 0.3}},
		{"ricap", &augment.RICAP{Beta: 0.3}},
		{"cutmix", &augment.CutMix{Alpha: 1, P: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := sampler.DefaultConfig()
			sc.Method, sc.Seed, sc.N, sc.Budget, sc.BatchSize, sc.Epochs = "loss-is", 3, n, float64(k)/n, batch, epochs
			s, err := sampler.New(sc)
			if err != nil {
				t.Fatal(err)
			}
			loss := make([]float32, n)
			for i := range loss {
				loss[i] = float32(0.05 + 0.25*float64(i%5)) // p from 0.35/N to 1.65/N
			}
			if err := s.Observe(sampler.Obs{Idx: seqInts(n), Loss: loss}); err != nil {
				t.Fatal(err)
			}
			w := s.(sampler.Weighter)
			rng := rand.New(rand.NewPCG(1, 2))
			credit := make([]float64, n)
			b := &Batch{Batch: *augment.NewBatch(batch, 1, 4, 4), Index: make([]int, batch)}
			for e := range epochs {
				idx := s.Epoch(e, k)
				for lo := 0; lo+batch <= len(idx); lo += batch {
					b.Unmix()
					copy(b.Index, idx[lo:lo+batch])
					copy(b.Label, b.Index) // label = dataset index
					tc.mixer.Mix(&b.Batch, rng)
					labels, weights := lossWeights(b, w.Weights(b.Index))
					for jk, y := range labels {
						credit[y] += float64(weights[jk])
					}
				}
			}
			uniform := float64(k/batch) / n // per epoch
			for i, c := range credit {
				// sd of the ratio ≈ sqrt((1−pᵢ)/(K·pᵢ·epochs)) <= 0.012 here
				if r := c / epochs / uniform; math.Abs(r-1) > 0.08 {
					t.Errorf("sample %d (loss %g): mean weight of its label terms is %.3f of the uniform value, want 1", i, loss[i], r)
				}
			}
		})
	}
}

func seqInts(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
