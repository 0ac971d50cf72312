package pipeline

import (
	"runtime"
	"testing"
)

// TestTrainingMemoryIsFlat: resident memory does not grow with training steps. Before the
// in-place-op fix in scripts/deps.sh, every ResNet-8 step leaked its autograd graph (about
// 35 MB per step at batch 128, i.e. 700 MB over the 20 measured steps here). Memory is measured
// with freed memory returned to the system, so the bound can be tight: 40 MiB, about one step's
// leak.
func TestTrainingMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped under -short")
	}
	runtime.LockOSThread()
	tr := benchTrainer(t, "resnet8", 128)
	defer tr.Close()
	idx := tr.Sampler.Epoch(0, tr.EpochSamples)
	stop := make(chan struct{})
	defer close(stop)
	ch := tr.Loader.Epoch(0, idx, stop)
	var base float64
	for i := 0; i < 30; i++ {
		b, ok := tr.Loader.Next(ch)
		if !ok {
			t.Fatal("epoch ended early")
		}
		if err := tr.trainStep(b, nil, true); err != nil {
			t.Fatal(err)
		}
		tr.Loader.Release(b)
		if i == 9 {
			base = HeldRSSMiB()
		}
	}
	if grow := HeldRSSMiB() - base; grow > 40 {
		t.Errorf("resident memory grew by %.0f MiB over 20 training steps", grow)
	} else {
		t.Logf("resident memory grew by %.0f MiB over 20 training steps", grow)
	}
}
