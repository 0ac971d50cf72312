//go:build unix

package augment

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the user + system CPU time this process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchmarkCompare is benchmarkPolicy (the same work and its wall-clock
// img/s) plus "img/cpu-s", images per second of CPU time used by the whole
// process, the measure augment/bench/compare.sh sets against
// bench_torchvision.py's. On a machine shared with other jobs, wall-clock
// throughput falls when the scheduler gives the benchmark less than a core;
// CPU-time throughput does not. Its CPU time includes benchmarkPolicy's
// setup (128 source images and one warm-up batch of 128), so it understates
// the steady state by about 128/b.N: a few percent for Full84, less for the
// faster rows.
func benchmarkCompare(b *testing.B, policy string, size int) {
	t0 := cpuTime(b)
	benchmarkPolicy(b, policy, size)
	b.ReportMetric(float64(b.N)/(cpuTime(b)-t0).Seconds(), "img/cpu-s")
}

// The rows of augment/bench/compare.sh: BenchmarkStandard32 ... BenchmarkFull84
// with the CPU-time metric.
func BenchmarkCompareStandard32(b *testing.B)    { benchmarkCompare(b, "standard", 32) }
func BenchmarkCompareStandard84(b *testing.B)    { benchmarkCompare(b, "standard", 84) }
func BenchmarkCompareRandAugment32(b *testing.B) { benchmarkCompare(b, "rand-n2-m4", 32) }
func BenchmarkCompareRandAugment84(b *testing.B) { benchmarkCompare(b, "rand-n2-m4", 84) }
func BenchmarkCompareFull32(b *testing.B)        { benchmarkCompare(b, "rand-n2-m4+standard+ricap-a0.3", 32) }
func BenchmarkCompareFull84(b *testing.B)        { benchmarkCompare(b, "rand-n2-m4+standard+ricap-a0.3", 84) }
