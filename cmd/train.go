package cmd

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"budgetrain/augment"
	"budgetrain/pipeline"
	"budgetrain/pipeline/runfolder"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

// trainFlags are the train command's shortcuts; each sets one config key.
var trainFlags = map[string]string{
	"name":                "name",
	"sampler.method":      "method",
	"train.budget":        "budget",
	"train.epochs":        "epochs",
	"model.name":          "model",
	"dataset.name":        "dataset",
	"augment.policy":      "augment",
	"train.log_selection": "log-selection",
}

func newTrainCommand(o *options) *cobra.Command {
	var resume string
	var force bool
	c := &cobra.Command{
		Use:   "train",
		Short: "Train a model under a budget; writes config.yaml, metrics.jsonl, model.pt, model.onnx and summary.json",
		Long: `Train a classifier with libtorch under a compute budget b: every method runs exactly
T = epochs·⌊⌊N·b⌋/batch_size⌋ optimizer steps, and the learning-rate schedule spans them.
After training the model is exported to ONNX and evaluated with onnxruntime.

A checkpoint is saved at the start and after every epoch. Ctrl-C (or SIGTERM) stops after the
current step and writes the summary so far; --resume DIR continues from the last checkpoint,
redoing the interrupted epoch, so that the result equals the uninterrupted run (on CPU with
the same thread count: byte-identical model.pt and model.onnx, every epoch in metrics.jsonl
exactly once). A folder that already holds a run is refused unless --force (start over) or
--resume is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if resume != "" {
				if done, msg := completedRun(resume); done {
					fmt.Fprintln(cmd.OutOrStdout(), msg)
					return nil
				}
				if st, err := os.Stat(resume); err != nil || !st.IsDir() {
					return fmt.Errorf("resume %s: not a run folder (%v)", resume, cmp.Or(err, errors.New("not a directory")))
				}
				lock, err := runfolder.Acquire(resume)
				if err != nil {
					return fmt.Errorf("resume: %w", err)
				}
				defer lock.Unlock()
				ck, err := pipeline.ReadCheckpoint(resume)
				if err != nil {
					return err
				}
				cfg, err := pipeline.ConfigFromMap(ck.Config)
				if err != nil {
					return fmt.Errorf("resume %s: %w", resume, err)
				}
				cfg.Out = resume
				return runTrain(cmd.Context(), cfg, resume, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			cfg, err := resolve(cmd, o, trainFlags)
			if err != nil {
				return err
			}
			lock, err := prepareRunFolder(cfg, force)
			if err != nil {
				return err
			}
			defer lock.Unlock()
			return runTrain(cmd.Context(), cfg, "", cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	d := pipeline.DefaultConfig() // for --help; resolve takes the defaults from DefaultConfig itself
	f := c.Flags()
	f.String("name", d.Name, "run name (run folder runs/<name>)")
	f.String("method", d.Sampler.Method, "sampler.method: sgd, unif-sgd, p-sgd, c-sgd, selective-backprop, ...")
	f.Float64("budget", d.Train.Budget, "train.budget: fraction of each epoch's iterations allowed, in (0,1]")
	f.Int("epochs", d.Train.Epochs, "train.epochs: planned epochs E")
	f.String("model", d.Model.Name, "model.name")
	f.String("dataset", d.Dataset.Name, "dataset.name")
	f.String("augment", "", "augment.policy, e.g. standard+ricap-a0.3 (default: from augment.ops, else "+augment.DefaultPolicy+")")
	f.String("log-selection", "", "train.log_selection: write each epoch's selected indices to this file")
	f.StringVar(&resume, "resume", "", "continue the interrupted run in this folder with its saved config (other settings are ignored)")
	f.BoolVar(&force, "force", false, "train into a run folder that already holds a run, deleting that run's files first")
	return c
}

// trainerBuilt, when set (tests), sees every trainer runTrain builds before it trains; an
// error stops the command.
var trainerBuilt func(*pipeline.Trainer) error

func runTrain(ctx context.Context, cfg pipeline.Config, resume string, stdout, stderr io.Writer) error {
	y, err := pipeline.ConfigYAML(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "resolved config:\n%s\n", indent(string(y)))
	progress, endBar := loadBars(stderr)
	t, err := pipeline.NewTrainerWith(cfg, stdout, progress)
	endBar()
	if err != nil {
		return err
	}
	defer t.Close()
	if trainerBuilt != nil {
		if err := trainerBuilt(t); err != nil {
			return err
		}
	}
	if resume != "" {
		if err := t.Resume(resume); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "resuming %s at epoch %d, step %d (weights, momentum, sampler and queue restored)\n", resume, t.Progress().Epoch+1, t.Progress().Step)
	}
	t.Report()
	fmt.Fprintln(stdout, "libtorch seeded from seed; Go streams derived from it")
	t.Hooks = append(t.Hooks, progressHook(barOut(stderr), t.TotalSteps), logHook(stdout, isTerminal(stderr)))

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	sum, err := t.Run(ctx)
	if errors.Is(err, context.Canceled) {
		ck, _ := pipeline.ReadCheckpoint(cfg.Out)
		fmt.Fprintf(stderr, "\ninterrupted at step %d of %d; summary so far in %s. budgetrain train --resume %s continues from the checkpoint after epoch %d (step %d)\n",
			sum.Iterations, sum.PlannedSteps, cfg.Out, cfg.Out, ck.Epoch, ck.Step)
		return err
	}
	if err != nil {
		return err
	}
	js, _ := json.MarshalIndent(sum, "", "  ")
	fmt.Fprintf(stdout, "summary (%s):\n%s\n", filepath.Join(cfg.Out, runfolder.SummaryFile), js)
	return nil
}

// progressHook draws one bar over all optimizer steps of the run.
func progressHook(w io.Writer, total int) pipeline.Hook {
	var bar *progressbar.ProgressBar
	return pipeline.HookFuncs{
		OnStart: func(t *pipeline.Trainer) {
			bar = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription("train"),
				progressbar.OptionShowCount(),
				progressbar.OptionSetItsString("steps"),
				progressbar.OptionShowIts(),
				progressbar.OptionThrottle(250*time.Millisecond),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
			)
		},
		OnStep: func(t *pipeline.Trainer, loss float64) {
			p := t.Progress()
			bar.Describe(fmt.Sprintf("epoch %d loss %.3f", p.Epoch+1, loss))
			bar.Add(1)
		},
		OnEnd: func(t *pipeline.Trainer, s pipeline.Summary) { bar.Finish() },
	}
}

// logHook prints one line per epoch, starting with a carriage return where a bar is drawn on
// the terminal (to write over it).
func logHook(w io.Writer, bar bool) pipeline.Hook {
	cr := ""
	if bar {
		cr = "\r"
	}
	return pipeline.HookFuncs{OnEpoch: func(t *pipeline.Trainer, m pipeline.EpochMetrics) {
		acc := "-"
		if m.TestAcc != nil {
			acc = fmt.Sprintf("%.4f", *m.TestAcc)
		}
		fmt.Fprintf(w, cr+"epoch %3d step %6d lr %.4g loss %.4f train_acc %.4f test_acc %s fwd %d bwd %d H(c) %.3f %.1fs (eval %.1fs, data wait %.1fs) rss %.0f MiB\n",
			m.Epoch, m.Step, m.LR, m.TrainLoss, m.TrainAcc, acc, m.SamplesForward, m.SamplesBackward, m.Entropy, m.Seconds, m.EvalSeconds, m.DataWait, m.RSSMiB)
	}}
}

// runFiles are the files a run writes into its folder.
var runFiles = []string{runfolder.ConfigFile, runfolder.CheckpointFile, runfolder.MetricsFile, runfolder.SummaryFile, runfolder.WeightsFile, runfolder.ONNXFile}

// prepareRunFolder refuses a run name that is not a plain name, a run folder that is the file
// system root, a folder that another process is writing (its lock is held, --force or not),
// and a folder that already holds a run (unless force, which deletes that run's files so that
// nothing of it mixes with the new run). It returns the folder's lock, which the caller holds
// for the whole run.
func prepareRunFolder(cfg pipeline.Config, force bool) (_ *runfolder.Lock, err error) {
	if !runfolder.PlainName(cfg.Name) {
		return nil, fmt.Errorf("name %q must be a plain name (one folder: no '/' or '\\', not '.' or '..')", cfg.Name)
	}
	out := filepath.Clean(cfg.Out)
	if abs, err := filepath.Abs(out); err == nil && filepath.Dir(abs) == abs {
		return nil, fmt.Errorf("out %q is the file system root: give a run folder", cfg.Out)
	}
	held, err := runfolder.Acquire(out)
	if err != nil {
		if errors.Is(err, runfolder.ErrLocked) {
			err = fmt.Errorf("%w: wait for it to end or stop it; --force does not override this", err)
		}
		return nil, err
	}
	defer func() {
		if err != nil {
			held.Unlock()
		}
	}()
	var found []string
	for _, f := range runFiles {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			found = append(found, f)
		}
	}
	old, _ := filepath.Glob(filepath.Join(out, runfolder.CheckpointPartGlob))
	if len(found) == 0 && len(old) == 0 {
		return held, nil
	}
	if !force {
		what := "another configuration"
		if b, err := os.ReadFile(filepath.Join(out, runfolder.ConfigFile)); err == nil {
			if y, err := pipeline.ConfigYAML(cfg); err == nil && string(y) == string(b) {
				what = "this configuration"
			}
		}
		return nil, fmt.Errorf("run folder %s already holds a run of %s (%s): use --resume %s to continue it, --force to delete it and start over, or another --out/--name",
			out, what, strings.Join(found, ", "), out)
	}
	for _, f := range found {
		old = append(old, filepath.Join(out, f)) // old holds paths already (Glob)
	}
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return nil, fmt.Errorf("--force: %w", err)
		}
	}
	return held, nil
}

// completedRun reports whether dir holds a finished run, with a message saying so.
func completedRun(dir string) (bool, string) {
	b, err := os.ReadFile(filepath.Join(dir, runfolder.SummaryFile))
	if err != nil {
		return false, ""
	}
	var s pipeline.Summary
	if json.Unmarshal(b, &s) != nil || !s.Completed {
		return false, ""
	}
	return true, fmt.Sprintf("%s is already complete (%d of %d steps, test accuracy %.4f): nothing to resume", dir, s.Iterations, s.PlannedSteps, s.FinalTestAcc)
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}
