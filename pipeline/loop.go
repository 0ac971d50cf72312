// The training loop: Run, one epoch after another, and what ends each epoch (checkpoint,
// evaluation, metrics).

package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"budgetrain/sampler"

	"github.com/sugarme/gotch"
	ts "github.com/sugarme/gotch/ts"

	"budgetrain/pipeline/runfolder"
)

// Run trains until the step budget is used up or ctx is cancelled. A checkpoint is saved at
// the start and after every epoch; on cancellation Run stops after the current step, writes the
// summary so far (completed false) and returns ctx's error: a resumed run redoes the interrupted
// epoch from the last checkpoint, so that it equals the uninterrupted run.
func (t *Trainer) Run(ctx context.Context) (Summary, error) {
	// Grad mode is per OS thread: stay on this one, and do not trust whatever an earlier
	// unlocked ts.NoGrad left on it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if _, err := ts.GradSetEnabled(true); err != nil {
		return Summary{}, fmt.Errorf("enable gradients: %w", err)
	}
	if err := os.MkdirAll(t.Cfg.Out, 0o755); err != nil {
		return Summary{}, fmt.Errorf("create run folder: %w", err)
	}
	if err := writeConfig(filepath.Join(t.Cfg.Out, runfolder.ConfigFile), t.Cfg); err != nil {
		return Summary{}, err
	}
	sum := Summary{}
	metrics, err := t.openMetrics(&sum)
	if err != nil {
		return Summary{}, err
	}
	defer metrics.Close()
	if t.events, err = t.openEvents(); err != nil {
		return Summary{}, err
	}
	defer func() { t.events.close(); t.events = nil }() // a no-op after the close at the end
	if t.selLog != nil {
		defer t.selLog.Close()
	}
	for _, h := range t.Hooks {
		h.Start(t)
	}
	emit := func(m EpochMetrics) error {
		m.RSSMiB = HeldRSSMiB()
		if err := metrics.Write(m); err != nil {
			return err
		}
		observe(&sum, m)
		if err := t.events.epoch(m); err != nil {
			return err
		}
		for _, h := range t.Hooks {
			h.Epoch(t, m)
		}
		return nil
	}
	if ck := t.resumed; ck == nil {
		if err := t.SaveCheckpoint(0, nil, 0); err != nil {
			return sum, err
		}
	} else if ck.Pending != nil { // the checkpoint's epoch was saved but possibly not reported
		if _, err := t.reportEpoch(*ck.Pending, false, emit); err != nil {
			return sum, err
		}
	}
	var pending *asyncEval                                                   // a background onnxruntime evaluation whose epoch is not reported yet
	defer func() { pending.wait(func(EpochMetrics) error { return nil }) }() // never leave it running
	var runErr error
	idle := 0 // consecutive epochs without an optimizer step
	for t.state.Step < t.TotalSteps {
		before := t.state.Step
		if runErr = t.trainEpoch(ctx); runErr != nil {
			break
		}
		if idle = idle + 1; t.state.Step > before {
			idle = 0
		} else if idle >= 5 {
			runErr = fmt.Errorf("sampler %s selected no full batch of %d in 5 epochs (step %d of %d)", t.Cfg.Sampler.Method, t.Cfg.Train.BatchSize, t.state.Step, t.TotalSteps)
			break
		}
		if pending, err = t.endEpoch(pending, metrics, emit); err != nil {
			return sum, err
		}
	}
	if err := pending.wait(emit); err != nil {
		return sum, err
	}
	pending = nil
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return sum, runErr
	}
	if err := t.finish(&sum, runErr != nil); err != nil {
		return sum, err
	}
	if err := t.events.end(sum); err != nil {
		return sum, err
	}
	if err := t.events.close(); err != nil {
		return sum, err
	}
	t.events = nil
	for _, h := range t.Hooks {
		h.End(t, sum)
	}
	return sum, runErr
}

// trainEpoch trains one epoch (Selective Backprop's or the sampler's selection) and adds its
// wall time to the training time.
func (t *Trainer) trainEpoch(ctx context.Context) error {
	t0 := time.Now()
	defer func() { t.state.TrainSeconds += time.Since(t0).Seconds() }()
	if _, isSB := t.Sampler.(sampler.Selector); isSB {
		return t.sbEpoch(ctx)
	}
	return t.epoch(ctx)
}

