package sampler

import "testing"

func TestZZProf(t *testing.T) {
	for _, blobs := range []int{10, 0} {
	f := gaussianFeatures(1, 60000, 64, blobs)
	DBGcc, DBGpp, DBGcl = 0,0,0
	kCenterGreedyWorkers(f, 64, 6000, 0, 1)
	t.Logf("blobs %d: clusters visited %d, center dists %d, point dists %d", blobs, DBGcl, DBGcc, DBGpp)
	}
}
