package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"budgetrain/pipeline"

	"github.com/spf13/cobra"
)

// EnvPrefix prefixes every environment variable: BUDGETRAIN_TRAIN_BUDGET sets train.budget.
const EnvPrefix = "BUDGETRAIN"

// Execute runs the command line and returns the process exit code.
func Execute() int {
	root := NewRootCommand()
	return exitCode(root.ExecuteContext(context.Background()), root.ErrOrStderr())
}

// exitCode prints err and returns the exit status: 0 without an error, 130 (as a shell reports
// Ctrl-C) for an interrupted command, which is not an error and has already said what it saved
// (a trailing "context canceled" is dropped), 1 otherwise.
func exitCode(err error, w io.Writer) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled):
		if msg := strings.TrimSuffix(err.Error(), ": "+context.Canceled.Error()); msg != context.Canceled.Error() {
			fmt.Fprintln(w, "budgetrain:", msg)
		}
		return 130
	}
	fmt.Fprintln(w, "budgetrain: error:", err)
	return 1
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
	root.AddCommand(newSweepCommand(o), newReportCommand(o), newBenchCommand(o))
	return root, o
}

// noConfig refuses the run-configuration flags (--config, --set, --seed, --device and, unless
// keepOut, --out) and BUDGETRAIN_ config variables for a command that reads none of them, so that
// a setting given there is not silently ignored. what says what the command works on instead.
func noConfig(cmd *cobra.Command, keepOut bool, what string) error {
	var given []string
	for _, f := range []string{"config", "set", "seed", "device", "out"} {
		if f == "out" && keepOut {
			continue
		}
		if fl := cmd.Flags().Lookup(f); fl != nil && fl.Changed {
			given = append(given, "--"+f)
		}
	}
	if len(given) == 0 {
		return nil
	}
	return fmt.Errorf("%s takes no run configuration (%s given): %s", cmd.Name(), strings.Join(given, ", "), what)
}
