package runfolder

import (
	"encoding/json"
	"time"
)

// Failure is failed.json: why the last attempt at a cell failed (`budgetrain sweep` writes it
// with WriteJSON; a later attempt removes it when it starts).
type Failure struct {
	Error    string    `json:"error"`
	ExitCode int       `json:"exit_code"`
	At       time.Time `json:"at"`
	Attempt  int       `json:"attempt"`
	Seconds  float64   `json:"seconds"`
	Log      string    `json:"log"` // the cell's log file, relative to the cell folder
}

// RunnerInfo is running.json: the process running a cell. The sweep removes it when the
// attempt ends; one left behind by a killed sweep is stale, so trust it only while the folder
// is locked (State.Status Running).
type RunnerInfo struct {
	PID       int       `json:"pid"` // the sweep process holding the lock
	ChildPID  int       `json:"child_pid,omitempty"`
	Host      string    `json:"host"`
	Started   time.Time `json:"started"`
	Resumed   bool      `json:"resumed"`
	SlurmJob  string    `json:"slurm_job,omitempty"`
	SlurmTask string    `json:"slurm_array_task,omitempty"`
}

// parseFailure reads failed.json leniently, as any failed.json (one written by hand or by
// another tool included) marks a failed run: the fields that parse are kept, and Error is the
// first non-blank "error", "message", "reason" or "err" string of a JSON object, else the
// file's whole text ("" when the file is blank).
func parseFailure(b []byte) *Failure {
	var f Failure
	json.Unmarshal(b, &f) // best effort: a field of the wrong type leaves the others set
	f.Error = string(b)
	var m map[string]any
	if json.Unmarshal(b, &m) == nil {
		for _, k := range []string{"error", "message", "reason", "err"} {
			if s, ok := m[k].(string); ok && s != "" {
				f.Error = s
				break
			}
		}
	}
	return &f
}
