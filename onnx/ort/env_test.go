package ort

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestLibraryPathFollowsEnvironmentPrecedence(t *testing.T) {
	tests := []struct {
		name                  string
		lib, cache, xdg, home string
		want                  string
	}{
		{"ONNXRUNTIME_LIB wins", "/opt/ort/libonnxruntime.so", "/c", "/x", "/h", "/opt/ort/libonnxruntime.so"},
		{"BUDGETRAIN_CACHE next", "", "/c", "/x", "/h", "/c/onnxruntime-1.30.0/libonnxruntime.so.1"},
		{"XDG_CACHE_HOME next", "", "", "/x", "/h", "/x/budgetrain/onnxruntime-1.30.0/libonnxruntime.so.1"},
		{"HOME last", "", "", "", "/h", "/h/.cache/budgetrain/onnxruntime-1.30.0/libonnxruntime.so.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ONNXRUNTIME_LIB", tt.lib)
			t.Setenv("BUDGETRAIN_CACHE", tt.cache)
			t.Setenv("XDG_CACHE_HOME", tt.xdg)
			t.Setenv("HOME", tt.home)
			if got := LibraryPath(); got != tt.want {
				t.Errorf("LibraryPath() = %q, want %q", got, tt.want)
			}
		})
	}
}

// A missing or broken library gives an error naming the path and the fix, in a process that
// keeps running (no crash, no panic).
func TestInitReportsBadLibraryClearly(t *testing.T) {
	dir := t.TempDir()
	notLib := filepath.Join(dir, "libonnxruntime.so.1")
	if err := os.WriteFile(notLib, []byte("not an ELF file"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		lib  string
		want []string
	}{
		{"missing", filepath.Join(dir, "nope", "libonnxruntime.so.1"), []string{"onnxruntime library not found", filepath.Join(dir, "nope"), "make deps", "ONNXRUNTIME_LIB"}},
		{"not a library", notLib, []string{"load onnxruntime from", notLib, "make deps"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"=init", "ONNXRUNTIME_LIB="+tt.lib)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("helper process failed (%v): %s", err, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output %q does not contain %q", out, w)
				}
			}
		})
	}
}

func TestInitIsIdempotent(t *testing.T) {
	needORT(t)
	if err := Init(4); err != nil {
		t.Fatalf("second Init: %v", err)
	}
	if v := Version(); !strings.HasPrefix(v, "1.") {
		t.Errorf("Version() = %q, want 1.x", v)
	}
}
