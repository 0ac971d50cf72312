package sampler

import ("testing";"time")

func TestZZProf3(t *testing.T) {
	f := pcaRotate(fmnistFeatures(t, 64), 64, 1)
	st := time.Now()
	kCenterGreedyWorkers(f, 64, 18000, 0, 1)
	t.Logf("fmnist 1 worker %v", time.Since(st))
}
