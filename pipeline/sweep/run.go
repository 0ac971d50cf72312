package sweep

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"budgetrain/pipeline/runfolder"
)

// Runner runs the cells of a sweep folder as child processes, Jobs at a time.
//
// Child processes rather than goroutines: libtorch's seed and thread count are process-wide
// (torchx.ManualSeed, SetNumThreads), so two cells training in one process would disturb each
// other's random streams and thread counts; a crash in native code (an abort in libtorch or
// onnxruntime) ends one cell, not the sweep; and a Slurm task or a --jobs slot is then just a
// process with its own environment.
type Runner struct {
	Dir         string // the sweep folder; cell c lives in Dir/c.Name
	Jobs        int    // cells run at the same time (< 1 means 1)
	RetryFailed bool   // rerun cells whose last attempt failed; otherwise they are reported and skipped
	// Command returns the child process that trains cell c in folder dir, continuing its
	// checkpoint when resume is true, else starting over (deleting the run files a failed
	// attempt left before its first checkpoint: the runner holds the cell's lock). The runner sets its output (the cell's runfolder.LogFile); on
	// cancellation it sends the process SIGTERM, on which train saves a checkpoint, and kills
	// it after KillGrace.
	Command func(c *Cell, dir string, resume bool) *exec.Cmd
	// Event, if not nil, is told when a cell starts (Result.Action set, Status Running) and
	// when it has ended; calls come one at a time.
	Event     func(r Result)
	KillGrace time.Duration // default 2 minutes
}

// Action is what one sweep invocation did with a cell.
type Action string

const (
	Skipped    Action = "skipped"     // already done
	SkipFailed Action = "not retried" // failed before, RetryFailed not set
	Busy       Action = "busy"        // another process runs it
	Started    Action = "ran"         // trained from the start
	Resumed    Action = "resumed"     // continued from its checkpoint
	NotStarted Action = "not started" // the sweep was interrupted first
)

// Result is the outcome of one cell in one invocation.
type Result struct {
	Cell     *Cell
	Action   Action
	Status   runfolder.Status   // after this invocation
	Err      string             // why it failed (Failed) or was not run
	Seconds  float64            // wall time of this attempt
	StepsRun int                // optimizer steps done in this attempt
	Summary  *runfolder.Summary // summary.json afterwards, if any
}

// Run runs cells and returns one Result per cell, in order. A failing cell does not stop the
// others; cancelling ctx stops starting cells and interrupts the running ones (their
// checkpoints make the next invocation resume them).
func (r *Runner) Run(ctx context.Context, cells []*Cell) []Result {
	jobs := max(r.Jobs, 1)
	results := make([]Result, len(cells))
	var mu sync.Mutex
	emit := func(res Result) {
		if r.Event != nil {
			mu.Lock()
			defer mu.Unlock()
			r.Event(res)
		}
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = r.runCell(ctx, cells[i], emit)
				emit(results[i])
			}
		}()
	}
	for i, c := range cells {
		if ctx.Err() != nil {
			results[i] = Result{Cell: c, Action: NotStarted, Status: runfolder.ReadState(filepath.Join(r.Dir, c.Name)).Status, Err: "sweep interrupted"}
			continue
		}
		select {
		case next <- i:
		case <-ctx.Done():
			results[i] = Result{Cell: c, Action: NotStarted, Status: runfolder.ReadState(filepath.Join(r.Dir, c.Name)).Status, Err: "sweep interrupted"}
		}
	}
	close(next)
	wg.Wait()
	return results
}

