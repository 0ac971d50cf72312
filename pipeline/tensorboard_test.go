package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"budgetrain/internal/tfevents"
	"budgetrain/pipeline/runfolder"
)

// point is one value of an events file without its wall time.
type point struct {
	Tag   string
	Step  int64
	Value float32
	Text  string
}

func (p point) String() string { return fmt.Sprintf("%s@%d=%v%q", p.Tag, p.Step, p.Value, p.Text) }

// eventFiles lists the events files of a run folder.
func eventFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, tfevents.Prefix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// eventPoints reads the run folder's one events file: its header must be TensorBoard's file
// version, and every later record holds one value.
func eventPoints(t *testing.T, dir string) []point {
	t.Helper()
	files := eventFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("run folder has events files %v, want one", files)
	}
	evs, err := tfevents.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || evs[0].FileVersion != tfevents.FileVersion {
		t.Fatalf("%s does not start with a %q record", files[0], tfevents.FileVersion)
	}
	var out []point
	for i, e := range evs[1:] {
		if len(e.Values) != 1 {
			t.Fatalf("record %d has %d values, want 1", i+1, len(e.Values))
		}
		v := e.Values[0]
		out = append(out, point{Tag: v.Tag, Step: e.Step, Value: v.Scalar, Text: v.Text})
	}
	return out
}

// TestTensorBoardEventsMatchMetrics: the events file holds the config as text, the loss and
// learning rate every tensorboard_every steps, every numeric value of every metrics.jsonl line
// (read here as plain JSON) at the line's step, and the summary's final accuracies: nothing
// else, and no point twice.
func TestTensorBoardEventsMatchMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	c := tinyConfig(t)
	c.Train.TensorBoardEvery = 4
	s := train(t, c) // T = 6 steps over 3 epochs
	pts := eventPoints(t, c.Out)

	cfg, err := os.ReadFile(filepath.Join(c.Out, runfolder.ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := (point{Tag: "config", Text: "```yaml\n" + string(cfg) + "```\n"}); pts[0] != want {
		t.Fatalf("first value %v, want the config at step 0", pts[0])
	}

	want := map[string]float32{} // tag@step → value
	lrAt := map[int64]float32{}
	b, err := os.ReadFile(filepath.Join(c.Out, runfolder.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := splitLines(b)
	for _, line := range lines {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
		step := int64(m["step"].(float64))
		for k, v := range m {
			if f, ok := v.(float64); ok && k != "step" {
				want[fmt.Sprintf("epoch/%s@%d", k, step)] = float32(f)
			}
		}
		lrAt[step] = float32(m["lr"].(float64))
	}
	if _, ok := want["epoch/test_acc_onnx@6"]; !ok || len(lines) != 3 {
		t.Fatalf("metrics.jsonl has %d lines, want 3 with test_acc_onnx: %v", len(lines), want)
	}
	want["final/test_acc_onnx@6"] = float32(s.ONNXTestAcc)
	want["final/test_acc_torch@6"] = float32(s.TorchTestAcc)
	var steps []int64
	for _, p := range pts[1:] {
		key := fmt.Sprintf("%s@%d", p.Tag, p.Step)
		switch p.Tag {
		case "train/loss":
			steps = append(steps, p.Step)
			if !(p.Value > 0) {
				t.Errorf("%v: want a positive loss", p)
			}
		case "train/lr":
			if lr, ok := lrAt[p.Step]; ok && p.Value != lr {
				t.Errorf("%v: metrics.jsonl has lr %v at that step", p, lr)
			}
		default:
			w, ok := want[key]
			if !ok {
				t.Errorf("%v: not in metrics.jsonl or the summary (or written twice)", p)
			} else if p.Value != w {
				t.Errorf("%v: want %v", p, w)
			}
			delete(want, key)
		}
	}
	for k := range want {
		t.Errorf("%s is missing from the events", k)
	}
	if fmt.Sprint(steps) != "[4]" {
		t.Errorf("train/loss at steps %v, want [4] (every 4 of 6 steps)", steps)
	}
	ck, err := ReadCheckpoint(c.Out)
	if err != nil {
		t.Fatal(err)
	}
	if f := eventFiles(t, c.Out)[0]; ck.EventsFile != filepath.Base(f) || ck.EventsBytes <= 0 {
		t.Errorf("checkpoint records events %q (%d bytes), want %s", ck.EventsFile, ck.EventsBytes, filepath.Base(f))
	}
}

// TestTensorBoardOffWritesNoEvents: train.tensorboard false writes no events file, and a new
// run removes an earlier run's, which TensorBoard would otherwise show with it.
func TestTensorBoardOffWritesNoEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	c := tinyConfig(t)
	c.Train.TensorBoard, c.Train.Epochs = false, 1
	stale := filepath.Join(c.Out, tfevents.FileName(time.Unix(1700000000, 0), "old"))
	if err := os.WriteFile(stale, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	train(t, c)
	if files := eventFiles(t, c.Out); len(files) != 0 {
		t.Errorf("events files %v with train.tensorboard false", files)
	}
	if ck, err := ReadCheckpoint(c.Out); err != nil || ck.EventsFile != "" {
		t.Errorf("checkpoint names events file %q (%v)", ck.EventsFile, err)
	}
}

func TestValidateTensorBoardEvery(t *testing.T) {
	c := DefaultConfig()
	if !c.Train.TensorBoard || c.Train.TensorBoardEvery != 10 {
		t.Fatalf("defaults tensorboard %v every %d, want true and 10", c.Train.TensorBoard, c.Train.TensorBoardEvery)
	}
	c.Train.TensorBoardEvery = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "train.tensorboard_every (0) must be >= 1") {
		t.Errorf("tensorboard_every 0: %v", err)
	}
}
