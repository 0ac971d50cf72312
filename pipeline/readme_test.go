package pipeline

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Every configuration key must be documented in the README's configuration reference (a row
// starting with | `key` | in the section "## Configuration reference"), and the reference must
// not list keys that do not exist.
func TestREADMEDocumentsEveryConfigKey(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Configuration reference\n")
	if !ok {
		t.Fatal("README.md has no \"## Configuration reference\" section")
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
			t.Errorf("config key %s is not documented in README.md's configuration reference", k)
		}
		delete(documented, k)
	}
	for k := range documented {
		t.Errorf("README.md documents %s, which is not a config key", k)
	}
}
