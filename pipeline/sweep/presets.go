package sweep

import (
	"embed"
	"fmt"
	"slices"
	"strings"
)

// presetFiles are the built-in grids; each file's header says where its numbers come from.
//
//go:embed presets/*.yaml
var presetFiles embed.FS

// Presets returns the names of the built-in grids, sorted.
func Presets() []string {
	entries, _ := presetFiles.ReadDir("presets")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	slices.Sort(names)
	return names
}

// Preset returns the YAML of a built-in grid.
func Preset(name string) ([]byte, error) {
	b, err := presetFiles.ReadFile("presets/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("preset %q: unknown (known: %s)", name, strings.Join(Presets(), ", "))
	}
	return b, nil
}
