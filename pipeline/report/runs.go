package report

import (
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"budgetrain/pipeline/runfolder"
)

// Status says whether a run can be averaged: a view of runfolder.State (Done is ok, Failed is
// failed, Running, Interrupted and Pending are incomplete) with report's own checks on top (a
// file that cannot be parsed, or a metrics.jsonl shorter than summary.json says, is failed).
type Status string

const (
	StatusOK         Status = "ok"         // summary.json with completed true
	StatusIncomplete Status = "incomplete" // stopped early, still running, or only a checkpoint
	StatusFailed     Status = "failed"     // failed.json, or a file that cannot be read
	StatusMissing    Status = "missing"    // a cell of sweep.yaml without a folder (not started)
)

// Run is one run folder as found on disk.
type Run struct {
	Dir     string                   // the folder, as found under the directory given
	Config  map[string]string        // flattened config ("train.lr" → "0.1"); nil when unreadable
	Summary *runfolder.Summary       // nil without summary.json
	Epochs  []runfolder.EpochMetrics // metrics.jsonl, in file order
	Status  Status
	Reason  string // why the run is not StatusOK
	Note    string // a problem that does not stop the run from being used (a bad metrics line)
}

// Get returns the config value of key ("" when the key is absent).
func (r *Run) Get(key string) string { return r.Config[key] }

// Provenance is the build and machine that finished the run (zero when not recorded).
func (r *Run) Provenance() runfolder.Provenance {
	if r.Summary == nil {
		return runfolder.Provenance{}
	}
	return r.Summary.Provenance
}

// Seed is the run's seed (config key seed).
func (r *Run) Seed() uint64 {
	s, _ := strconv.ParseUint(r.Get("seed"), 10, 64)
	return s
}

// Values are the numbers of one run that results.csv reports. Accuracies are fractions;
// a value that the run's files do not record is NaN (or -1 for the counters).
type Values struct {
	FinalAcc, BestAcc, ONNXAcc, TorchAcc float64
	// TrainAcc is the last epoch's training accuracy from metrics.jsonl: the share of that
	// epoch's training images, as augmented (a mixed image counts against its first label),
	// that the model classified right while it trained on them.
	TrainAcc                       float64
	Steps, PlannedSteps, EpochsRun int
	Forward, Backward              int64
	TrainSeconds                   float64 // training wall time, evaluation excluded
	EvalSeconds                    float64 // the epochs' evaluation time, summed from metrics.jsonl
	ImgPerSec                      float64 // images forwarded per training second
	Entropy, NeverSeen             float64
	Params                         int64
}

// Values takes the totals from summary.json, or, without one, from the last line of
// metrics.jsonl (the best accuracy then is the maximum over its lines).
func (r *Run) Values() Values {
	nan := math.NaN()
	v := Values{FinalAcc: nan, BestAcc: nan, TrainAcc: nan, ONNXAcc: nan, TorchAcc: nan, Steps: -1, PlannedSteps: -1,
		EpochsRun: -1, Forward: -1, Backward: -1, TrainSeconds: nan, EvalSeconds: nan, ImgPerSec: nan,
		Entropy: nan, NeverSeen: nan, Params: -1}
	if len(r.Epochs) > 0 {
		v.TrainAcc = r.Epochs[len(r.Epochs)-1].TrainAcc
		v.EvalSeconds = 0
		for _, e := range r.Epochs {
			v.EvalSeconds += e.EvalSeconds
		}
	}
	if s := r.Summary; s != nil {
		v.FinalAcc, v.BestAcc, v.ONNXAcc, v.TorchAcc = s.FinalTestAcc, s.BestTestAcc, s.ONNXTestAcc, s.TorchTestAcc
		v.Steps, v.PlannedSteps, v.EpochsRun = s.Iterations, s.PlannedSteps, s.EpochsRun
		v.Forward, v.Backward, v.TrainSeconds = s.SamplesForward, s.SamplesBackward, s.TrainSeconds
		v.Entropy, v.NeverSeen, v.Params = s.VisitEntropy, s.NeverSeen, s.Params
		if !s.Completed && s.ONNXTestAcc == 0 && s.TorchTestAcc == 0 {
			// An interrupted run's summary has no final evaluation: zeros, not accuracies.
			v.ONNXAcc, v.TorchAcc = nan, nan
		}
	} else if n := len(r.Epochs); n > 0 {
		last := r.Epochs[n-1]
		v.Steps, v.EpochsRun = last.Step, last.Epoch
		v.Forward, v.Backward, v.TrainSeconds = last.SamplesForward, last.SamplesBackward, last.Seconds
		v.Entropy, v.NeverSeen = last.Entropy, last.NeverSeen
		for _, e := range r.Epochs {
			if e.TestAcc != nil {
				v.FinalAcc = *e.TestAcc
				if math.IsNaN(v.BestAcc) || *e.TestAcc > v.BestAcc {
					v.BestAcc = *e.TestAcc
				}
			}
			if e.TestAccONNX != nil {
				v.ONNXAcc = *e.TestAccONNX
			}
			if e.TestAccTorch != nil {
				v.TorchAcc = *e.TestAccTorch
			}
		}
	}
	if v.TrainSeconds > 0 && v.Forward >= 0 {
		v.ImgPerSec = float64(v.Forward) / v.TrainSeconds
	}
	return v
}

