// The Trainer: what one run holds, its progress State, and small accessors.

package pipeline

import (
	"fmt"
	"io"

	"budgetrain/augment"
	"budgetrain/internal/torchx"
	"budgetrain/models"
	"budgetrain/pipeline/data"
	"budgetrain/sampler"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
)

// Trainer owns everything one run needs. Build it with NewTrainer, then call Run from the
// goroutine that built it (locked to its OS thread).
type Trainer struct {
	Cfg         Config
	threads     int // libtorch and onnxruntime threads: Cfg.Threads resolved by Threads
	Info        data.Info
	Train, Test *data.Dataset
	Device      gotch.Device
	VS          *nn.VarStore
	Model       models.Model
	Opt         *torchx.SGD // PyTorch SGD whose momentum buffers are checkpointed
	Sampler     sampler.Sampler
	Pipe        augment.Pipeline
	Loader      *Loader
	Sched       Schedule
	Hooks       []Hook
	Log         io.Writer // startup report and notes (io.Discard if nil)

	// Budget arithmetic (spec §1).
	EpochSamples, StepsPerEpoch, TotalSteps int

	state      State
	selLog     *selectionLog
	buf        []float32   // logits copied back from the device
	queue      *Batch      // Selective Backprop: selected examples waiting for a full batch
	resumed    *Checkpoint // the checkpoint this run continues, if any
	paramNames []string    // trainable variables in the optimizer's order (sorted)
	final      *finalAcc   // accuracies of the exported final model, once evaluated
	events     *events     // the TensorBoard events file, while Run runs (nil when off)
	up         *uploader   // host batches to the device
	down       *uploader   // host buffers the logits come back into
	pending    *pendingStep
	// syncStats finishes every step's statistics at once instead of a step behind (tests
	// compare the two; see trainStep).
	syncStats bool
}

// State is the progress of a run, as seen by hooks.
type State struct {
	Epoch           int     // current epoch, 0-based
	Step            int     // optimizer steps done
	LR              float64 // learning rate of the last step
	SamplesForward  int64   // images forwarded (training forwards and selection passes)
	SamplesBackward int64   // images back-propagated
	TrainSeconds    float64 // wall time spent in training (excludes evaluation)
	EpochLoss       float64 // running sums for the current epoch
	EpochCorrect    float64
	EpochSeen       int
}

// ParamCount returns the number of trainable parameters.
func (t *Trainer) ParamCount() int64 {
	var n int64
	for _, p := range t.VS.TrainableVariables() {
		n += int64(p.Numel())
	}
	return n
}

// Report writes the derived quantities of the run (nanoGPT style) to t.Log.
func (t *Trainer) Report() {
	c := t.Cfg
	fmt.Fprintf(t.Log, "data: %s, %d train / %d test images of %dx%dx%d, %d classes\n", c.Dataset.Name, t.Train.N, t.Test.N, t.Train.H, t.Train.W, t.Train.C, len(t.Info.Classes))
	fmt.Fprintf(t.Log, "model: %s, %d parameters, device %s, %d libtorch threads, torch seed %d\n", c.Model.Name, t.ParamCount(), deviceName(t.Device), torchx.NumThreads(), c.Seed)
	fmt.Fprintf(t.Log, "budget: b=%g → %d examples and %d iterations per epoch, %d epochs, T=%d optimizer steps (batch %d)\n",
		c.Train.Budget, t.EpochSamples, t.StepsPerEpoch, c.Train.Epochs, t.TotalSteps, c.Train.BatchSize)
	fmt.Fprintf(t.Log, "schedule: %s; sampler %s; augment %s\n", t.Sched, c.Sampler.Method, t.Pipe.String())
}

func deviceName(d gotch.Device) string {
	if d.IsCuda() {
		return fmt.Sprintf("cuda:%d", d.Value)
	}
	return "cpu"
}

// Close frees the model and optimizer.
func (t *Trainer) Close() {
	if t.pending != nil { // its copies may still read and write host buffers
		t.pending.ev.Wait()
		t.pending = nil
	}
	if t.up != nil {
		t.up.close()
	}
	if t.down != nil {
		t.down.close()
	}
	if t.Opt != nil {
		t.Opt.Close()
	}
	if t.VS != nil {
		t.VS.Destroy()
	}
}
