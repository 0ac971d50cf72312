package torchx

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
)

// linearStore returns a VarStore holding one in×out linear layer.
func linearStore(t *testing.T, in, out int64) *nn.VarStore {
	t.Helper()
	vs := nn.NewVarStore(gotch.CPU)
	t.Cleanup(vs.Destroy)
	nn.NewLinear(vs.Root().Sub("fc"), in, out, nn.DefaultLinearConfig())
	return vs
}

// TestLoadWeightsErrorsNameTheFileInOneLine: every bad weights file gives a one-line error that
// names it and says what is wrong, with no C++ backtrace and no Go stack (gotch's libtorch errors
// carry both), and no crash.
func TestLoadWeightsErrorsNameTheFileInOneLine(t *testing.T) {
	runtime.LockOSThread() // libtorch's error slot is per OS thread (docs: gotch notes §10.7)
	defer runtime.UnlockOSThread()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pt")
	if err := linearStore(t, 2, 3).Save(good); err != nil {
		t.Fatal(err)
	}
	if err := LoadWeights(linearStore(t, 2, 3), good); err != nil {
		t.Fatalf("a file written by Save: %v", err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		path string
		vs   *nn.VarStore
		want string
	}{
		{"Missing", filepath.Join(dir, "missing.pt"), nil, "no such file or directory"},
		{"Directory", dir, nil, "is a directory, want a weights file"},
		{"Empty", write("empty.pt", nil), nil, `not a weights file: want a zip archive as written by train (model.pt, starting with "PK\x03\x04"), got 0 bytes`},
		{"Garbage", write("garbage.pt", []byte("this is not a model\n")), nil, `got 20 bytes starting with "this"`},
		{"Truncated", write("truncated.pt", b[:len(b)/2]), nil, "PytorchStreamReader failed reading zip archive"},
		{"OtherShape", good, linearStore(t, 4, 3), "Mismatched shape error for variable name: fc.weight"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A subtest runs on its own goroutine: lock it too, so that libtorch's per-thread
			// error slot is this subtest's (it read another's error once under load).
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			vs := tc.vs
			if vs == nil {
				vs = linearStore(t, 2, 3)
			}
			err := LoadWeights(vs, tc.path)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, want := range []string{`load weights "` + tc.path + `": `, tc.want} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			for _, bad := range []string{"\n", "frame #", "Exception raised from", "goroutine", "Libtorch API Error"} {
				if strings.Contains(msg, bad) {
					t.Errorf("error contains %q: %q", bad, msg)
				}
			}
		})
	}
}

func TestErrorKeepsTheFirstMeaningfulLine(t *testing.T) {
	gotchErr := errors.New("Libtorch API Error: PytorchStreamReader failed reading zip archive: failed finding central directory\n" +
		"Exception raised from valid at ../caffe2/serialize/inline_container.cc:195 (most recent call first):\n" +
		"frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x57\n\ngoroutine 1 [running]:\nruntime/debug.Stack()\n")
	for _, tc := range []struct {
		in   error
		want string
	}{
		{gotchErr, "PytorchStreamReader failed reading zip archive: failed finding central directory"},
		{errors.New("\n  Mismatched shape error for variable name: w\n"), "Mismatched shape error for variable name: w"},
		{errors.New("Libtorch API Error: \n"), "libtorch error without a message"},
		{errors.New("Libtorch API Error: [enforce fail at inline_container.cc:135] . file in archive is not in a subdirectory: a.txt\nframe #0: x"),
			"file in archive is not in a subdirectory: a.txt"},
	} {
		if got := Error(tc.in); got == nil || got.Error() != tc.want {
			t.Errorf("Error(%q) = %v, want %q", tc.in, got, tc.want)
		}
	}
	if Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
}