// Find returns the run folders under each of dirs (searched recursively, following symbolic
// links to folders; a run folder's own subfolders are not searched), sorted by path, each once
// however many of dirs (or links) reach it. A folder is a run folder when it holds any of
// config.yaml, summary.json, metrics.jsonl, checkpoint.json, failed.json or sweep-cell.yaml.
// Folders whose files cannot be read are returned with StatusFailed and the reason; each
// cell that a sweep.yaml lists but that has no folder is returned with StatusMissing. Only an
// unreadable directory tree is an error.
func Find(dirs ...string) ([]*Run, error) {
	var runs []*Run
	var sweeps []string
	visited := map[string]bool{} // real paths of the folders searched
	var walk func(p string, root bool) error
	walk = func(p string, root bool) error {
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return err
		}
		if real, err = filepath.Abs(real); err != nil {
			return err
		}
		if visited[real] {
			return nil // given twice, or a link to a folder already searched (or a cycle)
		}
		visited[real] = true
		if !root && strings.HasPrefix(filepath.Base(p), ".") {
			return nil
		}
		if _, err := os.Stat(filepath.Join(p, runfolder.RecordFile)); err == nil {
			sweeps = append(sweeps, p)
		}
		if isRunFolder(p) {
			runs = append(runs, ReadRun(p))
			return nil
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return err
		}
		for _, e := range entries {
			sub := filepath.Join(p, e.Name())
			if e.Type()&fs.ModeSymlink != 0 {
				if st, err := os.Stat(sub); err != nil || !st.IsDir() {
					continue // a link to a file, or a dangling link
				}
			} else if !e.IsDir() {
				continue
			}
			if err := walk(sub, false); err != nil {
				return err
			}
		}
		return nil
	}
	for _, root := range dirs {
		st, err := os.Stat(root)
		if err != nil {
			return nil, fmt.Errorf("find runs: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("find runs: %q is not a directory", root)
		}
		if err := walk(root, true); err != nil {
			return nil, fmt.Errorf("find runs under %q: %w", root, err)
		}
	}
	found := map[string]bool{}
	for _, r := range runs {
		found[filepath.Clean(r.Dir)] = true
	}
	for _, dir := range sweeps {
		names, err := sweepCells(filepath.Join(dir, runfolder.RecordFile))
		if err != nil {
			runs = append(runs, &Run{Dir: dir, Status: StatusFailed, Reason: err.Error()})
			continue
		}
		for _, n := range names {
			if p := filepath.Join(dir, n); !found[filepath.Clean(p)] {
				runs = append(runs, &Run{Dir: p, Status: StatusMissing, Reason: "listed in " + runfolder.RecordFile + ", no run folder (not started)"})
			}
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Dir < runs[j].Dir })
	return runs, nil
}

