package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"budgetrain/pipeline/runfolder"
)

// stableMetrics drops the fields of a metrics line that measure time or memory.
func stableMetrics(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, m := range readMetrics(t, dir) {
		m.EvalSeconds, m.Seconds, m.DataWait, m.RSSMiB = 0, 0, 0, 0
		b, _ := json.Marshal(m)
		out = append(out, string(b))
	}
	return out
}

// checkEvents compares the events of a resumed run with the uninterrupted run's, tag by tag in
// file order (with eval_async an epoch's values may come after the next epoch's steps in one
// run and before them in the other; TensorBoard reads each tag's series). Texts are
// compared by tag only (the config names the run folder), and the values of times and memory,
// which stableMetrics drops, by tag and step only.
func checkEvents(t *testing.T, got, want []point) {
	t.Helper()
	unstable := []string{"epoch/eval_seconds", "epoch/seconds", "epoch/data_wait_seconds", "epoch/rss_mib"}
	got, want = slices.Clone(got), slices.Clone(want)
	for _, pts := range [][]point{got, want} {
		for i := range pts {
			pts[i].Text = ""
			if slices.Contains(unstable, pts[i].Tag) {
				pts[i].Value = 0
			}
		}
		slices.SortStableFunc(pts, func(a, b point) int { return strings.Compare(a.Tag, b.Tag) })
	}
	for i := 0; i < max(len(got), len(want)); i++ {
		switch {
		case i >= len(got):
			t.Errorf("event %d: missing, want %v", i+1, want[i])
		case i >= len(want):
			t.Errorf("event %d: %v is extra", i+1, got[i])
		case got[i] != want[i]:
			t.Errorf("event %d: got %v, want %v", i+1, got[i], want[i])
		default:
			continue
		}
		return // one report: after a difference the rest is shifted
	}
}

// interruptedRun trains c, cancelling it when stop says so, and returns the run folder.
func interruptedRun(t *testing.T, c Config, stop func(step int, epochLine bool) bool) {
	t.Helper()
	tr := newTestTrainer(t, c)
	// A hook sees a step when its statistics are finished, which trainStep defers by a step; the
	// cancel it issues would then land a step late, after an epoch's last step. Finishing at
	// once puts the interruption exactly where stop says (the two modes train the same run:
	// TestDeferredStatsChangeNothing); the resumed run defers as usual.
	tr.syncStats = true
	ctx, cancel := context.WithCancel(context.Background())
	tr.Hooks = append(tr.Hooks, HookFuncs{
		OnStep: func(t *Trainer, _ float64) {
			if stop(t.Progress().Step, false) {
				cancel()
			}
		},
		OnEpoch: func(t *Trainer, _ EpochMetrics) {
			if stop(t.Progress().Step, true) {
				cancel()
			}
		},
	})
	if _, err := tr.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
}

