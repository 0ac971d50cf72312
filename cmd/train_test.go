package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"budgetrain/pipeline"
	"budgetrain/pipeline/runfolder"

	"github.com/sugarme/gotch"
)

func tinyTrainArgs(out string, extra ...string) []string {
	fixture := filepath.Join("..", "testdata", "fashion-mnist")
	return append([]string{"train", "--out", out, "--model", "test-tiny", "--epochs", "1", "--budget", "0.5",
		"--device", "cpu", "--set", "dataset.dir=" + fixture, "--set", "train.batch_size=16", "--set", "threads=1",
		"--set", "train.eval_backend=torch"}, extra...)
}

// TestTrainRunFolderRules: a folder holding a run is refused (naming it and the ways out),
// --force starts over, --resume of a completed run is a no-op that keeps its summary, and a
// run name with a path in it or the root as run folder are refused.
func TestTrainRunFolderRules(t *testing.T) {
	out := t.TempDir()
	if _, err := execute(t, tinyTrainArgs(out)...); err != nil {
		t.Fatal(err)
	}
	sum, _ := os.ReadFile(filepath.Join(out, "summary.json"))
	_, err := execute(t, tinyTrainArgs(out, "--set", "train.lr=0.05")...)
	if err == nil || !strings.Contains(err.Error(), "already holds a run of another configuration") || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second run into %s: %v", out, err)
	}
	_, err = execute(t, tinyTrainArgs(out)...)
	if err == nil || !strings.Contains(err.Error(), "already holds a run of this configuration") {
		t.Errorf("same config again: %v", err)
	}
	res, err := execute(t, "train", "--resume", out)
	if err != nil || !strings.Contains(res, "already complete") {
		t.Errorf("--resume of a completed run: %v\n%s", err, res)
	}
	if after, _ := os.ReadFile(filepath.Join(out, "summary.json")); string(after) != string(sum) {
		t.Error("--resume of a completed run rewrote its summary")
	}
	if _, err := execute(t, tinyTrainArgs(out, "--set", "train.lr=0.05", "--force")...); err != nil {
		t.Errorf("--force: %v", err)
	}
	for _, name := range []string{"../escape", "a/b", ".."} {
		if _, err := execute(t, tinyTrainArgs(t.TempDir(), "--name", name)...); err == nil || !strings.Contains(err.Error(), "plain name") {
			t.Errorf("--name %q: %v", name, err)
		}
	}
	if _, err := execute(t, tinyTrainArgs("/")...); err == nil || !strings.Contains(err.Error(), "root") {
		t.Errorf("--out /: %v", err)
	}
}

// TestTrainRefusesFolderInUse: a run folder whose lock another process holds is refused by a
// new run, --force or not, and by --resume, without touching its files; a run holds its
// folder's lock while it trains.
func TestTrainRefusesFolderInUse(t *testing.T) {
	out := t.TempDir()
	var lockedWhileTraining bool
	trainerBuilt = func(*pipeline.Trainer) error { lockedWhileTraining = runfolder.Locked(out); return nil }
	t.Cleanup(func() { trainerBuilt = nil })
	if _, err := execute(t, tinyTrainArgs(out)...); err != nil {
		t.Fatal(err)
	}
	if !lockedWhileTraining {
		t.Error("the run folder was not locked while training")
	}
	sum, _ := os.ReadFile(filepath.Join(out, "summary.json"))
	other, err := runfolder.Acquire(out) // another writer of the folder
	if err != nil {
		t.Fatal(err)
	}
	defer other.Unlock()
	for _, args := range [][]string{tinyTrainArgs(out, "--set", "train.lr=0.05", "--force"), tinyTrainArgs(out)} {
		if _, err := execute(t, args...); err == nil || !strings.Contains(err.Error(), "in use by another process") || !strings.Contains(err.Error(), "pid ") {
			t.Errorf("%v into a folder in use: %v", args[len(args)-1], err)
		}
	}
	os.Remove(filepath.Join(out, "summary.json")) // as if interrupted, so that --resume tries
	if _, err := execute(t, "train", "--resume", out); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("--resume of a folder in use: %v", err)
	}
	os.WriteFile(filepath.Join(out, "summary.json"), sum, 0o644)
	if _, err := os.Stat(filepath.Join(out, "model.pt")); err != nil {
		t.Errorf("a refused run deleted the folder's files: %v", err)
	}
}

// TestTrainDeviceCUDAWithoutGPU: on a machine without a CUDA device, --device cuda fails before
// any work with the device error and leaves no run behind, and --device auto trains on the CPU.
func TestTrainDeviceCUDAWithoutGPU(t *testing.T) {
	if gotch.CUDA.IsAvailable() {
		t.Skip("a CUDA device is present: scripts/gpu-check.sh covers this machine")
	}
	out := filepath.Join(t.TempDir(), "run")
	_, err := execute(t, tinyTrainArgs(out, "--device", "cuda")...)
	if err == nil || !strings.Contains(err.Error(), "device cuda:") || !strings.Contains(err.Error(), "use device cpu or auto") {
		t.Fatalf("--device cuda without a GPU: %v", err)
	}
	if _, statErr := os.Stat(filepath.Join(out, "summary.json")); statErr == nil {
		t.Error("--device cuda without a GPU left a summary.json")
	}
	auto := t.TempDir()
	res, err := execute(t, tinyTrainArgs(auto, "--device", "auto")...)
	if err != nil {
		t.Fatalf("--device auto: %v", err)
	}
	if !strings.Contains(res, "device cpu,") {
		t.Errorf("--device auto did not train on the CPU:\n%s", res)
	}
}

// TestNoBarWithoutTerminal: with output to a file or pipe (here buffers) train draws no
// progress bar and writes no carriage returns, so a log holds one line per epoch.
func TestNoBarWithoutTerminal(t *testing.T) {
	stdout, stderr, err := executeCommand(t, tinyTrainArgs(t.TempDir(), "--epochs", "2")...)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stdout+stderr, "\r") || strings.Count(stdout, "\nepoch ") != 2 {
		t.Errorf("output has carriage returns or not one line per epoch:\nstdout %q\nstderr %q", stdout, stderr)
	}
}

// TestBudgetWithoutAStepNamesRunKeys: a budget too small for one batch is reported with the run's
// own keys and the real number of training images (it named sampler.budget and
// sampler.n (1073741824) before).
func TestBudgetWithoutAStepNamesRunKeys(t *testing.T) {
	_, err := execute(t, tinyTrainArgs(t.TempDir(), "--budget", "1e-9")...)
	if err == nil || !strings.Contains(err.Error(), "train.budget (1e-09) gives 0 images per epoch of the 64 training images, fewer than train.batch_size (16)") ||
		strings.Contains(err.Error(), "sampler.") {
		t.Errorf("budget 1e-9: %v", err)
	}
}