// endEpoch reports the epoch just trained: it first reports a pending background evaluation,
// checks that the weights are finite, saves a checkpoint (before evaluating, so that a failing
// evaluation loses no training), then evaluates this epoch and emits its metrics (see
// reportEpoch). It returns the evaluation left running, if any.
func (t *Trainer) endEpoch(pending *asyncEval, metrics *metricsWriter, emit func(EpochMetrics) error) (*asyncEval, error) {
	m := t.epochMetrics()
	if err := pending.wait(emit); err != nil {
		return nil, err
	}
	if err := t.checkFinite(); err != nil {
		return nil, err
	}
	size, err := metrics.Size()
	if err != nil {
		return nil, err
	}
	// Every checkpoint_every epochs, and after the last (model.pt is the final weights).
	if e := t.state.Epoch + 1; e%t.Cfg.Train.CheckpointEvery == 0 || t.state.Step >= t.TotalSteps {
		if err := t.SaveCheckpoint(e, &m, size); err != nil {
			return nil, err
		}
	}
	t.state.Epoch++
	return t.reportEpoch(m, t.Cfg.Train.EvalAsync, emit)
}

// reportEpoch evaluates the current weights for epoch m.Epoch's line when due (every
// eval_every epochs, and the final evaluation after the last step) and emits the line. With
// async, an onnxruntime evaluation runs in the background and is returned instead.
func (t *Trainer) reportEpoch(m EpochMetrics, async bool, emit func(EpochMetrics) error) (*asyncEval, error) {
	c := t.Cfg.Train
	last := t.state.Step >= t.TotalSteps
	evalNow := m.Epoch%c.EvalEvery == 0 || last
	var err error
	switch {
	case evalNow && async && !last && c.EvalBackendOn(t.Device) != "torch":
		return t.evaluateAsync(m)
	case last:
		err = t.finalEval(&m)
	case evalNow:
		err = t.evaluate(&m)
	}
	if err != nil {
		return nil, err
	}
	return nil, emit(m)
}

// checkFinite stops a diverged run before its weights are saved or evaluated: a NaN or
// infinite parameter would otherwise be checkpointed and scored as chance accuracy.
func (t *Trainer) checkFinite() error {
	bad := ""
	ts.NoGrad(func() {
		for name, p := range t.VS.Variables() { // BatchNorm's running statistics included
			s := p.MustSum(gotch.Double, false)
			if v := s.Float64Values(true)[0]; !finite(v) {
				bad = "variable " + name + " is"
				return
			}
		}
	})
	if bad == "" && !t.finiteLogits() {
		bad = "the model's outputs are"
	}
	if bad != "" {
		return &DivergedError{Step: t.state.Step, Loss: t.state.EpochLoss / float64(max(t.state.EpochSeen, 1)), LR: t.state.LR,
			Reason: bad + " not finite", Kept: t.state.Epoch}
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// epoch trains one epoch of the sampler's selection.
func (t *Trainer) epoch(ctx context.Context) error {
	w, _ := t.Sampler.(sampler.Weighter)
	return t.forEachBatch(ctx, func(b *Batch) error {
		var isw []float32
		if w != nil {
			isw = w.Weights(b.Index)
		}
		return t.trainStep(b, isw, true)
	})
}

// forEachBatch asks the sampler for this epoch's indices, logs them, and hands the loader's
// batches to fn until the epoch ends, the step budget is used up or ctx is cancelled.
func (t *Trainer) forEachBatch(ctx context.Context, fn func(b *Batch) error) error {
	idx := t.Sampler.Epoch(t.state.Epoch, t.EpochSamples)
	t.logSelection(idx)
	stop := make(chan struct{})
	defer close(stop)
	ch := t.Loader.Epoch(t.state.Epoch, idx, stop)
	t.state.EpochLoss, t.state.EpochCorrect, t.state.EpochSeen = 0, 0, 0
	for t.state.Step < t.TotalSteps {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, ok := t.Loader.Next(ch)
		if !ok {
			break
		}
		err := fn(b)
		t.Loader.Release(b)
		if err != nil {
			return err
		}
	}
	return t.flushStep() // the epoch's last step (trainStep leaves each step pending)
}
