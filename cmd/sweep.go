package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"budgetrain/pipeline"
	"budgetrain/pipeline/data"
	"budgetrain/pipeline/runfolder"
	"budgetrain/pipeline/sweep"
	"budgetrain/sampler"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
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

func newSweepStatusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status DIR",
		Short: "Show which cells of the sweep in DIR are done, running, failed, interrupted or pending",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := readRecord(args[0])
			if err != nil {
				return err
			}
			if rec == nil {
				return fmt.Errorf("sweep status: %s has no %s", args[0], runfolder.RecordFile)
			}
			printStatus(cmd.OutOrStdout(), args[0], rec.Cells)
			return nil
		},
	}
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

// configKeys are the flat config keys with their defaults ([]any marks a list-valued key).
func configKeys() map[string]any { return pipeline.FlatConfig(pipeline.Default()) }

// readRecord reads DIR/sweep.yaml with viper; nil when there is none.
func readRecord(dir string) (*sweep.Record, error) {
	path := filepath.Join(dir, runfolder.RecordFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	raw, err := readYAML(path, nil)
	if err != nil {
		return nil, err
	}
	rec, err := sweep.ParseRecord(raw, configKeys())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return &rec, nil
}

// readYAML reads a YAML file (or content, when path is "") with a fresh viper.
func readYAML(path string, content []byte) (map[string]any, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	var err error
	if path != "" {
		v.SetConfigFile(path)
		err = v.ReadInConfig()
	} else {
		err = v.ReadConfig(bytes.NewReader(content))
	}
	if err != nil {
		return nil, fmt.Errorf("read grid %s: %w", path, err)
	}
	return v.AllSettings(), nil
}

// loadSpec reads the grid from --grid, --preset or the folder's sweep.yaml.
func loadSpec(so *sweepOptions, recorded *sweep.Record, keys map[string]any) (sweep.Spec, error) {
	var raw map[string]any
	var err error
	switch {
	case so.grid != "" && so.preset != "":
		return sweep.Spec{}, errors.New("sweep: give --grid or --preset, not both")
	case so.grid != "":
		raw, err = readYAML(so.grid, nil)
	case so.preset != "":
		var b []byte
		if b, err = sweep.Preset(so.preset); err == nil {
			raw, err = readYAML("", b)
		}
	case recorded != nil:
		return recorded.Spec, nil
	default:
		return sweep.Spec{}, errors.New("sweep: give --grid GRID.yaml or --preset NAME (or --out a folder with a sweep.yaml)")
	}
	if err != nil {
		return sweep.Spec{}, err
	}
	return sweep.ParseSpec(raw, keys)
}

// overrideBase applies --set, and --seed and --device when given, to the grid's base.
func overrideBase(cmd *cobra.Command, o *options, spec *sweep.Spec, keys map[string]any) error {
	set := map[string]any{}
	if cmd.Flags().Changed("seed") {
		set["seed"] = o.seed
	}
	if cmd.Flags().Changed("device") {
		set["device"] = o.device
	}
	var bad []string
	for _, s := range o.sets {
		k, v, ok := strings.Cut(s, "=")
		if _, known := keys[k]; !ok || !known {
			bad = append(bad, fmt.Sprintf("--set %q: want key=value with a known key", s))
			continue
		}
		set[k] = v
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		varied := spec.Grid[k] != nil
		for _, inc := range spec.Include {
			varied = varied || inc[k] != nil
		}
		switch {
		case varied:
			bad = append(bad, fmt.Sprintf("%s is varied by the grid; it cannot be overridden for all cells", k))
		case slices.Contains(sweep.Reserved, k):
			bad = append(bad, fmt.Sprintf("%s is set by the sweep for every cell", k))
		default:
			spec.Base[k] = set[k]
		}
	}
	if len(bad) > 0 {
		return errors.New("sweep: " + strings.Join(bad, "\n  "))
	}
	return nil
}

// resolveCell resolves a cell's settings over the defaults as `train --config` resolves a
// file (same decoding, same validation), without environment or flags.
func resolveCell(settings map[string]any) (sweep.Resolved, error) {
	s := maps.Clone(settings)
	if _, ok := s["out"]; !ok {
		s["out"] = "cell" // each cell's folder is set when it runs
	}
	cfg, err := pipeline.Resolve(s, func(string) string { return "the grid" })
	if err != nil {
		return sweep.Resolved{}, err
	}
	cfg.Out = ""
	return sweep.Resolved{Config: pipeline.FlatConfig(cfg), Steps: plannedSteps(cfg), Data: cfg}, nil
}

// plannedSteps is T = E·⌊⌊N·b⌋/B⌋ with N the dataset's training-set size from its record
// (data.Info.TrainSize) after dataset.train_limit and the validation split (0 when the size is not
// known: image folders).
func plannedSteps(cfg pipeline.Config) int {
	info, err := data.Lookup(cfg.Dataset.Name)
	n := info.TrainSize
	if err != nil || n == 0 {
		return 0
	}
	if l := cfg.Dataset.TrainLimit; l > 0 && l < n {
		n = l
	}
	if cfg.Dataset.Validation {
		vs := cfg.Dataset.ValSamples
		if vs == 0 {
			vs = info.ValSamples
		}
		if k := len(info.Classes); k > 0 {
			n -= vs / k * k
		}
	}
	return sampler.Budget{N: n, Fraction: cfg.Train.Budget, BatchSize: cfg.Train.BatchSize, Epochs: cfg.Train.Epochs}.Steps()
}

func pickShard(so *sweepOptions) (sweep.Shard, error) {
	if so.shard != "" {
		return sweep.ParseShard(so.shard)
	}
	if so.backend == "slurm" {
		return sweep.All, nil
	}
	s, _, err := sweep.SlurmShard()
	return s, err
}

// cellThreads is each cell's libtorch thread count: the grid's own threads key if it sets one
// (0), else the Slurm task's CPUs, else this machine's cores split between the jobs.
func cellThreads(spec sweep.Spec, jobs int) int {
	if _, ok := spec.Base["threads"]; ok {
		return 0
	}
	if spec.Grid["threads"] != nil || slices.ContainsFunc(spec.Include, func(m map[string][]any) bool { return m["threads"] != nil }) {
		return 0
	}
	if n, err := strconv.Atoi(os.Getenv("SLURM_CPUS_PER_TASK")); err == nil && n > 0 {
		return n
	}
	return max(1, runtime.NumCPU()/jobs)
}

// childCommand runs `budgetrain train` for a cell with this same binary: from the cell's
// configuration file, or `train --resume` for an interrupted cell. The child gets this process's
// environment without BUDGETRAIN_* variables, which would otherwise override the cell's file.
func childCommand(exe string, threads int) func(c *sweep.Cell, dir string, resume bool) *exec.Cmd {
	return func(c *sweep.Cell, dir string, resume bool) *exec.Cmd {
		// --force: the runner starts over only a cell without a checkpoint, whose folder may
		// still hold what an attempt that died before its first checkpoint wrote.
		args := []string{"train", "--config", filepath.Join(dir, runfolder.CellFile), "--force"}
		if threads > 0 {
			args = append(args, "--set", "threads="+strconv.Itoa(threads))
		}
		if resume { // the checkpoint's own configuration, threads included
			args = []string{"train", "--resume", dir}
		}
		cmd := exec.Command(exe, args...)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, EnvPrefix+"_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		return cmd
	}
}

func runLocal(ctx context.Context, stdout, stderr io.Writer, so *sweepOptions, dir string, spec sweep.Spec, cells []*sweep.Cell, shard sweep.Shard) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("sweep: find this binary: %w", err)
	}
	threads := cellThreads(spec, so.jobs)
	what := fmt.Sprintf("%d cells", len(cells))
	if shard != sweep.All {
		what += " of shard " + shard.String()
	}
	fmt.Fprintf(stdout, "sweep %s: %s, %d at a time, %d libtorch threads each; logs in <cell>/%s\n", dir, what, so.jobs, threads, runfolder.LogFile)
	bar := progressbar.NewOptions(len(cells),
		progressbar.OptionSetWriter(barOut(stderr)),
		progressbar.OptionSetDescription("sweep"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("cells"),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(barOut(stderr)) }),
	)
	eta := sweep.NewETA(so.jobs, pendingCells(dir, cells, so.retryFailed))
	running, failed := 0, 0
	// Without a terminal there is no bar: lines start without a carriage return and each
	// finished cell's line carries the progress the bar would show.
	tty := isTerminal(stderr)
	cr := map[bool]string{true: "\r", false: ""}[tty]
	progress := func() string {
		d := fmt.Sprintf("running %d, failed %d", running, failed)
		if left, ok := eta.Left(); ok {
			d += fmt.Sprintf(", ETA %s (%.3f s/step measured)", left, eta.SecondsPerStep())
		}
		return d
	}
	describe := func() { bar.Describe(progress()) }
	r := &sweep.Runner{Dir: dir, Jobs: so.jobs, RetryFailed: so.retryFailed, Command: childCommand(exe, threads),
		Event: func(res sweep.Result) {
			if res.Status == runfolder.Running && (res.Action == sweep.Started || res.Action == sweep.Resumed) {
				running++
				fmt.Fprintf(stdout, "%s%s %s\n", cr, map[sweep.Action]string{sweep.Started: "start ", sweep.Resumed: "resume"}[res.Action], res.Cell.Name)
				describe()
				return
			}
			if res.Action == sweep.Started || res.Action == sweep.Resumed {
				running--
			}
			if res.Status == runfolder.Failed {
				failed++
			}
			eta.Finished(res.Cell, res.StepsRun, res.Seconds)
			bar.Add(1)
			line := fmt.Sprintf("%s%-7s %s%s", cr, res.Status, res.Cell.Name, resultNote(res))
			if !tty {
				line += fmt.Sprintf("  [%d of %d cells; %s]", int(bar.State().CurrentNum), len(cells), progress())
			}
			fmt.Fprintln(stdout, line)
			describe()
		}}
	results := r.Run(ctx, cells)
	bar.Finish()
	fmt.Fprintln(stdout)
	printResults(stdout, results)
	var nFailed, nLeft int
	for _, res := range results {
		switch {
		case res.Status == runfolder.Failed:
			nFailed++
		case res.Status != runfolder.Done && res.Status != runfolder.Running:
			nLeft++
		}
	}
	switch {
	case nFailed > 0:
		hint := "fix the cause and rerun with --retry-failed"
		return fmt.Errorf("sweep: %d of %d cells failed (see the table above and each cell's %s); %s", nFailed, len(results), runfolder.LogFile, hint)
	case ctx.Err() != nil:
		return fmt.Errorf("sweep: interrupted with %d cells left; rerun the same command to continue: %w", nLeft, ctx.Err())
	}
	return nil
}

