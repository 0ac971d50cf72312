package pipeline

// Iterations returns the budgeted step counts of spec §1: K = ⌊N·b⌋ examples per epoch,
// I = ⌊K/B⌋ iterations per epoch (the last partial batch is dropped) and T = E·I in total.
func Iterations(n int, budget float64, batch, epochs int) (perEpochSamples, perEpoch, total int) {
	k := int(float64(n) * budget)
	i := k / batch
	return k, i, epochs * i
}

// Schedule is the learning rate of every optimizer step, a pure function of the 0-based step.
type Schedule struct {
	Kind          string    // linear or step
	LR, FinalLR   float64   // start and (linear) end values
	Total         int       // T: optimizer steps in the run
	StepsPerEpoch int       // I: used to convert step milestones given in epochs
	Milestones    []float64 // step: epochs at which LR is multiplied by Gamma
	Gamma         float64
}

// At returns the learning rate of 0-based step s. Linear: the official code's
// linspace(lr0, final, T)[s], i.e. lr0 at the first step and exactly final at the last, and final
// after T (spec §1). Step: lr0·γ^m where m counts the milestones ≤ the current (fractional)
// epoch s/I, applied per epoch as PyTorch's MultiStepLR does.
func (c Schedule) At(s int) float64 {
	switch c.Kind {
	case "step":
		epoch := 0
		if c.StepsPerEpoch > 0 {
			epoch = s / c.StepsPerEpoch
		}
		lr := c.LR
		for _, m := range c.Milestones {
			if float64(epoch) >= m {
				lr *= c.Gamma
			}
		}
		return lr
	default:
		if c.Total <= 1 {
			return c.LR
		}
		if s >= c.Total-1 { // linspace sets its endpoint exactly
			return c.FinalLR
		}
		return c.LR + float64(s)*(c.FinalLR-c.LR)/float64(c.Total-1)
	}
}
