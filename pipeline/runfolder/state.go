package runfolder

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Status is where a run folder stands, the one classification that sweep (which cells to run)
// and report (which runs to average) share.
type Status int

const (
	Pending     Status = iota // nothing usable in the folder yet (not started)
	Running                   // a process holds the folder's lock
	Done                      // summary.json says completed
	Failed                    // the last attempt failed (failed.json)
	Interrupted               // a checkpoint without a completed summary: the next run resumes it
)

func (s Status) String() string {
	return [...]string{"pending", "running", "done", "failed", "interrupted"}[s]
}

// State is what a run folder's files say about the run.
type State struct {
	Status Status
	// Summary is summary.json; nil when it is missing or cannot be read, and then SummaryErr
	// says why it cannot ("read summary.json: ..." or "parse summary.json: ..."; nil when it
	// is missing).
	Summary    *Summary
	SummaryErr error
	Failure    *Failure    // failed.json, if any (read leniently: see Failure)
	Runner     *RunnerInfo // running.json, if it reads; stale unless Status is Running
	// Checkpoint reports whether checkpoint.json exists and reads: the run can be resumed
	// (from epoch 0 when it failed in its first epoch). CheckpointErr is set when it exists
	// but does not read.
	Checkpoint    bool
	CheckpointErr error
	Epoch         int // epochs done according to checkpoint.json
	Step          int // optimizer steps done according to checkpoint.json
}

// ReadState inspects the run folder dir. The run is Running while a process holds the folder's
// lock (flock: released when that process dies, so a killed run never leaves a stale
// "running" behind); else Done when summary.json says completed (a later success beats an old
// failed.json); else Failed when failed.json is there; else Interrupted when checkpoint.json
// reads; else Pending. It never creates anything.
func ReadState(dir string) State { return readState(dir, true) }

// ReadHeldState is ReadState for the process that holds dir's lock itself: the lock does not
// make the run Running.
func ReadHeldState(dir string) State { return readState(dir, false) }

func readState(dir string, checkLock bool) State {
	var st State
	switch b, err := os.ReadFile(filepath.Join(dir, SummaryFile)); {
	case err == nil:
		var s Summary
		if err := json.Unmarshal(b, &s); err != nil {
			st.SummaryErr = fmt.Errorf("parse %s: %w", SummaryFile, err)
		} else {
			st.Summary = &s
		}
	case !errors.Is(err, fs.ErrNotExist):
		st.SummaryErr = fmt.Errorf("read %s: %w", SummaryFile, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, FailedFile)); err == nil {
		st.Failure = parseFailure(b)
	}
	if b, err := os.ReadFile(filepath.Join(dir, RunningFile)); err == nil {
		var r RunnerInfo
		if json.Unmarshal(b, &r) == nil {
			st.Runner = &r
		}
	}
	switch b, err := os.ReadFile(filepath.Join(dir, CheckpointFile)); {
	case err == nil:
		var ck struct{ Epoch, Step int }
		if err := json.Unmarshal(b, &ck); err != nil {
			st.CheckpointErr = fmt.Errorf("parse %s: %w", CheckpointFile, err)
		} else {
			st.Checkpoint, st.Epoch, st.Step = true, ck.Epoch, ck.Step
		}
	case !errors.Is(err, fs.ErrNotExist):
		st.CheckpointErr = fmt.Errorf("read %s: %w", CheckpointFile, err)
	}
	switch {
	case checkLock && Locked(dir):
		st.Status = Running
	case st.Summary != nil && st.Summary.Completed:
		st.Status = Done
	case st.Failure != nil:
		st.Status = Failed
	case st.Checkpoint:
		st.Status = Interrupted
	default:
		st.Status = Pending
	}
	return st
}

// Counts tallies states by status.
func Counts(states []State) map[Status]int {
	m := map[Status]int{}
	for _, s := range states {
		m[s.Status]++
	}
	return m
}
