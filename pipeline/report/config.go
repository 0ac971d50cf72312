package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"budgetrain/pipeline/runfolder"

	"go.yaml.in/yaml/v3"
)

// readConfig reads config.yaml, or the config inside checkpoint.json, flattened. A key of
// runfolder.KeysAddedLater that a whole config lacks (it was saved before the key existed) gets
// the value it ran with.
func readConfig(dir string) (map[string]string, error) {
	m, whole, err := readSavedConfig(dir)
	if whole {
		for k, v := range runfolder.KeysAddedLater {
			if _, ok := m[k]; !ok {
				m[k] = render(v)
			}
		}
	}
	return m, err
}

// readSavedConfig is readConfig's reading; its bool says that the map is a whole config (from
// config.yaml or checkpoint.json), not a sweep cell's settings.
func readSavedConfig(dir string) (map[string]string, bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, runfolder.ConfigFile))
	if err == nil {
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			return nil, false, fmt.Errorf("parse %s: %v", runfolder.ConfigFile, err)
		}
		if m == nil {
			return nil, false, fmt.Errorf("parse %s: empty file", runfolder.ConfigFile)
		}
		return Flatten(m), true, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("read %s: %v", runfolder.ConfigFile, err)
	}
	b, err = os.ReadFile(filepath.Join(dir, runfolder.CheckpointFile))
	if errors.Is(err, fs.ErrNotExist) {
		// A sweep cell that has not written config.yaml yet: the settings it was started with.
		if b, err := os.ReadFile(filepath.Join(dir, runfolder.CellFile)); err == nil {
			var m map[string]any
			if err := yaml.Unmarshal(b, &m); err != nil || m == nil {
				return nil, false, fmt.Errorf("no %s, and %s is not a YAML map", runfolder.ConfigFile, runfolder.CellFile)
			}
			return Flatten(m), false, nil
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("no %s (and no %s to take the config from)", runfolder.ConfigFile, runfolder.CheckpointFile)
	}
	var ck struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(b, &ck); err != nil || ck.Config == nil {
		return nil, false, fmt.Errorf("no %s, and %s has no readable config", runfolder.ConfigFile, runfolder.CheckpointFile)
	}
	return Flatten(ck.Config), true, nil
}

// Flatten turns nested config maps into dotted keys ("train.lr"), the keys of --set. Scalars
// are rendered as Go renders them (floats shortest, 1e-06 style); lists and maps as JSON.
func Flatten(m map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range runfolder.Flatten(m, nil) {
		out[k] = render(v)
	}
	return out
}

func render(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case bool, int, int64, uint64, int32, uint32, uint, json.Number:
		return fmt.Sprint(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
