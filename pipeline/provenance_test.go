package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"budgetrain/pipeline/runfolder"
)

func TestCPUModelNamesTheFirstProcessor(t *testing.T) {
	const two = `processor	: 0
vendor_id	: GenuineIntel
cpu family	: 6
model		: 167
model name	: Intel(R) Xeon(R) Processor
stepping	: 1
flags		: fpu sse avx avx2 avx512f avx512bw

processor	: 1
vendor_id	: AuthenticAMD
model name	: AMD EPYC 7B13
flags		: avx avx2
`
	for _, c := range []struct{ in, want string }{
		{two, "Intel(R) Xeon(R) Processor (GenuineIntel, family 6, model 167, stepping 1, avx512f)"},
		{"vendor_id : AuthenticAMD\nmodel name : AMD EPYC 7B13\nflags : sse avx avx2 fma\n", "AMD EPYC 7B13 (AuthenticAMD, avx2)"},
		{"model name : Some CPU\n", "Some CPU"},
		{"processor : 0\nBogoMIPS : 50.00\nFeatures : fp asimd\n", ""}, // arm64 lists no model name
		{"", ""},
	} {
		if got := cpuModel(c.in); got != c.want {
			t.Errorf("cpuModel(%.30q…) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestSummaryRecordsProvenance: summary.json says which libtorch, device, threads and CPU made
// the run; a run resumed from a checkpoint written elsewhere lists that machine in
// resumed_from, and one resumed where it started does not.
func TestSummaryRecordsProvenance(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	c := tinyConfig(t)
	c.Threads = 1
	s := train(t, c)
	p := s.Provenance
	if !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(p.Libtorch) || p.Device != "cpu" || p.Threads != 1 || p.CPU == "" || p.GoVersion == "" {
		t.Errorf("provenance %+v: want a libtorch version, device cpu, 1 thread, a CPU and a Go version", p)
	}
	if len(s.ResumedFrom) != 0 {
		t.Errorf("an uninterrupted run has resumed_from %+v", s.ResumedFrom)
	}
	b, err := os.ReadFile(filepath.Join(c.Out, runfolder.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var disk struct {
		Provenance map[string]any `json:"provenance"`
	}
	if err := json.Unmarshal(b, &disk); err != nil || disk.Provenance["libtorch"] != p.Libtorch || disk.Provenance["cpu"] != p.CPU {
		t.Errorf("summary.json provenance %v (%v), want %+v", disk.Provenance, err, p)
	}

	for _, elsewhere := range []bool{false, true} {
		c := tinyConfig(t)
		c.Threads = 1
		interruptedRun(t, c, func(step int, line bool) bool { return line && step == 2 })
		ck, err := ReadCheckpoint(c.Out)
		if err != nil || len(ck.Provenance) != 1 || ck.Provenance[0] != p {
			t.Fatalf("checkpoint provenance %+v (%v), want [%+v]", ck.Provenance, err, p)
		}
		var other Provenance
		if elsewhere { // as if the first part had run on another machine
			other = p
			other.CPU = "AMD EPYC 7B13 (AuthenticAMD, avx2)"
			rewriteCheckpoint(t, c.Out, func(ck *Checkpoint) { ck.Provenance = []Provenance{other} })
		}
		got := resumeRun(t, c.Out)
		if got.Provenance != p {
			t.Errorf("resumed run's provenance %+v, want this process's %+v", got.Provenance, p)
		}
		if elsewhere && (len(got.ResumedFrom) != 1 || got.ResumedFrom[0] != other) {
			t.Errorf("resumed_from %+v, want [%+v]", got.ResumedFrom, other)
		}
		if !elsewhere && len(got.ResumedFrom) != 0 {
			t.Errorf("resumed on the same machine, resumed_from %+v, want none", got.ResumedFrom)
		}
	}
}

// rewriteCheckpoint edits checkpoint.json in dir.
func rewriteCheckpoint(t *testing.T, dir string, edit func(*Checkpoint)) {
	t.Helper()
	ck, err := ReadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	edit(&ck)
	b, err := json.Marshal(ck)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, runfolder.CheckpointFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
