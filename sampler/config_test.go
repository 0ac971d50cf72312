package sampler

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestDefaultConfigHoldsTheDocumentedDefaults(t *testing.T) {
	want := Config{Run: Run{Budget: 1, BatchSize: 128, Epochs: 200}, Method: "unif-sgd", SBBeta: -1, SBHistory: 1024,
		InfoBatchRatio: 0.5, InfoBatchAnneal: 0.875}
	if c := DefaultConfig(); c != want {
		t.Fatalf("DefaultConfig() = %+v, want %+v", c, want)
	}
	c := DefaultConfig()
	c.N = 1000
	if err := c.Validate(); err != nil {
		t.Fatalf("DefaultConfig with N set: %v", err)
	}
}

// TestNewUsesExplicitZeros: New fills nothing in, so a zero that is not valid is reported
// (not replaced by the default) and a zero that is valid is kept.
func TestNewUsesExplicitZeros(t *testing.T) {
	c := testConfig("infobatch", 100, 0.5)
	c.InfoBatchRatio, c.SBHistory = 0, 0
	_, err := New(c)
	for _, w := range []string{"sampler.infobatch_ratio (0) must be in (0,1)", "sampler.sb_history (0) must be > 0"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("New with zeros: error %v lacks %q", err, w)
		}
	}
	if _, err := New(Config{Method: "unif-sgd", Run: Run{N: 100}}); err == nil {
		t.Errorf("New(Config{Method, N}) = nil error: a partial config must not be completed with defaults")
	}
	c = testConfig("p-sgd", 100, 0.5)
	c.Seed, c.WarmupEpochs = 0, 0
	s := mustNew(t, c)
	if got := s.(Configured).Config(); got != c {
		t.Errorf("built with %+v, want %+v", got, c)
	}
}

// TestEverySamplerReportsItsConfig: every registered method's sampler implements
// Configured and returns exactly the config New was given.
func TestEverySamplerReportsItsConfig(t *testing.T) {
	for _, m := range Methods() {
		c := testConfig(m, 100, 0.5)
		c.SBBeta, c.SBHistory, c.InfoBatchRatio, c.InfoBatchAnneal, c.WarmupEpochs = 2, 16, 0.3, 0.5, 1
		c.NoSmoothing, c.LatestValue = true, true
		s := mustNew(t, c)
		cs, ok := s.(Configured)
		if !ok {
			t.Errorf("%s: %T does not implement Configured", m, s)
			continue
		}
		if got := cs.Config(); got != c {
			t.Errorf("%s: Config() = %+v, want %+v", m, got, c)
		}
	}
}

// TestNewUsesZerosAsGiven: a zero is a value, never "the default": an explicit
// infobatch_ratio 0 is rejected (not replaced by 0.5), sb_beta 0 keeps every example (not the
// budget-derived β), and warmup 0 stays 0.
func TestNewUsesZerosAsGiven(t *testing.T) {
	c := DefaultConfig()
	c.Method, c.N, c.InfoBatchRatio = "infobatch", 1000, 0
	if _, err := New(c); err == nil || !strings.Contains(err.Error(), "sampler.infobatch_ratio (0)") {
		t.Errorf("infobatch_ratio 0: %v, want it rejected", err)
	}
	c = DefaultConfig()
	c.Budget, c.SBBeta = 0.25, 0
	if got := c.SBEffectiveBeta(); got != 0 {
		t.Errorf("sb_beta 0 at b=0.25 gives β %g, want 0", got)
	}
	if d := DefaultConfig(); d.SBBeta >= 0 || d.SBHistory != DefaultSBHistory || d.InfoBatchRatio != DefaultInfoBatchRatio {
		t.Errorf("DefaultConfig() = %+v", d)
	}
}

