package cmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"budgetrain/augment"
	"budgetrain/pipeline"
	"budgetrain/pipeline/runfolder"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// envReplacer turns a config key into the tail of its environment variable:
// train.batch_size → BUDGETRAIN_TRAIN_BATCH_SIZE.
var envReplacer = strings.NewReplacer(".", "_", "-", "_")

// toolEnv are the BUDGETRAIN_ variables that are not config keys: read by scripts/deps.sh
// (CACHE, CUDA), handed from a sweep to its train child (runfolder.LockEnv), or read by the GPU
// check.
var toolEnv = []string{EnvPrefix + "_CACHE", EnvPrefix + "_CUDA", runfolder.LockEnv, EnvPrefix + "_GPU_CHECK_DEVICE"}

// unknownEnv lists the BUDGETRAIN_ variables of the environment that set no config key (a typo
// would otherwise be ignored silently), one problem each.
func unknownEnv(keys map[string]any) []string {
	known := map[string]bool{}
	for k := range keys {
		known[envName(k)] = true
	}
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, EnvPrefix+"_") && !known[name] && !slices.Contains(toolEnv, name) {
			out = append(out, fmt.Sprintf("environment %s: no config key of that name (BUDGETRAIN_<KEY> sets a key, with . and - as _: BUDGETRAIN_TRAIN_LR sets train.lr)", name))
		}
	}
	slices.Sort(out)
	return out
}

// envName is the environment variable of a config key.
func envName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(envReplacer.Replace(key))
}

// resolve builds the run configuration: pipeline.DefaultConfig overlaid with the config file,
// the environment, the command's flags and --set, each overriding the ones before it. A value
// given is used as given (0, false and "" included); only two keys are derived afterwards: out
// ("" = runs/<name>) and augment.policy (from augment.ops when only they are given; standard
// when neither is; an explicit "" without ops is an error).
//
// Every problem is reported in one error, one line each: malformed or unknown --set keys, an
// unreadable config file, values that do not decode (with key, value and source) and every
// validation failure (with the source of the key's value). flagKeys maps config keys to the
// command's own flags.
func resolve(cmd *cobra.Command, o *options, flagKeys map[string]string) (pipeline.Config, error) {
	var problems []string
	def := pipeline.FlatConfig(pipeline.DefaultConfig())
	def["out"] = ""            // derived from name
	def["augment.policy"] = "" // derived from augment.ops
	v := viper.New()
	for k, val := range def {
		v.SetDefault(k, val)
	}
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(envReplacer)
	v.AllowEmptyEnv(true) // a variable that is set is a setting, even when empty
	v.AutomaticEnv()
	problems = append(problems, unknownEnv(def)...)
	if o.config != "" {
		v.SetConfigFile(o.config)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			problems = append(problems, fmt.Sprintf("read config %q: %v", o.config, err))
		}
	}
	src := sources{v: v, def: def, file: o.config, flags: map[string]*pflag.Flag{}, sets: map[string]string{}}
	keys := map[string]string{"out": "out", "seed": "seed", "device": "device"}
	for k, f := range flagKeys {
		keys[k] = f
	}
	for k, f := range keys {
		fl := cmd.Flags().Lookup(f)
		if fl == nil {
			return pipeline.Config{}, fmt.Errorf("internal: no flag --%s for key %s", f, k)
		}
		if err := v.BindPFlag(k, fl); err != nil {
			return pipeline.Config{}, err
		}
		src.flags[k] = fl
	}
	for _, s := range o.sets {
		k, val, ok := strings.Cut(s, "=")
		k = strings.ToLower(k) // viper's keys are case-insensitive
		_, known := def[k]
		switch {
		case !ok || k == "":
			problems = append(problems, fmt.Sprintf("--set %q: want key=value", s))
		case !known:
			problems = append(problems, fmt.Sprintf("--set %q: unknown key %q", s, k))
		default:
			v.Set(k, val)
			src.sets[k] = s
		}
	}
	// Decoding starts from DefaultConfig, so a key that fails to decode keeps its default and
	// adds no second, misleading validation problem.
	cfg := pipeline.DefaultConfig()
	err := v.UnmarshalExact(&cfg, func(dc *mapstructure.DecoderConfig) {
		dc.DecodeHook = pipeline.DecodeHook()
		dc.WeaklyTypedInput = false // DecodeHook converts strictly instead
	})
	problems = append(problems, src.decodeProblems(err)...)
	if cfg.Out == "" {
		cfg.Out = filepath.Join("runs", cfg.Name)
	}
	if cfg.Augment.Policy == "" && len(cfg.Augment.Ops) == 0 && src.of("augment.policy") == "default" {
		cfg.Augment.Policy = augment.DefaultPolicy
	}
	cfg.Augment.DerivePolicy()
	for _, p := range cfg.Problems() {
		problems = append(problems, src.annotate(p))
	}
	if len(problems) > 0 {
		return cfg, errors.New("invalid configuration:\n  " + strings.Join(problems, "\n  "))
	}
	return cfg, nil
}

