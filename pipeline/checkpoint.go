package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"budgetrain/onnx"
	"budgetrain/sampler"

	"github.com/go-viper/mapstructure/v2"
	"go.yaml.in/yaml/v3"
)

// File names inside a run folder.
const (
	WeightsFile    = "model.pt"        // gotch VarStore (TorchScript archive; torch.jit.load(p).named_parameters())
	CheckpointFile = "checkpoint.json" // resolved config, progress and sampler state of the weights beside it
	ONNXFile       = "model.onnx"
	SummaryFile    = "summary.json"
	ConfigFile     = "config.yaml"
)

// Checkpoint is what is stored with the weights: enough to know how they were made and to
// continue the sampler's selections.
type Checkpoint struct {
	Config       map[string]any `json:"config"`
	Epoch        int            `json:"epoch"` // epochs completed
	Step         int            `json:"step"`
	SamplerState []byte         `json:"sampler_state,omitempty"`
	Weights      string         `json:"weights"`
	Progress     State          `json:"progress"`
}

// SaveCheckpoint writes the weights and the checkpoint record, each to a temporary file renamed
// into place, so an interrupted save never leaves a file that looks complete.
// epochsDone is the number of completed epochs; a resumed run starts with the next one.
func (t *Trainer) SaveCheckpoint(epochsDone int) error {
	dir := t.Cfg.Out
	tmp := filepath.Join(dir, WeightsFile+".tmp")
	if err := t.VS.Save(tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save checkpoint %q: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, WeightsFile)); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	ck := Checkpoint{Config: ConfigMap(t.Cfg), Epoch: epochsDone, Step: t.state.Step, Weights: WeightsFile, Progress: t.state}
	if s, ok := t.Sampler.(sampler.Stateful); ok {
		st, err := s.MarshalState()
		if err != nil {
			return fmt.Errorf("save sampler state: %w", err)
		}
		ck.SamplerState = st
	}
	b, err := json.MarshalIndent(ck, "", " ")
	if err != nil {
		return err
	}
	return onnx.WriteFileAtomic(filepath.Join(dir, CheckpointFile), b)
}

// ReadCheckpoint reads the checkpoint record of a run folder.
func ReadCheckpoint(dir string) (Checkpoint, error) {
	var ck Checkpoint
	p := filepath.Join(dir, CheckpointFile)
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
	return onnx.WriteFileAtomic(path, b)
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
// and the README's configuration reference.
func FlatConfig(c Config) map[string]any {
	out := map[string]any{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if prefix != "" {
				k = prefix + "." + k
			}
			if sub, ok := v.(map[string]any); ok {
				walk(k, sub)
			} else {
				out[k] = v
			}
		}
	}
	walk("", ConfigMap(c))
	return out
}

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
	onnxPath := filepath.Join(c.Out, ONNXFile)
	if err := onnx.WriteFileAtomic(onnxPath, b); err != nil {
		return fmt.Errorf("write %s: %w", onnxPath, err)
	}
	res, err := EvalONNXBytes(b, t.Test, c.Train.EvalBatchSize, c.Threads)
	if err != nil {
		return fmt.Errorf("evaluate %s with onnxruntime: %w", onnxPath, err)
	}
	o, th := res.Accuracy, t.EvalTorch(t.Test)
	t.final = &finalAcc{onnx: o, torch: th}
	if m != nil {
		m.TestAccONNX, m.TestAccTorch, m.TestAcc = &o, &th, &o
		if c.Train.EvalBackend == "torch" {
			m.TestAcc = &th
		}
		m.EvalSeconds = time.Since(t0).Seconds()
	}
	return nil
}

// finalAcc holds the accuracies of the exported final model.
type finalAcc struct{ onnx, torch float64 }

// finish writes summary.json, evaluating the final model first unless the last epoch did.
func (t *Trainer) finish(sum *Summary) error {
	c := t.Cfg
	if t.final == nil {
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
	sum.ONNXTestAcc, sum.TorchTestAcc = t.final.onnx, t.final.torch
	sum.Weights, sum.ONNX = WeightsFile, ONNXFile
	sum.Completed = s.Step >= t.TotalSteps
	js, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	return onnx.WriteFileAtomic(filepath.Join(c.Out, SummaryFile), append(js, '\n'))
}

// ConfigFromMap decodes a config saved by ConfigMap (checkpoint.json) onto DefaultConfig and
// validates it. A key the map lacks (a checkpoint older than the key) keeps its default; a key
// it has keeps its value, zero included. Unknown keys are an error.
func ConfigFromMap(m map[string]any) (Config, error) {
	c := DefaultConfig()
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{Result: &c, DecodeHook: DecodeHook(), ErrorUnused: true})
	if err != nil {
		return c, err
	}
	if err := dec.Decode(m); err != nil {
		return c, fmt.Errorf("decode config: %w", err)
	}
	return c, c.Validate()
}

// Resume loads the checkpoint of run folder dir into t (built from the checkpoint's config):
// weights, sampler statistics and random state, and progress, so that training continues with
// the selections the uninterrupted run would have made. Deviation: gotch exposes no optimizer
// state, so SGD momentum buffers restart from zero, and a Selective Backprop queue of selected
// but not yet trained examples is dropped.
func (t *Trainer) Resume(dir string) error {
	ck, err := ReadCheckpoint(dir)
	if err != nil {
		return err
	}
	if err := t.VS.Load(filepath.Join(dir, ck.Weights)); err != nil {
		return fmt.Errorf("resume: load weights: %w", err)
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
	t.resumed = true
	return nil
}
