package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"budgetrain/internal/torchx"
	"budgetrain/pipeline/runfolder"
	"budgetrain/sampler"

	"github.com/sugarme/gotch"
	ts "github.com/sugarme/gotch/ts"

	"go.yaml.in/yaml/v3"
)

// Checkpoint is checkpoint.json: what is needed to continue the run exactly from the end of
// epoch Epoch. The weights and the optimizer/queue state it names are written (atomically) before
// it, under names that carry the epoch, so that a crash at any point leaves a checkpoint.json
// whose files exist and belong to it.
type Checkpoint struct {
	Config       map[string]any `json:"config"`
	Epoch        int            `json:"epoch"` // epochs completed
	Step         int            `json:"step"`
	SamplerState []byte         `json:"sampler_state,omitempty"`
	Weights      string         `json:"weights"`         // model weights of this checkpoint (in the run folder)
	State        string         `json:"state,omitempty"` // momentum buffers and Selective Backprop's queue
	Progress     State          `json:"progress"`
	// MetricsBytes is the length of metrics.jsonl when the checkpoint was saved: every line of
	// the epochs before Epoch, none of Epoch itself. A resumed run cuts the file there.
	MetricsBytes int64 `json:"metrics_bytes"`
	// EventsFile is the run's TensorBoard events file ("" when none is written) and
	// EventsBytes its length when the checkpoint was saved, cut there on resume like metrics.jsonl.
	EventsFile  string `json:"events_file,omitempty"`
	EventsBytes int64  `json:"events_bytes,omitempty"`
	// Pending is the training part of epoch Epoch's metrics line, whose evaluation and writing
	// happen after the save; a resumed run evaluates the saved weights and writes it.
	Pending *EpochMetrics `json:"pending,omitempty"`
	// Provenance lists the builds and machines that trained up to this checkpoint, one entry per
	// change (a run resumed on the machine that started it has one).
	Provenance []Provenance `json:"provenance,omitempty"`
}

// SaveCheckpoint writes the state at the end of epochsDone epochs: weights and state files
// (temporary files renamed into place), then checkpoint.json, then model.pt (the same weights
// under the name users read: a hard link to the checkpoint's weights file where the file
// system has them, else a copy), and removes the files of older checkpoints. pending is the
// epoch's metrics line before evaluation (nil at the start of a run) and metricsBytes the
// length of metrics.jsonl now. Every failure, a full disk included, is returned as an error
// and leaves the previous checkpoint in place.
func (t *Trainer) SaveCheckpoint(epochsDone int, pending *EpochMetrics, metricsBytes int64) error {
	dir := t.Cfg.Out
	weights, err := t.weightBytes()
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	state, err := t.stateBytes()
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	evFile, evBytes, err := t.events.mark()
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	ck := Checkpoint{Config: ConfigMap(t.Cfg), Epoch: epochsDone, Step: t.state.Step, EventsFile: evFile, EventsBytes: evBytes,
		Weights: runfolder.CheckpointPart(epochsDone, "weights"), State: runfolder.CheckpointPart(epochsDone, "state"),
		Progress: t.state, MetricsBytes: metricsBytes, Pending: pending, Provenance: t.provenance()}
	if s, ok := t.Sampler.(sampler.Stateful); ok {
		if ck.SamplerState, err = s.MarshalState(); err != nil {
			return fmt.Errorf("save sampler state: %w", err)
		}
	}
	js, err := json.MarshalIndent(ck, "", " ")
	if err != nil {
		return err
	}
	var created []string // this checkpoint's own files, new in the folder
	for _, f := range []struct {
		name string
		b    []byte
	}{{ck.Weights, weights}, {ck.State, state}, {runfolder.CheckpointFile, js}, {runfolder.WeightsFile, weights}} {
		p := filepath.Join(dir, f.name)
		_, statErr := os.Stat(p)
		if f.name == runfolder.WeightsFile {
			// model.pt is the checkpoint's weights under the name users read: another name
			// of the file just written rather than a second write of it.
			if linked, err := runfolder.LinkAtomic(filepath.Join(dir, ck.Weights), p); err != nil {
				return fmt.Errorf("save checkpoint: %w", err)
			} else if linked {
				continue
			}
		}
		if err := writeRunFile(p, f.b); err != nil {
			if f.name != runfolder.CheckpointFile && f.name != runfolder.WeightsFile {
				// checkpoint.json still names the previous checkpoint: the files written
				// for this one are orphans, which nothing would remove.
				for _, c := range created {
					os.Remove(c)
				}
			}
			return fmt.Errorf("save checkpoint: %w", err)
		}
		if os.IsNotExist(statErr) && (f.name == ck.Weights || f.name == ck.State) {
			created = append(created, p)
		}
	}
	old, _ := filepath.Glob(filepath.Join(dir, runfolder.CheckpointPartGlob))
	for _, p := range old {
		if b := filepath.Base(p); b != ck.Weights && b != ck.State {
			os.Remove(p)
		}
	}
	return nil
}

