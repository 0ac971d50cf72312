package pipeline

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestConfigDocListsEveryKey: every configuration key is documented in docs/config.md's
// configuration reference (a row starting with | `key` | in the section "## Configuration
// reference"), and the reference lists no key that does not exist.
func TestConfigDocListsEveryKey(t *testing.T) {
	const doc = "docs/config.md"
	text, err := os.ReadFile(filepath.Join("..", doc))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(text), "\n## Configuration reference\n")
	if !ok {
		t.Fatalf("%s has no \"## Configuration reference\" section", doc)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	documented := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if rest, ok := strings.CutPrefix(line, "| `"); ok {
			if key, _, ok := strings.Cut(rest, "`"); ok {
				documented[key] = true
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(FlatConfig(DefaultConfig()))) {
		if !documented[k] {
			t.Errorf("config key %s is not documented in %s's configuration reference", k, doc)
		}
		delete(documented, k)
	}
	for _, k := range slices.Sorted(maps.Keys(documented)) {
		t.Errorf("%s documents %s, which is not a config key", doc, k)
	}
}
