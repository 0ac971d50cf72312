package pipeline

import (
	"budgetrain/sampler"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLinearScheduleEndpointsAndLength(t *testing.T) {
	for _, b := range []float64{0.2, 0.3, 0.5, 1} {
		plan := sampler.Budget{N: 50000, Fraction: b, BatchSize: 128, Epochs: 200}
		per, total := plan.StepsPerEpoch(), plan.Steps()
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

// TestBudgetSchedulesStepByStep checks linear, cosine and rex at every step of short runs
// against values worked out by hand from their formulas (docs/training.md, "Learning-rate
// schedules") with lr0 = 1 and final = 0: z = k/(T−1), cosine (1 + cos πz)/2, rex
// (1 − z)/(1/2 + (1 − z)/2). The same runs with final = 0.001 must give final + (1 − final)·w.
// The last listed value is the one after the run (step T), which is final.
func TestBudgetSchedulesStepByStep(t *testing.T) {
	r2 := math.Sqrt2
	for _, tc := range []struct {
		kind  string
		total int
		want  []float64
	}{
		{"linear", 1, []float64{1, 0}},
		{"cosine", 1, []float64{1, 0}},
		{"rex", 1, []float64{1, 0}},
		{"linear", 2, []float64{1, 0, 0}},
		{"cosine", 2, []float64{1, 0, 0}},
		{"rex", 2, []float64{1, 0, 0}},
		{"linear", 3, []float64{1, 0.5, 0, 0}},
		{"cosine", 3, []float64{1, 0.5, 0, 0}},
		{"rex", 3, []float64{1, 2. / 3, 0, 0}},
		{"linear", 5, []float64{1, 0.75, 0.5, 0.25, 0, 0}},
		{"cosine", 5, []float64{1, (2 + r2) / 4, 0.5, (2 - r2) / 4, 0, 0}},
		{"rex", 5, []float64{1, 6. / 7, 2. / 3, 2. / 5, 0, 0}},
	} {
		for _, final := range []float64{0, 0.001} {
			t.Run(fmt.Sprintf("%s/T=%d/final=%g", tc.kind, tc.total, final), func(t *testing.T) {
				s := Schedule{Kind: tc.kind, LR: 1, FinalLR: final, Total: tc.total}
				for k, w := range tc.want {
					want := final + (1-final)*w
					if got := s.At(k); math.Abs(got-want) > 1e-15 {
						t.Errorf("At(%d) = %.17g, want %.17g", k, got, want)
					}
				}
			})
		}
	}
}

// TestBudgetSchedulesShape: over a paper-sized run, linear, cosine and rex start at exactly lr0,
// end at exactly final on the last step and stay there, never rise, and keep their order: rex
// lies on or above linear everywhere (its profile divides 1 − z by at most 1), cosine above
// linear in the first half and below it in the second.
func TestBudgetSchedulesShape(t *testing.T) {
	const lr0, final, total = 0.1, 1e-6, 4600
	at := func(kind string, k int) float64 {
		return Schedule{Kind: kind, LR: lr0, FinalLR: final, Total: total}.At(k)
	}
	for _, kind := range []string{"linear", "cosine", "rex"} {
		if got := at(kind, 0); got != lr0 {
			t.Errorf("%s: first LR %.17g, want %g", kind, got, lr0)
		}
		for _, k := range []int{total - 1, total, total + 10} {
			if got := at(kind, k); got != final {
				t.Errorf("%s: At(%d) = %.17g, want %g", kind, k, got, final)
			}
		}
		for k := 1; k < total; k++ {
			if at(kind, k) > at(kind, k-1) {
				t.Fatalf("%s rises at step %d: %g → %g", kind, k, at(kind, k-1), at(kind, k))
			}
		}
	}
	for k := 1; k < total-1; k++ {
		lin, cos, rex := at("linear", k), at("cosine", k), at("rex", k)
		if rex < lin {
			t.Fatalf("step %d: rex %g below linear %g", k, rex, lin)
		}
		if half := float64(k) / (total - 1); (half < 0.5 && cos <= lin) || (half > 0.5 && cos >= lin) {
			t.Fatalf("step %d (z=%.3f): cosine %g, linear %g: on the wrong side", k, half, cos, lin)
		}
	}
}

// TestWarmupScalesFirstSteps: during the first W steps the schedule's own value is multiplied by
// (s+1)/W; from step W on it is untouched, and the schedule itself still runs over all T steps.
func TestWarmupScalesFirstSteps(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Schedule
		want []float64
	}{
		{"linear W=3", Schedule{Kind: "linear", LR: 1, Total: 5, Warmup: 3}, []float64{1. / 3, 0.75 * 2 / 3, 0.5, 0.25, 0}},
		{"cosine W=2", Schedule{Kind: "cosine", LR: 1, Total: 3, Warmup: 2}, []float64{0.5, 0.5, 0}},
		{"rex W=T", Schedule{Kind: "rex", LR: 1, Total: 3, Warmup: 3}, []float64{1. / 3, 2. / 3 * 2 / 3, 0}},
		{"step W=4", Schedule{Kind: "step", LR: 0.1, Gamma: 0.1, StepsPerEpoch: 2, Total: 6, Milestones: []float64{1}, Warmup: 4},
			[]float64{0.025, 0.05, 0.01 * 3 / 4, 0.01, 0.01, 0.01}},
		{"linear W=1 is no warm-up", Schedule{Kind: "linear", LR: 1, Total: 3, Warmup: 1}, []float64{1, 0.5, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.s.Check(); err != nil {
				t.Fatal(err)
			}
			for k, want := range tc.want {
				if got := tc.s.At(k); math.Abs(got-want) > 1e-15 {
					t.Errorf("At(%d) = %.17g, want %.17g", k, got, want)
				}
			}
		})
	}
}

// TestScheduleCheckNamesKeyAndValues: Check rejects what NewTrainer cannot run, naming the key,
// the value and (for the warm-up) T; problems are reported together.
func TestScheduleCheckNamesKeyAndValues(t *testing.T) {
	for _, tc := range []struct {
		s     Schedule
		frags []string // empty: valid
	}{
		{Schedule{Kind: "linear", Total: 10, Warmup: 10}, nil},
		{Schedule{Kind: "cosine", Total: 10}, nil},
		{Schedule{Kind: "linear", Total: 10, Warmup: 11}, []string{"train.warmup_steps (11)", "T = 10"}},
		{Schedule{Kind: "onecycle", Total: 10, Warmup: 2}, []string{"train.warmup_steps (2)", "onecycle"}},
		{Schedule{Kind: "exp", Total: 10, Warmup: -1}, []string{`train.schedule ("exp") must be one of cosine, linear, onecycle, rex, step`, "train.warmup_steps (-1) must be >= 0"}},
	} {
		err := tc.s.Check()
		if (err == nil) != (len(tc.frags) == 0) {
			t.Errorf("%+v: error %v, want one mentioning %q", tc.s, err, tc.frags)
			continue
		}
		for _, f := range tc.frags {
			if !strings.Contains(err.Error(), f) {
				t.Errorf("%+v: error %q does not mention %q", tc.s, err, f)
			}
		}
	}
}

// onecycleGolden is pipeline/testdata/onecycle-torch.json, written by
// scripts/onecycle-reference.py from PyTorch itself (so there is no -update flag: rerun the
// script to regenerate it).
type onecycleGolden struct {
	Torch string `json:"torch"`
	Cases []struct {
		LR0   float64   `json:"lr0"`
		Total int       `json:"total"`
		LR    []float64 `json:"lr"`
	} `json:"cases"`
}

// TestOneCycleMatchesPyTorch compares every step of the onecycle schedule with the learning rate
// PyTorch's OneCycleLR gave its optimizer (testdata/onecycle-torch.json). The arithmetic is
// PyTorch's, operation for operation, so the only difference left is the cosine itself: Go's
// math.Cos and the C library's cos that Python calls may differ in the last bit, and the
// schedule multiplies that by lr0/2. The tolerance is therefore absolute, 4·2⁻⁵²·lr0 ≈ 9e-16·lr0
// (measured: at most 1.4e-16·lr0, most steps bit for bit). A relative tolerance would have to be
// loose near the end, where the value is lr0/2.5e5 and the cosine term cancels (measured:
// 7e-12 of the step's value at T = 4600).
func TestOneCycleMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "onecycle-torch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g onecycleGolden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) < 5 {
		t.Fatalf("golden file has %d cases", len(g.Cases))
	}
	for _, c := range g.Cases {
		if len(c.LR) != c.Total {
			t.Fatalf("lr0=%g T=%d: golden file has %d steps", c.LR0, c.Total, len(c.LR))
		}
		s := Schedule{Kind: "onecycle", LR: c.LR0, FinalLR: 0.5 * c.LR0, Total: c.Total} // FinalLR is ignored
		tol := 4 * 0x1p-52 * c.LR0
		worst, worstRel, exact := 0.0, 0.0, 0
		for k, want := range c.LR {
			d := math.Abs(s.At(k) - want)
			worstRel = max(worstRel, d/want)
			if d > tol {
				t.Errorf("lr0=%g T=%d step %d: %.17g, PyTorch %s %.17g", c.LR0, c.Total, k, s.At(k), g.Torch, want)
			}
			if d == 0 {
				exact++
			}
			worst = max(worst, d)
		}
		t.Logf("lr0=%g T=%d: %d of %d steps bit for bit, worst |Δ| %.2g·lr0, worst |Δ|/lr %.2g", c.LR0, c.Total, exact, c.Total, worst/c.LR0, worstRel)
	}
}