// writeRunFile writes a checkpoint's files (a variable so that tests can fail one write).
var writeRunFile = runfolder.WriteFileAtomic

// weightBytes serializes every model variable, sorted by name, in the format of gotch's
// VarStore.Save (torch.jit.load(p).named_parameters() and VarStore.Load read it). The same
// weights give the same bytes.
func (t *Trainer) weightBytes() ([]byte, error) {
	vars := t.VS.Variables()
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)
	tt := make([]*ts.Tensor, len(names))
	for i, n := range names {
		v := vars[n] // shares the live tensor: never dropped
		tt[i] = &v
	}
	return torchx.SerializeTensors(names, tt)
}

// State-file tensor names: momentum buffers under "momentum.<parameter>", the Selective
// Backprop queue under "sb_queue.*".
const (
	momentumPrefix = "momentum."
	queueX         = "sb_queue.x"
	queueLabel     = "sb_queue.label"
	queueIndex     = "sb_queue.index"
)

// stateBytes serializes the optimizer's momentum buffers and the queue of selected but not yet
// trained Selective Backprop examples: what the weights and sampler state do not hold.
func (t *Trainer) stateBytes() ([]byte, error) {
	bufs, err := t.Opt.Buffers()
	if err != nil {
		return nil, err
	}
	var names []string
	var tt []*ts.Tensor
	for i, b := range bufs {
		if b != nil {
			defer b.MustDrop()
			names, tt = append(names, momentumPrefix+t.paramNames[i]), append(tt, b)
		}
	}
	if q := t.queue; q != nil && len(q.Index) > 0 {
		n := int64(len(q.Index))
		lab, idx := make([]int64, n), make([]int64, n)
		for i := range q.Index {
			lab[i], idx[i] = int64(q.Label[i]), int64(q.Index[i])
		}
		for _, x := range []struct {
			name string
			t    *ts.Tensor
		}{{queueX, ts.MustOfSlice(q.X)}, {queueLabel, ts.MustOfSlice(lab)}, {queueIndex, ts.MustOfSlice(idx)}} {
			defer x.t.MustDrop()
			names, tt = append(names, x.name), append(tt, x.t)
		}
	}
	if len(names) == 0 { // an archive needs an entry
		z := ts.MustZeros([]int64{0}, gotch.Float, gotch.CPU)
		defer z.MustDrop()
		names, tt = []string{"empty"}, []*ts.Tensor{z}
	}
	return torchx.SerializeTensors(names, tt)
}

