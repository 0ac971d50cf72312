package sweep

import (
	"context"
	"strings"
	"testing"
)

func TestShardsPartitionTheCells(t *testing.T) {
	cells := plan(t, `grid: {seed: [1, 2, 3, 4, 5, 6, 7], sampler.method: [unif-sgd, p-sgd]}`)
	for n := 1; n <= 9; n++ {
		seen := map[string]int{}
		for i := range n {
			sh := Shard{i, n}
			for _, c := range sh.Select(cells) {
				seen[c.Name]++
				if c.Index%n != i {
					t.Errorf("shard %s holds cell %d", sh, c.Index)
				}
			}
		}
		for _, c := range cells {
			if seen[c.Name] != 1 {
				t.Errorf("n=%d: cell %s is in %d shards, want 1", n, c.Name, seen[c.Name])
			}
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, s := range []string{"0/1", "3/4", " 2 / 5"} {
		if _, err := ParseShard(s); err != nil {
			t.Errorf("ParseShard(%q): %v", s, err)
		}
	}
	for _, s := range []string{"4/4", "-1/3", "1", "a/b", "0/0"} {
		if _, err := ParseShard(s); err == nil {
			t.Errorf("ParseShard(%q): no error", s)
		}
	}
}

func TestSlurmShardFromEnvironment(t *testing.T) {
	t.Setenv("SLURM_ARRAY_TASK_ID", "2")
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "5")
	s, ok, err := SlurmShard()
	if err != nil || !ok || s != (Shard{2, 5}) {
		t.Errorf("got %v %v %v, want 2/5", s, ok, err)
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "9")
	if _, _, err := SlurmShard(); err == nil {
		t.Error("task 9 of 5: no error")
	}
}

func TestArraySpecCompressesRanges(t *testing.T) {
	for _, c := range []struct {
		idx      []int
		throttle int
		want     string
	}{
		{[]int{0, 1, 2, 3}, 0, "0-3"},
		{[]int{0, 2, 3, 4, 7}, 2, "0,2-4,7%2"},
		{[]int{5}, 0, "5"},
	} {
		if got := ArraySpec(c.idx, c.throttle); got != c.want {
			t.Errorf("ArraySpec(%v, %d) = %q, want %q", c.idx, c.throttle, got, c.want)
		}
	}
}

func TestSlurmScriptRunsOneCellPerTask(t *testing.T) {
	o := SlurmOptions{Exe: "/opt/bin/budgetrain", Dir: "/data/sw it's", WorkDir: "/home/u", Cells: 12, Indices: []int{0, 1, 5},
		Throttle: 2, CPUs: 4, GPUs: 1, Time: "2:00:00", Mem: "8G", TaskArgs: []string{"--retry-failed"}}
	s := o.Script()
	for _, frag := range []string{
		"#SBATCH --array=0-1,5%2\n", "#SBATCH --cpus-per-task=4\n", "#SBATCH --gres=gpu:1\n",
		"#SBATCH --time=2:00:00\n", "#SBATCH --mem=8G\n", "#SBATCH --chdir=\"/home/u\"\n",
		"exec '/opt/bin/budgetrain' sweep --out '/data/sw it'\\''s' --shard \"${SLURM_ARRAY_TASK_ID}/12\" '--retry-failed'\n",
	} {
		if !strings.Contains(s, frag) {
			t.Errorf("script lacks %q:\n%s", frag, s)
		}
	}
}

// TestSlurmScriptQuotesPaths: folders with spaces, double quotes and % reach sbatch intact
// (checked against a real sbatch by cmd.TestSweepSlurmBackend's folder with a space); line breaks
// and backslashes, which a directive cannot carry, are refused by Check.
func TestSlurmScriptQuotesPaths(t *testing.T) {
	o := SlurmOptions{Exe: "/b", Dir: `/data/my "sweep" 100%`, WorkDir: "/home/u v", Cells: 1, Indices: []int{0}}
	s := o.Script()
	for _, frag := range []string{
		"#SBATCH --output=\"/data/my \\\"sweep\\\" 100%%/slurm/%A_%a.out\"\n",
		"#SBATCH --chdir=\"/home/u v\"\n",
	} {
		if !strings.Contains(s, frag) {
			t.Errorf("script lacks %q:\n%s", frag, s)
		}
	}
	if err := o.Check(); err != nil {
		t.Errorf("Check: %v", err)
	}
	for _, dir := range []string{"/data/a\nb", `/data/a\b`} {
		o.Dir = dir
		if err := o.Check(); err == nil || !strings.Contains(err.Error(), "cannot carry") {
			t.Errorf("Check with folder %q: %v", dir, err)
		}
	}
}

func TestETAFromMeasuredCells(t *testing.T) {
	cells := []*Cell{{Steps: 100}, {Steps: 100}, {Steps: 200}, {Steps: 400}}
	e := NewETA(2, cells)
	if _, ok := e.Left(); ok {
		t.Error("an estimate before any cell was measured")
	}
	e.Finished(cells[0], 0, 0) // skipped: no measurement
	e.Finished(cells[1], 100, 50)
	// 600 steps left at 0.5 s/step over min(2 jobs, 2 cells) = 150 s.
	if left, ok := e.Left(); !ok || left.Seconds() != 150 {
		t.Errorf("left %v %v, want 150s", left, ok)
	}
	e.Finished(cells[2], 200, 100)
	if left, _ := e.Left(); left.Seconds() != 200 { // one cell left: no parallelism
		t.Errorf("left %v, want 200s", left)
	}

	// A resumed sweep: cells already done are not counted, and skipping them changes nothing.
	done := &Cell{Steps: 1000}
	e = NewETA(2, cells[1:])
	e.Finished(done, 0, 0)
	e.Finished(cells[1], 100, 50)
	if left, _ := e.Left(); left.Seconds() != 150 {
		t.Errorf("with a done cell skipped: left %v, want 150s", left)
	}
}

// TestSubmitWithoutSbatchSaysSo: without sbatch on PATH the error says so in full (it ended in
// ": " before).
func TestSubmitWithoutSbatchSaysSo(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	o := SlurmOptions{Exe: "/b", Dir: t.TempDir(), WorkDir: "/", Cells: 1, Indices: []int{0}}
	_, err := Submit(context.Background(), o, false)
	if err == nil || !strings.Contains(err.Error(), "sbatch is not on PATH") || strings.HasSuffix(err.Error(), ": ") {
		t.Errorf("Submit without sbatch: %v", err)
	}
}
