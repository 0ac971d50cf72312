package pipeline

import (
	"math"
	"testing"

	"github.com/sugarme/gotch"
	ts "github.com/sugarme/gotch/ts"
)

// smoothLoss must equal PyTorch's label_smoothing definition applied to every mixing part:
// Σ_jk w_jk·[(1−ε)·(−log p_j,y_jk) + ε·mean_c(−log p_jc)], computed here in Go.
func TestSmoothLossMatchesDefinition(t *testing.T) {
	logits := []float32{2, -1, 0.5, 0.1, 0, 3, -2, 1, 0.3}
	labels := []int64{0, 2, 1, 1, 2, 0} // 3 images × 2 parts
	weights := []float32{0.4, 0.2, 0.3, 0.1, 0, 0.5}
	const n, c, parts, eps = 3, 3, 2, 0.1
	want := refSmoothLoss(logits, labels, weights, c, parts, eps)
	x := ts.MustOfSlice(logits).MustView([]int64{n, c}, true)
	lab := ts.MustOfSlice(labels).MustView([]int64{n, parts}, true)
	wt := ts.MustOfSlice(weights).MustView([]int64{n, parts}, true)
	lsm := x.MustLogSoftmax(1, gotch.Float, false)
	ce := lsm.MustGather(1, lab, false, false).MustMul(wt, true).MustSum(gotch.Float, true).MustNeg(true)
	got := smoothLoss(ce, lsm, wt, eps)
	for _, v := range []*ts.Tensor{x, lab, wt, lsm} {
		v.MustDrop()
	}
	g := got.Float64Values()[0]
	got.MustDrop()
	if math.Abs(g-want) > 1e-5 {
		t.Fatalf("smoothLoss = %.7f, want %.7f", g, want)
	}
	// The data must be such that smoothing changes the loss, or the check above proves little.
	if math.Abs(want-refSmoothLoss(logits, labels, weights, c, parts, 0)) < 1e-6 {
		t.Fatalf("test data too weak: smoothing does not change the loss")
	}
}

// refSmoothLoss computes Σ_jk w_jk·[(1−ε)·(−log p_j,y_jk) + ε·mean_c(−log p_jc)] in float64.
func refSmoothLoss(logits []float32, labels []int64, weights []float32, c, parts int, eps float64) float64 {
	s := 0.0
	for j := 0; j < len(logits)/c; j++ {
		row := logits[j*c : (j+1)*c]
		z := 0.0
		for _, v := range row {
			z += math.Exp(float64(v))
		}
		var meanNLL float64
		for _, v := range row {
			meanNLL += (math.Log(z) - float64(v)) / float64(c)
		}
		for k := 0; k < parts; k++ {
			nll := math.Log(z) - float64(row[labels[j*parts+k]])
			s += float64(weights[j*parts+k]) * ((1-eps)*nll + eps*meanNLL)
		}
	}
	return s
}
