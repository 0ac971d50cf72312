package runfolder

import "fmt"

// Flatten turns nested config maps into dotted keys ("train": {"lr": 0.1} → "train.lr"); keys
// that are dotted already are kept, and both spellings may be mixed. leaf, if not nil, stops the
// descent at a key whose value is a map but which is one config value itself. The map types of
// YAML decoders (map[any]any) are accepted. Values are not copied.
func Flatten(m map[string]any, leaf func(key string) bool) map[string]any {
	out := map[string]any{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if prefix != "" {
				k = prefix + "." + k
			}
			if sub, ok := AsMap(v); ok && (leaf == nil || !leaf(k)) {
				walk(k, sub)
				continue
			}
			out[k] = v
		}
	}
	walk("", m)
	return out
}

// Nest turns dotted keys back into nested maps, the form a config struct decodes from.
func Nest(flat map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range flat {
		m := out
		parts := splitKey(k)
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = v
	}
	return out
}

func splitKey(k string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(k); i++ {
		if k[i] == '.' {
			parts = append(parts, k[start:i])
			start = i + 1
		}
	}
	return append(parts, k[start:])
}

// AsMap accepts the map types YAML and viper decoders produce.
func AsMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, val := range m {
			out[fmt.Sprint(k)] = val
		}
		return out, true
	}
	return nil, false
}
