package sampler

import ("testing";"time")

func TestZZProf(t *testing.T) {
	for _, blobs := range []int{10, 0} {
	f := gaussianFeatures(1, 60000, 64, blobs)
	st := time.Now()
	kCenterGreedyWorkers(f, 64, 6000, 0, 1)
	t.Logf("blobs %d: %v", blobs, time.Since(st))
	}
}
