package sweep

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"budgetrain/pipeline/runfolder"
)

// fakeCommand stands in for `budgetrain train`: the cell's sampler.method says what it does.
// ok writes a completed summary, fail prints an error and exits 1, hang runs until SIGTERM and
// then saves a checkpoint as train does. Every call is appended to the cell's calls file.
func fakeCommand(c *Cell, dir string, resume bool) *exec.Cmd {
	var script string
	switch c.Settings["sampler.method"] {
	case "ok":
		script = fmt.Sprintf(`echo '{"completed": true, "iterations": %d, "planned_iterations": %d, "final_test_acc": 0.5}' > summary.json`, c.Steps, c.Steps)
	case "fail":
		script = `echo 'epoch 1 ...'; echo 'budgetrain: error: load data: no such file' >&2; exit 1`
	case "hang":
		script = `trap 'echo "{\"epoch\": 1, \"step\": 5}" > checkpoint.json; exit 1' TERM; touch started; while :; do sleep 0.02; done`
	case "stubborn": // ignores SIGTERM, as a train process still saving its checkpoint would for a while
		script = `trap '' TERM; touch started; while :; do sleep 0.02; done`
	}
	cmd := exec.Command("sh", "-c", fmt.Sprintf("echo resume=%v >> calls; %s", resume, script))
	cmd.Dir = dir
	return cmd
}

func fakeCells(t *testing.T, methods ...string) []*Cell {
	t.Helper()
	var inc []string
	for i, m := range methods {
		inc = append(inc, fmt.Sprintf("{sampler.method: %s, seed: %d}", m, i+1))
	}
	return plan(t, "include: ["+strings.Join(inc, ", ")+"]")
}

func calls(t *testing.T, dir string, c *Cell) []string {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(dir, c.Name, "calls"))
	return strings.Fields(string(b))
}

func statuses(rs []Result) string {
	var s []string
	for _, r := range rs {
		s = append(s, fmt.Sprintf("%s/%s", r.Action, r.Status))
	}
	return strings.Join(s, " ")
}

func TestRunnerFailingCellDoesNotStopOthers(t *testing.T) {
	dir := t.TempDir()
	cells := fakeCells(t, "fail", "ok", "ok")
	r := &Runner{Dir: dir, Jobs: 2, Command: fakeCommand}
	rs := r.Run(context.Background(), cells)
	if got, want := statuses(rs), "ran/failed ran/done ran/done"; got != want {
		t.Fatalf("results %s, want %s", got, want)
	}
	if rs[0].Err != "load data: no such file" {
		t.Errorf("failure reason %q, want the child's error line", rs[0].Err)
	}
	if f := runfolder.ReadState(filepath.Join(dir, cells[0].Name)).Failure; f == nil || f.ExitCode != 1 || f.Attempt != 1 || f.Error != "load data: no such file" || f.Log != runfolder.LogFile {
		t.Errorf("failed.json %+v", f)
	}
	if st := runfolder.ReadState(filepath.Join(dir, cells[1].Name)); st.Status != runfolder.Done {
		t.Errorf("ok cell is %s", st.Status)
	}
	log, _ := os.ReadFile(filepath.Join(dir, cells[0].Name, runfolder.LogFile))
	if !strings.Contains(string(log), "attempt 1 (ran)") || !strings.Contains(string(log), "epoch 1 ...") {
		t.Errorf("log:\n%s", log)
	}
}

func TestRunnerRerunIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	cells := fakeCells(t, "fail", "ok")
	r := &Runner{Dir: dir, Jobs: 1, Command: fakeCommand}
	r.Run(context.Background(), cells)
	rs := r.Run(context.Background(), cells)
	if got, want := statuses(rs), "not retried/failed skipped/done"; got != want {
		t.Errorf("rerun: %s, want %s", got, want)
	}
	if n := len(calls(t, dir, cells[1])); n != 1 {
		t.Errorf("finished cell started %d times, want 1", n)
	}
	r.RetryFailed = true
	rs = r.Run(context.Background(), cells)
	if got, want := statuses(rs), "ran/failed skipped/done"; got != want {
		t.Errorf("with RetryFailed: %s, want %s", got, want)
	}
	if f := runfolder.ReadState(filepath.Join(dir, cells[0].Name)).Failure; f == nil || f.Attempt != 2 {
		t.Errorf("failed.json %+v, want attempt 2", f)
	}
}

func TestRunnerResumesInterruptedCell(t *testing.T) {
	dir := t.TempDir()
	cells := fakeCells(t, "ok")
	os.MkdirAll(filepath.Join(dir, cells[0].Name), 0o755)
	os.WriteFile(filepath.Join(dir, cells[0].Name, runfolder.CheckpointFile), []byte(`{"epoch": 2, "step": 7}`), 0o644)
	os.WriteFile(filepath.Join(dir, cells[0].Name, runfolder.SummaryFile), []byte(`{"completed": false, "iterations": 7}`), 0o644)
	if st := runfolder.ReadState(filepath.Join(dir, cells[0].Name)); st.Status != runfolder.Interrupted || st.Step != 7 {
		t.Fatalf("state %+v, want interrupted at step 7", st)
	}
	rs := (&Runner{Dir: dir, Command: fakeCommand}).Run(context.Background(), cells)
	if got := statuses(rs); got != "resumed/done" {
		t.Errorf("results %s, want resumed/done", got)
	}
	if c := calls(t, dir, cells[0]); len(c) != 1 || c[0] != "resume=true" {
		t.Errorf("calls %v, want one resume", c)
	}
	if rs[0].StepsRun != cells[0].Steps-7 {
		t.Errorf("steps run %d, want %d", rs[0].StepsRun, cells[0].Steps-7)
	}
}

func TestRunnerInterruptLeavesCellResumable(t *testing.T) {
	dir := t.TempDir()
	cells := fakeCells(t, "hang", "ok")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan []Result)
	go func() {
		done <- (&Runner{Dir: dir, Jobs: 1, Command: fakeCommand, KillGrace: 5 * time.Second}).Run(ctx, cells)
	}()
	for i := 0; ; i++ {
		if _, err := os.Stat(filepath.Join(dir, cells[0].Name, "started")); err == nil {
			break
		}
		if i > 500 {
			t.Fatal("the hanging cell never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	rs := <-done
	if got, want := statuses(rs), "ran/interrupted not started/pending"; got != want {
		t.Errorf("results %s, want %s", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, cells[0].Name, runfolder.FailedFile)); err == nil {
		t.Error("an interrupted cell was recorded as failed")
	}
}

func TestRunnerSkipsCellRunByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	cells := fakeCells(t, "ok")
	lock, err := runfolder.Acquire(filepath.Join(dir, cells[0].Name))
	if err != nil {
		t.Fatal(err)
	}
	if st := runfolder.ReadState(filepath.Join(dir, cells[0].Name)); st.Status != runfolder.Running {
		t.Errorf("locked cell is %s, want running", st.Status)
	}
	rs := (&Runner{Dir: dir, Command: fakeCommand}).Run(context.Background(), cells)
	if got := statuses(rs); got != "busy/running" {
		t.Errorf("results %s, want busy/running", got)
	}
	lock.Unlock()
	if st := runfolder.ReadState(filepath.Join(dir, cells[0].Name)); st.Status != runfolder.Pending {
		t.Errorf("unlocked cell is %s, want pending", st.Status)
	}
}
