package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"budgetrain/pipeline/runfolder"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
)

// TestDivergenceStopsAndKeepsFiniteCheckpoint: at lr 1e6 the run stops with "diverged at step
// N", writes no model.onnx, and the kept model.pt and checkpoint weights are finite.
func TestDivergenceStopsAndKeepsFiniteCheckpoint(t *testing.T) {
	c := tinyConfig(t)
	c.Train.LR, c.Train.FinalLR = 1e6, 1e6
	_, err := newTestTrainer(t, c).Run(context.Background())
	var d *DivergedError
	if !errors.As(err, &d) || !strings.Contains(err.Error(), "diverged at step") {
		t.Fatalf("got %v, want a divergence error", err)
	}
	t.Log(err)
	if _, err := os.Stat(filepath.Join(c.Out, runfolder.ONNXFile)); err == nil {
		t.Error("a diverged run wrote model.onnx")
	}
	ck, err := ReadCheckpoint(c.Out)
	if err != nil || ck.Epoch != d.Kept {
		t.Fatalf("checkpoint epoch %d (%v), error says %d was kept", ck.Epoch, err, d.Kept)
	}
	vs := nn.NewVarStore(gotch.CPU)
	defer vs.Destroy()
	tr := newTestTrainer(t, c)
	if _, err := NewModel(vs, tr.Cfg, tr.Info); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{runfolder.WeightsFile, ck.Weights} {
		if err := vs.Load(filepath.Join(c.Out, f)); err != nil {
			t.Fatal(err)
		}
		for name, v := range vs.Variables() {
			vals := make([]float32, v.Numel())
			v.MustCopyData(vals, v.Numel())
			for _, x := range vals {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					t.Fatalf("%s: %s holds %v", f, name, x)
				}
			}
		}
	}
}

