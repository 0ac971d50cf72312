package onnx

import (
	"math"
	"math/rand/v2"
	"testing"

	"budgetrain/onnx/internal/ref"
)

// Conv(x, wf, bf) equals BN(Conv(x, w, b)) for random inputs, with and without a conv bias.
func TestFoldBatchNormMatchesConvThenBN(t *testing.T) {
	tests := []struct {
		name              string
		cin, cout, k, pad int
		bias              bool
	}{
		{"3x3 with bias", 3, 4, 3, 1, true},
		{"3x3 without bias", 2, 5, 3, 1, false},
		{"1x1 shortcut", 4, 8, 1, 0, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(10, uint64(i)))
			w := randn(rng, tt.cout*tt.cin*tt.k*tt.k, 0.5)
			var bias []float32
			if tt.bias {
				bias = randn(rng, tt.cout, 0.2)
			}
			gamma, beta, mean := randn(rng, tt.cout, 1), randn(rng, tt.cout, 0.5), randn(rng, tt.cout, 0.5)
			variance := make([]float32, tt.cout)
			for o := range variance {
				variance[o] = float32(0.1 + rng.Float64()*3)
			}
			const eps = 1e-5
			x := ref.FromFloat32(randn(rng, 2*tt.cin*5*5, 1), 2, tt.cin, 5, 5)
			wt := ref.FromFloat32(w, tt.cout, tt.cin, tt.k, tt.k)
			var b64 []float64
			if bias != nil {
				b64 = ref.F64(bias)
			}
			want := ref.BatchNorm(ref.Conv2D(x, wt, b64, 1, tt.pad, 1),
				ref.F64(gamma), ref.F64(beta), ref.F64(mean), ref.F64(variance), eps)

			wf, bf := FoldBatchNorm(w, tt.cout, bias, gamma, beta, mean, variance, eps)
			got := ref.Conv2D(x, ref.FromFloat32(wf, tt.cout, tt.cin, tt.k, tt.k), ref.F64(bf), 1, tt.pad, 1)
			maxDiff := 0.0
			for j := range want.Data {
				maxDiff = math.Max(maxDiff, math.Abs(want.Data[j]-got.Data[j]))
			}
			if maxDiff > 1e-5 {
				t.Errorf("max |folded − conv+bn| = %g, want ≤ 1e-5", maxDiff)
			}
		})
	}
}

func TestFoldBatchNormLeavesInputsUnchanged(t *testing.T) {
	w := []float32{1, 2, 3, 4}
	bias := []float32{1, 1}
	FoldBatchNorm(w, 2, bias, []float32{2, 2}, []float32{0, 0}, []float32{0, 0}, []float32{1, 1}, 0)
	if w[0] != 1 || w[3] != 4 || bias[0] != 1 {
		t.Errorf("inputs modified: w %v bias %v", w, bias)
	}
}

func TestFoldBatchNormPanicsOnLengthMismatch(t *testing.T) {
	one := []float32{1}
	tests := []struct {
		name string
		call func()
	}{
		{"weight not a multiple of cout", func() { FoldBatchNorm(make([]float32, 5), 2, nil, one, one, one, one, 1e-5) }},
		{"cout zero", func() { FoldBatchNorm(nil, 0, nil, nil, nil, nil, nil, 1e-5) }},
		{"short gamma", func() {
			FoldBatchNorm(make([]float32, 4), 2, nil, one, []float32{1, 1}, []float32{1, 1}, []float32{1, 1}, 1e-5)
		}},
		{"short bias", func() { FoldBatchNorm(make([]float32, 2), 1, []float32{}, one, one, one, one, 1e-5) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil {
					t.Error("no panic")
				}
			}()
			tt.call()
		})
	}
}
