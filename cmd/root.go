package cmd

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"

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
	root, _ := newRoot()
	return root
}

// newRoot builds the command tree and returns the top-level options it parses into (for tests
// that resolve a command's configuration without running it).
func newRoot() (*cobra.Command, *options) {
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
	// Flag defaults are those of pipeline.DefaultConfig, for --help: resolve takes defaults from
	// DefaultConfig itself, and a flag counts only when it is given.
	d := pipeline.DefaultConfig()
	pf := root.PersistentFlags()
	pf.StringVar(&o.config, "config", "", "YAML config file (keys as in config.yaml of a run)")
	pf.StringVar(&o.out, "out", "", "run folder (default runs/<name>)")
	pf.Uint64Var(&o.seed, "seed", d.Seed, "seed of every random stream (Go and libtorch), an integer >= 0")
	pf.StringVar(&o.device, "device", d.Device, "auto, cpu or cuda")
	pf.StringArrayVar(&o.sets, "set", nil, "set a config key, e.g. --set train.lr=0.05 (repeatable)")
	root.AddCommand(newTrainCommand(o), newExportCommand(o), newEvalCommand(o), newConfigCommand(o), newDataCommand(o))
	return root, o
}

// resolve builds the run configuration with precedence --set > flag > environment > file >
// default, and rejects unknown keys. flagKeys maps config keys to the command's own flags.
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
	}
	if len(bad) > 0 {
		return pipeline.Config{}, errors.New(strings.Join(bad, "\n"))
	}
	var cfg pipeline.Config
	err := v.UnmarshalExact(&cfg, func(dc *mapstructure.DecoderConfig) {
		dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToSliceHookFunc(","),
			mapstructure.StringToTimeDurationHookFunc(),
		)
		dc.WeaklyTypedInput = true
	})
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	// Every key has a default in viper already; a zero here was given explicitly and must be
	// validated, not replaced by a default. Only the run folder is derived.
	if cfg.Out == "" {
		cfg.Out = filepath.Join("runs", cfg.Name)
	}
	cfg.Augment.DerivePolicy()
	return cfg, cfg.Validate()
}
