// The Slurm sweep backend: the cells still to run, submitted as one job array.

package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"budgetrain/pipeline/sweep"

	"budgetrain/pipeline/runfolder"
)

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
