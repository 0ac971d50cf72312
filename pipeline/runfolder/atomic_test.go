package runfolder

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileAtomicWritesAndReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	for _, data := range [][]byte{[]byte("first version"), []byte("v2")} {
		if err := WriteFileAtomic(path, data); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back %q (%v), want %q", got, err, data)
		}
	}
	if names := dirEntries(t, dir); !slices.Equal(names, []string{"m.onnx"}) {
		t.Errorf("directory holds %v, want only m.onnx", names)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
}

// A write that fails halfway leaves the old file intact and removes the temporary file.
func TestWriteFileAtomicFailureKeepsOldFileAndNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	old := []byte("old complete contents")
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	data := []byte("new contents that never finish")
	err := WriteAtomic(path, func(w io.Writer) error {
		w.Write(data[:len(data)/2])
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want it to wrap %v", err, boom)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, old) {
		t.Errorf("target holds %q after a failed write, want the old %q", got, old)
	}
	if names := dirEntries(t, dir); !slices.Equal(names, []string{"m.onnx"}) {
		t.Errorf("directory holds %v after a failed write, want only m.onnx", names)
	}
}

func TestWriteFileAtomicErrorsLeaveNoTemp(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
	}{
		{"missing directory", filepath.Join(dir, "no", "such", "dir", "m.onnx")},
		{"target is a directory", dir + string(filepath.Separator)},
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests = append(tests, struct{ name, path string }{"rename onto a non-empty directory", filepath.Join(dir, "sub")})
	if err := os.WriteFile(filepath.Join(dir, "sub", "keep"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteFileAtomic(tt.path, []byte("data"))
			if err == nil {
				t.Fatal("no error")
			}
			if names := dirEntries(t, dir); !slices.Equal(names, []string{"sub"}) {
				t.Errorf("directory holds %v, want only sub", names)
			}
		})
	}
}
