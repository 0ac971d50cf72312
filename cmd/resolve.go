package cmd

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"budgetrain/pipeline"
	"budgetrain/pipeline/runfolder"

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

// resolve builds the run configuration with pipeline.Resolve from the sources a command line
// has, each overriding the ones before it: the config file, the environment, the command's flags
// and --set (viper gathers them; flagKeys maps config keys to the command's own flags). Every
// problem is reported in one error, one line each: malformed or unknown --set keys, unknown
// BUDGETRAIN_ variables, an unreadable config file, and whatever pipeline.Resolve reports, each
// value with its source.
func resolve(cmd *cobra.Command, o *options, flagKeys map[string]string) (pipeline.Config, error) {
	var problems []string
	def := pipeline.FlatConfig(pipeline.DefaultConfig())
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
	// The keys given by some source, with the value of the highest one (viper's precedence).
	settings := map[string]any{}
	for _, k := range v.AllKeys() {
		if src.of(k) != "default" {
			settings[k] = v.Get(k)
		}
	}
	cfg, err := pipeline.Resolve(settings, src.of)
	if err != nil {
		problems = append(problems, strings.Split(strings.TrimPrefix(err.Error(), "invalid configuration:\n  "), "\n  ")...)
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
