package runfolder

import (
	"fmt"
	"strings"
)

// Files of a run folder. `budgetrain train` writes the first six; `budgetrain sweep` writes
// the others into a sweep folder (RecordFile) and into each of its cell folders, which are
// run folders too.
const (
	ConfigFile     = "config.yaml"     // the resolved configuration, with the keys a config file takes
	MetricsFile    = "metrics.jsonl"   // one EpochMetrics line per epoch
	SummaryFile    = "summary.json"    // Summary: the totals, written at the end (completed false when interrupted)
	CheckpointFile = "checkpoint.json" // resolved config, progress, sampler state and the files of the latest checkpoint
	WeightsFile    = "model.pt"        // the latest weights: gotch VarStore format (torch.jit.load(p).named_parameters())
	ONNXFile       = "model.onnx"      // the final model, exported

	RecordFile  = "sweep.yaml"      // in a sweep folder: the grid and its cells (cells[].name are the cell folders)
	CellFile    = "sweep-cell.yaml" // the configuration a sweep started the cell's train process with
	LogFile     = "train.log"       // the cell's train output, appended on every attempt
	FailedFile  = "failed.json"     // Failure: why the cell's last attempt failed
	RunningFile = "running.json"    // RunnerInfo: who runs the cell now
	// LockFile is declared with the lock (lock.go).
)

// CheckpointPart is the file name of a checkpoint's weights (kind "weights") or its optimizer
// and queue state (kind "state") after epochsDone epochs; checkpoint.json names the pair that
// belongs to it.
func CheckpointPart(epochsDone int, kind string) string {
	return fmt.Sprintf("checkpoint-%04d.%s.pt", epochsDone, kind)
}

// CheckpointPartGlob matches every CheckpointPart name (filepath.Match syntax).
const CheckpointPartGlob = "checkpoint-*.pt"

// PlainName reports whether s can name a run folder inside another folder (a train --name, a
// sweep cell): not empty, not "." or "..", without a path separator or NUL.
func PlainName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\\\x00")
}
