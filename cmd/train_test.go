package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
