package sampler

import ("testing";"syscall";"time")

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestZZ(t *testing.T) {
	b := &testing.B{}
	_ = b
	f := pcaRotate(fashionMNISTProjection(t, 64), 64, 1)
	c0 := cpuTime(); w0 := time.Now()
	kCenterGreedyWorkers(f, 64, 8000, 0, 1)
	t.Logf("cpu %v wall %v", cpuTime()-c0, time.Since(w0))
}
