package sampler

import (
	"strings"
	"testing"
)

// TestBudgetArithmetic: K, I and T of spec §1's table and of this project's presets.
func TestBudgetArithmetic(t *testing.T) {
	for _, c := range []struct {
		b       Budget
		k, i, t int
	}{
		// spec §1's table
		{Budget{50000, 0.2, 128, 200}, 10000, 78, 15600}, {Budget{50000, 0.3, 128, 200}, 15000, 117, 23400},
		{Budget{50000, 0.5, 128, 200}, 25000, 195, 39000}, {Budget{50000, 0.7, 128, 200}, 35000, 273, 54600},
		{Budget{50000, 1, 128, 200}, 50000, 390, 78000},
		{Budget{73257, 0.2, 128, 200}, 14651, 114, 22800}, {Budget{73257, 0.3, 128, 200}, 21977, 171, 34200},
		{Budget{73257, 0.5, 128, 200}, 36628, 286, 57200}, {Budget{73257, 0.7, 128, 200}, 51279, 400, 80000},
		{Budget{73257, 1, 128, 200}, 73257, 572, 114400},
		// paper-fmnist-e200
		{Budget{10000, 1, 128, 200}, 10000, 78, 15600},
		{Budget{10000, 0.2, 128, 200}, 2000, 15, 3000},
		{Budget{10000, 0.3, 128, 200}, 3000, 23, 4600},
		{Budget{100, 0.5, 0, 3}, 50, 0, 0},
	} {
		if k, i, s := c.b.EpochSamples(), c.b.StepsPerEpoch(), c.b.Steps(); k != c.k || i != c.i || s != c.t {
			t.Errorf("%+v: K, I, T = %d, %d, %d; want %d, %d, %d", c.b, k, i, s, c.k, c.i, c.t)
		}
	}
}

// TestBudgetCheckNamesRunKeys: a budget without a step is reported with the run's keys and
// its real number of training images.
func TestBudgetCheckNamesRunKeys(t *testing.T) {
	for _, c := range []struct {
		b    Budget
		want string
	}{
		{Budget{60000, 1e-9, 128, 10}, "train.budget (1e-09) gives 0 images per epoch of the 60000 training images, fewer than train.batch_size (128)"},
		{Budget{60000, 0, 128, 10}, "train.budget (0) must be in (0,1]"},
		{Budget{60000, 0.5, 0, 10}, "train.batch_size (0) must be > 0"},
		{Budget{60000, 0.5, 128, 0}, "train.epochs (0) must be > 0"},
		{Budget{0, 0.5, 128, 10}, "no training images"},
	} {
		if err := c.b.Check(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.b, err, c.want)
		}
	}
	if err := (Budget{60000, 0.5, 128, 10}).Check(); err != nil {
		t.Errorf("a valid budget: %v", err)
	}
}
