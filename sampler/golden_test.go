package sampler

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/traces.golden")

// TestGoldenTraces pins the selections of every method for a fixed seed, so that a
// change of RNG use or of an algorithm shows up in review. Regenerate with
// go test ./sampler -run GoldenTraces -update.
func TestGoldenTraces(t *testing.T) {
	const n, k = 40, 12
	var buf bytes.Buffer
	for _, m := range Methods() {
		s := build(t, m, 2021, n, 0.3)
		for e := range 3 {
			out := s.Epoch(e, k)
			fmt.Fprintf(&buf, "%s epoch %d: %v\n", m, e, out)
			if w, ok := s.(Weighter); ok {
				fmt.Fprintf(&buf, "%s weights %d: %.4g\n", m, e, w.Weights(out))
			}
			if sel, ok := s.(Selector); ok {
				fmt.Fprintf(&buf, "%s select %d: %v\n", m, e, sel.Select(randomLosses(uint64(e), n)))
			}
			mustObserve(t, s, randomLosses(uint64(100+e), n))
		}
	}
	path := filepath.Join("testdata", "traces.golden")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("traces differ from %s (run with -update if the change is intended):\n%s", path, buf.String())
	}
}
