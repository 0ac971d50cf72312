package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"budgetrain/pipeline"
	"budgetrain/pipeline/runfolder"
	"budgetrain/pipeline/sweep"

	"go.yaml.in/yaml/v3"
)

// asBudgetrain makes this test binary act as budgetrain: the sweep starts its cells as child
// processes of os.Executable(), which in a test is the test binary. (Not BUDGETRAIN_*: the
// sweep drops those variables from the children's environment.)
const asBudgetrain = "SWEEP_TEST_AS_BUDGETRAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asBudgetrain) == "1" {
		runtime.LockOSThread() // as cmd/budgetrain's main does
		os.Exit(Execute())
	}
	os.Exit(m.Run())
}

// tinyGrid writes a grid of test-tiny runs on the Fashion-MNIST fixture (64 images, batch 16,
// budget 0.5: 2 steps per epoch) with the given grid/include section, and returns its path.
func tinyGrid(t *testing.T, epochs int, section string) string {
	t.Helper()
	fixture, err := filepath.Abs(filepath.Join("..", "testdata", "fashion-mnist"))
	if err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf(`base:
  model.name: test-tiny
  dataset:
    name: fashion-mnist
    dir: %s
    train_limit: 64
  train: {batch_size: 16, budget: 0.5, epochs: %d}
  device: cpu
%s`, fixture, epochs, section)
	path := filepath.Join(t.TempDir(), "grid.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// planGrid plans a grid file as the sweep command does.
func planGrid(t *testing.T, path string) []*sweep.Cell {
	t.Helper()
	spec, err := loadSpec(&sweepOptions{grid: path}, nil, configKeys())
	if err != nil {
		t.Fatal(err)
	}
	cells, _, err := sweep.Plan(spec, resolveCell)
	if err != nil {
		t.Fatal(err)
	}
	return cells
}

func readSummary(t *testing.T, dir string) pipeline.Summary {
	t.Helper()
	var s pipeline.Summary
	b, err := os.ReadFile(filepath.Join(dir, runfolder.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// needTraining skips under -short: these tests train tiny models in child processes.
func needTraining(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("trains in child processes")
	}
	t.Setenv(asBudgetrain, "1")
}

// TestSweepRunsSkipsRetriesAndRefusesChanges: a failing cell does not stop the others and
// makes the exit status non-zero, with a table saying which and why; a rerun skips finished
// cells and does not retry the failed one without --retry-failed; a changed grid is refused
// with its differences; each cell really trained the configuration its name hashes.
func TestSweepRunsSkipsRetriesAndRefusesChanges(t *testing.T) {
	needTraining(t)
	grid := tinyGrid(t, 2, "grid:\n  seed: [1, 2]\ninclude:\n  - {seed: 3, dataset.dir: /nonexistent}\n")
	dir := filepath.Join(t.TempDir(), "sweep")
	cells := planGrid(t, grid)
	if len(cells) != 3 {
		t.Fatalf("%d cells, want 3", len(cells))
	}
	good, bad := cells[:2], cells[2]

	out, err := execute(t, "sweep", "--grid", grid, "--out", dir, "--jobs", "2")
	if err == nil || !strings.Contains(err.Error(), "1 of 3 cells failed") {
		t.Fatalf("first run: error %v, want 1 of 3 cells failed\n%s", err, out)
	}
	if !tableRow(out, bad.Name, "failed", "/nonexistent") {
		t.Errorf("closing table lacks the failed cell and why:\n%s", out)
	}
	f, ferr := os.ReadFile(filepath.Join(dir, bad.Name, runfolder.FailedFile))
	if ferr != nil || !strings.Contains(string(f), "/nonexistent") {
		t.Errorf("failed.json: %s (%v)", f, ferr)
	}
	mtimes := map[string]time.Time{}
	for _, c := range good {
		cdir := filepath.Join(dir, c.Name)
		if s := readSummary(t, cdir); !s.Completed || s.Iterations != 4 || c.Steps != 4 {
			t.Errorf("%s: completed %v after %d steps (planned %d), want 4", c.Name, s.Completed, s.Iterations, c.Steps)
		}
		// The run folder's config.yaml (what train ran) hashes to the cell's hash.
		var m map[string]any
		b, _ := os.ReadFile(filepath.Join(cdir, runfolder.ConfigFile))
		yaml.Unmarshal(b, &m)
		cfg, err := pipeline.ConfigFromMap(m)
		if err != nil {
			t.Fatal(err)
		}
		if h := sweep.Hash(pipeline.FlatConfig(cfg)); h != c.Hash {
			t.Errorf("%s: config.yaml hashes to %s", c.Name, h)
		}
		st, _ := os.Stat(filepath.Join(cdir, runfolder.SummaryFile))
		mtimes[c.Name] = st.ModTime()
	}

	out, err = execute(t, "sweep", "--grid", grid, "--out", dir)
	if err == nil || !strings.Contains(err.Error(), "1 of 3 cells failed") {
		t.Errorf("rerun: error %v, want the earlier failure reported", err)
	}
	for _, c := range good {
		if !tableRow(out, c.Name, "skipped", "done") {
			t.Errorf("rerun did not skip %s:\n%s", c.Name, out)
		}
		if st, _ := os.Stat(filepath.Join(dir, c.Name, runfolder.SummaryFile)); !st.ModTime().Equal(mtimes[c.Name]) {
			t.Errorf("rerun rewrote %s's summary", c.Name)
		}
	}
	if !tableRow(out, bad.Name, "not retried", "failed") {
		t.Errorf("rerun retried the failed cell without --retry-failed:\n%s", out)
	}

	status, err := execute(t, "sweep", "status", dir)
	if err != nil || !strings.HasSuffix(status, "3 cells: 2 done, 0 running, 1 failed, 0 interrupted, 0 pending\n") {
		t.Errorf("status (%v):\n%s", err, status)
	}

	changed := tinyGrid(t, 3, "grid:\n  seed: [1, 2, 4]\ninclude:\n  - {seed: 3, dataset.dir: /nonexistent}\n")
	_, err = execute(t, "sweep", "--grid", changed, "--out", dir)
	if !errors.Is(err, sweep.ErrGridChanged) || !strings.Contains(err.Error(), "base.train.epochs: sweep.yaml has 2, the grid has 3") ||
		!strings.Contains(err.Error(), "grid.seed: sweep.yaml has [1, 2], the grid has [1, 2, 4]") {
		t.Errorf("changed grid: %v", err)
	}

	_, err = execute(t, "sweep", "--out", dir, "--retry-failed") // the recorded grid
	if err == nil {
		t.Error("retrying the failing cell succeeded")
	}
	var fail runfolder.Failure
	b, _ := os.ReadFile(filepath.Join(dir, bad.Name, runfolder.FailedFile))
	if json.Unmarshal(b, &fail); fail.Attempt != 2 {
		t.Errorf("failed.json after --retry-failed: %s", b)
	}

	// A grid that only appends a cell needs --extend; one that changes cells is refused even with it.
	if _, err := execute(t, "sweep", "--grid", changed, "--out", dir, "--extend"); !errors.Is(err, sweep.ErrNotAnExtension) {
		t.Errorf("--extend with changed cells: %v, want ErrNotAnExtension", err)
	}
	more := tinyGrid(t, 2, "grid:\n  seed: [1, 2]\ninclude:\n  - {seed: 3, dataset.dir: /nonexistent}\n  - {seed: 5}\n")
	if _, err := execute(t, "sweep", "--grid", more, "--out", dir); !errors.Is(err, sweep.ErrGridChanged) || !strings.Contains(err.Error(), "adds 1: rerun with --extend") {
		t.Errorf("appended cell without --extend: %v", err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, runfolder.RecordFile))
	if _, err := execute(t, "sweep", "--grid", more, "--out", dir, "--extend", "--dry-run"); err != nil {
		t.Errorf("--extend --dry-run: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, runfolder.RecordFile)); string(after) != string(before) {
		t.Error("--extend --dry-run rewrote sweep.yaml")
	}
	out, err = execute(t, "sweep", "--grid", more, "--out", dir, "--extend")
	if err == nil || !strings.Contains(err.Error(), "1 of 4 cells failed") {
		t.Errorf("--extend: %v, want the old failure of 1 of 4 cells\n%s", err, out)
	}
	added := planGrid(t, more)[3]
	if s := readSummary(t, filepath.Join(dir, added.Name)); !s.Completed {
		t.Errorf("the added cell %s did not run", added.Name)
	}
	if _, err := execute(t, "sweep", "--grid", more, "--out", dir, "--dry-run"); err != nil {
		t.Errorf("the extended grid is not the recorded one: %v", err)
	}
}

// tableRow reports whether some line of out holds every field.
func tableRow(out string, fields ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		ok := true
		for _, f := range fields {
			ok = ok && strings.Contains(line, f)
		}
		if ok && strings.HasPrefix(strings.TrimLeft(line, "\r"), fields[0]) {
			return true
		}
	}
	return false
}

// TestSweepResumesInterruptedCell interrupts a cell after its first epoch (in process, as
// Ctrl-C would) and checks that the sweep continues it from the checkpoint to the end.
func TestSweepResumesInterruptedCell(t *testing.T) {
	needTraining(t)
	grid := tinyGrid(t, 3, "")
	dir := filepath.Join(t.TempDir(), "sweep")
	cells := planGrid(t, grid)
	c := cells[0]
	cfg := c.Data.(pipeline.Config)
	cfg.Name, cfg.Out, cfg.Threads = c.Name, filepath.Join(dir, c.Name), 1

	runtime.LockOSThread()
	tr, err := pipeline.NewTrainer(cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tr.Hooks = append(tr.Hooks, pipeline.HookFuncs{OnEpoch: func(*pipeline.Trainer, pipeline.EpochMetrics) { cancel() }})
	_, err = tr.Run(ctx)
	tr.Close()
	runtime.UnlockOSThread()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	if st := runfolder.ReadState(cfg.Out); st.Status != runfolder.Interrupted || st.Step != 2 {
		t.Fatalf("cell state %s at step %d, want interrupted at 2", st.Status, st.Step)
	}

	out, err := execute(t, "sweep", "--grid", grid, "--out", dir)
	if err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	if !tableRow(out, c.Name, "resumed", "done") {
		t.Errorf("table:\n%s", out)
	}
	if s := readSummary(t, cfg.Out); !s.Completed || s.Iterations != 6 {
		t.Errorf("summary completed %v after %d steps, want 6", s.Completed, s.Iterations)
	}
	log, _ := os.ReadFile(filepath.Join(cfg.Out, runfolder.LogFile))
	if !strings.Contains(string(log), "resuming") || !strings.Contains(string(log), "at epoch 2, step 2") {
		t.Errorf("train.log does not show a resume at epoch 2:\n%s", log)
	}
	var epochs []int
	b, _ := os.ReadFile(filepath.Join(cfg.Out, "metrics.jsonl"))
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m pipeline.EpochMetrics
		json.Unmarshal([]byte(line), &m)
		epochs = append(epochs, m.Epoch)
	}
	if fmt.Sprint(epochs) != "[1 2 3]" {
		t.Errorf("metrics.jsonl epochs %v, want [1 2 3]", epochs)
	}
}

// TestSweepDryRunPresets lists each preset's cells and total optimizer steps without running
// or writing anything. paper-cifar10 and paper-cifar100 (N = 50,000, E = 200; T per cell from
// spec §1: 15,600, 23,400, 39,000, 54,600 and 78,000 at b = 0.2, 0.3, 0.5, 0.7, 1) have 42
// table cells per budget 0.2/0.3/0.5 (4 methods × 4 augmentations − Selective Backprop with
// mixup and RICAP, × 3 seeds), 2 static subsets × 4 budgets × 3 seeds, unif-sgd at 0.7 × 3
// seeds and sgd at 1 × 4 augmentations × 3 seeds.
func TestSweepDryRunPresets(t *testing.T) {
	cifar := 42*(15600+23400+39000) + 6*(15600+23400+39000+54600) + 3*54600 + 12*78000
	svhn := 42*(22800+34200+57200) + 12*114400 // N = 73,257 (spec §1 table)
	fmnist := 6*(690+1380) + 15*1380 + 3*(3120+4*880) + 3*(4000+4*1200)
	e200 := 3 * (15600 + 6*(3000+4600) + 3*4600)
	for _, c := range []struct {
		preset string
		cells  int
		steps  int
	}{
		{"paper-cifar10", 42*3 + 24 + 3 + 12, cifar},
		{"paper-cifar100", 165, cifar},
		{"paper-svhn", 42*3 + 12, svhn},
		{"paper-fmnist", 12 + 15 + 15 + 15, fmnist},
		{"paper-fmnist-e200", 3 * 16, e200},
	} {
		t.Run(c.preset, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "sweep")
			out, err := execute(t, "sweep", "--preset", c.preset, "--out", dir, "--dry-run")
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("%d cells, %s optimizer steps in total\n", c.cells, groupDigits(c.steps))
			if !strings.HasSuffix(out, want) {
				t.Errorf("dry run ends with %q, want %q", lastLine(out), want)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the dry run created %s", dir)
			}
		})
	}
	if c10 := 5_171_400; cifar != c10 {
		t.Errorf("paper-cifar10 arithmetic: %d, want %d", cifar, c10)
	}
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return l[len(l)-1]
}

// TestSweepShardsAndOverrides: --shard and SLURM_ARRAY_TASK_ID pick a slice; --set overrides
// the base but not a varied key; BUDGETRAIN_* variables do not change any cell.
func TestSweepShardsAndOverrides(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sweep")
	dry := func(args ...string) (string, error) {
		return execute(t, append([]string{"sweep", "--preset", "paper-fmnist", "--out", dir, "--dry-run"}, args...)...)
	}
	full, _ := dry()
	out, err := dry("--shard", "1/4")
	if err != nil || !strings.Contains(out, "14 cells (shard 1/4 of 57 cells)") {
		t.Errorf("--shard 1/4 (%v):\n%s", err, lastLine(out))
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "3")
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "57")
	out, _ = dry()
	if !strings.Contains(out, "1 cells (shard 3/57 of 57 cells)") || !strings.Contains(out, "\n3 ") {
		t.Errorf("Slurm task 3 of 57:\n%s", out)
	}
	os.Unsetenv("SLURM_ARRAY_TASK_ID")
	os.Unsetenv("SLURM_ARRAY_TASK_COUNT")

	if _, err := dry("--set", "seed=5"); err == nil || !strings.Contains(err.Error(), "seed is varied by the grid") {
		t.Errorf("--set of a varied key: %v", err)
	}
	if out, err := dry("--set", "train.lr=0.2"); err != nil || out == full {
		t.Errorf("--set train.lr=0.2 (%v) left every cell the same", err)
	}
	t.Setenv("BUDGETRAIN_TRAIN_LR", "0.5")
	if out, _, err := executeCommand(t, "sweep", "--preset", "paper-fmnist", "--out", dir, "--dry-run"); err != nil || out != full {
		t.Errorf("BUDGETRAIN_TRAIN_LR changed the cells (%v)", err)
	}
}

// TestSweepAgreesWithTrain: the short names in cell folders are the train command's flag names.
func TestSweepAgreesWithTrain(t *testing.T) {
	for key, flag := range trainFlags {
		if s := sweep.ShortName(key); s != flag && key != "name" && key != "train.log_selection" {
			t.Errorf("short name of %s is %q, train's flag is --%s", key, s, flag)
		}
	}
}

// TestSweepSlurmBackend submits a three-cell sweep to the local Slurm (scripts/slurm-local.sh
// start) as one job array, waits for it, and checks that every cell completed. Under CI a
// missing Slurm fails the test.
func TestSweepSlurmBackend(t *testing.T) {
	needTraining(t)
	if err := slurmUp(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but Slurm is not running (scripts/slurm-local.sh start): %v", err)
		}
		t.Skipf("no Slurm here: %v", err)
	}
	grid := tinyGrid(t, 2, "grid:\n  seed: [1, 2, 3]\n")
	dir := filepath.Join(t.TempDir(), `my "sweep" 100%`) // what #SBATCH lines must quote
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := executeContext(ctx, "sweep", "--grid", grid, "--out", dir, "--backend", "slurm",
		"--slurm-cpus", "1", "--slurm-time", "10:00", "--slurm-job-name", "budgetrain-test", "--wait")
	if err != nil {
		t.Fatalf("slurm sweep: %v\n%s", err, out)
	}
	if !strings.Contains(out, "submitted slurm job") || !strings.Contains(out, "3 cells: 3 done") {
		t.Errorf("output:\n%s", out)
	}
	for _, c := range planGrid(t, grid) {
		if s := readSummary(t, filepath.Join(dir, c.Name)); !s.Completed {
			t.Errorf("%s not completed", c.Name)
		}
		log, _ := os.ReadFile(filepath.Join(dir, c.Name, runfolder.LogFile))
		if !strings.Contains(string(log), "1 libtorch threads") {
			t.Errorf("%s did not train with the task's one CPU:\n%s", c.Name, log)
		}
	}
	tasks, _ := filepath.Glob(filepath.Join(dir, sweep.SlurmDir, "*_*.out"))
	if len(tasks) != 3 {
		t.Errorf("%d task outputs, want 3: %v", len(tasks), tasks)
	}
	out, err = executeContext(ctx, "sweep", "--out", dir, "--backend", "slurm")
	if err != nil || !strings.Contains(out, "nothing to submit") {
		t.Errorf("resubmitting a finished sweep (%v):\n%s", err, out)
	}
}