func resultNote(res sweep.Result) string {
	switch {
	case res.Status == runfolder.Done && res.Action == sweep.Skipped:
		return " (already done)"
	case res.Status == runfolder.Done && res.Summary != nil:
		return fmt.Sprintf(": test acc %.4f, %d steps in %s", res.Summary.FinalTestAcc, res.StepsRun, seconds(res.Seconds))
	case res.Err != "":
		return ": " + res.Err
	}
	return ""
}

func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Second).String()
}

// printResults is the closing table: every cell, what this run did, and why a cell failed.
func printResults(w io.Writer, results []sweep.Result) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tTHIS RUN\tSTATUS\tTEST ACC\tTIME\tWHY")
	count := map[runfolder.Status]int{}
	for _, r := range results {
		acc, t := "-", "-"
		if r.Summary != nil && r.Summary.Completed {
			acc = fmt.Sprintf("%.4f", r.Summary.FinalTestAcc)
		}
		if r.Seconds > 0 {
			t = seconds(r.Seconds)
		}
		why := r.Err
		if r.Status == runfolder.Done {
			why = ""
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Cell.Name, r.Action, r.Status, acc, t, oneLine(why))
		count[r.Status]++
	}
	tw.Flush()
	fmt.Fprintf(w, "%d cells: %s\n", len(results), countLine(count))
}

