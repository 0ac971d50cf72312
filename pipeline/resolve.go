package pipeline

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"budgetrain/augment"
	"budgetrain/pipeline/data"
	"budgetrain/pipeline/runfolder"
	"budgetrain/sampler"

	"github.com/go-viper/mapstructure/v2"
)

// SourceOf names where a config key's value came from, for messages ("config file run.yaml",
// "environment BUDGETRAIN_TRAIN_LR", "--set train.lr=0.1", "the grid"); "" or "default" for a
// key that was not given.
type SourceOf func(key string) string

// Resolve is the one way a run's configuration is built, for train, sweep cells and resumed
// checkpoints: DefaultConfig overlaid with settings (dotted config keys, or nested maps, to
// values as given, after the caller applied its own precedence of sources), decoded strictly
// (DecodeHook: a value is used as given, 0, false and "" included; an unknown key is an error),
// then two derived keys, then validated. Derived: augment.policy from augment.ops when only the
// ops are given, augment.DefaultPolicy when neither is (a policy given as "" without ops is an
// error); out = runs/<name> when not given. Every problem is reported in one error, one line
// each, naming the key, its value and (from) its source. Nothing else changes the result.
func Resolve(settings map[string]any, from SourceOf) (Config, error) {
	if from == nil {
		from = func(string) string { return "" }
	}
	flat := runfolder.Flatten(settings, nil)
	cfg := DefaultConfig()
	var problems []string
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{Result: &cfg, DecodeHook: DecodeHook(), ErrorUnused: true})
	if err != nil {
		return cfg, err
	}
	// Decoding starts from DefaultConfig, so a key that fails to decode keeps its default and
	// adds no second, misleading validation problem.
	problems = append(problems, decodeProblems(dec.Decode(runfolder.Nest(flat)), flat, from)...)
	if _, given := flat["augment.policy"]; !given {
		cfg.Augment.Policy = "" // from the ops, when they are given
		if len(cfg.Augment.Ops) == 0 {
			cfg.Augment.Policy = augment.DefaultPolicy
		}
	}
	cfg.Augment.DerivePolicy()
	if out, ok := flat["out"]; !ok || out == "" {
		cfg.Out = filepath.Join("runs", cfg.Name)
	}
	for _, p := range append(cfg.Problems(), cfg.combinationProblems()...) {
		problems = append(problems, annotate(p, flat, from))
	}
	if len(problems) > 0 {
		return cfg, errors.New("invalid configuration:\n  " + strings.Join(problems, "\n  "))
	}
	return cfg, nil
}

// combinationProblems catches, before any data is loaded, what NewTrainer would refuse after:
// a sampler that selects from forwarded batches (Selective Backprop) with batch mixing. Image
// folders, whose shape is known only from their images, are checked by NewTrainer.
func (c Config) combinationProblems() []string {
	if !sampler.Selects(c.Sampler.Method) {
		return nil
	}
	info, err := data.Lookup(c.Dataset.Name)
	if err != nil || info.H == 0 {
		return nil
	}
	p, err := augment.Parse(c.Augment.Policy, AugmentInfo(info))
	if err == nil && p.Mixer != nil {
		return []string{fmt.Sprintf("sampler.method (%q) cannot be combined with batch mixing (augment.policy %q): it selects single images", c.Sampler.Method, c.Augment.Policy)}
	}
	return nil
}

// maxValue is the most of a value a message shows: a message must not echo a huge value.
const maxValue = 80

// showValue renders a value as given, cut to maxValue bytes.
func showValue(v any) string {
	var s string
	if x, ok := v.(string); ok {
		s = fmt.Sprintf("%q", x)
	} else {
		s = fmt.Sprintf("%v", v)
	}
	if len(s) > maxValue {
		s = fmt.Sprintf("%s… (%d bytes)", strings.ToValidUTF8(s[:maxValue], ""), len(s))
	}
	return s
}

// given is "key (value, from source)" for a key that was given, else "key (value)".
func given(key string, flat map[string]any, from SourceOf) string {
	v, ok := flat[key]
	if !ok {
		return key
	}
	if src := from(key); src != "" && src != "default" {
		return fmt.Sprintf("%s (%s, from %s)", key, showValue(v), src)
	}
	return fmt.Sprintf("%s (%s)", key, showValue(v))
}

// decodeProblems turns mapstructure's errors into lines "key (value, from source): problem".
func decodeProblems(err error, flat map[string]any, from SourceOf) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *mapstructure.DecodeError:
			out = append(out, describe(e.Name(), e.Unwrap(), flat, from)...)
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		default:
			out = append(out, "decode config: "+err.Error())
		}
	}
	walk(err)
	slices.Sort(out)
	return slices.Compact(out)
}

// describe is one decode error of the field name ("train.lr", "augment.ops[0].name").
func describe(name string, err error, flat map[string]any, from SourceOf) []string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "has invalid keys: "); ok {
		var out []string
		for _, k := range strings.Split(rest, ", ") {
			if name != "" {
				k = name + "." + k
			}
			out = append(out, unknownKey(k, flat, from))
		}
		return out
	}
	key, _, _ := strings.Cut(name, "[") // the config key of a list element
	if key != name {
		return []string{fmt.Sprintf("%s: %s: %s", given(key, flat, from), name, msg)}
	}
	return []string{fmt.Sprintf("%s: %s", given(key, flat, from), msg)}
}

// unknownKey describes an unknown key k, or the given keys under it when k is a section (a
// map of unknown keys).
func unknownKey(k string, flat map[string]any, from SourceOf) string {
	if _, ok := flat[k]; ok {
		return given(k, flat, from) + ": unknown key"
	}
	var under []string
	for g := range flat {
		if strings.HasPrefix(g, k+".") {
			under = append(under, given(g, flat, from))
		}
	}
	slices.Sort(under)
	if len(under) == 0 {
		return k + ": unknown key"
	}
	return strings.Join(under, "; ") + ": unknown key"
}

// annotate adds the source to a validation problem, which starts with its key, when the value
// was given.
func annotate(problem string, flat map[string]any, from SourceOf) string {
	key, _, _ := strings.Cut(problem, " ")
	if _, ok := flat[key]; !ok {
		return problem
	}
	if src := from(key); src != "" && src != "default" {
		return problem + " (from " + src + ")"
	}
	return problem
}
