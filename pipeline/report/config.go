package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// readConfig reads config.yaml, or the config inside checkpoint.json, flattened.
func readConfig(dir string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err == nil {
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("parse %s: %v", ConfigFile, err)
		}
		if m == nil {
			return nil, fmt.Errorf("parse %s: empty file", ConfigFile)
		}
		return Flatten(m), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %v", ConfigFile, err)
	}
	b, err = os.ReadFile(filepath.Join(dir, CheckpointFile))
	if errors.Is(err, fs.ErrNotExist) {
		// A sweep cell that has not written config.yaml yet: the settings it was started with.
		if b, err := os.ReadFile(filepath.Join(dir, SweepCellFile)); err == nil {
			var m map[string]any
			if err := yaml.Unmarshal(b, &m); err != nil || m == nil {
				return nil, fmt.Errorf("no %s, and %s is not a YAML map", ConfigFile, SweepCellFile)
			}
			return Flatten(m), nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("no %s (and no %s to take the config from)", ConfigFile, CheckpointFile)
	}
	var ck struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(b, &ck); err != nil || ck.Config == nil {
		return nil, fmt.Errorf("no %s, and %s has no readable config", ConfigFile, CheckpointFile)
	}
	return Flatten(ck.Config), nil
}

// Flatten turns nested config maps into dotted keys ("train.lr"), the keys of --set. Scalars
// are rendered as Go renders them (floats shortest, 1e-06 style); lists and maps as JSON.
func Flatten(m map[string]any) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if prefix != "" {
				k = prefix + "." + k
			}
			if sub, ok := v.(map[string]any); ok {
				walk(k, sub)
				continue
			}
			out[k] = render(v)
		}
	}
	walk("", m)
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
