package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"budgetrain/internal/tfevents"
)

// TensorBoard tags (docs/tensorboard.md). Per-step points are at the optimizer step count after
// the step; an epoch's values at its metrics line's step; the config at step 0.
const (
	TagLoss        = "train/loss" // the batch's mean training loss
	TagLR          = "train/lr"   // the step's learning rate
	TagConfig      = "config"     // the resolved config (config.yaml) as Markdown text
	EpochTagPrefix = "epoch/"     // + each numeric key of a metrics.jsonl line but "step"
	TagFinalONNX   = "final/test_acc_onnx"
	TagFinalTorch  = "final/test_acc_torch"
)

// events writes the run's TensorBoard events file. A nil *events writes nothing, so that the
// trainer calls it unconditionally.
type events struct {
	w     *tfevents.Writer
	every int
}

// openEvents starts the events file of the run, or continues the resumed checkpoint's after
// cutting it to the checkpoint's length (the records after it are written again). A fresh run
// first removes events files of an earlier run in the folder, as it truncates metrics.jsonl:
// TensorBoard would show both. With train.tensorboard false it returns nil. A resumed run
// whose checkpoint names no events file (made before they existed) or whose file is missing or
// damaged writes none, with a note, rather than refusing to resume.
func (t *Trainer) openEvents() (*events, error) {
	out := t.Cfg.Out
	if t.resumed == nil {
		entries, _ := os.ReadDir(out)
		for _, e := range entries {
			if tfevents.IsEventsFile(e.Name()) {
				if err := os.Remove(filepath.Join(out, e.Name())); err != nil {
					return nil, fmt.Errorf("remove an earlier run's events file: %w", err)
				}
			}
		}
	}
	if !t.Cfg.Train.TensorBoard {
		return nil, nil
	}
	ev := &events{every: t.Cfg.Train.TensorBoardEvery}
	if ck := t.resumed; ck != nil {
		if ck.EventsFile == "" {
			fmt.Fprintln(t.Log, "note: the checkpoint names no TensorBoard events file (made by an older budgetrain): this run writes none")
			return nil, nil
		}
		w, err := tfevents.Open(filepath.Join(out, ck.EventsFile), ck.EventsBytes)
		if err != nil {
			fmt.Fprintf(t.Log, "note: cannot continue the TensorBoard events: %v; this run writes no more events\n", err)
			return nil, nil
		}
		ev.w = w
		return ev, nil
	}
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' {
			return '_'
		}
		return r
	}, host)
	if host == "" {
		host = "localhost"
	}
	w, err := tfevents.Create(filepath.Join(out, tfevents.FileName(time.Now(), host)))
	if err != nil {
		return nil, err
	}
	ev.w = w
	y, err := ConfigYAML(t.Cfg)
	if err != nil {
		w.Close()
		return nil, err
	}
	if err := w.Text(TagConfig, 0, "```yaml\n"+string(y)+"```\n"); err != nil {
		w.Close()
		return nil, err
	}
	return ev, nil
}

// step records the loss and learning rate of optimizer step `step` (1-based) when it is a
// multiple of train.tensorboard_every.
func (e *events) step(step int, loss, lr float64) error {
	if e == nil || step%e.every != 0 {
		return nil
	}
	if err := e.w.Scalar(TagLoss, int64(step), loss); err != nil {
		return err
	}
	return e.w.Scalar(TagLR, int64(step), lr)
}

// epoch records every numeric field of a metrics line (fields left out of the line, such as
// accuracies not evaluated, are left out here too) at the line's step, and flushes, so that a
// running TensorBoard sees the epoch.
func (e *events) epoch(m EpochMetrics) error {
	if e == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	var line map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&line); err != nil {
		return err
	}
	keys := make([]string, 0, len(line))
	for k := range line {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		n, ok := line[k].(json.Number)
		if !ok || k == "step" {
			continue
		}
		v, err := n.Float64()
		if err != nil {
			return fmt.Errorf("metrics key %s: %w", k, err)
		}
		if err := e.w.Scalar(EpochTagPrefix+k, int64(m.Step), v); err != nil {
			return err
		}
	}
	return e.w.Flush()
}

// end records the final model's accuracies of a completed run.
func (e *events) end(s Summary) error {
	if e == nil || !s.Completed {
		return nil
	}
	if err := e.w.Scalar(TagFinalONNX, int64(s.Iterations), s.ONNXTestAcc); err != nil {
		return err
	}
	if err := e.w.Scalar(TagFinalTorch, int64(s.Iterations), s.TorchTestAcc); err != nil {
		return err
	}
	return e.w.Flush()
}

// mark flushes the file and returns its name and length, which a checkpoint records ("", 0
// when no events are written).
func (e *events) mark() (string, int64, error) {
	if e == nil {
		return "", 0, nil
	}
	if err := e.w.Flush(); err != nil {
		return "", 0, err
	}
	return filepath.Base(e.w.Name()), e.w.Size(), nil
}

func (e *events) close() error {
	if e == nil {
		return nil
	}
	return e.w.Close()
}
