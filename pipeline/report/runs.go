package report

import (
	"bytes"
	"encoding/json"
	"errors"
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

// File names inside a run folder (the same as pipeline's; FailedFile is written by
// `budgetrain sweep` for a cell whose training returned an error).
const (
	ConfigFile     = "config.yaml"
	SummaryFile    = "summary.json"
	MetricsFile    = "metrics.jsonl"
	CheckpointFile = "checkpoint.json"
	// Files of `budgetrain sweep`: the grid's record in the sweep folder (its cells[].name are
	// the cell folders' names), and in a cell folder the configuration the cell was started
	// with, why its last attempt failed, and who runs it.
	SweepFile     = "sweep.yaml"
	SweepCellFile = "sweep-cell.yaml"
	FailedFile    = "failed.json"
	RunningFile   = "running.json"
)

// Status says whether a run can be averaged.
type Status string

const (
	StatusOK         Status = "ok"         // summary.json with completed true
	StatusIncomplete Status = "incomplete" // stopped early, still running, or only a checkpoint
	StatusFailed     Status = "failed"     // failed.json, or a file that cannot be read
	StatusMissing    Status = "missing"    // a cell of sweep.yaml without a folder (not started)
)

// Summary mirrors the fields of pipeline.Summary (summary.json) that a report uses.
// Accuracies are fractions in [0,1].
type Summary struct {
	Dataset         string  `json:"dataset"`
	Model           string  `json:"model"`
	Method          string  `json:"method"`
	Augmentation    string  `json:"augmentation"`
	Budget          float64 `json:"budget"`
	Epochs          int     `json:"epochs"`
	EpochsRun       int     `json:"epochs_run"`
	Seed            uint64  `json:"seed"`
	Iterations      int     `json:"iterations"`
	PlannedSteps    int     `json:"planned_iterations"`
	SamplesForward  int64   `json:"samples_forward"`
	SamplesBackward int64   `json:"samples_backward"`
	TrainSeconds    float64 `json:"train_seconds"`
	Params          int64   `json:"params"`
	FinalTestAcc    float64 `json:"final_test_acc"`
	BestTestAcc     float64 `json:"best_test_acc"`
	TorchTestAcc    float64 `json:"torch_test_acc"`
	ONNXTestAcc     float64 `json:"onnx_test_acc"`
	VisitEntropy    float64 `json:"visit_entropy"`
	NeverSeen       float64 `json:"never_seen"`
	Completed       bool    `json:"completed"`
	// Provenance is the build and machine that finished the run (zero before it was recorded);
	// ResumedFrom the earlier, different ones that trained part of it.
	Provenance  runfolder.Provenance   `json:"provenance"`
	ResumedFrom []runfolder.Provenance `json:"resumed_from"`
}

// Epoch mirrors the fields of pipeline.EpochMetrics (one line of metrics.jsonl) that a report
// uses. Counters are cumulative; a nil accuracy was not evaluated that epoch.
type Epoch struct {
	Epoch           int      `json:"epoch"` // 1-based
	Step            int      `json:"step"`
	TrainAcc        float64  `json:"train_acc"`
	TestAcc         *float64 `json:"test_acc"`
	TestAccTorch    *float64 `json:"test_acc_torch"`
	TestAccONNX     *float64 `json:"test_acc_onnx"`
	EvalSeconds     float64  `json:"eval_seconds"`
	SamplesForward  int64    `json:"samples_forward"`
	SamplesBackward int64    `json:"samples_backward"`
	Seconds         float64  `json:"seconds"`
	Entropy         float64  `json:"visit_entropy"`
	NeverSeen       float64  `json:"never_seen"`
}

// Run is one run folder as found on disk.
type Run struct {
	Dir     string            // the folder, as found under the directory given
	Config  map[string]string // flattened config ("train.lr" → "0.1"); nil when unreadable
	Summary *Summary          // nil without summary.json
	Epochs  []Epoch           // metrics.jsonl, in file order
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
		if _, err := os.Stat(filepath.Join(p, SweepFile)); err == nil {
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
		names, err := sweepCells(filepath.Join(dir, SweepFile))
		if err != nil {
			runs = append(runs, &Run{Dir: dir, Status: StatusFailed, Reason: err.Error()})
			continue
		}
		for _, n := range names {
			if p := filepath.Join(dir, n); !found[filepath.Clean(p)] {
				runs = append(runs, &Run{Dir: p, Status: StatusMissing, Reason: "listed in " + SweepFile + ", no run folder (not started)"})
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
		return nil, fmt.Errorf("read %s: %v", SweepFile, err)
	}
	var rec struct {
		Cells []struct {
			Name string `yaml:"name"`
		} `yaml:"cells"`
	}
	if err := yaml.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("parse %s: %v", SweepFile, err)
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
	for _, f := range []string{ConfigFile, SummaryFile, MetricsFile, CheckpointFile, FailedFile, SweepCellFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// ReadRun reads one run folder and decides its status: ok when summary.json says completed;
// failed when failed.json is there or a file cannot be parsed; incomplete otherwise. The
// config comes from config.yaml, else from checkpoint.json, else from sweep-cell.yaml.
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
	if r.Epochs, err = readMetrics(filepath.Join(dir, MetricsFile)); err != nil {
		r.Note = err.Error()
	}
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	switch {
	case err == nil:
		var s Summary
		if err := json.Unmarshal(b, &s); err != nil {
			return fail("parse %s: %v", SummaryFile, err)
		}
		r.Summary = &s
		if n := len(r.Epochs); s.Completed && n > 0 && r.Epochs[n-1].Epoch != s.EpochsRun {
			return fail("%s ends at epoch %d but %s says %d epochs ran: cut short or damaged", MetricsFile, r.Epochs[n-1].Epoch, SummaryFile, s.EpochsRun)
		}
		if s.Completed { // a later attempt succeeded: an old failed.json does not matter
			r.Status = StatusOK
			return r
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fail("read %s: %v", SummaryFile, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, FailedFile)); err == nil {
		return fail("%s", failedReason(b))
	}
	n := len(r.Epochs)
	switch _, running := os.Stat(filepath.Join(dir, RunningFile)); {
	case r.Summary != nil:
		s := r.Summary
		r.Reason = fmt.Sprintf("completed false: stopped at step %d of %d (epoch %d of %d)", s.Iterations, s.PlannedSteps, s.EpochsRun, s.Epochs)
	case n > 0:
		r.Reason = fmt.Sprintf("no %s; %s ends at epoch %d, step %d", SummaryFile, MetricsFile, r.Epochs[n-1].Epoch, r.Epochs[n-1].Step)
	case running == nil:
		r.Reason = fmt.Sprintf("no %s, no %s; %s: running or killed", SummaryFile, MetricsFile, RunningFile)
	default:
		if _, err := os.Stat(filepath.Join(dir, CheckpointFile)); err == nil {
			r.Reason = fmt.Sprintf("only a checkpoint: no %s, no %s", SummaryFile, MetricsFile)
		} else {
			r.Reason = fmt.Sprintf("not started: no %s, no %s", SummaryFile, MetricsFile)
		}
	}
	return r
}

// failedReason renders failed.json: its "error" (or "message", "reason") string when it is a
// JSON object that has one, else its text, cut to one line.
func failedReason(b []byte) string {
	var m map[string]any
	if json.Unmarshal(b, &m) == nil {
		for _, k := range []string{"error", "message", "reason", "err"} {
			if s, ok := m[k].(string); ok && s != "" {
				return "failed: " + oneLine(s)
			}
		}
	}
	if s := oneLine(string(b)); s != "" {
		return "failed: " + s
	}
	return "failed (" + FailedFile + " is empty)"
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:297] + "..."
	}
	return s
}

// readMetrics reads metrics.jsonl. A missing file gives no epochs and no error. A last line
// without its newline (a write cut short) is skipped; any other bad line is an error, and the
// lines before it are returned.
func readMetrics(path string) ([]Epoch, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %v", MetricsFile, err)
	}
	var out []Epoch
	lines := bytes.Split(b, []byte("\n"))
	for i, l := range lines {
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		var e Epoch
		if err := json.Unmarshal(l, &e); err != nil {
			if i == len(lines)-1 { // no newline after it: a write cut short
				break
			}
			return out, fmt.Errorf("%s line %d: %v", MetricsFile, i+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}
