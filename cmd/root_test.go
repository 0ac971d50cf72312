package cmd

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"budgetrain/pipeline"

	"go.yaml.in/yaml/v3"
)

// execute runs the CLI in-process (executeCommand) and returns stdout and the error.
func execute(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, _, err := executeCommand(t, args...)
	return out, err
}

func resolved(t *testing.T, args ...string) pipeline.Config {
	t.Helper()
	out, err := execute(t, append([]string{"config"}, args...)...)
	if err != nil {
		t.Fatalf("config %v: %v", args, err)
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	c, err := pipeline.ConfigFromMap(m)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConfigPrecedence checks --set > flag > environment > file > default, key by key.
func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join("testdata", "precedence.yaml")
	t.Setenv("BUDGETRAIN_TRAIN_EPOCHS", "9")     // env beats file (7)
	t.Setenv("BUDGETRAIN_TRAIN_LR", "0.02")      // env beats file (0.05), loses to --set
	t.Setenv("BUDGETRAIN_MODEL_NAME", "resnet8") // env beats file, loses to flag
	t.Setenv("BUDGETRAIN_SEED", "5")
	c := resolved(t, "--config", file, "--seed", "11", "--set", "train.lr=0.03")
	checks := []struct {
		key       string
		got, want any
	}{
		{"train.batch_size (default)", c.Train.BatchSize, 128},
		{"train.budget (file)", c.Train.Budget, 0.5},
		{"sampler.method (file)", c.Sampler.Method, "p-sgd"},
		{"train.epochs (env over file)", c.Train.Epochs, 9},
		{"model.name (env over file)", c.Model.Name, "resnet8"},
		{"seed (flag over env)", c.Seed, uint64(11)},
		{"train.lr (--set over env and file)", c.Train.LR, 0.03},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.key, ck.got, ck.want)
		}
	}
}

func TestTrainFlagBeatsEnv(t *testing.T) {
	t.Setenv("BUDGETRAIN_TRAIN_BUDGET", "0.2")
	root := NewRootCommand()
	train, _, err := root.Find([]string{"train"})
	if err != nil {
		t.Fatal(err)
	}
	if err := train.ParseFlags([]string{"--budget", "0.7", "--method", "c-sgd"}); err != nil {
		t.Fatal(err)
	}
	c, err := resolve(train, &options{seed: 1}, trainFlags)
	if err != nil {
		t.Fatal(err)
	}
	if c.Train.Budget != 0.7 || c.Sampler.Method != "c-sgd" {
		t.Errorf("budget %v method %q, want 0.7 and c-sgd", c.Train.Budget, c.Sampler.Method)
	}
}

func TestInvalidConfigListsEveryProblem(t *testing.T) {
	_, err := execute(t, "config", "--set", "train.budget=1.5", "--set", "train.batch_size=0",
		"--set", "train.lr=-1", "--set", "model.name=vgg", "--set", "sampler.method=best")
	if err == nil {
		t.Fatal("no error")
	}
	for _, frag := range []string{"train.budget (1.5)", "train.batch_size (0)", "train.lr (-1)", `model.name ("vgg")`, `sampler.method ("best")`} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("error lacks %q:\n%v", frag, err)
		}
	}
}

func TestUnknownKeysFail(t *testing.T) {
	if _, err := execute(t, "config", "--config", filepath.Join("testdata", "unknown-key.yaml")); err == nil || !strings.Contains(err.Error(), "budgett") {
		t.Errorf("unknown key in file: got %v", err)
	}
	if _, err := execute(t, "config", "--set", "train.budgett=0.5"); err == nil || !strings.Contains(err.Error(), "train.budgett") {
		t.Errorf("unknown --set key: got %v", err)
	}
	if _, err := execute(t, "config", "--set", "novalue"); err == nil || !strings.Contains(err.Error(), "key=value") {
		t.Errorf("malformed --set: got %v", err)
	}
	if _, err := execute(t, "config", "--config", "testdata/missing.yaml"); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: got %v", err)
	}
}

