package data

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// maxAbsDiff returns the largest |a[i]-b[i]|, or 256 if the lengths differ.
func maxAbsDiff(a, b []byte) int {
	if len(a) != len(b) {
		return 256
	}
	m := 0
	for i := range a {
		m = max(m, abs(int(a[i])-int(b[i])))
	}
	return m
}

// meanAbsDiff returns the mean of |a[i]-b[i]|; a and b have equal lengths.
func meanAbsDiff(a, b []byte) float64 {
	sum := 0
	for i := range a {
		sum += abs(int(a[i]) - int(b[i]))
	}
	return float64(sum) / float64(len(a))
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// writeFile writes b to dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantErr fails unless err is non-nil and its message contains every
// fragment.
func wantErr(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not contain %q", err, f)
		}
	}
}

// fixture returns the path of a shared fixture file.
func fixture(parts ...string) string {
	return filepath.Join(append([]string{testdata}, parts...)...)
}

// allocated returns the bytes f allocates on the heap (runtime.MemStats
// TotalAlloc; the tests of this package do not run in parallel).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// storedGzip gzips b without compressing it (stored deflate blocks), so
// that the output's length does not depend on b's contents.
func storedGzip(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.NoCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// storedZlib is storedGzip for zlib streams.
func storedZlib(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.NoCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// withMaxBytes sets MaxBytes for the duration of a test.
func withMaxBytes(t *testing.T, n int64) {
	old := MaxBytes
	MaxBytes = n
	t.Cleanup(func() { MaxBytes = old })
}