// TestFullDiskIsAnError: when the run folder's file system fills up after the first epoch, the
// next checkpoint save returns an error naming the file and the cause (before: libtorch aborted
// the process), no temporary file is left, and the previous checkpoint stays whole.
func TestFullDiskIsAnError(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount a small tmpfs (needs root): %v %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	c := tinyConfig(t)
	c.Out = filepath.Join(dir, "run")
	c.Train.EvalBackend = "torch"
	tr := newTestTrainer(t, c)
	tr.Hooks = append(tr.Hooks, HookFuncs{OnEpoch: func(*Trainer, EpochMetrics) {
		f, err := os.Create(filepath.Join(dir, "filler"))
		if err != nil {
			return
		}
		buf := make([]byte, 64<<10)
		for {
			if _, err := f.Write(buf); err != nil {
				break
			}
		}
		f.Close()
	}})
	_, err := tr.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), "save checkpoint") {
		t.Fatalf("got %v, want a save error saying the disk is full", err)
	}
	t.Log(err)
	left, _ := filepath.Glob(filepath.Join(c.Out, ".*tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	ck, err := ReadCheckpoint(c.Out)
	if err != nil || ck.Epoch != 1 {
		t.Fatalf("checkpoint after the failed save: epoch %d (%v), want epoch 1", ck.Epoch, err)
	}
	for _, f := range []string{ck.Weights, ck.State} {
		if _, err := os.Stat(filepath.Join(c.Out, f)); err != nil {
			t.Errorf("checkpoint file: %v", err)
		}
	}
	// No file of the failed checkpoint is left beside the kept one.
	if files, _ := filepath.Glob(filepath.Join(c.Out, runfolder.CheckpointPartGlob)); len(files) != 2 {
		t.Errorf("checkpoint files after the failed save: %v, want only epoch 1's two", files)
	}
}

// TestOptimizerGetsScheduledLR: the learning rate of every optimizer step is Schedule.At(step),
// for every schedule and with a warm-up, and the trainer built the schedule the config asks for.
func TestOptimizerGetsScheduledLR(t *testing.T) {
	type run struct {
		kind   string
		warmup int
	}
	runs := []run{{"linear", 3}}
	for _, k := range ScheduleNames() {
		runs = append(runs, run{k, 0})
	}
	for _, r := range runs {
		name := fmt.Sprintf("%s/warmup=%d", r.kind, r.warmup)
		c := tinyConfig(t)
		c.Train.Schedule, c.Train.WarmupSteps, c.Train.Milestones, c.Train.EvalBackend = r.kind, r.warmup, []float64{1, 2}, "torch"
		tr := newTestTrainer(t, c)
		tr.syncStats = true // the hook reads the optimizer's LR, which a queued next step would have moved on
		if s := tr.Sched; s.Kind != r.kind || s.Warmup != r.warmup || s.LR != c.Train.LR || s.FinalLR != c.Train.FinalLR || s.Total != tr.TotalSteps {
			t.Errorf("%s: trainer built %+v", name, s)
		}
		steps := 0
		tr.Hooks = append(tr.Hooks, HookFuncs{OnStep: func(tr *Trainer, _ float64) {
			s := tr.Progress().Step - 1
			if got, want := tr.Opt.LR(), tr.Sched.At(s); got != want {
				t.Errorf("%s: step %d ran with lr %g, schedule says %g", name, s, got, want)
			}
			steps++
		}})
		if _, err := tr.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if steps != tr.TotalSteps || tr.Sched.At(0) == tr.Sched.At(tr.TotalSteps-1) {
			t.Errorf("%s: %d steps of %d, lr %g → %g: the check saw no schedule", name, steps, tr.TotalSteps, tr.Sched.At(0), tr.Sched.At(tr.TotalSteps-1))
		}
	}
}

// TestNewTrainerRejectsWarmupLongerThanRun: train.warmup_steps > T fails when the trainer is
// built (T needs the dataset size), naming the key, its value and T; W = T is allowed.
func TestNewTrainerRejectsWarmupLongerThanRun(t *testing.T) {
	c := tinyConfig(t)
	c.Train.EvalBackend = "torch"
	total := newTestTrainer(t, c).TotalSteps
	c.Train.WarmupSteps = total
	newTestTrainer(t, c)
	c.Train.WarmupSteps = total + 1
	tr, err := NewTrainer(c, nil)
	if err == nil {
		tr.Close()
		t.Fatalf("warmup_steps %d > T = %d accepted", total+1, total)
	}
	for _, f := range []string{fmt.Sprintf("train.warmup_steps (%d)", total+1), fmt.Sprintf("T = %d", total)} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}

// TestFailedSaveLeavesNoOrphans: a checkpoint save that fails after writing the weights file
// (the disk fills before the state file) removes what it wrote, so that only the previous
// checkpoint's files stay; a resume from it then ends with only its own checkpoint files.
func TestFailedSaveLeavesNoOrphans(t *testing.T) {
	c := tinyConfig(t)
	c.Train.EvalBackend = "torch"
	t.Cleanup(func() { writeRunFile = runfolder.WriteFileAtomic })
	tr := newTestTrainer(t, c)
	tr.Hooks = append(tr.Hooks, HookFuncs{OnEpoch: func(t *Trainer, m EpochMetrics) {
		if m.Epoch == 1 {
			writeRunFile = func(p string, b []byte) error {
				if strings.HasSuffix(p, ".state.pt") {
					return errors.New("no space left on device (simulated)")
				}
				return runfolder.WriteFileAtomic(p, b)
			}
		}
	}})
	if _, err := tr.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "simulated") {
		t.Fatalf("run: %v, want the simulated save error", err)
	}
	files, _ := filepath.Glob(filepath.Join(c.Out, runfolder.CheckpointPartGlob))
	ck, _ := ReadCheckpoint(c.Out)
	if len(files) != 2 || ck.Epoch != 1 {
		t.Errorf("after the failed save: %v, checkpoint epoch %d; want epoch 1's two files only", files, ck.Epoch)
	}
	writeRunFile = runfolder.WriteFileAtomic
	if s := resumeRun(t, c.Out); !s.Completed {
		t.Fatal("resumed run not completed")
	}
	files, _ = filepath.Glob(filepath.Join(c.Out, runfolder.CheckpointPartGlob))
	if ck, _ = ReadCheckpoint(c.Out); len(files) != 2 || !strings.Contains(files[0], fmt.Sprintf("%04d", ck.Epoch)) {
		t.Errorf("after the resumed run: %v, want the last checkpoint's (epoch %d) two files only", files, ck.Epoch)
	}
}
