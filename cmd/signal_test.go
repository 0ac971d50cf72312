package cmd

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestMain lets a test start this test binary as the budgetrain command (BUDGETRAIN_TEST_CLI=1),
// so that real signals can be sent to a real training process.
func TestMain(m *testing.M) {
	if os.Getenv("BUDGETRAIN_TEST_CLI") == "1" {
		os.Exit(Execute())
	}
	os.Exit(m.Run())
}

// TestSignalsThenResumeEqualUninterrupted: SIGINT or SIGKILL sent to a training process after
// its first or second epoch line, then `train --resume`, gives the uninterrupted run's model.pt
// and model.onnx byte for byte and every epoch's metrics line exactly once.
func TestSignalsThenResumeEqualUninterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	args := func(out string) []string {
		return tinyTrainArgs(out, "--epochs", "6", "--set", "train.eval_backend=both", "--set", "dataset.dir=", "--set", "dataset.train_limit=3000", "--set", "dataset.test_limit=500")
	}
	ref := t.TempDir()
	if _, err := execute(t, args(ref)...); err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for _, f := range []string{"model.pt", "model.onnx"} {
		want[f], _ = os.ReadFile(filepath.Join(ref, f))
	}
	wantEpochs := epochsOf(t, ref)
	for _, c := range []struct {
		name  string
		sig   syscall.Signal
		after int // epoch lines seen before the signal
	}{{"SIGINT after epoch 1", syscall.SIGINT, 1}, {"SIGKILL after epoch 1", syscall.SIGKILL, 1}, {"SIGKILL after epoch 3", syscall.SIGKILL, 3}} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			cmd := exec.Command(os.Args[0], args(out)...)
			cmd.Env = append(os.Environ(), "BUDGETRAIN_TEST_CLI=1")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stdout)
			lines := 0
			for sc.Scan() {
				if strings.Contains(sc.Text(), "epoch ") && strings.Contains(sc.Text(), " step ") {
					if lines++; lines == c.after {
						cmd.Process.Signal(c.sig)
						break
					}
				}
			}
			go func() { // keep the pipe drained
				for sc.Scan() {
				}
			}()
			err = cmd.Wait()
			if err == nil {
				t.Fatalf("the run finished before %v arrived: the test interrupted nothing", c.sig)
			}
			if _, err := execute(t, "train", "--resume", out); err != nil {
				t.Fatal(err)
			}
			for f, w := range want {
				got, _ := os.ReadFile(filepath.Join(out, f))
				if len(w) == 0 || !bytes.Equal(got, w) {
					t.Errorf("%s differs from the uninterrupted run's", f)
				}
			}
			if got := epochsOf(t, out); got != wantEpochs {
				t.Errorf("metrics.jsonl epochs %s, want %s", got, wantEpochs)
			}
		})
	}
}

// epochsOf lists the epoch numbers and test accuracies of a run's metrics.jsonl.
func epochsOf(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.SplitN(line, ",", 2)[0] // {"epoch":N
		acc := ""
		if i := strings.Index(line, `"test_acc":`); i >= 0 {
			acc = strings.SplitN(line[i:], ",", 2)[0]
		}
		out = append(out, f+" "+acc)
	}
	return strings.Join(out, "; ")
}
