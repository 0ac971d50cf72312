// The sweep command: its flags, and runSweep, which plans the cells, checks them against the
// folder's record and hands them to the local or Slurm backend.

package cmd

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"budgetrain/pipeline"
	"budgetrain/pipeline/sweep"

	"github.com/spf13/cobra"
)

// sweepOptions are the sweep command's own flags.
type sweepOptions struct {
	grid, preset, shard, backend string
	jobs                         int
	dryRun, retryFailed, wait    bool
	extend                       bool
	slurm                        sweep.SlurmOptions
}

func newSweepCommand(o *options) *cobra.Command {
	so := &sweepOptions{}
	c := &cobra.Command{
		Use:   "sweep --grid GRID.yaml --out DIR",
		Short: "Train every cell of a grid of configurations into DIR; rerunning continues where it stopped",
		Long: `Expand a grid file (base settings, key → list of values, include/exclude cells) or a
built-in preset into cells, and train each cell into its own run folder DIR/<name>, named by
the values that vary plus a hash of its resolved configuration. DIR/sweep.yaml records the grid.

Rerunning is idempotent: finished cells are skipped, interrupted ones resume from their
checkpoint, failed ones are retried only with --retry-failed. A grid that differs from
DIR/sweep.yaml is refused with the differences, unless it only adds cells after the recorded
ones and --extend is given; without --grid and --preset the recorded grid is used. Each cell
trains in a child process ("budgetrain train"); one failing cell does not stop the others, and
the exit status is non-zero if any failed.

--set, --seed and --device given here override the grid's base settings (and are recorded).
BUDGETRAIN_* environment variables are ignored: a cell is a function of the grid alone, also
in a Slurm task whose environment differs.

Presets: ` + strings.Join(sweep.Presets(), ", ") + ` (docs/sweep.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSweep(cmd, o, so) },
	}
	f := c.Flags()
	f.StringVar(&so.grid, "grid", "", "grid file (YAML: base, grid, include, exclude)")
	f.StringVar(&so.preset, "preset", "", "built-in grid: "+strings.Join(sweep.Presets(), ", "))
	f.BoolVar(&so.dryRun, "dry-run", false, "list the cells and their optimizer steps, run nothing")
	f.IntVar(&so.jobs, "jobs", 1, "cells trained at the same time; libtorch threads are split between them")
	f.StringVar(&so.shard, "shard", "", "run only slice i/n of the cells (cell k is in slice k mod n); default from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT")
	f.BoolVar(&so.retryFailed, "retry-failed", false, "rerun cells whose last attempt failed (resuming their checkpoint if any)")
	f.BoolVar(&so.extend, "extend", false, "accept a grid that adds cells after those of DIR/sweep.yaml (every recorded cell unchanged and in its place) and record it")
	f.StringVar(&so.backend, "backend", "local", "local (child processes on this machine) or slurm (one job array, a task per cell)")
	f.IntVar(&so.slurm.CPUs, "slurm-cpus", 0, "slurm: CPUs per task (--cpus-per-task; also the task's libtorch threads)")
	f.IntVar(&so.slurm.GPUs, "slurm-gpus", 0, "slurm: GPUs per task (--gres=gpu:N)")
	f.StringVar(&so.slurm.Time, "slurm-time", "", "slurm: time limit per task, e.g. 12:00:00")
	f.StringVar(&so.slurm.Mem, "slurm-mem", "", "slurm: memory per task, e.g. 8G")
	f.StringVar(&so.slurm.Partition, "slurm-partition", "", "slurm: partition")
	f.IntVar(&so.slurm.Throttle, "slurm-throttle", 0, "slurm: at most this many tasks at once (0 = no limit)")
	f.StringVar(&so.slurm.JobName, "slurm-job-name", "budgetrain-sweep", "slurm: job name")
	f.StringArrayVar(&so.slurm.Extra, "slurm-opt", nil, "slurm: another sbatch option, e.g. --slurm-opt=--account=abc (repeatable)")
	f.BoolVar(&so.wait, "wait", false, "slurm: wait until every task has ended, then show the status")
	c.AddCommand(newSweepStatusCommand())
	return c
}

func runSweep(cmd *cobra.Command, o *options, so *sweepOptions) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	dir := o.out
	if dir == "" {
		return errors.New("sweep: --out DIR is required (the sweep folder)")
	}
	if so.backend != "local" && so.backend != "slurm" {
		return fmt.Errorf("sweep: --backend %q: want local or slurm", so.backend)
	}
	if so.jobs < 1 {
		return fmt.Errorf("sweep: --jobs (%d) must be >= 1", so.jobs)
	}
	keys := configKeys()
	recorded, err := readRecord(dir)
	if err != nil {
		return err
	}
	spec, err := loadSpec(so, recorded, keys)
	if err != nil {
		return err
	}
	if err := overrideBase(cmd, o, &spec, keys); err != nil {
		return err
	}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, EnvPrefix+"_") {
			fmt.Fprintf(stderr, "sweep: ignoring %s (cells take their settings from the grid only)\n", k)
		}
	}
	cells, dups, err := sweep.Plan(spec, resolveCell)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if dups > 0 {
		fmt.Fprintf(stderr, "sweep: %d cells resolve to the same configuration as an earlier cell and are kept once\n", dups)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for _, c := range cells {
		cfg := c.Data.(pipeline.Config)
		cfg.Name, cfg.Out = c.Name, filepath.Join(abs, c.Name)
		if c.File, err = pipeline.ConfigYAML(cfg); err != nil {
			return err
		}
	}
	rec := sweep.NewRecord(spec, cells)
	extended := false
	if err := sweep.Check(dir, recorded, rec); err != nil {
		added, xerr := sweep.Extends(dir, *recorded, rec)
		switch {
		case !so.extend && xerr == nil && added > 0:
			return fmt.Errorf("%w\nthe grid keeps every recorded cell and adds %d: rerun with --extend to add them", err, added)
		case !so.extend:
			return err
		case xerr != nil:
			return fmt.Errorf("sweep --extend: %w", xerr)
		}
		extended = true
		verb := "extending"
		if so.dryRun {
			verb = "would extend"
		}
		fmt.Fprintf(stderr, "sweep: %s %s by %d cells (%d recorded, %d now)\n", verb, dir, added, len(recorded.Cells), len(rec.Cells))
	}
	shard, err := pickShard(so)
	if err != nil {
		return err
	}
	selected := shard.Select(cells)
	if so.dryRun {
		printPlan(stdout, dir, cells, selected, shard)
		if so.backend == "slurm" {
			o := slurmOptions(so, abs, cells, pendingIndices(abs, cells, so.retryFailed))
			if err := o.Check(); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "\njob script (not submitted):\n%s", o.Script())
		}
		return nil
	}
	if recorded == nil || extended {
		if err := sweep.WriteRecord(dir, rec); err != nil {
			return err
		}
	}
	if so.backend == "slurm" {
		return submitSlurm(cmd.Context(), stdout, so, abs, cells)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	return runLocal(ctx, stdout, stderr, so, abs, spec, selected, shard)
}
