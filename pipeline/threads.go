package pipeline

import (
	"fmt"
	"runtime"
)

// Threads is the thread count to use for a requested one (config key threads, eval --threads):
// 0 means one per CPU this process may run on, and a request above that is capped there, since
// more threads than CPUs only contend (eval with 1,000 threads took minutes where 2 took 1.7 s).
// note says so when it capped, "" otherwise.
func Threads(requested int) (n int, note string) {
	cpus := runtime.NumCPU()
	switch {
	case requested <= 0:
		return cpus, ""
	case requested > cpus:
		return cpus, fmt.Sprintf("threads %d capped at this machine's %d CPUs", requested, cpus)
	}
	return requested, ""
}
