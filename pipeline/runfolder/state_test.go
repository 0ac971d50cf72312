package runfolder

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadStateClassifies: one table for the rule sweep and report share. Files are written
// as the pipeline and the sweep write them.
func TestReadStateClassifies(t *testing.T) {
	const (
		completed   = `{"completed": true, "iterations": 9, "planned_iterations": 9}`
		stopped     = `{"completed": false, "iterations": 4, "planned_iterations": 9}`
		failed      = `{"error": "diverged", "attempt": 2}`
		checkpoint  = `{"epoch": 2, "step": 4}`
		notJSONFail = "segfault in native code\n"
	)
	tests := []struct {
		name  string
		files map[string]string
		lock  bool
		want  Status
	}{
		{"empty folder", nil, false, Pending},
		{"only a config", map[string]string{ConfigFile: "seed: 1\n"}, false, Pending},
		{"checkpoint", map[string]string{CheckpointFile: checkpoint}, false, Interrupted},
		{"unreadable checkpoint", map[string]string{CheckpointFile: "{"}, false, Pending},
		{"stopped summary and checkpoint", map[string]string{SummaryFile: stopped, CheckpointFile: checkpoint}, false, Interrupted},
		{"completed", map[string]string{SummaryFile: completed}, false, Done},
		{"a later success beats an old failed.json", map[string]string{SummaryFile: completed, FailedFile: failed}, false, Done},
		{"failed", map[string]string{FailedFile: failed, CheckpointFile: checkpoint}, false, Failed},
		{"failed.json that is not JSON", map[string]string{FailedFile: notJSONFail}, false, Failed},
		{"stopped summary and failed.json", map[string]string{SummaryFile: stopped, FailedFile: failed}, false, Failed},
		{"unparsable summary", map[string]string{SummaryFile: "{", CheckpointFile: checkpoint}, false, Interrupted},
		{"held lock", map[string]string{CheckpointFile: checkpoint}, true, Running},
		{"held lock beats a completed summary", map[string]string{SummaryFile: completed}, true, Running},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, s := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tt.lock {
				l, err := Acquire(dir)
				if err != nil {
					t.Fatal(err)
				}
				defer l.Unlock()
				if got := ReadHeldState(dir).Status; got == Running {
					t.Errorf("ReadHeldState = running: the holder's own lock must not count")
				}
			}
			if got := ReadState(dir).Status; got != tt.want {
				t.Errorf("ReadState = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestReadStateRecords(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(SummaryFile, `{"completed": false, "iterations": 4, "planned_iterations": 9}`)
	write(CheckpointFile, `{"config": {}, "epoch": 2, "step": 4}`)
	write(FailedFile, `{"error": "diverged at step 4", "exit_code": 1, "attempt": 2}`)
	write(RunningFile, `{"pid": 7, "host": "h"}`)
	st := ReadState(dir)
	if st.Summary == nil || st.Summary.Iterations != 4 || st.Summary.PlannedSteps != 9 || st.SummaryErr != nil {
		t.Errorf("summary %+v, error %v", st.Summary, st.SummaryErr)
	}
	if !st.Checkpoint || st.Epoch != 2 || st.Step != 4 {
		t.Errorf("checkpoint %v epoch %d step %d, want true 2 4", st.Checkpoint, st.Epoch, st.Step)
	}
	if f := st.Failure; f == nil || f.Error != "diverged at step 4" || f.Attempt != 2 || f.ExitCode != 1 {
		t.Errorf("failure %+v", f)
	}
	if st.Runner == nil || st.Runner.PID != 7 {
		t.Errorf("runner %+v", st.Runner)
	}

	write(SummaryFile, "{")
	write(CheckpointFile, "not json")
	if st := ReadState(dir); st.Summary != nil || st.SummaryErr == nil || st.CheckpointErr == nil || st.Checkpoint {
		t.Errorf("damaged files: summary %v (%v), checkpoint %v (%v); want nil with errors", st.Summary, st.SummaryErr, st.Checkpoint, st.CheckpointErr)
	}
}

// TestParseFailureMessage: any failed.json gives a message, the sweep's own first.
func TestParseFailureMessage(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"error": "boom", "message": "other"}`, "boom"},
		{`{"message": "out of memory"}`, "out of memory"},
		{`{"error": "", "reason": "killed"}`, "killed"},
		{`{"error": 3}`, `{"error": 3}`},
		{"plain text\n", "plain text\n"},
		{"", ""},
	} {
		if got := parseFailure([]byte(tt.in)).Error; got != tt.want {
			t.Errorf("parseFailure(%q).Error = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReadMetricsSkipsCutLastLine(t *testing.T) {
	dir := t.TempDir()
	if got, err := ReadMetrics(dir); got != nil || err != nil {
		t.Errorf("missing file: %v, %v; want nothing", got, err)
	}
	os.WriteFile(filepath.Join(dir, MetricsFile), []byte("{\"epoch\":1,\"step\":3}\n{\"epoch\":2,\"st"), 0o644)
	got, err := ReadMetrics(dir)
	if err != nil || len(got) != 1 || got[0].Step != 3 {
		t.Errorf("cut last line: %+v, %v; want the first line alone", got, err)
	}
	os.WriteFile(filepath.Join(dir, MetricsFile), []byte("{\"epoch\":1,\"step\":3}\nbad\n{\"epoch\":3}\n"), 0o644)
	if got, err := ReadMetrics(dir); err == nil || len(got) != 1 || err.Error()[:len(MetricsFile+" line 2")] != MetricsFile+" line 2" {
		t.Errorf("bad middle line: %+v, %v; want one epoch and an error naming line 2", got, err)
	}
}