// loadState restores what stateBytes saved.
func (t *Trainer) loadState(path string) error {
	named, err := ts.LoadMultiWithDevice(path, t.Device)
	if err != nil {
		return fmt.Errorf("load %s: %w", path, torchx.Error(err))
	}
	byName := map[string]*ts.Tensor{}
	for _, n := range named {
		byName[n.Name] = n.Tensor
		defer n.Tensor.MustDrop()
	}
	for i, p := range t.paramNames {
		if b, ok := byName[momentumPrefix+p]; ok {
			if err := t.Opt.SetBuffer(i, b); err != nil {
				return fmt.Errorf("load %s: momentum of %s: %w", path, p, err)
			}
		}
	}
	if x, ok := byName[queueX]; ok {
		q := t.sbQueue()
		lab, idx := byName[queueLabel], byName[queueIndex]
		if lab == nil || idx == nil {
			return fmt.Errorf("load %s: incomplete Selective Backprop queue", path)
		}
		n := int(idx.Numel())
		q.X = make([]float32, x.Numel())
		x.MustCopyData(q.X, x.Numel())
		l64, i64 := make([]int64, n), make([]int64, n)
		lab.MustCopyData(l64, uint(n))
		idx.MustCopyData(i64, uint(n))
		q.Label, q.Index = make([]int, n), make([]int, n)
		for i := range i64 {
			q.Label[i], q.Index[i] = int(l64[i]), int(i64[i])
		}
	}
	return nil
}

// ReadCheckpoint reads the checkpoint record of a run folder.
func ReadCheckpoint(dir string) (Checkpoint, error) {
	var ck Checkpoint
	p := filepath.Join(dir, runfolder.CheckpointFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return ck, fmt.Errorf("read checkpoint: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // the config's numbers stay exact (a seed above 2^53 would not survive float64)
	if err := dec.Decode(&ck); err != nil {
		return ck, fmt.Errorf("read checkpoint %q: %w", p, err)
	}
	return ck, nil
}

// writeConfig saves the resolved config as YAML, with the same keys the config file takes.
func writeConfig(path string, c Config) error {
	b, err := ConfigYAML(c)
	if err != nil {
		return err
	}
	return runfolder.WriteFileAtomic(path, b)
}

// ConfigYAML renders the resolved config with its mapstructure keys.
func ConfigYAML(c Config) ([]byte, error) {
	return yaml.Marshal(ConfigMap(c))
}

// ConfigMap turns a config struct into nested maps keyed by the mapstructure tags, the keys a
// config file uses. Fields tagged "-" are internal and left out.
func ConfigMap(c Config) map[string]any {
	return toMap(reflect.ValueOf(c)).(map[string]any)
}

// FlatConfig is ConfigMap with dotted keys ("train.lr"), the keys of --set, the environment
// and the configuration reference in docs/config.md.
func FlatConfig(c Config) map[string]any { return runfolder.Flatten(ConfigMap(c), nil) }

func toMap(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Struct:
		m := map[string]any{}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
			if tag == "-" || !f.IsExported() {
				continue
			}
			if tag == "" {
				tag = strings.ToLower(f.Name)
			}
			m[tag] = toMap(v.Field(i))
		}
		return m
	case reflect.Slice:
		if v.IsNil() {
			return []any{}
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = toMap(v.Index(i))
		}
		return out
	default:
		return v.Interface()
	}
}

// finalEval exports the finished model, writes model.onnx and evaluates it with onnxruntime and
// with libtorch: the summary's two accuracies. When m is not nil (the last epoch's evaluation),
// both accuracies go into it too, so the last epoch is not evaluated twice.
func (t *Trainer) finalEval(m *EpochMetrics) error {
	t0 := time.Now()
	c := t.Cfg
	b, err := t.ExportBytes()
	if err != nil {
		return err
	}
	onnxPath := filepath.Join(c.Out, runfolder.ONNXFile)
	if err := runfolder.WriteFileAtomic(onnxPath, b); err != nil {
		return fmt.Errorf("write %s: %w", onnxPath, err)
	}
	res, err := EvalONNXBytes(b, t.Test, c.Train.EvalBatchSize, t.threads)
	if err != nil {
		return fmt.Errorf("evaluate %s with onnxruntime: %w", onnxPath, err)
	}
	o, th := res.Accuracy, t.EvalTorch(t.Test)
	t.final = &finalAcc{onnx: o, torch: th}
	if m != nil {
		m.TestAccONNX, m.TestAccTorch, m.TestAcc = &o, &th, &o
		if c.Train.EvalBackendOn(t.Device) == "torch" {
			m.TestAcc = &th
		}
		m.EvalSeconds = time.Since(t0).Seconds()
	}
	return nil
}

