package report

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Output file names inside the report folder.
const (
	CSVFile      = "results.csv"
	MarkdownFile = "report.md"
)

// ErrNoRuns is returned by Write when no run folder is found under the directories given.
var ErrNoRuns = errors.New("no run folders found")

// Write finds the runs under dirs and writes results.csv, report.md and the plots into out
// (created when missing). It returns the report and the plots written.
func Write(out string, dirs []string, metric Metric) (*Report, []Plot, error) {
	runs, err := Find(dirs...)
	if err != nil {
		return nil, nil, err
	}
	if len(runs) == 0 {
		return nil, nil, fmt.Errorf("report: %w under %v (a run folder holds config.yaml and summary.json or metrics.jsonl)", ErrNoRuns, dirs)
	}
	rep, err := Build(dirs, runs, metric)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, nil, fmt.Errorf("report: %w", err)
	}
	var csv bytes.Buffer
	if err := rep.WriteCSV(&csv); err != nil {
		return nil, nil, fmt.Errorf("report: %s: %w", CSVFile, err)
	}
	if err := os.WriteFile(filepath.Join(out, CSVFile), csv.Bytes(), 0o644); err != nil {
		return nil, nil, fmt.Errorf("report: %w", err)
	}
	plots, err := rep.WritePlots(out)
	if err != nil {
		return nil, nil, fmt.Errorf("report: %w", err)
	}
	var md bytes.Buffer
	if err := rep.WriteMarkdown(&md, plots); err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(filepath.Join(out, MarkdownFile), md.Bytes(), 0o644); err != nil {
		return nil, nil, fmt.Errorf("report: %w", err)
	}
	return rep, plots, nil
}