// sweepCells returns the cell folder names that a sweep.yaml records (cells[].name).
func sweepCells(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %v", runfolder.RecordFile, err)
	}
	var rec struct {
		Cells []struct {
			Name string `yaml:"name"`
		} `yaml:"cells"`
	}
	if err := yaml.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("parse %s: %v", runfolder.RecordFile, err)
	}
	var names []string
	for _, c := range rec.Cells {
		if c.Name != "" && filepath.IsLocal(c.Name) {
			names = append(names, c.Name)
		}
	}
	return names, nil
}

func isRunFolder(dir string) bool {
	for _, f := range []string{runfolder.ConfigFile, runfolder.SummaryFile, runfolder.MetricsFile, runfolder.CheckpointFile, runfolder.FailedFile, runfolder.CellFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// ReadRun reads one run folder and decides its status from runfolder.ReadState: ok when done
// (summary.json says completed); failed when failed (failed.json) or when a file cannot be
// parsed; incomplete otherwise. The config comes from config.yaml, else from
// checkpoint.json, else from sweep-cell.yaml.
func ReadRun(dir string) *Run {
	r := &Run{Dir: dir, Status: StatusIncomplete}
	fail := func(format string, a ...any) *Run {
		r.Status, r.Reason = StatusFailed, fmt.Sprintf(format, a...)
		return r
	}
	cfg, err := readConfig(dir)
	if err != nil {
		return fail("%v", err)
	}
	r.Config = cfg
	if r.Epochs, err = runfolder.ReadMetrics(dir); err != nil {
		r.Note = err.Error()
	}
	st := runfolder.ReadState(dir)
	if st.SummaryErr != nil {
		return fail("%v", st.SummaryErr)
	}
	r.Summary = st.Summary
	n := len(r.Epochs)
	if s := r.Summary; s != nil && s.Completed && n > 0 && r.Epochs[n-1].Epoch != s.EpochsRun {
		return fail("%s ends at epoch %d but %s says %d epochs ran: cut short or damaged", runfolder.MetricsFile, r.Epochs[n-1].Epoch, runfolder.SummaryFile, s.EpochsRun)
	}
	switch st.Status {
	case runfolder.Done:
		r.Status = StatusOK
		return r
	case runfolder.Failed:
		return fail("%s", failedReason(st.Failure))
	}
	// Incomplete. The reason says what the files show, not whether the lock is held, so that a
	// report made while a sweep runs reads the same when made again from the files later.
	switch {
	case st.Summary != nil && st.Summary.Completed, st.Failure != nil: // Running
		r.Reason = fmt.Sprintf("running: a process holds %s", runfolder.LockFile)
	case r.Summary != nil:
		s := r.Summary
		r.Reason = fmt.Sprintf("completed false: stopped at step %d of %d (epoch %d of %d)", s.Iterations, s.PlannedSteps, s.EpochsRun, s.Epochs)
	case n > 0:
		r.Reason = fmt.Sprintf("no %s; %s ends at epoch %d, step %d", runfolder.SummaryFile, runfolder.MetricsFile, r.Epochs[n-1].Epoch, r.Epochs[n-1].Step)
	case st.Runner != nil:
		r.Reason = fmt.Sprintf("no %s, no %s; %s: running or killed", runfolder.SummaryFile, runfolder.MetricsFile, runfolder.RunningFile)
	case st.Checkpoint || st.CheckpointErr != nil:
		r.Reason = fmt.Sprintf("only a checkpoint: no %s, no %s", runfolder.SummaryFile, runfolder.MetricsFile)
	default:
		r.Reason = fmt.Sprintf("not started: no %s, no %s", runfolder.SummaryFile, runfolder.MetricsFile)
	}
	return r
}

// failedReason renders failed.json's message (runfolder.Failure reads it leniently), cut to
// one line.
func failedReason(f *runfolder.Failure) string {
	if s := oneLine(f.Error); s != "" {
		return "failed: " + s
	}
	return "failed (" + runfolder.FailedFile + " is empty)"
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:297] + "..."
	}
	return s
}
