package sweep

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Shard is slice I of N of a sweep: the cells whose Index ≡ I (mod N). Round robin over the
// expansion order spreads the expensive cells (high budgets, say) over the shards, and the
// assignment depends only on the grid.
type Shard struct{ I, N int }

// All is the shard holding every cell.
var All = Shard{0, 1}

// ParseShard reads "i/n" with 0 <= i < n.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want i/n with 0 <= i < n, e.g. 0/4", s)
	}
	return Shard{i, n}, nil
}

// SlurmShard returns the shard of this Slurm array task (SLURM_ARRAY_TASK_ID of
// SLURM_ARRAY_TASK_COUNT), and false outside an array job. The sweep's own arrays give each task
// its cell's index, which may leave gaps (done cells are not submitted); the count is then that
// of the grid, passed as n by the task's command line instead.
func SlurmShard() (Shard, bool, error) {
	id, okID := os.LookupEnv("SLURM_ARRAY_TASK_ID")
	n, okN := os.LookupEnv("SLURM_ARRAY_TASK_COUNT")
	if !okID || !okN {
		return All, false, nil
	}
	s, err := ParseShard(id + "/" + n)
	if err != nil {
		return All, false, fmt.Errorf("SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT: %w", err)
	}
	return s, true, nil
}

// Select returns the cells of shard s, in order.
func (s Shard) Select(cells []*Cell) []*Cell {
	var out []*Cell
	for _, c := range cells {
		if c.Index%s.N == s.I {
			out = append(out, c)
		}
	}
	return out
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }
