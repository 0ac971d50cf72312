package data

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"budgetrain/pipeline/data/internal/gen"
)

var update = flag.Bool("update", false, "rewrite the fixtures in testdata/ from internal/gen")

// testdata is the repository's shared fixture directory.
const testdata = "../../testdata"

// TestFixturesUpToDate checks that testdata/ holds exactly what the
// generator writes. Files must be byte-identical, except that compressed or
// encoded files are compared by content, so a change in the standard
// library's compressors or image encoders does not fail the test.
func TestFixturesUpToDate(t *testing.T) {
	if *update {
		if err := gen.Write(testdata); err != nil {
			t.Fatal(err)
		}
	}
	want, err := gen.Files()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for path, w := range want {
		got, err := os.ReadFile(filepath.Join(testdata, path))
		if err != nil {
			t.Errorf("%v (run go test ./pipeline/data -run TestFixturesUpToDate -update)", err)
			continue
		}
		total += len(got)
		if !sameContent(t, path, got, w) {
			t.Errorf("%s is out of date (run go test ./pipeline/data -run TestFixturesUpToDate -update)", path)
		}
	}
	for _, dir := range gen.Dirs {
		filepath.WalkDir(filepath.Join(testdata, dir), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(testdata, p)
			if _, ok := want[filepath.ToSlash(rel)]; !ok {
				t.Errorf("%s is not written by the generator (stale? run with -update)", rel)
			}
			return nil
		})
	}
	if total > 300<<10 {
		t.Errorf("fixtures total %d bytes, want at most 300 KiB", total)
	}
}

// TestGeneratorDeterministic checks that two runs produce identical bytes.
func TestGeneratorDeterministic(t *testing.T) {
	a, err := gen.Files()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := gen.Files()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("gen.Files differs between two calls")
	}
}

// sameContent compares two versions of a fixture by content.
func sameContent(t *testing.T, path string, got, want []byte) bool {
	if bytes.Equal(got, want) {
		return true
	}
	switch ext := filepath.Ext(path); ext {
	case ".gz":
		return bytes.Equal(gunzip(t, got), gunzip(t, want))
	case ".mat":
		a, errA := parseMAT(path, got)
		b, errB := parseMAT(path, want)
		return errA == nil && errB == nil && reflect.DeepEqual(matSummary(a), matSummary(b))
	case ".png", ".jpg":
		a, _, errA := image.Decode(bytes.NewReader(got))
		b, _, errB := image.Decode(bytes.NewReader(want))
		if errA != nil || errB != nil || a.Bounds() != b.Bounds() {
			return false
		}
		tol := 0 // PNG is lossless
		if ext == ".jpg" {
			tol = 6 // another JPEG encoder may round differently
		}
		pa, _ := appendRGB(nil, a)
		pb, _ := appendRGB(nil, b)
		return maxAbsDiff(pa, pb) <= tol
	}
	return false
}

func gunzip(t *testing.T, b []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// matSummary reduces parsed MAT arrays to comparable values.
func matSummary(arrays []matArray) []string {
	var s []string
	for _, a := range arrays {
		v := make([]float64, a.len())
		for i := range v {
			v[i] = a.value(i)
		}
		s = append(s, fmt.Sprint(a.name, a.class, a.dims, v))
	}
	return s
}
