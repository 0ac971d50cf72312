package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"budgetrain/pipeline/runfolder"
)

// SlurmOptions describe the job array that runs a sweep on a Slurm cluster: one array task per
// cell, each task running `budgetrain sweep --out Dir --shard i/Cells`, i.e. exactly cell i.
type SlurmOptions struct {
	Exe       string   // absolute path of the budgetrain binary, visible on the compute nodes
	Dir       string   // absolute sweep folder, shared by the submit and compute nodes
	WorkDir   string   // folder the tasks start in (relative paths such as dataset.dir resolve from it)
	Cells     int      // cells in the grid: n of --shard i/n
	Indices   []int    // the cells to submit (Cell.Index)
	Throttle  int      // at most this many tasks at once (0 = no limit)
	CPUs      int      // --cpus-per-task (0 = cluster default)
	GPUs      int      // GPUs per task, as --gres=gpu:N (0 = none)
	Mem       string   // --mem per task, e.g. 8G ("" = cluster default)
	Time      string   // --time per task, e.g. 1-00:00:00 ("" = partition default)
	Partition string   // --partition ("" = default)
	JobName   string   // --job-name
	Extra     []string // further sbatch options, e.g. --account=abc
	TaskArgs  []string // further arguments of each task's sweep command, e.g. --retry-failed
}

// SlurmDir is the sweep folder's subfolder for the job script and the tasks' output.
const SlurmDir = "slurm"

// ArraySpec renders indices as sbatch's --array value: ranges and single indices separated by
// commas (0-4,7,9-10), then %throttle.
func ArraySpec(indices []int, throttle int) string {
	var parts []string
	for i := 0; i < len(indices); {
		j := i
		for j+1 < len(indices) && indices[j+1] == indices[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(indices[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", indices[i], indices[j]))
		}
		i = j + 1
	}
	s := strings.Join(parts, ",")
	if throttle > 0 {
		s += "%" + strconv.Itoa(throttle)
	}
	return s
}

// Script is the sbatch job script of the array.
func (o SlurmOptions) Script() string {
	var b strings.Builder
	opt := func(format string, a ...any) { fmt.Fprintf(&b, "#SBATCH "+format+"\n", a...) }
	b.WriteString("#!/bin/bash\n# Written by `budgetrain sweep --backend slurm`; `sbatch` this file to submit the array again.\n")
	name := o.JobName
	if name == "" {
		name = "budgetrain-sweep"
	}
	opt("--job-name=%s", name)
	opt("--array=%s", ArraySpec(o.Indices, o.Throttle))
	opt("--ntasks=1")
	if o.CPUs > 0 {
		opt("--cpus-per-task=%d", o.CPUs)
	}
	if o.GPUs > 0 {
		opt("--gres=gpu:%d", o.GPUs)
	}
	if o.Mem != "" {
		opt("--mem=%s", o.Mem)
	}
	if o.Time != "" {
		opt("--time=%s", o.Time)
	}
	if o.Partition != "" {
		opt("--partition=%s", o.Partition)
	}
	// A directive's value in double quotes may hold spaces and (escaped) double quotes; in the
	// output file name % starts a pattern, so the folder's own % is written %%.
	opt("--output=%s", directiveQuote(strings.ReplaceAll(filepath.Join(o.Dir, SlurmDir), "%", "%%")+"/%A_%a.out"))
	opt("--chdir=%s", directiveQuote(o.WorkDir))
	opt("--export=ALL")
	for _, e := range o.Extra {
		opt("%s", e)
	}
	fmt.Fprintf(&b, "\n# Task i trains cell i of the %d cells in %s.\n", o.Cells, filepath.Join(o.Dir, runfolder.RecordFile))
	args := []string{quote(o.Exe), "sweep", "--out", quote(o.Dir), "--shard", `"${SLURM_ARRAY_TASK_ID}/` + strconv.Itoa(o.Cells) + `"`}
	for _, a := range o.TaskArgs {
		args = append(args, quote(a))
	}
	b.WriteString("exec " + strings.Join(args, " ") + "\n")
	return b.String()
}

// directiveQuote double-quotes s for an #SBATCH line, escaping its double quotes.
func directiveQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// Check reports, in one error, the paths that an #SBATCH directive cannot carry: a line break
// ends the directive, and sbatch does not read a backslash in one back as written (measured
// with Slurm 22.05: the job fails). The dry run and Submit call it, so that a sweep folder
// sbatch would refuse is caught before anything is submitted.
func (o SlurmOptions) Check() error {
	var bad []string
	for _, p := range []struct{ what, path string }{{"sweep folder", o.Dir}, {"working folder", o.WorkDir}} {
		if i := strings.IndexAny(p.path, "\n\r\x00\\"); i >= 0 {
			bad = append(bad, fmt.Sprintf("the %s %q contains %q", p.what, p.path, p.path[i:i+1]))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("slurm: %s, which an #SBATCH line cannot carry: use a folder without line breaks or backslashes", strings.Join(bad, "; "))
	}
	return nil
}

// quote single-quotes s for bash.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Submit writes the job script to Dir/slurm/sweep.sbatch and submits it with sbatch. With
// wait, sbatch returns only when every task has ended, with the highest exit code of the
// tasks. It returns the job id.
func Submit(ctx context.Context, o SlurmOptions, wait bool) (jobID string, err error) {
	if len(o.Indices) == 0 {
		return "", fmt.Errorf("slurm: no cells to submit")
	}
	if err := o.Check(); err != nil {
		return "", err
	}
	dir := filepath.Join(o.Dir, SlurmDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("slurm: %w", err)
	}
	script := filepath.Join(dir, "sweep.sbatch")
	if err := runfolder.WriteFileAtomic(script, []byte(o.Script())); err != nil {
		return "", err
	}
	args := []string{"--parsable"}
	if wait {
		args = append(args, "--wait")
	}
	cmd := exec.CommandContext(ctx, "sbatch", append(args, script)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runErr := cmd.Run()
	if errors.Is(runErr, exec.ErrNotFound) {
		return "", errors.New("slurm: sbatch is not on PATH: run the sweep where Slurm's commands are (a login node), or use --backend local")
	}
	jobID, _, _ = strings.Cut(strings.TrimSpace(strings.SplitN(out.String(), "\n", 2)[0]), ";")
	if runErr != nil {
		msg := strings.TrimSpace(errb.String())
		if jobID != "" && wait {
			return jobID, fmt.Errorf("slurm job %s: a task failed (%v); see %s and `budgetrain sweep status %s`", jobID, runErr, dir, o.Dir)
		}
		if msg == "" {
			return jobID, fmt.Errorf("sbatch %s: %v", script, runErr)
		}
		return jobID, fmt.Errorf("sbatch %s: %v: %s", script, runErr, msg)
	}
	if jobID == "" {
		return "", fmt.Errorf("sbatch %s printed no job id: %q", script, out.String())
	}
	return jobID, nil
}