// slurmUp checks that sbatch exists and the controller answers with a usable node.
func slurmUp() error {
	if _, err := exec.LookPath("sbatch"); err != nil {
		return err
	}
	out, err := exec.Command("sinfo", "-h", "-o", "%T").Output()
	if err != nil {
		return fmt.Errorf("sinfo: %v", err)
	}
	for _, s := range strings.Fields(string(out)) {
		if strings.HasPrefix(s, "idle") || strings.HasPrefix(s, "mixed") || strings.HasPrefix(s, "allocated") {
			return nil
		}
	}
	return fmt.Errorf("no usable Slurm node (sinfo: %q)", strings.TrimSpace(string(out)))
}

func executeContext(ctx context.Context, args ...string) (string, error) {
	root := NewRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(io.Discard)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

// TestSweepRetriesCellFailedInFirstEpoch: a cell that failed in its first epoch (here it
// diverges, keeping its epoch-0 checkpoint) is really retried by --retry-failed, resuming that
// checkpoint, rather than refused as a folder that already holds a run.
func TestSweepRetriesCellFailedInFirstEpoch(t *testing.T) {
	needTraining(t)
	grid := tinyGrid(t, 2, "grid:\n  seed: [1]\n  train.lr: [1.0e+30]\n")
	dir := filepath.Join(t.TempDir(), "sweep")
	cell := planGrid(t, grid)[0]
	if _, err := execute(t, "sweep", "--grid", grid, "--out", dir); err == nil {
		t.Fatal("a cell with lr 1e30 did not fail")
	}
	var fail runfolder.Failure
	b, _ := os.ReadFile(filepath.Join(dir, cell.Name, runfolder.FailedFile))
	if json.Unmarshal(b, &fail); fail.Attempt != 1 || !strings.Contains(fail.Error, "diverged") {
		t.Fatalf("failed.json after the first run: %s, want attempt 1 diverged", b)
	}
	if st := runfolder.ReadState(filepath.Join(dir, cell.Name)); st.Epoch != 0 || !st.Checkpoint {
		t.Fatalf("state %+v: want the epoch-0 checkpoint kept", st)
	}
	out, err := execute(t, "sweep", "--out", dir, "--retry-failed")
	if err == nil {
		t.Fatal("the retried cell succeeded")
	}
	b, _ = os.ReadFile(filepath.Join(dir, cell.Name, runfolder.FailedFile))
	if json.Unmarshal(b, &fail); fail.Attempt != 2 || !strings.Contains(fail.Error, "diverged") {
		t.Errorf("failed.json after --retry-failed: %s, want attempt 2 diverged again (not refused)\n%s", b, out)
	}
	if !tableRow(out, cell.Name, "resumed", "failed") {
		t.Errorf("the retry did not resume the cell:\n%s", out)
	}
	// Slurm: nothing to submit without --retry-failed, and a failed cell fails the command as
	// it does locally (sbatch is never reached).
	out, err = execute(t, "sweep", "--out", dir, "--backend", "slurm")
	if err == nil || !strings.Contains(err.Error(), "1 of 1 cells failed") || !strings.Contains(out, "nothing to submit") {
		t.Errorf("slurm rerun with a failed cell: %v, want the failure reported\n%s", err, out)
	}
}

// TestSweepRecordDamaged: an empty, truncated or tampered sweep.yaml is named as such by a
// rerun and by status (which exits non-zero), never blamed on changed defaults with advice to
// --extend; a cell name that would leave the folder is refused; a rerun whose cells differ
// without any added one is not told to --extend.
func TestSweepRecordDamaged(t *testing.T) {
	grid := tinyGrid(t, 2, "grid:\n  seed: [1, 2]\n")
	dir := filepath.Join(t.TempDir(), "sweep")
	if _, err := execute(t, "sweep", "--grid", grid, "--out", dir, "--dry-run"); err != nil {
		t.Fatal(err)
	}
	cells := planGrid(t, grid)
	spec, err := loadSpec(&sweepOptions{grid: grid}, nil, configKeys())
	if err != nil {
		t.Fatal(err)
	}
	if err := sweep.WriteRecord(dir, sweep.NewRecord(spec, cells)); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(dir, runfolder.RecordFile))
	for name, content := range map[string]string{
		"empty":     "",
		"truncated": string(good[:strings.Index(string(good), "cells:")]),
		"escape":    strings.Replace(string(good), cells[0].Name, "../../escape", 1),
	} {
		os.WriteFile(filepath.Join(dir, runfolder.RecordFile), []byte(content), 0o644)
		want := "lists no cells"
		if name == "escape" {
			want = `"../../escape": want the name of a folder inside the sweep folder`
		}
		for _, args := range [][]string{{"sweep", "--grid", grid, "--out", dir, "--dry-run"}, {"sweep", "status", dir}} {
			out, err := execute(t, args...)
			if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "--extend") {
				t.Errorf("%s sweep.yaml, %s: %v, want %q\n%s", name, args[1], err, want, out)
			}
		}
	}

	// The recorded epochs edited by hand: the grid differs from the record, no cell is added,
	// so no advice to --extend.
	edited := strings.Replace(string(good), "epochs: 2", "epochs: 3", 1)
	if edited == string(good) {
		t.Fatalf("sweep.yaml has no \"epochs: 2\":\n%s", good)
	}
	os.WriteFile(filepath.Join(dir, runfolder.RecordFile), []byte(edited), 0o644)
	if _, err := execute(t, "sweep", "--grid", grid, "--out", dir, "--dry-run"); err == nil || !strings.Contains(err.Error(), "sweep.yaml has 3, the grid has 2") ||
		strings.Contains(err.Error(), "--extend") || strings.Contains(err.Error(), "adds 0") {
		t.Errorf("hand-edited sweep.yaml: %v, want the differences without --extend advice", err)
	}
}

