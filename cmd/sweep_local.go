// The local sweep backend: each cell in a child `budgetrain train` process on this machine, with
// a progress bar or progress lines.

package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"budgetrain/pipeline/sweep"

	"github.com/schollz/progressbar/v3"

	"budgetrain/pipeline/runfolder"
)

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
	each := fmt.Sprintf("%d libtorch threads each", threads)
	if threads == 0 { // the grid or --set fixes them: each cell's threads key
		each = "libtorch threads from each cell's threads key"
	}
	fmt.Fprintf(stdout, "sweep %s: %s, %d at a time, %s; logs in <cell>/%s\n", dir, what, so.jobs, each, runfolder.LogFile)
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
