package runfolder

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedFilesRoundTrip: the records write the committed files of docs/results byte for
// byte (summary.json as WriteJSON writes it, metrics.jsonl lines as json.Marshal does), so that
// moving the structs changed nothing on disk. Files of an older format (keys added since)
// are skipped; at least one of each must match.
func TestCommittedFilesRoundTrip(t *testing.T) {
	sums, _ := filepath.Glob(filepath.Join("..", "..", "docs", "results", "*", "*", SummaryFile))
	if len(sums) == 0 {
		t.Fatal("no committed summary.json under docs/results")
	}
	var sumsSame, linesSame int
	for _, p := range sums {
		b, _ := os.ReadFile(p)
		var s Summary
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out := filepath.Join(t.TempDir(), SummaryFile)
		if err := WriteJSON(out, s); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(out)
		if bytes.Equal(got, b) {
			sumsSame++
		} else if sameKeys(t, b, got) {
			t.Errorf("%s: Summary writes it differently:\n%s", p, got)
		}
		f, err := os.Open(filepath.Join(filepath.Dir(p), MetricsFile))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var m EpochMetrics
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("%s: %v", f.Name(), err)
			}
			got, _ := json.Marshal(m)
			if bytes.Equal(got, sc.Bytes()) {
				linesSame++
			} else if sameKeys(t, sc.Bytes(), got) {
				t.Errorf("%s: EpochMetrics writes a line differently:\n%s\n%s", f.Name(), got, sc.Bytes())
				break
			}
		}
		f.Close()
	}
	if sumsSame == 0 || linesSame == 0 {
		t.Errorf("%d summaries and %d metrics lines round-trip exactly, want some of each", sumsSame, linesSame)
	}
}

// sameKeys reports whether two JSON objects have the same top-level keys.
func sameKeys(t *testing.T, a, b []byte) bool {
	var ma, mb map[string]json.RawMessage
	if json.Unmarshal(a, &ma) != nil || json.Unmarshal(b, &mb) != nil || len(ma) != len(mb) {
		return false
	}
	for k := range ma {
		if _, ok := mb[k]; !ok {
			return false
		}
	}
	return true
}
