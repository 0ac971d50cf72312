package pipeline

import (
	"runtime"
	"strings"
	"testing"
)

func TestThreadsCappedAtCPUs(t *testing.T) {
	cpus := runtime.NumCPU()
	for _, c := range []struct {
		in, want int
		noted    bool
	}{{0, cpus, false}, {-3, cpus, false}, {1, 1, false}, {cpus, cpus, false}, {cpus + 1, cpus, true}, {1 << 31, cpus, true}} {
		n, note := Threads(c.in)
		if n != c.want || (note != "") != c.noted || c.noted && !strings.Contains(note, "capped") {
			t.Errorf("Threads(%d) = %d, %q; want %d, noted %v", c.in, n, note, c.want, c.noted)
		}
	}
}