func countLine(count map[runfolder.Status]int) string {
	var parts []string
	for _, s := range []runfolder.Status{runfolder.Done, runfolder.Running, runfolder.Failed, runfolder.Interrupted, runfolder.Pending} {
		parts = append(parts, fmt.Sprintf("%d %s", count[s], s))
	}
	return strings.Join(parts, ", ")
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

// printPlan is the dry run: every cell with its steps and current status.
func printPlan(w io.Writer, dir string, all, selected []*sweep.Cell, shard sweep.Shard) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tCELL\tSTEPS\tSTATUS")
	for _, c := range selected {
		steps := "?"
		if c.Steps > 0 {
			steps = strconv.Itoa(c.Steps)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", c.Index, c.Name, steps, runfolder.ReadState(filepath.Join(dir, c.Name)).Status)
	}
	tw.Flush()
	of := ""
	if shard != sweep.All {
		of = fmt.Sprintf(" (shard %s of %d cells)", shard, len(all))
	}
	unknown := 0
	for _, c := range selected {
		if c.Steps == 0 {
			unknown++
		}
	}
	fmt.Fprintf(w, "%d cells%s, %s optimizer steps in total", len(selected), of, groupDigits(sweep.TotalSteps(selected)))
	if unknown > 0 {
		fmt.Fprintf(w, " (%d cells of unknown dataset size not counted)", unknown)
	}
	fmt.Fprintln(w)
}

// groupDigits writes n with thousands separators: 5171400 → 5,171,400.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

// printStatus is `sweep status`: every recorded cell's state.
func printStatus(w io.Writer, dir string, cells []sweep.CellRef) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tSTATUS\tSTEPS\tTEST ACC\tNOTE")
	var states []runfolder.State
	for _, c := range cells {
		st := runfolder.ReadState(filepath.Join(dir, c.Name))
		states = append(states, st)
		steps, acc, note := fmt.Sprintf("%d/%d", st.Step, c.Steps), "-", ""
		if st.Summary != nil {
			steps = fmt.Sprintf("%d/%d", st.Summary.Iterations, st.Summary.PlannedSteps)
			if st.Summary.Completed {
				acc = fmt.Sprintf("%.4f", st.Summary.FinalTestAcc)
			}
		}
		switch {
		case st.Status == runfolder.Running && st.Runner != nil:
			note = fmt.Sprintf("pid %d on %s since %s", st.Runner.PID, st.Runner.Host, st.Runner.Started.Local().Format(time.DateTime))
			if st.Runner.SlurmJob != "" {
				note += fmt.Sprintf(", slurm job %s_%s", st.Runner.SlurmJob, st.Runner.SlurmTask)
			}
		case st.Status == runfolder.Failed:
			note = fmt.Sprintf("attempt %d: %s", st.Failure.Attempt, oneLine(st.Failure.Error))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Name, st.Status, steps, acc, note)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d cells: %s\n", len(cells), countLine(runfolder.Counts(states)))
}

// pendingCells are the cells still to run, by a Slurm array or a local sweep: all but the
// done and running ones (and the failed ones, unless retrying).
func pendingCells(dir string, cells []*sweep.Cell, retryFailed bool) []*sweep.Cell {
	var todo []*sweep.Cell
	for _, c := range cells {
		switch runfolder.ReadState(filepath.Join(dir, c.Name)).Status {
		case runfolder.Done, runfolder.Running:
			continue
		case runfolder.Failed:
			if !retryFailed {
				continue
			}
		}
		todo = append(todo, c)
	}
	return todo
}

// failedCells counts the cells whose last attempt failed.
func failedCells(dir string, cells []*sweep.Cell) int {
	n := 0
	for _, c := range cells {
		if runfolder.ReadState(filepath.Join(dir, c.Name)).Status == runfolder.Failed {
			n++
		}
	}
	return n
}

// pendingIndices are the indices of pendingCells: the array task IDs a Slurm job must run.
func pendingIndices(dir string, cells []*sweep.Cell, retryFailed bool) []int {
	var idx []int
	for _, c := range pendingCells(dir, cells, retryFailed) {
		idx = append(idx, c.Index)
	}
	return idx
}

func slurmOptions(so *sweepOptions, dir string, cells []*sweep.Cell, indices []int) sweep.SlurmOptions {
	o := so.slurm
	o.Exe, _ = os.Executable()
	o.Dir, o.Cells, o.Indices = dir, len(cells), indices
	o.WorkDir, _ = os.Getwd()
	if so.retryFailed {
		o.TaskArgs = append(o.TaskArgs, "--retry-failed")
	}
	return o
}

// submitSlurm submits the cells still to run as one job array and, with --wait, waits for it
// and shows the status.
func submitSlurm(ctx context.Context, w io.Writer, so *sweepOptions, dir string, cells []*sweep.Cell) error {
	idx := pendingIndices(dir, cells, so.retryFailed)
	if len(idx) == 0 {
		fmt.Fprintf(w, "sweep %s: nothing to submit (every cell is done, running, or failed without --retry-failed)\n", dir)
		printStatus(w, dir, sweep.NewRecord(sweep.Spec{}, cells).Cells)
		if n := failedCells(dir, cells); n > 0 { // as a local run does
			return fmt.Errorf("sweep: %d of %d cells failed (see each cell's %s); fix the cause and rerun with --retry-failed", n, len(cells), runfolder.LogFile)
		}
		return nil
	}
	o := slurmOptions(so, dir, cells, idx)
	if so.wait {
		fmt.Fprintf(w, "sweep %s: submitting %d of %d cells as a job array (--array=%s) and waiting\n", dir, len(idx), len(cells), sweep.ArraySpec(idx, o.Throttle))
	}
	id, err := sweep.Submit(ctx, o, so.wait)
	if id != "" {
		fmt.Fprintf(w, "submitted slurm job %s: %d tasks, script and task output in %s\n", id, len(idx), filepath.Join(dir, sweep.SlurmDir))
	}
	if so.wait || err != nil {
		printStatus(w, dir, sweep.NewRecord(sweep.Spec{}, cells).Cells)
	}
	if err == nil && !so.wait {
		fmt.Fprintf(w, "follow it with `budgetrain sweep status %s` (or squeue -j %s)\n", dir, id)
	}
	return err
}
