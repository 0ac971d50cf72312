package sampler

import ("testing";"time")

func TestZZProf(t *testing.T) {
	for _, blobs := range []int{0} {
	f := gaussianFeatures(1, 60000, 64, blobs)
	st := time.Now()
	kCenterGreedyWorkers(f, 64, 1000, 0, 1)
	t.Logf("blobs %d: %v", blobs, time.Since(st))
	st = time.Now()
	naiveKCenter(f, 64, 1000, 0)
	t.Logf("naive blobs %d: %v", blobs, time.Since(st))
	}
}
