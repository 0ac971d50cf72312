package pipeline

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"go.yaml.in/yaml/v3"
)

// DecodeHook converts the values a config can come as (YAML scalars, JSON numbers, and the
// strings of environment variables, flags and --set) into the field types of Config, strictly:
// with it, decode without mapstructure's WeaklyTypedInput, which wraps a negative number into
// an unsigned one (seed -3 became 18446744073709551613), truncates 2.7 to 2 and reads any number
// as a bool. The rules:
//
//   - integer fields take integers, integral floats (JSON numbers) and decimal strings; unsigned
//     ones (seed, val_seed) reject negative values;
//   - float fields take finite numbers and numeric strings (NaN and Inf are rejected);
//   - bool fields take bools and the strings of strconv.ParseBool;
//   - string fields take strings and integers (a YAML name: 2024);
//   - list and structured fields (train.milestones, augment.ops) take, as a string, YAML flow
//     syntax ("[5, 10]", "[{name: standard}]") or a comma-separated list ("5,10"; "" is empty).
//
// json.Number is read as its string. The errors say what was got and what was expected;
// mapstructure adds the key.
func DecodeHook() mapstructure.DecodeHookFunc {
	return mapstructure.ComposeDecodeHookFunc(structuredString, strictScalar)
}

// structuredString parses a string given for a list, map or struct field: YAML flow syntax
// when it looks like it ("[..." or "{..."), else, for a list, comma-separated items.
func structuredString(from, to reflect.Type, data any) (any, error) {
	s, ok := data.(string)
	if !ok || from.Kind() != reflect.String {
		return data, nil
	}
	switch to.Kind() {
	case reflect.Slice, reflect.Map, reflect.Struct:
	default:
		return data, nil
	}
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "[") && !strings.HasPrefix(t, "{") {
		if to.Kind() != reflect.Slice {
			return data, nil // mapstructure reports the mismatch
		}
		if t == "" {
			return []string{}, nil
		}
		return strings.Split(t, ","), nil
	}
	var v any
	if err := yaml.Unmarshal([]byte(t), &v); err != nil {
		return nil, fmt.Errorf("cannot parse %q as YAML: %v", s, err)
	}
	return v, nil
}

// strictScalar converts data for a scalar field, or rejects it.
func strictScalar(_, to reflect.Type, data any) (any, error) {
	if n, ok := data.(json.Number); ok { // checkpoint.json is read with UseNumber
		data = string(n)
	}
	switch to.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return toInt(data)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return toUint(data)
	case reflect.Float32, reflect.Float64:
		return toFloat(data)
	case reflect.Bool:
		switch x := data.(type) {
		case bool:
			return x, nil
		case string:
			b, err := strconv.ParseBool(strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("got %q, want true or false", x)
			}
			return b, nil
		}
		return nil, fmt.Errorf("got %v (%T), want true or false", data, data)
	case reflect.String:
		switch x := data.(type) {
		case string:
			return x, nil
		case int, int64, uint64:
			return fmt.Sprint(x), nil
		}
		return nil, fmt.Errorf("got %v (%T), want a string", data, data)
	}
	return data, nil
}

// maxExactFloat is the largest float64 up to which every integer is exact.
const maxExactFloat = 1 << 53

func toInt(data any) (any, error) {
	switch x := data.(type) {
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("got %d, too large", x)
		}
		return int64(x), nil
	case float64:
		if x != math.Trunc(x) {
			return nil, fmt.Errorf("got %v, want an integer", x)
		}
		if math.Abs(x) > maxExactFloat {
			return nil, fmt.Errorf("got %v, beyond the integers a float holds exactly (2^53)", x)
		}
		return int64(x), nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("got %q, want an integer", x)
		}
		return n, nil
	}
	return nil, fmt.Errorf("got %v (%T), want an integer", data, data)
}

func toUint(data any) (any, error) {
	const want = "want an integer >= 0"
	switch x := data.(type) {
	case int:
		if x < 0 {
			return nil, fmt.Errorf("got %d, %s", x, want)
		}
		return uint64(x), nil
	case int64:
		if x < 0 {
			return nil, fmt.Errorf("got %d, %s", x, want)
		}
		return uint64(x), nil
	case uint64:
		return x, nil
	case float64:
		if x != math.Trunc(x) || x < 0 {
			return nil, fmt.Errorf("got %v, %s", x, want)
		}
		if x > maxExactFloat {
			return nil, fmt.Errorf("got %v, beyond the integers a float holds exactly (2^53)", x)
		}
		return uint64(x), nil
	case string:
		n, err := strconv.ParseUint(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("got %q, %s", x, want)
		}
		return n, nil
	}
	return nil, fmt.Errorf("got %v (%T), %s", data, data, want)
}

func toFloat(data any) (any, error) {
	var f float64
	switch x := data.(type) {
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint64:
		f = float64(x)
	case float64:
		f = x
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(x), 64); err != nil {
			return nil, fmt.Errorf("got %q, want a number", x)
		}
	default:
		return nil, fmt.Errorf("got %v (%T), want a number", data, data)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("got %v, want a finite number", data)
	}
	return f, nil
}
