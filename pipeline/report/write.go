package report

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	if rep.Stale, err = removeStale(out, plots); err != nil {
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

// removeStale deletes the PNGs in out that are named like this report's plots (a plot kind, then
// "_") but were not written now: left by an earlier report of other runs, they would otherwise
// sit beside the new ones as if current. Other files are left alone. It returns their names.
func removeStale(out string, plots []Plot) ([]string, error) {
	written := map[string]bool{}
	for _, p := range plots {
		written[p.File] = true
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return nil, err
	}
	var stale []string
	for _, e := range entries {
		name := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(name, ".png") && !written[name] &&
			slices.ContainsFunc(plotKinds, func(k string) bool { return strings.HasPrefix(name, k+"_") }) {
			if err := os.Remove(filepath.Join(out, name)); err != nil {
				return stale, err
			}
			stale = append(stale, name)
		}
	}
	return stale, nil
}
