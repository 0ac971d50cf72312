package pipeline

import (
	"math"
	"testing"
)

// TestIterationsMatchSpecTable checks K, I and T against the table of spec §1.
func TestIterationsMatchSpecTable(t *testing.T) {
	for _, tc := range []struct {
		n       int
		b       float64
		k, i, T int
	}{
		{50000, 0.2, 10000, 78, 15600}, {50000, 0.3, 15000, 117, 23400}, {50000, 0.5, 25000, 195, 39000},
		{50000, 0.7, 35000, 273, 54600}, {50000, 1, 50000, 390, 78000},
		{73257, 0.2, 14651, 114, 22800}, {73257, 0.3, 21977, 171, 34200}, {73257, 0.5, 36628, 286, 57200},
		{73257, 0.7, 51279, 400, 80000}, {73257, 1, 73257, 572, 114400},
	} {
		k, i, total := Iterations(tc.n, tc.b, 128, 200)
		if k != tc.k || i != tc.i || total != tc.T {
			t.Errorf("N=%d b=%g: K, I, T = %d, %d, %d; want %d, %d, %d", tc.n, tc.b, k, i, total, tc.k, tc.i, tc.T)
		}
	}
}

func TestLinearScheduleEndpointsAndLength(t *testing.T) {
	for _, b := range []float64{0.2, 0.3, 0.5, 1} {
		_, per, total := Iterations(50000, b, 128, 200)
		s := Schedule{Kind: "linear", LR: 0.1, FinalLR: 1e-6, Total: total, StepsPerEpoch: per}
		if got := s.At(0); got != 0.1 {
			t.Errorf("b=%g: first LR %g, want 0.1", b, got)
		}
		if got := s.At(total - 1); math.Abs(got-1e-6) > 1e-15 {
			t.Errorf("b=%g: last LR %g, want 1e-6", b, got)
		}
		if got := s.At(total + 5); got != 1e-6 {
			t.Errorf("b=%g: LR after the end %g, want 1e-6", b, got)
		}
		// numpy.linspace(0.1, 1e-6, T)[k]: constant decrement, monotone.
		step := (1e-6 - 0.1) / float64(total-1)
		for _, k := range []int{1, total / 3, total / 2, total - 2} {
			want := 0.1 + float64(k)*step
			if got := s.At(k); math.Abs(got-want) > 1e-12 {
				t.Errorf("b=%g: At(%d) = %g, want %g", b, k, got, want)
			}
		}
	}
}

func TestStepScheduleMilestonesInEpochs(t *testing.T) {
	s := Schedule{Kind: "step", LR: 0.1, Gamma: 0.1, StepsPerEpoch: 10, Total: 100, Milestones: []float64{3, 6}}
	for _, tc := range []struct {
		step int
		want float64
	}{{0, 0.1}, {29, 0.1}, {30, 0.01}, {59, 0.01}, {60, 0.001}, {99, 0.001}} {
		if got := s.At(tc.step); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("At(%d) = %g, want %g", tc.step, got, tc.want)
		}
	}
}
