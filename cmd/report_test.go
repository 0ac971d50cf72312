package cmd

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"budgetrain/pipeline/report"
)

// TestReportOfRealRuns trains two tiny runs (seeds 1 and 2) into one folder and reports them:
// the trainer's files are read as complete runs of one cell, and --out defaults to DIR/report.
func TestReportOfRealRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two tiny runs")
	}
	dir := t.TempDir()
	for _, seed := range []string{"1", "2"} {
		if _, err := execute(t, tinyTrainArgs(filepath.Join(dir, "unif-s"+seed), "--seed", seed)...); err != nil {
			t.Fatal(err)
		}
	}
	out, err := execute(t, "report", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "2 run folders: 2 complete, 0 incomplete, 0 failed; 1 cells in 1 groups") {
		t.Errorf("report output:\n%s", out)
	}
	rdir := filepath.Join(dir, "report")
	f, err := os.Open(filepath.Join(rdir, report.CSVFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// Only the seed differs between the runs: no config column besides run and status.
	if want := append([]string{"run", "status"}, report.CSVColumns...); !reflect.DeepEqual(rows[0], want) || len(rows) != 3 {
		t.Fatalf("results.csv header %v (%d rows), want %v and 2 rows", rows[0], len(rows)-1, want)
	}
	for _, r := range rows[1:] {
		if r[1] != "ok" || r[3] == "" || r[len(r)-1] != "" {
			t.Errorf("row %v: want ok with a final accuracy and no reason", r)
		}
	}
	md, err := os.ReadFile(filepath.Join(rdir, report.MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "| 0.5 | unif-sgd | 2 |") {
		t.Errorf("report.md lacks the 2-seed unif-sgd cell:\n%s", md)
	}
	if _, err := execute(t, "report", dir, "--out", filepath.Join(dir, "other"), "--metric", "worst"); err == nil || !strings.Contains(err.Error(), `"worst"`) {
		t.Errorf("--metric worst: %v", err)
	}
	if _, err := execute(t, "report", t.TempDir()); err == nil || !strings.Contains(err.Error(), "no run folders") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := execute(t, "report"); err == nil {
		t.Error("no DIR: no error")
	}
}

// TestCommittedReportsReproduce: `budgetrain report docs/results/<sweep>` run from the
// repository root rewrites each committed report.md and results.csv byte for byte.
func TestCommittedReportsReproduce(t *testing.T) {
	root, _ := filepath.Abs("..")
	reports, _ := filepath.Glob(filepath.Join(root, "docs", "results", "*", "report", "report.md"))
	if len(reports) == 0 {
		t.Fatal("no committed report under docs/results")
	}
	t.Chdir(root)
	for _, md := range reports {
		sweepDir, _ := filepath.Rel(root, filepath.Dir(filepath.Dir(md)))
		out := t.TempDir()
		if _, err := execute(t, "report", sweepDir, "--out", out); err != nil {
			t.Fatalf("report %s: %v", sweepDir, err)
		}
		for _, f := range []string{"report.md", "results.csv"} {
			want, _ := os.ReadFile(filepath.Join(filepath.Dir(md), f))
			got, _ := os.ReadFile(filepath.Join(out, f))
			if len(want) == 0 || string(got) != string(want) {
				t.Errorf("%s/report/%s differs from what report writes now (rerun `budgetrain report %s` and commit)", sweepDir, f, sweepDir)
			}
		}
	}
}
