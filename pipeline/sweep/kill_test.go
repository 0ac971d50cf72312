package sweep

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"budgetrain/pipeline/runfolder"
)

// TestMain lets the test binary play a sweep process (SWEEP_TEST_DIR set): it runs the cell
// given by SWEEP_TEST_METHOD in that folder with the fake commands and blocks, to be killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("SWEEP_TEST_DIR"); dir != "" {
		t := &testing.T{}
		cells := fakeCells(t, os.Getenv("SWEEP_TEST_METHOD"))
		(&Runner{Dir: dir, Command: fakeCommand}).Run(context.Background(), cells)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// killedSweep starts a sweep process on one cell of method, waits for the cell's child to
// start, kills the sweep with sig and returns the cell folder and the child's pid.
func killedSweep(t *testing.T, method string, sig syscall.Signal) (string, int) {
	t.Helper()
	dir := t.TempDir()
	cell := filepath.Join(dir, fakeCells(t, method)[0].Name)
	sw := exec.Command(os.Args[0], "-test.run=^$")
	sw.Env = append(os.Environ(), "SWEEP_TEST_DIR="+dir, "SWEEP_TEST_METHOD="+method)
	if err := sw.Start(); err != nil {
		t.Fatal(err)
	}
	var info runfolder.RunnerInfo
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, err := os.ReadFile(filepath.Join(cell, runfolder.RunningFile))
		if _, serr := os.Stat(filepath.Join(cell, "started")); err == nil && serr == nil && json.Unmarshal(b, &info) == nil && info.ChildPID > 0 {
			break
		}
		if time.Now().After(deadline) {
			sw.Process.Kill()
			t.Fatal("the cell's child never started")
		}
	}
	t.Cleanup(func() { syscall.Kill(info.ChildPID, syscall.SIGKILL) })
	if err := sw.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	sw.Wait()
	return cell, info.ChildPID
}

// TestKilledSweepTakesItsChildrenAlong: a sweep killed with SIGKILL or SIGHUP (no chance to
// clean up) has the kernel send its train child SIGTERM, on which train saves a checkpoint and
// exits, so no orphan keeps writing the cell; a child that takes its time still holds the cell's
// lock, so a rerun finds the cell busy rather than starting a second writer.
func TestKilledSweepTakesItsChildrenAlong(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGHUP} {
		cell, _ := killedSweep(t, "hang", sig)
		for deadline := time.Now().Add(10 * time.Second); runfolder.Locked(cell); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%v: the cell is still locked 10 s after its sweep was killed: the child lives on", sig)
			}
		}
		if _, err := os.Stat(filepath.Join(cell, runfolder.CheckpointFile)); err != nil {
			t.Errorf("%v: the child did not get SIGTERM (no checkpoint written): %v", sig, err)
		}
	}

	cell, child := killedSweep(t, "stubborn", syscall.SIGKILL)
	time.Sleep(200 * time.Millisecond)
	if !runfolder.Locked(cell) {
		t.Fatal("a child still running after its sweep was killed does not hold the cell's lock")
	}
	rs := (&Runner{Dir: filepath.Dir(cell), Command: fakeCommand}).Run(context.Background(), fakeCells(t, "stubborn"))
	if got := statuses(rs); got != "busy/running" {
		t.Errorf("rerun beside the orphan: %s, want busy/running", got)
	}
	syscall.Kill(child, syscall.SIGKILL)
}
