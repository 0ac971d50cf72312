package pipeline

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Schedule is the learning rate of every optimizer step, a pure function of the 0-based step.
// Every kind but step is scaled to the step budget T (Li et al., ICLR 2020, "Budgeted Training:
// Rethinking Deep Neural Network Training Under Resource Constraints"): it ends at the run's last
// step, whatever the budget.
type Schedule struct {
	Kind          string    // a name from ScheduleNames()
	LR, FinalLR   float64   // lr0 and the end value (linear, cosine, rex; onecycle ignores FinalLR)
	Total         int       // T: optimizer steps in the run
	StepsPerEpoch int       // I: used to convert step milestones given in epochs
	Milestones    []float64 // step: epochs at which LR is multiplied by Gamma
	Gamma         float64
	Warmup        int // W: the first W steps are scaled by (s+1)/W; 0 = none
}

// schedules holds the formula of each kind: the base LR of 0-based step s, before warm-up. Each
// formula is defined for every s ≥ 0 and T ≥ 1; from step T on it gives its last step's value
// (onecycle) or the end value (the others).
var schedules = map[string]func(c Schedule, s int) float64{
	// The official code's linspace(lr0, final, T)[s]: lr0 at the first step and exactly final at
	// the last (spec §1). T = 1 trains its only step at lr0, as linspace(lr0, final, 1) = [lr0].
	"linear": func(c Schedule, s int) float64 {
		switch {
		case s == 0:
			return c.LR
		case s >= c.Total-1:
			return c.FinalLR // linspace sets its endpoint exactly
		}
		return c.LR + float64(s)*(c.FinalLR-c.LR)/float64(c.Total-1)
	},
	// PyTorch's MultiStepLR stepped once per epoch: lr0·γ^m, m = milestones ≤ the epoch ⌊s/I⌋.
	"step": func(c Schedule, s int) float64 {
		epoch, lr := 0, c.LR
		if c.StepsPerEpoch > 0 {
			epoch = s / c.StepsPerEpoch
		}
		for _, m := range c.Milestones {
			if float64(epoch) >= m {
				lr *= c.Gamma
			}
		}
		return lr
	},
	// Half a cosine period from lr0 to final: w = (1 + cos(π·z))/2 (Loshchilov & Hutter, ICLR
	// 2017, "SGDR", without restarts; budget-scaled by Li et al. 2020).
	"cosine": func(c Schedule, s int) float64 { return c.between((1 + math.Cos(math.Pi*c.progress(s))) / 2) },
	// REX, Chen et al. 2021 ("REX: Revisiting Budgeted Training with an Improved Schedule", eq. of
	// the REX profile): w = (1 − z)/(1/2 + (1 − z)/2).
	"rex": func(c Schedule, s int) float64 { r := 1 - c.progress(s); return c.between(r / (0.5 + 0.5*r)) },
	// PyTorch's OneCycleLR with its defaults (see oneCycle).
	"onecycle": func(c Schedule, s int) float64 { return oneCycle(c.LR, c.Total, s) },
}

// ScheduleNames returns the schedule kinds, sorted, for validation messages and help.
func ScheduleNames() []string {
	names := make([]string, 0, len(schedules))
	for k := range schedules {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// progress is z = s/(T−1) ∈ [0, 1], exactly 0 at the first step and 1 at the last (and after
// it). A one-step run (T = 1) has z = 0 at its only step, so it trains at lr0 as linear does.
func (c Schedule) progress(s int) float64 {
	return min(float64(s)/float64(max(c.Total-1, 1)), 1)
}

// between returns lr0·w + final·(1−w), written so that w = 1 gives lr0 and w = 0 gives final
// exactly.
func (c Schedule) between(w float64) float64 { return c.LR*w + c.FinalLR*(1-w) }

// oneCycle is PyTorch's torch.optim.lr_scheduler.OneCycleLR (v2.1.2, after Smith & Topin 2019,
// "Super-Convergence") over total = T steps with its defaults: max_lr = lr0, pct_start 0.3,
// anneal_strategy "cos", div_factor 25, final_div_factor 1e4, three_phase False. Phase 1 runs
// from lr0/25 up to lr0 over the steps s ≤ 0.3·T − 1, phase 2 from lr0 down to lr0/25/1e4 at
// s = T − 1, each a half cosine from its end step to the next (so a short run such as T ≤ 3 has
// no warm-up step at all, and T = 1 trains at lr0/25/1e4, as PyTorch does). Steps after T keep
// the last value (PyTorch raises). The operations are PyTorch's, in its order; the explicit
// float64 conversions stop the compiler from fusing them into FMAs. Only the learning rate
// cycles: PyTorch's default cycle_momentum (0.95 → 0.85 → 0.95) is not applied, budgetrain's
// momentum stays train.momentum.
func oneCycle(lr0 float64, total, s int) float64 {
	initial := lr0 / 25
	minLR := initial / 1e4
	warmEnd := float64(0.3*float64(total)) - 1
	step := float64(min(s, total-1))
	start, end, from, to := 0.0, warmEnd, initial, lr0
	if step > warmEnd {
		start, end, from, to = warmEnd, float64(total-1), lr0, minLR
	}
	pct := (step - start) / (end - start)
	return to + float64((from-to)/2*(math.Cos(math.Pi*pct)+1))
}

// At returns the learning rate of 0-based step s ≥ 0: the kind's formula over T, and during a
// warm-up of W steps that value times (s+1)/W, so that the first step trains at 1/W of its base
// LR and step W−1 onwards at the base LR. The warm-up does not shift or stretch the schedule:
// the base LR keeps following its formula over all T steps. It panics on an unknown kind; Check
// reports it first.
func (c Schedule) At(s int) float64 {
	lr := schedules[c.Kind](c, s)
	if s < c.Warmup {
		lr *= float64(s+1) / float64(c.Warmup)
	}
	return lr
}

// Check reports, one error per line, what makes the schedule unusable for its run of Total
// steps: an unknown kind, a negative warm-up, a warm-up longer than the run, or a warm-up added
// to onecycle, which has its own.
func (c Schedule) Check() error {
	var errs []error
	if schedules[c.Kind] == nil {
		errs = append(errs, fmt.Errorf("train.schedule (%q) must be one of %s", c.Kind, strings.Join(ScheduleNames(), ", ")))
	}
	switch {
	case c.Warmup < 0:
		errs = append(errs, fmt.Errorf("train.warmup_steps (%d) must be >= 0", c.Warmup))
	case c.Warmup > 0 && c.Kind == "onecycle":
		errs = append(errs, fmt.Errorf("train.warmup_steps (%d) must be 0 with train.schedule onecycle, which warms up by itself (from train.lr/25 over the first 30%% of the steps)", c.Warmup))
	case c.Warmup > c.Total:
		errs = append(errs, fmt.Errorf("train.warmup_steps (%d) must be <= the run's T = %d optimizer steps", c.Warmup, c.Total))
	}
	return errors.Join(errs...)
}

// String describes the schedule for the run log.
func (c Schedule) String() string {
	s := fmt.Sprintf("%s over T=%d steps from %.6g to %.6g", c.Kind, c.Total, c.At(0), c.At(c.Total-1))
	if c.Kind == "onecycle" {
		s += fmt.Sprintf(" (max_lr %g; train.final_lr unused)", c.LR)
	}
	if c.Warmup > 0 {
		s += fmt.Sprintf(", linear warm-up over %d steps", c.Warmup)
	}
	return s
}
