package pipeline

// Hook observes a run. The loop calls Start once, Step after every optimizer step, Epoch after
// every epoch (with its metrics) and End once with the summary. Hooks must not touch tensors.
//
// Step is called when the step's statistics are finished, which is during the next step, once
// that one is queued (Trainer.trainStep), or at the epoch's end for its last step; Progress then
// reports the state right after the step, Step its number. A run cancelled from a Step hook
// therefore stops after the step already queued, not after the step the hook saw.
type Hook interface {
	Start(t *Trainer)
	Step(t *Trainer, loss float64)
	Epoch(t *Trainer, m EpochMetrics)
	End(t *Trainer, s Summary)
}

// HookFuncs adapts optional functions to a Hook.
type HookFuncs struct {
	OnStart func(t *Trainer)
	OnStep  func(t *Trainer, loss float64)
	OnEpoch func(t *Trainer, m EpochMetrics)
	OnEnd   func(t *Trainer, s Summary)
}

func (h HookFuncs) Start(t *Trainer) {
	if h.OnStart != nil {
		h.OnStart(t)
	}
}

func (h HookFuncs) Step(t *Trainer, loss float64) {
	if h.OnStep != nil {
		h.OnStep(t, loss)
	}
}

func (h HookFuncs) Epoch(t *Trainer, m EpochMetrics) {
	if h.OnEpoch != nil {
		h.OnEpoch(t, m)
	}
}

func (h HookFuncs) End(t *Trainer, s Summary) {
	if h.OnEnd != nil {
		h.OnEnd(t, s)
	}
}

// Progress returns the state of the run for progress displays.
func (t *Trainer) Progress() State { return t.state }