// TestTrainExportEvalInProcess runs train, export and eval on the fixture through the CLI.
func TestTrainExportEvalInProcess(t *testing.T) {
	out := t.TempDir()
	fixture := filepath.Join("..", "testdata", "fashion-mnist")
	if _, err := execute(t, "train", "--out", out, "--model", "test-tiny", "--epochs", "2", "--budget", "0.5",
		"--device", "cpu", "--set", "dataset.dir="+fixture, "--set", "train.batch_size=16", "--set", "threads=1"); err != nil {
		t.Fatal(err)
	}
	onnxPath := filepath.Join(t.TempDir(), "re.onnx")
	if _, err := execute(t, "export", "--run", out, "--onnx", onnxPath); err != nil {
		t.Fatal(err)
	}
	res, err := execute(t, "eval", "--onnx", onnxPath, "--data-dir", fixture, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res, `"accuracy"`) || !strings.Contains(res, `"Ankle boot"`) {
		t.Errorf("eval --json output:\n%s", res)
	}
	res2, err := execute(t, "eval", "--run", out, "--data-dir", fixture)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res2, "accuracy") {
		t.Errorf("eval --run output:\n%s", res2)
	}
	if _, err := execute(t, "eval", "--onnx", filepath.Join(out, "nope.onnx")); err == nil || !strings.Contains(err.Error(), "nope.onnx") {
		t.Errorf("missing model: %v", err)
	}
	// The old --model still works (pflag notes the deprecation on stderr); run-configuration flags are refused,
	// not ignored; a test set other than the model's gets a warning.
	if _, err := execute(t, "eval", "--model", onnxPath, "--data-dir", fixture); err != nil {
		t.Errorf("eval --model (deprecated for --onnx): %v", err)
	}
	for _, args := range [][]string{{"--set", "train.lr=0.1"}, {"--set", "bogus.key=1"}, {"--config", "x.yaml"}, {"--seed", "3"}} {
		if _, err := execute(t, append([]string{"eval", "--onnx", onnxPath, "--data-dir", fixture}, args...)...); err == nil || !strings.Contains(err.Error(), "takes no run configuration") {
			t.Errorf("eval %v: %v, want refused", args, err)
		}
	}
	if _, stderr, err := executeCommand(t, "eval", "--onnx", onnxPath, "--data-dir", fixture, "--dataset", "mnist"); err != nil ||
		!strings.Contains(stderr, "trained on fashion-mnist (its metadata), evaluating it on mnist") {
		t.Errorf("eval on another dataset: %v, stderr %q", err, stderr)
	}
	if _, err := execute(t, "eval", "--weights", filepath.Join(out, "model.pt")); err == nil || !strings.Contains(err.Error(), "--weights needs --arch") {
		t.Errorf("eval --weights without --arch: %v", err)
	}
	// More threads than CPUs are capped there, with a note; 2^31 does not wrap around.
	for _, n := range []string{"1000", "2147483648"} {
		_, stderr, err := executeCommand(t, "eval", "--onnx", onnxPath, "--data-dir", fixture, "--threads", n)
		if want := fmt.Sprintf("threads %s capped at this machine's %d CPUs", n, runtime.NumCPU()); err != nil || !strings.Contains(stderr, want) {
			t.Errorf("eval --threads %s: %v, stderr %q, want %q", n, err, stderr, want)
		}
	}
	if _, err := execute(t, "eval", "--onnx", onnxPath, "--data-dir", fixture, "--threads", "-1"); err == nil || !strings.Contains(err.Error(), "--threads (-1)") {
		t.Errorf("eval --threads -1: %v", err)
	}
}

func TestStructuredAugmentConfig(t *testing.T) {
	c := resolved(t, "--config", filepath.Join("testdata", "structured-augment.yaml"))
	if c.Augment.Policy != "rand-m4-n2+standard+ricap-a0.3" {
		t.Errorf("policy from ops = %q", c.Augment.Policy)
	}
	if len(c.Augment.Ops) != 3 || c.Augment.Ops[2].Params["alpha"] != 0.3 {
		t.Errorf("ops = %+v", c.Augment.Ops)
	}
	_, err := execute(t, "config", "--config", filepath.Join("testdata", "structured-augment.yaml"), "--set", "augment.policy=standard")
	if err == nil || !strings.Contains(err.Error(), "disagree") {
		t.Errorf("policy and ops both given: %v", err)
	}
}

