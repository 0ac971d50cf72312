package pipeline

import (
	"encoding/json"
	"fmt"
	"time"

	"budgetrain/augment"
	"budgetrain/models"
	"budgetrain/onnx/ort"
	"budgetrain/pipeline/data"

	"github.com/sugarme/gotch/nn"
	ts "github.com/sugarme/gotch/ts"
)

// EvalTorch returns the top-1 accuracy of the model on d with libtorch, in evaluation mode
// (BatchNorm running statistics) and without gradients.
func (t *Trainer) EvalTorch(d *data.Dataset) float64 {
	return EvalTorch(t.Model, t.Info, d, t.Cfg.Train.EvalBatchSize, t.up.images)
}

// EvalTorch scores m on d in batches of bs.
func EvalTorch(m models.Model, info data.Info, d *data.Dataset, bs int, to imagesTo) float64 {
	classes := len(info.Classes)
	correct := 0
	forEachLogits(m, info, d, d.N, bs, to, func(s, n int, out []float32) {
		for i := 0; i < n; i++ {
			if argmax(out[i*classes:(i+1)*classes]) == d.Labels[s+i] {
				correct++
			}
		}
	})
	return float64(correct) / float64(d.N)
}

// forEachLogits runs the first limit images of d through m in evaluation mode without
// gradients, in batches of bs, and hands fn each batch's start, size and logits.
func forEachLogits(m models.Model, info data.Info, d *data.Dataset, limit, bs int, to imagesTo, fn func(s, n int, out []float32)) {
	classes := len(info.Classes)
	per := d.C * d.H * d.W
	x := make([]float32, bs*per)
	out := make([]float32, bs*classes)
	img := augment.Image{H: d.H, W: d.W, C: d.C}
	for s := 0; s < limit; s += bs {
		n := min(bs, limit-s)
		for i := 0; i < n; i++ {
			img.Pix = d.Image(s + i)
			augment.Normalize(&img, info.Mean, info.Std, x[i*per:(i+1)*per])
		}
		ts.NoGrad(func() {
			xt := to(x, n, d.C, d.H, d.W)
			logits := m.ForwardT(xt, false)
			logits.MustCopyData(out[:n*classes], uint(n*classes))
			xt.MustDrop()
			logits.MustDrop()
		})
		fn(s, n, out[:n*classes])
	}
}

// finiteLogits reports whether the model's evaluation-mode logits on the first images of the
// test set are all finite: weights can be finite and still so large that every output overflows.
func (t *Trainer) finiteLogits() bool {
	ok := true
	forEachLogits(t.Model, t.Info, t.Test, min(t.Test.N, 64), 64, t.up.images, func(_, _ int, out []float32) {
		for _, v := range out {
			if !finite(float64(v)) {
				ok = false
			}
		}
	})
	return ok
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// ExportBytes serialises the current model as a self-contained ONNX file (normalisation in
// the graph, metadata describing the run).
func (t *Trainer) ExportBytes() ([]byte, error) {
	return ExportModel(t.Model, t.VS, t.Info, t.Cfg)
}

// ExportModel is ExportBytes for any model, its VarStore and config.
func ExportModel(m models.Model, vs *nn.VarStore, info data.Info, c Config) ([]byte, error) {
	return models.Export(m, vs, models.ExportOptions{
		H: int64(info.H), W: int64(info.W), C: int64(info.C), Classes: int64(len(info.Classes)),
		Mean: info.Mean, Std: info.Std, Metadata: Metadata(info, c),
	})
}

// EvalONNX exports the model and scores it on d with onnxruntime alone.
func (t *Trainer) EvalONNX(d *data.Dataset) (ort.Result, error) {
	b, err := t.ExportBytes()
	if err != nil {
		return ort.Result{}, err
	}
	return EvalONNXBytes(b, d, t.Cfg.Train.EvalBatchSize, t.threads)
}

// EvalONNXBytes scores a serialised ONNX classifier on d.
func EvalONNXBytes(model []byte, d *data.Dataset, bs, threads int) (ort.Result, error) {
	s, err := ort.OpenBytes(model, threads)
	if err != nil {
		return ort.Result{}, err
	}
	defer s.Close()
	return ort.Evaluate(s, d.Pix, d.Labels, d.H, d.W, d.C, bs)
}

// Metadata is what every exported model records about its run (ONNX metadata_props).
func Metadata(info data.Info, c Config) map[string]string {
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	return map[string]string{
		"mean": js(info.Mean), "std": js(info.Std), "classes": js(info.Classes),
		"dataset": c.Dataset.Name, "model": c.Model.Name, "method": c.Sampler.Method,
		"budget": fmt.Sprint(c.Train.Budget), "augmentation": c.Augment.Policy,
		"seed": fmt.Sprint(c.Seed), "epochs": fmt.Sprint(c.Train.Epochs),
	}
}

// evaluate fills the test accuracies of m with the configured backends.
func (t *Trainer) evaluate(m *EpochMetrics) error {
	t0 := time.Now()
	be := t.Cfg.Train.EvalBackendOn(t.Device)
	if be == "torch" || be == "both" {
		a := t.EvalTorch(t.Test)
		m.TestAccTorch, m.TestAcc = &a, &a
	}
	if be == "onnx" || be == "both" {
		r, err := t.EvalONNX(t.Test)
		if err != nil {
			return fmt.Errorf("epoch %d: onnxruntime evaluation: %w", m.Epoch, err)
		}
		a := r.Accuracy
		m.TestAccONNX, m.TestAcc = &a, &a
	}
	m.EvalSeconds = time.Since(t0).Seconds()
	return nil
}

// asyncEval is an onnxruntime evaluation running in the background while training goes on.
type asyncEval struct {
	m    EpochMetrics
	t0   time.Time
	done chan error
}

// evaluateAsync evaluates the libtorch backend (if configured) now, exports the model and
// starts the onnxruntime evaluation in a goroutine with one thread, so that it overlaps the
// next epoch's training. Only onnxruntime runs off the torch thread.
func (t *Trainer) evaluateAsync(m EpochMetrics) (*asyncEval, error) {
	a := &asyncEval{m: m, t0: time.Now(), done: make(chan error, 1)}
	if t.Cfg.Train.EvalBackendOn(t.Device) == "both" {
		acc := t.EvalTorch(t.Test)
		a.m.TestAccTorch, a.m.TestAcc = &acc, &acc
	}
	b, err := t.ExportBytes()
	if err != nil {
		return nil, err
	}
	go func() {
		r, err := EvalONNXBytes(b, t.Test, t.Cfg.Train.EvalBatchSize, 1)
		if err == nil {
			acc := r.Accuracy
			a.m.TestAccONNX, a.m.TestAcc = &acc, &acc
		}
		a.m.EvalSeconds = time.Since(a.t0).Seconds()
		a.done <- err
	}()
	return a, nil
}

// wait blocks until a pending evaluation ends and reports its epoch through emit; the
// reported eval_seconds is the evaluation's own duration (export to accuracy), which overlaps
// the next epoch's training.
func (a *asyncEval) wait(emit func(EpochMetrics) error) error {
	if a == nil {
		return nil
	}
	err := <-a.done
	a.done <- err // a second wait returns at once
	if err != nil {
		return fmt.Errorf("epoch %d: onnxruntime evaluation: %w", a.m.Epoch, err)
	}
	return emit(a.m)
}
