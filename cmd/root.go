package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"

	"budgetrain/augment"
	"budgetrain/pipeline"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

// EnvPrefix prefixes every environment variable: BUDGETRAIN_TRAIN_BUDGET sets train.budget.
const EnvPrefix = "BUDGETRAIN"

// Execute runs the command line and returns the process exit code.
func Execute() int {
	root := NewRootCommand()
	if err := root.ExecuteContext(context.Background()); err != nil {
		fmt.Fprintln(root.ErrOrStderr(), "budgetrain: error:", err)
		return 1
	}
	return 0
}

// options are the top-level flags shared by every command.
type options struct {
	config string
	out    string
	seed   uint64
	device string
	sets   []string
}

// NewRootCommand builds the command tree. Each execution resolves its own configuration with a
// fresh viper, so the commands can run many times in one process (tests).
func NewRootCommand() *cobra.Command {
	o := &options{}
	root := &cobra.Command{
		Use: "budgetrain",
		// libtorch's grad mode and gotch's error slot are per OS thread: every command runs
		// its torch work on one locked thread (main also locks it; tests call commands from
		// arbitrary goroutines).
		PersistentPreRun:  func(*cobra.Command, []string) { runtime.LockOSThread() },
		PersistentPostRun: func(*cobra.Command, []string) { runtime.UnlockOSThread() },
		Short:             "Train image classifiers under a compute budget, export to ONNX, evaluate with onnxruntime",
		SilenceUsage:      true,
		SilenceErrors:     true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&o.config, "config", "", "YAML config file (keys as in config.yaml of a run)")
	pf.StringVar(&o.out, "out", "", "run folder (default runs/<name>)")
	pf.Uint64Var(&o.seed, "seed", 1, "seed of every random stream (Go and libtorch)")
	pf.StringVar(&o.device, "device", "auto", "auto, cpu or cuda")
	pf.StringArrayVar(&o.sets, "set", nil, "set a config key, e.g. --set train.lr=0.05 (repeatable)")
	root.AddCommand(newTrainCommand(o), newExportCommand(o), newEvalCommand(o), newConfigCommand(o), newDataCommand(o))
	root.AddCommand(newSweepCommand(o), newReportCommand(o))
	return root
}

// resolve builds the run configuration with precedence --set > flag > environment > file >
// default, over pipeline.DefaultConfig: every value given, zero included, is the value that
// runs. Unknown keys, values that do not decode and invalid values are reported together in one
// error, one line each, naming the key, the value and where it came from. flagKeys maps config
// keys to the command's own flags.
func resolve(cmd *cobra.Command, o *options, flagKeys map[string]string) (pipeline.Config, error) {
	v := viper.New()
	def := pipeline.FlatConfig(pipeline.DefaultConfig())
	def["out"] = ""            // derived from name when not set
	def["augment.policy"] = "" // derived from augment.ops, else "standard"
	for k, val := range def {
		v.SetDefault(k, val)
	}
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	v.AutomaticEnv()
	if o.config != "" {
		v.SetConfigFile(o.config)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return pipeline.Config{}, fmt.Errorf("read config %q: %w", o.config, err)
		}
	}
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
	}
	var bad []string
	setBy := map[string]bool{}
	for _, s := range o.sets {
		k, val, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			bad = append(bad, fmt.Sprintf("--set %q: want key=value", s))
			continue
		}
		if !v.IsSet(k) { // every known key has a default
			bad = append(bad, fmt.Sprintf("--set %q: unknown key %q", s, k))
			continue
		}
		v.Set(k, val)
		setBy[k] = true
	}
	source := func(key string) string {
		switch {
		case setBy[key]:
			return "--set"
		case keys[key] != "" && cmd.Flags().Changed(keys[key]):
			return "flag --" + keys[key]
		}
		env := EnvPrefix + "_" + strings.NewReplacer(".", "_", "-", "_").Replace(strings.ToUpper(key))
		if _, ok := os.LookupEnv(env); ok {
			return "environment " + env
		}
		if o.config != "" && v.InConfig(key) {
			return "config file " + o.config
		}
		return "default"
	}
	cfg := pipeline.DefaultConfig()
	err := v.UnmarshalExact(&cfg, func(dc *mapstructure.DecoderConfig) {
		dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(
			rejectNegativeUnsigned,
			commaListToSlice,
			mapstructure.StringToTimeDurationHookFunc(),
		)
		dc.WeaklyTypedInput = true
	})
	if err != nil {
		bad = append(bad, decodeProblems(err, v, source)...)
	}
	// Only the run folder is derived from another key, and the policy from augment.ops.
	if cfg.Out == "" {
		cfg.Out = filepath.Join("runs", cfg.Name)
	}
	if cfg.Augment.Policy == "" && len(cfg.Augment.Ops) == 0 && source("augment.policy") == "default" {
		cfg.Augment.Policy = augment.DefaultPolicy
	}
	cfg.Augment.DerivePolicy()
	if err := cfg.Validate(); err != nil {
		bad = append(bad, strings.Split(strings.TrimPrefix(err.Error(), "invalid configuration:\n  "), "\n  ")...)
	}
	if len(bad) > 0 {
		return cfg, errors.New("invalid configuration:\n  " + strings.Join(bad, "\n  "))
	}
	return cfg, nil
}

// commaListToSlice reads "1,2" (environment, flags, --set) as a list for any slice key, whose
// elements then decode to the key's element type (mapstructure's own hook only makes []string,
// so --set train.milestones=1,2 failed).
func commaListToSlice(from, to reflect.Type, data any) (any, error) {
	if from.Kind() != reflect.String || to.Kind() != reflect.Slice {
		return data, nil
	}
	s := strings.TrimSpace(data.(string))
	if s == "" {
		return []string{}, nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts, nil
}

// rejectNegativeUnsigned stops weakly typed decoding from wrapping a negative number into an
// unsigned field (seed: -3 became 18446744073709551613).
func rejectNegativeUnsigned(from, to reflect.Type, data any) (any, error) {
	switch to.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
	default:
		return data, nil
	}
	neg := false
	switch x := data.(type) {
	case int:
		neg = x < 0
	case int64:
		neg = x < 0
	case int32:
		neg = x < 0
	case float64:
		neg = x < 0
	case string:
		neg = strings.HasPrefix(strings.TrimSpace(x), "-")
	}
	if neg {
		return nil, fmt.Errorf("must be >= 0, got %v", data)
	}
	return data, nil
}

// decodeProblems turns a decoding error into one line per key, each with its value and source.
func decodeProblems(err error, v *viper.Viper, source func(string) string) []string {
	var leaves []error
	var walk func(error)
	walk = func(e error) {
		if _, ok := e.(*mapstructure.DecodeError); ok {
			leaves = append(leaves, e)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			if x := u.Unwrap(); x != nil {
				walk(x)
				return
			}
			leaves = append(leaves, e)
		default:
			leaves = append(leaves, e)
		}
	}
	walk(err)
	var lines []string
	for _, e := range leaves {
		var de *mapstructure.DecodeError
		if errors.As(e, &de) && v.IsSet(de.Name()) {
			lines = append(lines, fmt.Sprintf("%s (%v, from %s): %v", de.Name(), v.Get(de.Name()), source(de.Name()), de.Unwrap()))
			continue
		}
		for _, m := range strings.Split(e.Error(), "\n") {
			if m = strings.TrimSpace(m); m != "" && !strings.HasPrefix(m, "decoding failed due to") {
				lines = append(lines, m)
			}
		}
	}
	return lines
}
