package pipeline

import (
	"runtime"
	"testing"
	"time"
)

func TestThroughputIsMedianAndRange(t *testing.T) {
	got := throughput(10, []time.Duration{time.Second, 2 * time.Second, 500 * time.Millisecond, time.Second})
	if want := (Throughput{Median: 10, Min: 5, Max: 20}); got != want {
		t.Errorf("throughput = %+v, want %+v", got, want)
	}
}

// TestBenchAgreementPathOnCPU runs the device-against-CPU comparison with the CPU as the device
// (it runs only on CUDA in Bench): a copy of the same weights must give bit-identical logits.
func TestBenchAgreementPathOnCPU(t *testing.T) {
	runtime.LockOSThread()
	c := DefaultBenchConfig()
	c.Model, c.Dataset, c.Batch, c.Device = "test-tiny", "fashion-mnist", 4, "cpu"
	if _, err := Bench(c); err != nil { // also checks that Bench runs
		t.Fatal(err)
	}
	cfg := tinyConfig(t)
	cfg.Device = "cpu"
	tr := newBenchTrainer(t, cfg)
	defer tr.Close()
	if d, err := tr.agreement(); err != nil || d != 0 {
		t.Errorf("agreement = %g, %v; want 0 (same weights, same CPU)", d, err)
	}
}
