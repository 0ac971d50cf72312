package pipeline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"budgetrain/internal/torchx"
	"budgetrain/pipeline/runfolder"
	"budgetrain/sampler"
)

// EpochMetrics is one line of metrics.jsonl (runfolder owns the format).
type EpochMetrics = runfolder.EpochMetrics

func (t *Trainer) epochMetrics() EpochMetrics {
	s := t.state
	m := EpochMetrics{
		Epoch: s.Epoch + 1, Step: s.Step, LR: s.LR,
		SamplesForward: s.SamplesForward, SamplesBackward: s.SamplesBackward,
		Seconds: s.TrainSeconds, DataWait: t.Loader.Wait().Seconds(),
	}
	if s.EpochSeen > 0 {
		m.TrainLoss = s.EpochLoss / float64(s.EpochSeen)
		m.TrainAcc = s.EpochCorrect / float64(s.EpochSeen)
	}
	if r, ok := t.Sampler.(sampler.Reporter); ok {
		st := r.Report()
		m.Entropy, m.NeverSeen, m.MeanImportance, m.Pruned = st.Entropy, st.NeverSeen, st.MeanImportance, st.Pruned
	}
	return m
}

// HeldRSSMiB returns the resident set size after handing freed memory back to the operating
// system (Go's heap via debug.FreeOSMemory, the C heap of libtorch and onnxruntime via
// malloc_trim), so that it measures memory the process holds, not when the allocators last
// chose to release it. Without this the demo's RSS wandered by ±20 MiB from epoch to epoch.
func HeldRSSMiB() float64 {
	debug.FreeOSMemory()
	torchx.TrimHeap()
	return RSSMiB()
}

// RSSMiB reads the resident set size of this process from /proc (0 where unavailable).
func RSSMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

type metricsWriter struct {
	f *os.File
	w *bufio.Writer
}

func newMetricsWriter(path string, appendTo bool) (*metricsWriter, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create metrics file: %w", err)
	}
	return &metricsWriter{f: f, w: bufio.NewWriter(f)}, nil
}

func (m *metricsWriter) Write(e EpochMetrics) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	m.w.Write(append(b, '\n'))
	if err := m.w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", m.f.Name(), err)
	}
	return nil
}

func (m *metricsWriter) Close() error { return m.f.Close() }

// Size is the length of the file written so far (every line is flushed when written).
func (m *metricsWriter) Size() (int64, error) {
	st, err := m.f.Stat()
	if err != nil {
		return 0, fmt.Errorf("metrics file: %w", err)
	}
	return st.Size(), nil
}

// openMetrics opens metrics.jsonl: a new file, or for a resumed run the existing one cut to the
// checkpoint's length (dropping lines written after it, which the resumed run writes again),
// whose lines are replayed into sum.
func (t *Trainer) openMetrics(sum *Summary) (*metricsWriter, error) {
	path := filepath.Join(t.Cfg.Out, runfolder.MetricsFile)
	if t.resumed == nil {
		return newMetricsWriter(path, false)
	}
	if err := os.Truncate(path, t.resumed.MetricsBytes); err != nil && !(os.IsNotExist(err) && t.resumed.MetricsBytes == 0) {
		return nil, fmt.Errorf("resume: cut %s to the checkpoint's %d bytes: %w", path, t.resumed.MetricsBytes, err)
	}
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("resume: %w", err)
	}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var m EpochMetrics
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			return nil, fmt.Errorf("resume: %s line %d: %w", path, i+1, err)
		}
		observe(sum, m)
	}
	return newMetricsWriter(path, true)
}

// DivergedError stops a run whose loss or weights stopped being finite.
type DivergedError struct {
	Step   int     // optimizer steps done
	Loss   float64 // the training loss that was seen (mean of the epoch so far for weights)
	LR     float64 // learning rate of the last step
	Reason string
	Kept   int // epochs of the checkpoint kept (the last finite one)
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("diverged at step %d (loss %g, lr %g): %s; kept the last finite checkpoint (epoch %d); lower train.lr", e.Step, e.Loss, e.LR, e.Reason, e.Kept)
}

// Summary is summary.json: the totals of a run (runfolder owns the format).
type Summary = runfolder.Summary

// observe adds an epoch's metrics line to the summary so far.
func observe(s *Summary, m EpochMetrics) {
	if m.TestAcc != nil {
		s.FinalTestAcc = *m.TestAcc
		s.BestTestAcc = max(s.BestTestAcc, *m.TestAcc)
	}
	if s.RSSFirstMiB == 0 {
		s.RSSFirstMiB = m.RSSMiB
	}
	s.RSSLastMiB = m.RSSMiB
	s.EpochsRun = m.Epoch
	s.VisitEntropy, s.NeverSeen, s.Pruned = m.Entropy, m.NeverSeen, m.Pruned
}