// resumeRun resumes the run in dir as `train --resume` does: config from the checkpoint.
func resumeRun(t *testing.T, dir string) Summary {
	t.Helper()
	ck, err := ReadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ConfigFromMap(ck.Config)
	if err != nil {
		t.Fatal(err)
	}
	tr := newTestTrainer(t, cfg)
	if err := tr.Resume(dir); err != nil {
		t.Fatal(err)
	}
	s, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestResumeIsExact: a run interrupted at any point (mid-epoch, at an epoch's end, or killed
// between a checkpoint and its metrics line) and resumed ends with byte-identical model.pt and
// model.onnx, every epoch in metrics.jsonl exactly once with the uninterrupted values, the
// same TensorBoard events (tag, step, value, in order; wall times differ) and the same
// summary. Methods cover momentum with Nesterov and weight decay, a stateful importance
// sampler under mixup, and Selective Backprop's carried-over queue.
func TestResumeIsExact(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	type cfgFn func(*Config)
	methods := map[string]cfgFn{
		"unif-sgd nesterov":   func(c *Config) { c.Train.Nesterov, c.Train.WeightDecay = true, 5e-4 },
		"loss-is mixup":       func(c *Config) { c.Sampler.Method, c.Augment.Policy = "loss-is", "standard+mixup-a0.3" },
		"unif-sgd eval_async": func(c *Config) { c.Train.EvalAsync = true },
		"selective-backprop": func(c *Config) {
			c.Sampler.Method, c.Train.Budget = "selective-backprop", 0.5
		},
	}
	points := map[string]func(step int, epochLine bool) bool{
		"mid first epoch":  func(s int, line bool) bool { return !line && s == 1 },
		"mid third epoch":  func(s int, line bool) bool { return !line && s == 5 },
		"after epoch line": func(s int, line bool) bool { return line && s == 4 },
	}
	for mname, set := range methods {
		base := tinyConfig(t)
		base.Train.EvalBackend = "both"
		base.Train.TensorBoardEvery = 1 // a point per step: steps redone after a resume must not repeat
		set(&base)
		full := base
		want := train(t, full)
		wantPT, _ := os.ReadFile(filepath.Join(full.Out, runfolder.WeightsFile))
		wantONNX, _ := os.ReadFile(filepath.Join(full.Out, runfolder.ONNXFile))
		wantM := stableMetrics(t, full.Out)
		wantE := eventPoints(t, full.Out)
		check := func(t *testing.T, dir string, got Summary) {
			gotPT, _ := os.ReadFile(filepath.Join(dir, runfolder.WeightsFile))
			gotONNX, _ := os.ReadFile(filepath.Join(dir, runfolder.ONNXFile))
			if len(wantPT) == 0 || !bytes.Equal(gotPT, wantPT) {
				t.Errorf("model.pt differs from the uninterrupted run's (%d vs %d bytes)", len(gotPT), len(wantPT))
			}
			if len(wantONNX) == 0 || !bytes.Equal(gotONNX, wantONNX) {
				t.Errorf("model.onnx differs from the uninterrupted run's")
			}
			gotM := stableMetrics(t, dir)
			if len(gotM) != len(wantM) {
				t.Fatalf("%d metrics lines, want %d:\n%v", len(gotM), len(wantM), gotM)
			}
			for i := range wantM {
				if gotM[i] != wantM[i] {
					t.Errorf("metrics line %d:\n got %s\nwant %s", i+1, gotM[i], wantM[i])
				}
			}
			checkEvents(t, eventPoints(t, dir), wantE)
			if got.FinalTestAcc != want.FinalTestAcc || got.BestTestAcc != want.BestTestAcc || got.ONNXTestAcc != want.ONNXTestAcc ||
				got.Iterations != want.Iterations || got.SamplesBackward != want.SamplesBackward || got.EpochsRun != want.EpochsRun || !got.Completed {
				t.Errorf("summary %+v, want %+v", got, want)
			}
		}
		for pname, stop := range points {
			t.Run(mname+"/"+pname, func(t *testing.T) {
				c := base
				c.Out = t.TempDir()
				interruptedRun(t, c, stop)
				check(t, c.Out, resumeRun(t, c.Out))
			})
		}
		t.Run(mname+"/killed between checkpoint and metrics line", func(t *testing.T) {
			if base.Train.EvalAsync {
				t.Skip("with eval_async epoch 2's line is written during the last epoch, when no checkpoint follows")
			}
			c := base
			c.Out = t.TempDir()
			lines := 0
			interruptedRun(t, c, func(_ int, line bool) bool {
				if line {
					lines++
				}
				return lines == 2
			})
			// What kill -9 right after epoch 2's checkpoint leaves: the file without epoch 2's line.
			ck, err := ReadCheckpoint(c.Out)
			if err != nil || ck.Epoch != 2 || ck.Pending == nil {
				t.Fatalf("checkpoint epoch %d pending %v (%v), want epoch 2 with its pending line", ck.Epoch, ck.Pending, err)
			}
			if err := os.Truncate(filepath.Join(c.Out, runfolder.MetricsFile), ck.MetricsBytes); err != nil {
				t.Fatal(err)
			}
			if n := len(readMetrics(t, c.Out)); n != 1 {
				t.Fatalf("%d lines after the simulated kill, want 1", n)
			}
			check(t, c.Out, resumeRun(t, c.Out))
		})
	}
}

// TestCheckpointEveryResumesExactly: with train.checkpoint_every 2, epochs 1 and 3 save no
// checkpoint, the last epoch always does, and a run interrupted after epoch 3 resumes from epoch
// 2's checkpoint and ends byte-identical to the uninterrupted run. model.pt is the checkpoint's
// weights file under a second name (one write, not two).
func TestCheckpointEveryResumesExactly(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	base := tinyConfig(t)
	base.Train.Epochs, base.Train.CheckpointEvery = 5, 2
	full := base
	want := train(t, full)
	ck, err := ReadCheckpoint(full.Out)
	if err != nil || ck.Epoch != 5 {
		t.Fatalf("last checkpoint of the full run: epoch %d (%v), want 5 (the last epoch always saves)", ck.Epoch, err)
	}
	var a, b syscall.Stat_t
	if syscall.Stat(filepath.Join(full.Out, runfolder.WeightsFile), &a) != nil || syscall.Stat(filepath.Join(full.Out, ck.Weights), &b) != nil || a.Ino != b.Ino {
		t.Errorf("model.pt is not the checkpoint's weights file under a second name")
	}
	wantPT, _ := os.ReadFile(filepath.Join(full.Out, runfolder.WeightsFile))
	wantM := stableMetrics(t, full.Out)

	c := base
	c.Out = t.TempDir()
	interruptedRun(t, c, func(_ int, line bool) bool { return line && len(readMetrics(t, c.Out)) == 3 })
	if ck, err := ReadCheckpoint(c.Out); err != nil || ck.Epoch != 2 {
		t.Fatalf("checkpoint after 3 epochs with checkpoint_every 2: epoch %d (%v), want 2", ck.Epoch, err)
	}
	got := resumeRun(t, c.Out)
	gotPT, _ := os.ReadFile(filepath.Join(c.Out, runfolder.WeightsFile))
	if len(wantPT) == 0 || !bytes.Equal(gotPT, wantPT) || got.FinalTestAcc != want.FinalTestAcc || got.Iterations != want.Iterations {
		t.Errorf("resumed run differs from the uninterrupted one (model.pt equal: %v; acc %v vs %v)", bytes.Equal(gotPT, wantPT), got.FinalTestAcc, want.FinalTestAcc)
	}
	if gotM := stableMetrics(t, c.Out); strings.Join(gotM, "\n") != strings.Join(wantM, "\n") {
		t.Errorf("metrics differ:\n got %v\nwant %v", gotM, wantM)
	}
}