// finalAcc holds the accuracies of the exported final model.
type finalAcc struct{ onnx, torch float64 }

// finish writes summary.json, evaluating the final model first unless the last epoch did. An
// interrupted run's summary records the progress so far (completed false) without evaluating:
// the run folder's model.pt is the last checkpoint's, and --resume continues from there.
func (t *Trainer) finish(sum *Summary, interrupted bool) error {
	c := t.Cfg
	if t.final == nil && !interrupted {
		if err := t.finalEval(nil); err != nil {
			return err
		}
	}
	s := t.state
	sum.Dataset, sum.Model, sum.Method, sum.Augmentation = c.Dataset.Name, c.Model.Name, c.Sampler.Method, c.Augment.Policy
	sum.Budget, sum.Epochs, sum.Seed = c.Train.Budget, c.Train.Epochs, c.Seed
	sum.Iterations, sum.PlannedSteps = s.Step, t.TotalSteps
	sum.SamplesForward, sum.SamplesBackward = s.SamplesForward, s.SamplesBackward
	sum.TrainSeconds, sum.DataWaitSeconds = s.TrainSeconds, t.Loader.Wait().Seconds()
	sum.Params = t.ParamCount()
	if t.final != nil {
		sum.ONNXTestAcc, sum.TorchTestAcc = t.final.onnx, t.final.torch
	}
	sum.Weights, sum.ONNX = runfolder.WeightsFile, runfolder.ONNXFile
	sum.Completed = s.Step >= t.TotalSteps && !interrupted
	prov := t.provenance()
	sum.Provenance, sum.ResumedFrom = prov[len(prov)-1], prov[:len(prov)-1]
	return runfolder.WriteJSON(filepath.Join(c.Out, runfolder.SummaryFile), sum)
}

// ConfigFromMap builds the config saved by ConfigMap (checkpoint.json) with Resolve: a key the
// map lacks (a checkpoint older than the key) keeps its default; a key it has keeps its value,
// zero included. Unknown keys are an error.
func ConfigFromMap(m map[string]any) (Config, error) {
	return Resolve(m, func(string) string { return "the saved config" })
}

// Resume loads the checkpoint of run folder dir into t (built from the checkpoint's config):
// weights, momentum buffers, sampler statistics and random state, the Selective Backprop queue
// and progress. Training continues with the epoch after the checkpoint (an interrupted epoch is
// redone from its start), so that the resumed run equals the uninterrupted one.
func (t *Trainer) Resume(dir string) error {
	ck, err := ReadCheckpoint(dir)
	if err != nil {
		return err
	}
	wp := filepath.Join(dir, ck.Weights)
	if err := torchx.LoadWeights(t.VS, wp); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if ck.State != "" {
		if err := t.loadState(filepath.Join(dir, ck.State)); err != nil {
			return fmt.Errorf("resume: %w", err)
		}
	}
	if len(ck.SamplerState) > 0 {
		s, ok := t.Sampler.(sampler.Stateful)
		if !ok {
			return fmt.Errorf("resume: sampler %s cannot restore its state", t.Cfg.Sampler.Method)
		}
		if err := s.UnmarshalState(ck.SamplerState); err != nil {
			return fmt.Errorf("resume: sampler state: %w", err)
		}
	}
	t.state = ck.Progress
	t.state.Epoch, t.state.Step = ck.Epoch, ck.Step
	t.resumed = &ck
	return nil
}
