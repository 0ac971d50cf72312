package ref

import (
	"slices"
	"testing"
)

// Hand-computed cases: the reference must be right for the comparisons built on it to mean anything.
func TestRefOpsOnHandComputedCases(t *testing.T) {
	x := Tensor{Shape: []int{1, 1, 3, 3}, Data: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}}
	tests := []struct {
		name string
		got  Tensor
		want []float64
	}{
		{"conv identity kernel keeps input", Conv2D(x, Tensor{Shape: []int{1, 1, 1, 1}, Data: []float64{1}}, nil, 1, 0, 1), x.Data},
		{"conv 3x3 ones pad 1 sums neighbourhoods", Conv2D(x, Tensor{Shape: []int{1, 1, 3, 3}, Data: []float64{1, 1, 1, 1, 1, 1, 1, 1, 1}}, []float64{10}, 1, 1, 1),
			[]float64{22, 31, 26, 37, 55, 43, 34, 49, 38}},
		{"conv stride 2 pad 1 picks corners", Conv2D(x, Tensor{Shape: []int{1, 1, 3, 3}, Data: []float64{0, 0, 0, 0, 1, 0, 0, 0, 0}}, nil, 2, 1, 1), []float64{1, 3, 7, 9}},
		{"maxpool 2 stride 1", Pool2D(x, 2, 1, 0, true), []float64{5, 6, 8, 9}},
		{"maxpool 3 stride 2 pad 1", Pool2D(x, 3, 2, 1, true), []float64{5, 6, 8, 9}},
		{"avgpool 2 stride 1", Pool2D(x, 2, 1, 0, false), []float64{3, 4, 6, 7}},
		{"global average", GlobalAveragePool(x), []float64{5}},
		{"batchnorm", BatchNorm(x, []float64{2}, []float64{1}, []float64{5}, []float64{4 - 1e-5}, 1e-5), []float64{-3, -2, -1, 0, 1, 2, 3, 4, 5}},
		{"linear", Linear(Tensor{Shape: []int{1, 2}, Data: []float64{1, 2}}, Tensor{Shape: []int{2, 2}, Data: []float64{1, 0, 3, 4}}, []float64{0.5, 0}), []float64{1.5, 11}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.want {
				if d := tt.got.Data[i] - tt.want[i]; d > 1e-9 || d < -1e-9 {
					t.Fatalf("got %v, want %v", tt.got.Data, tt.want)
				}
			}
			if len(tt.got.Data) != len(tt.want) {
				t.Fatalf("got %d values, want %d", len(tt.got.Data), len(tt.want))
			}
		})
	}
	if got := Relu(Tensor{Shape: []int{3}, Data: []float64{-1, 0, 2}}).Data; !slices.Equal(got, []float64{0, 0, 2}) {
		t.Errorf("relu: got %v", got)
	}
}
