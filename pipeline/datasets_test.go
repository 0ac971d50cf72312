package pipeline

import (
	"slices"
	"testing"

	"budgetrain/augment"
	"budgetrain/pipeline/data"
)

// TestEveryDatasetHasAnAugmentPreset: every registered record gives augment numbers it accepts
// (AugmentInfo), and the standard policy takes the record's padding and flip probability. An
// image folder's record leaves shape and statistics to the data, which the trainer fills in from
// the loaded images; here a 8x8 RGB image with neutral statistics stands in for them.
func TestEveryDatasetHasAnAugmentPreset(t *testing.T) {
	for _, name := range data.Names() {
		t.Run(name, func(t *testing.T) {
			info, err := data.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			ai := AugmentInfo(info)
			if info.H == 0 {
				ai.H, ai.W, ai.C = 8, 8, 3
				ai.Mean, ai.Std = []float32{0.5, 0.5, 0.5}, []float32{0.25, 0.25, 0.25}
			} else if ai.H != info.H || ai.W != info.W || ai.C != info.C || !slices.Equal(ai.Mean, info.Mean) || !slices.Equal(ai.Std, info.Std) {
				t.Errorf("AugmentInfo %+v does not carry the record's shape and statistics", ai)
			}
			if err := ai.Validate(); err != nil {
				t.Fatalf("augment refuses the record: %v", err)
			}
			p, err := augment.Parse(augment.DefaultPolicy, ai)
			if err != nil {
				t.Fatalf("policy %q: %v", augment.DefaultPolicy, err)
			}
			std, ok := p.Transforms[0].(*augment.Standard)
			if len(p.Transforms) != 1 || !ok || std.Pad != info.Pad || std.FlipProb != info.FlipProb {
				t.Errorf("%q gives %v, want standard(pad=%d, flip=%g)", augment.DefaultPolicy, p, info.Pad, info.FlipProb)
			}
		})
	}
}