func (r *Runner) runCell(ctx context.Context, c *Cell, emit func(Result)) Result {
	dir := filepath.Join(r.Dir, c.Name)
	res := Result{Cell: c}
	lock, err := runfolder.Acquire(dir)
	if errors.Is(err, runfolder.ErrLocked) {
		res.Action, res.Status, res.Err = Busy, runfolder.Running, "run by another process"
		if st := runfolder.ReadState(dir); st.Runner != nil {
			res.Err = fmt.Sprintf("run by pid %d on %s since %s", st.Runner.PID, st.Runner.Host, st.Runner.Started.Format(time.DateTime))
		}
		return res
	}
	if err != nil {
		res.Action, res.Status, res.Err = NotStarted, runfolder.Failed, err.Error()
		return res
	}
	defer lock.Unlock()
	st := runfolder.ReadHeldState(dir)
	res.Summary = st.Summary
	switch {
	case st.Status == runfolder.Done:
		res.Action, res.Status = Skipped, runfolder.Done
		return res
	case st.Status == runfolder.Failed && !r.RetryFailed:
		res.Action, res.Status, res.Err = SkipFailed, runfolder.Failed, st.Failure.Error
		return res
	}
	attempt := 1
	if st.Failure != nil {
		attempt = st.Failure.Attempt + 1
	}
	// Resume whatever has a checkpoint, a cell that failed in its first epoch included (its
	// epoch-0 checkpoint is the start of the run); otherwise start over, replacing what an
	// attempt that died before its first checkpoint left (Command starts such a cell with
	// train --force, which this lock makes safe).
	resume := st.Checkpoint && (st.Status == runfolder.Interrupted || st.Status == runfolder.Failed)
	res.Action = Started
	if resume {
		res.Action = Resumed
	}
	res.Status = runfolder.Running
	emit(res)

	t0 := time.Now()
	fail := func(code int, msg string) Result {
		res.Status, res.Err, res.Seconds = runfolder.Failed, msg, time.Since(t0).Seconds()
		f := runfolder.Failure{Error: msg, ExitCode: code, At: time.Now().UTC(), Attempt: attempt, Seconds: res.Seconds, Log: runfolder.LogFile}
		if err := runfolder.WriteJSON(filepath.Join(dir, runfolder.FailedFile), f); err != nil {
			res.Err += "; " + err.Error()
		}
		return res
	}
	os.Remove(filepath.Join(dir, runfolder.FailedFile))
	if err := runfolder.WriteFileAtomic(filepath.Join(dir, runfolder.CellFile), c.File); err != nil {
		return fail(-1, err.Error())
	}
	logf, err := os.OpenFile(filepath.Join(dir, runfolder.LogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fail(-1, fmt.Sprintf("open log: %v", err))
	}
	defer logf.Close()
	logStart, _ := logf.Seek(0, io.SeekEnd)
	fmt.Fprintf(logf, "== budgetrain sweep: attempt %d (%s) at %s\n", attempt, res.Action, t0.UTC().Format(time.RFC3339))

	cmd := r.Command(c, dir, resume)
	cmd.Stdout, cmd.Stderr = logf, logf
	handDown(cmd, lock)
	// Pdeathsig is tied to the OS thread that starts the child: keep this goroutine on it
	// until the child has been waited for, so that the signal comes when the sweep dies.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cmd.Start(); err != nil {
		return fail(-1, fmt.Sprintf("start %s: %v", cmd.Path, err))
	}
	grace := r.KillGrace
	if grace == 0 {
		grace = 2 * time.Minute
	}
	stopWatch := interruptOnCancel(ctx, cmd.Process, grace)
	host, _ := os.Hostname()
	info := runfolder.RunnerInfo{PID: os.Getpid(), ChildPID: cmd.Process.Pid, Host: host, Started: t0.UTC(), Resumed: resume,
		SlurmJob: firstEnv("SLURM_ARRAY_JOB_ID", "SLURM_JOB_ID"), SlurmTask: os.Getenv("SLURM_ARRAY_TASK_ID")}
	runfolder.WriteJSON(filepath.Join(dir, runfolder.RunningFile), info)
	defer os.Remove(filepath.Join(dir, runfolder.RunningFile))
	waitErr := cmd.Wait()
	stopWatch()
	res.Seconds = time.Since(t0).Seconds()

	after := runfolder.ReadHeldState(dir)
	res.Summary = after.Summary
	if after.Summary != nil {
		res.StepsRun = after.Summary.Iterations - st.Step
	}
	switch {
	case waitErr == nil && after.Summary != nil && after.Summary.Completed:
		res.Status = runfolder.Done
		return res
	case ctx.Err() != nil:
		res.Status, res.Err = runfolder.Pending, "interrupted: rerun the sweep to continue"
		if after.Status == runfolder.Interrupted {
			res.Status = runfolder.Interrupted
		}
		return res
	case waitErr == nil:
		return fail(0, "train exited without a completed summary.json")
	}
	code := -1
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		code = ee.ExitCode()
	}
	return fail(code, childError(filepath.Join(dir, runfolder.LogFile), logStart, waitErr))
}

// handDown makes the child hold the cell's lock as well, inheriting it as file descriptor 3
// (runfolder.LockEnv), so that a cell whose sweep was killed stays locked until its train
// process exits, and asks the kernel to send the child SIGTERM (on which train saves a
// checkpoint and stops) when the sweep dies, however it dies.
func handDown(cmd *exec.Cmd, lock *runfolder.Lock) {
	cmd.ExtraFiles = append([]*os.File{lock.File()}, cmd.ExtraFiles...)
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(env, fmt.Sprintf("%s=%d", runfolder.LockEnv, 3))
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
}

// interruptOnCancel sends p SIGTERM when ctx is done, so that train saves a checkpoint and
// exits, and kills it if it is still there after grace. The returned function ends the watch;
// call it once p has been waited for.
func interruptOnCancel(ctx context.Context, p *os.Process, grace time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			p.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(grace):
				p.Kill()
			}
		case <-done:
		}
	}()
	return func() { close(done) }
}

// childError is the last "budgetrain: error:" line the attempt wrote to its log (from offset
// on), else its last non-empty line, else the wait error.
func childError(log string, offset int64, waitErr error) string {
	f, err := os.Open(log)
	if err != nil {
		return waitErr.Error()
	}
	defer f.Close()
	f.Seek(offset, io.SeekStart)
	var last, lastErr string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if i := bytes.LastIndexByte(line, '\r'); i >= 0 { // progress bar redraws
			line = line[i+1:]
		}
		s := strings.TrimSpace(string(line))
		if s == "" {
			continue
		}
		last = s
		if strings.HasPrefix(s, "budgetrain: error:") {
			lastErr = strings.TrimSpace(strings.TrimPrefix(s, "budgetrain: error:"))
		}
	}
	switch {
	case lastErr != "":
		return lastErr
	case last != "":
		return fmt.Sprintf("%v: %s", waitErr, last)
	}
	return waitErr.Error()
}

func firstEnv(keys ...string) string {
	for _, k := range keys {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}