// sources says where the value of a key came from, for error messages.
type sources struct {
	v     *viper.Viper
	def   map[string]any         // the known keys
	file  string                 // config file ("" = none)
	flags map[string]*pflag.Flag // flags bound to keys
	sets  map[string]string      // key → the last --set argument for it
}

// of names the source of key's value, in viper's order of precedence.
func (s sources) of(key string) string {
	if set, ok := s.sets[key]; ok {
		return fmt.Sprintf("--set %s", set)
	}
	if f, ok := s.flags[key]; ok && f.Changed {
		return "flag --" + f.Name
	}
	if _, known := s.def[key]; known {
		if _, ok := os.LookupEnv(envName(key)); ok {
			return "environment " + envName(key)
		}
	}
	if s.file != "" && s.v.InConfig(key) {
		return "config file " + s.file
	}
	return "default"
}

// value renders the raw value of key as given (before decoding), cut to maxValue bytes: a
// message must not echo a huge value back.
func (s sources) value(key string) string {
	var v string
	if x, ok := s.v.Get(key).(string); ok {
		v = fmt.Sprintf("%q", x)
	} else {
		v = fmt.Sprintf("%v", s.v.Get(key))
	}
	if len(v) > maxValue {
		v = fmt.Sprintf("%s… (%d bytes)", strings.ToValidUTF8(v[:maxValue], ""), len(v))
	}
	return v
}

// maxValue is the most of a value an error message shows.
const maxValue = 80

// decodeProblems turns mapstructure's errors into lines "key (value, from source): problem".
func (s sources) decodeProblems(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *mapstructure.DecodeError:
			out = append(out, s.describe(e.Name(), e.Unwrap())...)
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
	return out
}

// describe is one decode error of the field name ("train.lr", "augment.ops[0].name").
func (s sources) describe(name string, err error) []string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "has invalid keys: "); ok {
		var out []string
		for _, k := range strings.Split(rest, ", ") {
			if name != "" {
				k = name + "." + k
			}
			out = append(out, fmt.Sprintf("%s (%s, from %s): unknown key", k, s.value(k), s.of(k)))
		}
		return out
	}
	key, _, _ := strings.Cut(name, "[") // the config key of a list element
	line := fmt.Sprintf("%s (%s, from %s): %s", key, s.value(key), s.of(key), msg)
	if key != name {
		line = fmt.Sprintf("%s (%s, from %s): %s: %s", key, s.value(key), s.of(key), name, msg)
	}
	return []string{line}
}

// annotate adds the source to a validation problem, which starts with its key, when the value
// did not come from the defaults.
func (s sources) annotate(problem string) string {
	key, _, _ := strings.Cut(problem, " ")
	if _, known := s.def[key]; !known {
		return problem
	}
	if from := s.of(key); from != "default" {
		return problem + " (from " + from + ")"
	}
	return problem
}