// TestBadModelFilesGiveOneLineErrors: a garbage, empty or truncated .onnx or .pt given to eval or
// export exits with an error that names the file and says what is wrong in one line, without
// libtorch's C++ backtrace or a Go stack, and nothing crashes.
func TestBadModelFilesGiveOneLineErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var zb bytes.Buffer // a zip archive that is not a TorchScript file
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("hello.txt")
	w.Write(bytes.Repeat([]byte("hello "), 100))
	zw.Close()
	small, err := os.ReadFile(filepath.Join("..", "onnx", "testdata", "small.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	fixture := filepath.Join("..", "testdata", "fashion-mnist")
	garbagePT := write("garbage.pt", []byte("not a checkpoint at all"))
	zipPT := write("other.pt", zb.Bytes())
	truncPT := write("truncated.pt", zb.Bytes()[:zb.Len()/2])
	garbageONNX := write("garbage.onnx", []byte("not a model at all"))
	emptyONNX := write("empty.onnx", nil)
	truncONNX := write("truncated.onnx", small[:len(small)/2])
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"ExportGarbagePT", []string{"export", "--weights", garbagePT, "--model", "test-tiny", "--onnx", filepath.Join(dir, "x.onnx")},
			[]string{`load weights "` + garbagePT + `"`, "not a weights file: want a zip archive as written by train"}},
		{"ExportZipThatIsNotAModel", []string{"export", "--weights", zipPT, "--model", "test-tiny", "--onnx", filepath.Join(dir, "x.onnx")},
			[]string{`load weights "` + zipPT + `": file in archive is not in a subdirectory: hello.txt`}},
		{"EvalTruncatedPT", []string{"eval", "--weights", truncPT, "--arch", "test-tiny", "--data-dir", fixture},
			[]string{`load weights "` + truncPT + `"`, "PytorchStreamReader failed reading zip archive"}},
		{"EvalGarbageONNX", []string{"eval", "--onnx", garbageONNX, "--data-dir", fixture},
			[]string{`model "` + garbageONNX + `"`, "not an ONNX model, or truncated?"}},
		{"EvalEmptyONNX", []string{"eval", "--onnx", emptyONNX, "--data-dir", fixture},
			[]string{`model "` + emptyONNX + `"`, "empty model (0 bytes)"}},
		{"EvalTruncatedONNX", []string{"eval", "--onnx", truncONNX, "--data-dir", fixture},
			[]string{`model "` + truncONNX + `"`, "not an ONNX model, or truncated?"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := execute(t, tc.args...)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			for _, bad := range []string{"\n", "frame #", "Exception raised from", "goroutine", "Libtorch API Error", "enforce fail"} {
				if strings.Contains(msg, bad) {
					t.Errorf("error contains %q:\n%s", bad, msg)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "x.onnx")); err == nil {
		t.Error("a failed export wrote its output file")
	}
}

// TestExitCodes: an interrupted command exits 130 without "error: context canceled"; other
// errors exit 1 with "error:".
func TestExitCodes(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
		out  string
	}{
		{nil, 0, ""},
		{context.Canceled, 130, ""},
		{fmt.Errorf("sweep: interrupted with 3 cells left; rerun the same command to continue: %w", context.Canceled), 130,
			"budgetrain: sweep: interrupted with 3 cells left; rerun the same command to continue\n"},
		{errors.New("load data: no such file"), 1, "budgetrain: error: load data: no such file\n"},
	} {
		var b bytes.Buffer
		if code := exitCode(c.err, &b); code != c.code || b.String() != c.out {
			t.Errorf("exitCode(%v) = %d, %q; want %d, %q", c.err, code, b.String(), c.code, c.out)
		}
	}
}
