package report

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"
)

// CSVColumns are results.csv's columns after "run", "status" and the varying config keys.
// Accuracies are fractions as in summary.json; img_per_s is images forwarded per second of
// training (evaluation excluded); train_acc is the last epoch's accuracy on its augmented training
// batches (Values.TrainAcc); eval_seconds is the epochs' evaluation time from
// metrics.jsonl. An empty field was not recorded by the run.
var CSVColumns = []string{KeySeed, "final_test_acc", "best_test_acc", "onnx_test_acc", "torch_test_acc",
	"train_acc", "steps", "planned_steps", "epochs_run", "samples_forward", "samples_backward", "train_seconds",
	"eval_seconds", "img_per_s", "visit_entropy", "never_seen", "params", "reason"}

// WriteCSV writes one row per run found: its folder (as found under the directories given),
// its status, every varying config key, then CSVColumns.
func (rep *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := append(append([]string{"run", "status"}, rep.Varying...), CSVColumns...)
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range rep.Runs {
		v := r.Values()
		row := []string{r.Dir, string(r.Status)}
		for _, k := range rep.Varying {
			row = append(row, r.Get(k))
		}
		row = append(row, r.Get(KeySeed), num(v.FinalAcc), num(v.BestAcc), num(v.ONNXAcc), num(v.TorchAcc), num(v.TrainAcc),
			count(int64(v.Steps)), count(int64(v.PlannedSteps)), count(int64(v.EpochsRun)),
			count(v.Forward), count(v.Backward), num(v.TrainSeconds), num(v.EvalSeconds),
			num(v.ImgPerSec), num(v.Entropy), num(v.NeverSeen), count(v.Params), joinNonEmpty(r.Reason, r.Note))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return ""
	}
	return strconv.FormatFloat(f, 'g', 8, 64)
}

func count(n int64) string {
	if n < 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