// TestOneCycleShape checks what OneCycleLR's documentation promises, independently of the golden
// file: start at lr0/25, peak at exactly lr0 where the warm-up ends on a whole step (0.3·T − 1),
// rise before and fall after it, and end at lr0/25/1e4, which later steps keep.
func TestOneCycleShape(t *testing.T) {
	const lr0 = 0.1
	for _, total := range []int{10, 100, 690, 4600} {
		s := Schedule{Kind: "onecycle", LR: lr0, FinalLR: 1e-6, Total: total}
		peak := int(math.Round(0.3*float64(total))) - 1
		if got := s.At(0); math.Abs(got-lr0/25) > 0x1p-52*lr0 { // PyTorch: 0.1/25 + 3.6e-18
			t.Errorf("T=%d: first LR %.17g, want lr0/25", total, got)
		}
		if got := s.At(peak); math.Abs(got-lr0) > 0x1p-52*lr0 {
			t.Errorf("T=%d: LR at step %d %.17g, want the peak %g", total, peak, got, lr0)
		}
		last := s.At(total - 1)
		if math.Abs(last-lr0/25/1e4) > 0x1p-52*lr0/25/1e4 || s.At(total) != last || s.At(total+7) != last {
			t.Errorf("T=%d: last LR %.17g, after it %.17g: want lr0/25/1e4 = %g", total, last, s.At(total), lr0/25/1e4)
		}
		for k := 1; k < total; k++ {
			if rising := k <= peak; rising != (s.At(k) > s.At(k-1)) {
				t.Fatalf("T=%d step %d: %g → %g, want rising %v", total, k, s.At(k-1), s.At(k), rising)
			}
		}
	}
}
