package runfolder

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// EpochMetrics is one line of metrics.jsonl (json.Marshal, then a newline). Counters are
// cumulative; accuracies are fractions; a nil accuracy was not evaluated that epoch. The field
// order is the order of the line's keys: keep it.
type EpochMetrics struct {
	Epoch           int      `json:"epoch"` // 1-based
	Step            int      `json:"step"`
	LR              float64  `json:"lr"`
	TrainLoss       float64  `json:"train_loss"`
	TrainAcc        float64  `json:"train_acc"`
	TestAcc         *float64 `json:"test_acc,omitempty"`       // the configured backend's accuracy
	TestAccTorch    *float64 `json:"test_acc_torch,omitempty"` // libtorch, when it ran
	TestAccONNX     *float64 `json:"test_acc_onnx,omitempty"`  // onnxruntime, when it ran
	EvalSeconds     float64  `json:"eval_seconds"`
	SamplesForward  int64    `json:"samples_forward"`
	SamplesBackward int64    `json:"samples_backward"`
	Seconds         float64  `json:"seconds"` // training wall time so far, evaluation excluded
	DataWait        float64  `json:"data_wait_seconds"`
	Entropy         float64  `json:"visit_entropy"`   // H(c) of per-sample visit counts (max ln N)
	NeverSeen       float64  `json:"never_seen"`      // fraction of samples not visited yet
	MeanImportance  float64  `json:"mean_importance"` // mean of the sampler's importance vector
	Pruned          int64    `json:"pruned"`          // samples the sampler left out of its epochs so far (infobatch)
	RSSMiB          float64  `json:"rss_mib"`         // resident memory after the epoch and its evaluation
}

// ReadMetrics reads dir's metrics.jsonl. A missing file gives no epochs and no error. A last
// line without its newline (a write cut short) is skipped; any other bad line is an error, and
// the lines before it are returned.
func ReadMetrics(dir string) ([]EpochMetrics, error) {
	b, err := os.ReadFile(filepath.Join(dir, MetricsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %v", MetricsFile, err)
	}
	var out []EpochMetrics
	lines := bytes.Split(b, []byte("\n"))
	for i, l := range lines {
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		var e EpochMetrics
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