// TestCommittedSweepsStillPlan: every sweep folder committed under docs/results is planned by
// this build into the cells its sweep.yaml records (same names and hashes), so that a rerun
// continues it. A new config key breaks this unless its old-behaviour value is in
// sweep.HashOmitDefault.
func TestCommittedSweepsStillPlan(t *testing.T) {
	records, _ := filepath.Glob(filepath.Join("..", "docs", "results", "*", runfolder.RecordFile))
	if len(records) == 0 {
		t.Fatal("no committed sweep.yaml under docs/results")
	}
	for _, rec := range records {
		dir := filepath.Join(t.TempDir(), "sweep")
		b, err := os.ReadFile(rec)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, runfolder.RecordFile), b, 0o644)
		if out, err := execute(t, "sweep", "--out", dir, "--dry-run"); err != nil {
			t.Errorf("%s: %v\n%s", rec, err, out)
		}
	}
}

// TestGridCellsResolveAsTrainDoes: sweep cells are built by the same resolver as train, so a
// grid is refused where train would be: an explicit empty augment.policy (which the sweep used to
// turn into standard silently), Selective Backprop with batch mixing.
func TestGridCellsResolveAsTrainDoes(t *testing.T) {
	for _, c := range []struct{ grid, want string }{
		{"grid:\n  seed: [1]\n  augment.policy: ['']\n", `augment.policy ("") is empty`},
		{"grid:\n  seed: [1]\n  sampler.method: [selective-backprop]\n  augment.policy: [standard+mixup-a0.3]\n", "cannot be combined with batch mixing"},
	} {
		_, err := execute(t, "sweep", "--grid", tinyGrid(t, 2, c.grid), "--out", filepath.Join(t.TempDir(), "s"), "--dry-run")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("grid %q: %v, want %q", c.grid, err, c.want)
		}
	}
	if _, err := execute(t, tinyTrainArgs(t.TempDir(), "--set", "augment.policy=")...); err == nil || !strings.Contains(err.Error(), `augment.policy ("") is empty`) {
		t.Errorf("train with augment.policy \"\": %v", err)
	}
}

// TestGridCellWithoutAStepRefused: a cell whose budget allows no optimizer step on its dataset
// is refused when the grid is planned, naming the run's keys and the real N, not after a
// cell's data is loaded.
func TestGridCellWithoutAStepRefused(t *testing.T) {
	grid := tinyGrid(t, 2, "include:\n  - {seed: 1, dataset.name: mnist, dataset.train_limit: 0, train.budget: 0.0002}\n")
	_, err := execute(t, "sweep", "--grid", grid, "--out", filepath.Join(t.TempDir(), "s"), "--dry-run")
	if err == nil || !strings.Contains(err.Error(), "train.budget (0.0002) gives 12 images per epoch of the 60000 training images, fewer than train.batch_size (16)") {
		t.Errorf("budget without a step: %v", err)
	}
}
