package cmd

import (
	"runtime"
	"testing"

	"budgetrain/pipeline/sweep"
)

// TestCellThreads: a grid (or --set) that fixes threads leaves them to each cell (0, and the
// sweep's log line says so); otherwise a Slurm task's CPUs, else the cores split between jobs.
func TestCellThreads(t *testing.T) {
	t.Setenv("SLURM_CPUS_PER_TASK", "")
	cases := []struct {
		name string
		spec sweep.Spec
		jobs int
		want int
	}{
		{"base sets threads", sweep.Spec{Base: map[string]any{"threads": 1}}, 2, 0},
		{"grid varies threads", sweep.Spec{Grid: map[string][]any{"threads": {1, 2}}}, 1, 0},
		{"include sets threads", sweep.Spec{Include: []map[string][]any{{"threads": {1}}}}, 1, 0},
		{"cores split", sweep.Spec{}, 2, max(1, runtime.NumCPU()/2)},
		{"more jobs than cores", sweep.Spec{}, 4 * runtime.NumCPU(), 1},
	}
	for _, c := range cases {
		if got := cellThreads(c.spec, c.jobs); got != c.want {
			t.Errorf("%s: cellThreads = %d, want %d", c.name, got, c.want)
		}
	}
	t.Setenv("SLURM_CPUS_PER_TASK", "3")
	if got := cellThreads(sweep.Spec{}, 2); got != 3 {
		t.Errorf("Slurm task with 3 CPUs: cellThreads = %d, want 3", got)
	}
}