func TestConfigValidateListsEveryProblem(t *testing.T) {
	c := Config{Method: "nope", Run: Run{N: -1, Budget: 1.5, BatchSize: -2, Epochs: -3}, WarmupEpochs: -1,
		SBBeta: math.NaN(), SBHistory: -4, InfoBatchRatio: 1, InfoBatchAnneal: 2}
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil for a config with 7 problems")
	}
	// The settings' problems, one each, then the run facts' first problem (no training images),
	// which names no sampler key.
	want := []string{
		`sampler.method ("nope") must be one of`,
		"sampler.warmup_epochs (-1) must be >= 0",
		"sampler.sb_beta (NaN) must be finite",
		"sampler.sb_history (-4) must be > 0",
		"sampler.infobatch_ratio (1) must be in (0,1)",
		"sampler.infobatch_anneal (2) must be in (0,1]",
		"no training images (N = -1)",
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("Validate() gave %d lines, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], w)
		}
	}
	if !errors.Is(err, ErrUnknownMethod) {
		t.Errorf("Validate() error does not wrap ErrUnknownMethod")
	}
}

func TestConfigValidateRejectsBudgetWithoutAStep(t *testing.T) {
	c := DefaultConfig()
	c.Method, c.N, c.Budget, c.BatchSize = "p-sgd", 1000, 0.1, 128
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "train.budget (0.1) gives 100 images per epoch of the 1000 training images, fewer than train.batch_size (128)") {
		t.Fatalf("Validate() = %v, want the fewer-than-a-batch error", err)
	}
}

func TestConfigValidateAcceptsDefaults(t *testing.T) {
	for _, m := range Methods() {
		c := DefaultConfig()
		c.Method, c.N, c.Budget = m, 50000, 0.3
		if err := c.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v", m, err)
		}
	}
}

// TestEpochSizeMatchesPaperTable checks K = ⌊N·b⌋ against the table of spec §1.
func TestEpochSizeMatchesPaperTable(t *testing.T) {
	tests := []struct {
		n    int
		b    float64
		want int
	}{
		{50000, 0.2, 10000}, {50000, 0.3, 15000}, {50000, 0.5, 25000}, {50000, 0.7, 35000}, {50000, 1, 50000},
		{73257, 0.2, 14651}, {73257, 0.3, 21977}, {73257, 0.5, 36628}, {73257, 0.7, 51279}, {73257, 1, 73257},
	}
	for _, tc := range tests {
		c := Run{N: tc.n, Budget: tc.b}
		if got := c.EpochSize(); got != tc.want {
			t.Errorf("EpochSize(N=%d, b=%g) = %d, want %d", tc.n, tc.b, got, tc.want)
		}
	}
}

func TestSBEffectiveBetaFromBudget(t *testing.T) {
	tests := []struct{ b, beta, want float64 }{
		{0.25, -1, 3}, {0.5, -1, 1}, {0.2, -1, 4}, {1, -1, 0}, {0.3, 2.5, 2.5}, {0.3, 0, 0},
	}
	for _, tc := range tests {
		c := Config{Run: Run{Budget: tc.b}, SBBeta: tc.beta}
		if got := c.SBEffectiveBeta(); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("SBEffectiveBeta(b=%g, beta=%g) = %g, want %g", tc.b, tc.beta, got, tc.want)
		}
	}
}

func TestNewUnknownMethodListsMethods(t *testing.T) {
	_, err := New(Config{Method: "p-SGD", Run: Run{N: 100}})
	if !errors.Is(err, ErrUnknownMethod) {
		t.Fatalf("New(p-SGD) error = %v, want ErrUnknownMethod", err)
	}
	for _, m := range Methods() {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("error %q does not list %q", err, m)
		}
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	c := DefaultConfig()
	c.Method = "p-sgd"
	_, err := New(c)
	if err == nil || !strings.Contains(err.Error(), "no training images (N = 0)") {
		t.Fatalf("New(N=0) = %v, want the no-training-images error", err)
	}
}

func TestMethodsSortedAndComplete(t *testing.T) {
	got := Methods()
	want := []string{"c-sgd", "fixed-coreset", "fixed-random", "infobatch", "loss-is", "p-sgd",
		"selective-backprop", "sgd", "unif-sgd", "upper-bound-is"}
	if !slices.Equal(got, want) {
		t.Fatalf("Methods() = %v, want %v", got, want)
	}
}
