package sweep

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"budgetrain/pipeline/runfolder"
)

// Status is where a cell stands.
type Status int

const (
	Pending     Status = iota // nothing usable in its folder yet
	Running                   // a process holds the cell's lock
	Done                      // summary.json says completed
	Failed                    // the last attempt failed (failed.json); rerun with RetryFailed
	Interrupted               // a checkpoint without a completed summary: the next run resumes it
)

func (s Status) String() string {
	return [...]string{"pending", "running", "done", "failed", "interrupted"}[s]
}

// Summary holds the fields of a run's summary.json the sweep reads.
type Summary struct {
	Completed    bool    `json:"completed"`
	FinalTestAcc float64 `json:"final_test_acc"`
	BestTestAcc  float64 `json:"best_test_acc"`
	Iterations   int     `json:"iterations"`
	Planned      int     `json:"planned_iterations"`
	TrainSeconds float64 `json:"train_seconds"`
}

// Failure is failed.json.
type Failure struct {
	Error    string    `json:"error"`
	ExitCode int       `json:"exit_code"`
	At       time.Time `json:"at"`
	Attempt  int       `json:"attempt"`
	Seconds  float64   `json:"seconds"`
	Log      string    `json:"log"` // the cell's log file, relative to the cell folder
}

// RunnerInfo identifies the process running a cell (running.json).
type RunnerInfo struct {
	PID       int       `json:"pid"` // the sweep process holding the lock
	ChildPID  int       `json:"child_pid,omitempty"`
	Host      string    `json:"host"`
	Started   time.Time `json:"started"`
	Resumed   bool      `json:"resumed"`
	SlurmJob  string    `json:"slurm_job,omitempty"`
	SlurmTask string    `json:"slurm_array_task,omitempty"`
}

// State is what a cell folder says about the cell.
type State struct {
	Status  Status
	Summary *Summary    // summary.json, if any
	Failure *Failure    // failed.json, if any
	Runner  *RunnerInfo // running.json, when Running
	Epoch   int         // epochs done according to checkpoint.json
	// Checkpoint reports whether checkpoint.json exists and reads: the cell can be resumed
	// (from epoch 0 when it failed in its first epoch).
	Checkpoint bool
	Step       int // optimizer steps done according to checkpoint.json
}

// ReadState inspects the cell folder dir. A cell is Running while another process holds its
// lock (flock: released when that process dies, so a killed sweep never leaves a stale
// "running" behind), else Done, Failed, Interrupted or Pending in that order.
func ReadState(dir string) State { return readState(dir, true) }

// readState is ReadState; a caller holding the lock itself passes checkLock false.
func readState(dir string, checkLock bool) State {
	var st State
	if s, err := readJSON[Summary](filepath.Join(dir, SummaryFile)); err == nil {
		st.Summary = &s
	}
	if f, err := readJSON[Failure](filepath.Join(dir, FailedFile)); err == nil {
		st.Failure = &f
	}
	ck, ckErr := readJSON[struct{ Epoch, Step int }](filepath.Join(dir, CheckpointFile))
	st.Epoch, st.Step, st.Checkpoint = ck.Epoch, ck.Step, ckErr == nil
	switch {
	case checkLock && lockedByOther(dir):
		st.Status = Running
		if r, err := readJSON[RunnerInfo](filepath.Join(dir, RunningFile)); err == nil {
			st.Runner = &r
		}
	case st.Summary != nil && st.Summary.Completed:
		st.Status = Done
	case st.Failure != nil:
		st.Status = Failed
	case ckErr == nil:
		st.Status = Interrupted
	default:
		st.Status = Pending
	}
	return st
}

func readJSON[T any](path string) (T, error) {
	var v T
	b, err := os.ReadFile(path)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("read %s: %w", path, err)
	}
	return v, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(path, append(b, '\n'))
}

// ErrLocked is returned by Lock when another process runs the cell.
var ErrLocked = runfolder.ErrLocked

// Lock takes the cell folder's lock (creating the folder): runfolder.Acquire.
func Lock(dir string) (*runfolder.Lock, error) { return runfolder.Acquire(dir) }

// lockedByOther reports whether some process holds the cell's lock. It never creates the folder.
func lockedByOther(dir string) bool { return runfolder.Locked(dir) }

// Counts tallies states by status.
func Counts(states []State) map[Status]int {
	m := map[Status]int{}
	for _, s := range states {
		m[s.Status]++
	}
	return m
}
