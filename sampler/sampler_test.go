package sampler

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"testing"
)

// build makes a sampler of any method for N samples at budget b, giving fixed-coreset
// its features.
func build(t testing.TB, method string, seed uint64, n int, b float64) Sampler {
	t.Helper()
	c := testConfig(method, n, b)
	c.Seed = seed
	s := mustNew(t, c)
	if f, ok := s.(FeatureUser); ok {
		if err := f.SetFeatures(gaussianFeatures(5, n, 6, 4), 6); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// epochRule says how many indices each method returns and whether they are distinct.
func epochRule(method string, n, k int) (size int, exact, distinct bool) {
	switch method {
	case "sgd", "selective-backprop":
		return n, true, true
	case "infobatch":
		return n, false, true
	case "loss-is", "upper-bound-is":
		return k, true, false
	}
	return k, true, true
}

func TestEpochReturnsValidIndices(t *testing.T) {
	const n, b = 1000, 0.3
	for _, m := range Methods() {
		t.Run(m, func(t *testing.T) {
			s := build(t, m, 1, n, b)
			k := int(n * b)
			size, exact, distinct := epochRule(m, n, k)
			for e := range 4 {
				out := s.Epoch(e, k)
				if (exact && len(out) != size) || len(out) > size || len(out) == 0 {
					t.Fatalf("epoch %d: %d indices, want %d (exact %v)", e, len(out), size, exact)
				}
				seen := make([]bool, n)
				for _, i := range out {
					if i < 0 || i >= n {
						t.Fatalf("epoch %d: index %d out of [0,%d)", e, i, n)
					}
					if distinct && seen[i] {
						t.Fatalf("epoch %d: index %d repeated", e, i)
					}
					seen[i] = true
				}
				mustObserve(t, s, randomLosses(uint64(e), n))
			}
		})
	}
}

// runEpochs observes fixed losses and returns the selections of epochs 0..2.
func runEpochs(t *testing.T, s Sampler, n, k int) [][]int {
	var out [][]int
	for e := range 3 {
		out = append(out, s.Epoch(e, k))
		mustObserve(t, s, randomLosses(uint64(10+e), n))
	}
	return out
}

func TestSameSeedSameSelections(t *testing.T) {
	const n, k = 600, 180
	for _, m := range Methods() {
		t.Run(m, func(t *testing.T) {
			a := runEpochs(t, build(t, m, 3, n, 0.3), n, k)
			b := runEpochs(t, build(t, m, 3, n, 0.3), n, k)
			for e := range a {
				if !slices.Equal(a[e], b[e]) {
					t.Fatalf("epoch %d differs between two samplers with seed 3", e)
				}
			}
		})
	}
}

func TestDifferentSeedsDifferentSelections(t *testing.T) {
	const n, k = 600, 180
	for _, m := range Methods() {
		t.Run(m, func(t *testing.T) {
			a := build(t, m, 3, n, 0.3).Epoch(0, k)
			b := build(t, m, 4, n, 0.3).Epoch(0, k)
			if slices.Equal(a, b) {
				t.Fatal("seeds 3 and 4 gave the same epoch")
			}
		})
	}
}

func TestDifferentEpochsDifferentSelections(t *testing.T) {
	for _, m := range Methods() {
		t.Run(m, func(t *testing.T) {
			s := build(t, m, 3, 600, 0.3)
			if slices.Equal(s.Epoch(0, 180), s.Epoch(1, 180)) {
				t.Fatal("epochs 0 and 1 are identical")
			}
		})
	}
}

func TestEpochIsPureFunctionOfEpoch(t *testing.T) {
	const n, k = 600, 180
	for _, m := range Methods() {
		t.Run(m, func(t *testing.T) {
			s := build(t, m, 3, n, 0.3)
			mustObserve(t, s, randomLosses(1, n))
			a := s.Epoch(5, k)
			s.Epoch(6, k)
			if b := s.Epoch(5, k); !slices.Equal(a, b) {
				t.Fatal("Epoch(5) changed after calling Epoch(6)")
			}
		})
	}
}

// TestStateRoundTrip: a sampler restored from MarshalState into a fresh New (without
// features) continues exactly like the original: next Epoch, Weights, Select, Report.
func TestStateRoundTrip(t *testing.T) {
	const n, k = 600, 180
	for _, m := range Methods() {
		t.Run(m, func(t *testing.T) {
			a := build(t, m, 9, n, 0.3)
			for e := range 2 {
				a.Epoch(e, k)
				mustObserve(t, a, randomLosses(uint64(e), n))
			}
			if sel, ok := a.(Selector); ok { // end of priming, history filled
				sel.Select(randomLosses(3, n))
				sel.Select(randomLosses(4, 128))
			}
			data, err := a.(Stateful).MarshalState()
			if err != nil {
				t.Fatal(err)
			}
			b := mustNew(t, testConfig(m, n, 0.3).withSeed(9))
			if err := b.(Stateful).UnmarshalState(data); err != nil {
				t.Fatal(err)
			}
			if ra, rb := a.(Reporter).Report(), b.(Reporter).Report(); ra != rb {
				t.Fatalf("Report differs after restore:\n%+v\n%+v", ra, rb)
			}
			if sel, ok := a.(Selector); ok {
				l := randomLosses(5, 128)
				if !slices.Equal(sel.Select(l), b.(Selector).Select(l)) {
					t.Fatal("Select differs after restore")
				}
			}
			ea, eb := a.Epoch(2, k), b.Epoch(2, k)
			if !slices.Equal(ea, eb) {
				t.Fatal("Epoch(2) differs after restore")
			}
			if w, ok := a.(Weighter); ok {
				if !slices.Equal(w.Weights(ea), b.(Weighter).Weights(eb)) {
					t.Fatal("Weights differ after restore")
				}
			}
			if !slices.Equal(a.(VisitCounter).VisitCounts(), b.(VisitCounter).VisitCounts()) {
				t.Fatal("visit counts differ after restore")
			}
		})
	}
}

func (c Config) withSeed(s uint64) Config { c.Seed = s; return c }

func TestUnmarshalStateRejectsMismatch(t *testing.T) {
	a := build(t, "p-sgd", 1, 100, 0.5)
	mustObserve(t, a, randomLosses(1, 100))
	data, err := a.(Stateful).MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dst  Sampler
		data []byte
	}{
		{"other method", build(t, "c-sgd", 1, 100, 0.5), data},
		{"other seed", build(t, "p-sgd", 2, 100, 0.5), data},
		{"other n", build(t, "p-sgd", 1, 101, 0.5), data},
		{"garbage", build(t, "p-sgd", 1, 100, 0.5), []byte("not a state")},
		{"truncated", build(t, "p-sgd", 1, 100, 0.5), data[:len(data)/2]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := tc.dst.(Stateful).MarshalState()
			err := tc.dst.(Stateful).UnmarshalState(tc.data)
			if !errors.Is(err, ErrState) {
				t.Fatalf("UnmarshalState = %v, want ErrState", err)
			}
			after, _ := tc.dst.(Stateful).MarshalState()
			if !bytes.Equal(before, after) {
				t.Fatal("a rejected state changed the sampler")
			}
		})
	}
}

func TestObserveRejectsBadInputAndKeepsState(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tests := []struct {
		name string
		o    Obs
		frag string
	}{
		{"NaN loss", Obs{Idx: []int{1, 2}, Loss: []float32{1, nan}}, "loss[1] (NaN)"},
		{"Inf loss", Obs{Idx: []int{1}, Loss: []float32{inf}}, "loss[0] (+Inf)"},
		{"negative loss", Obs{Idx: []int{1}, Loss: []float32{-0.5}}, "loss[0] (-0.5)"},
		{"index out of range", Obs{Idx: []int{1, 50}, Loss: []float32{1, 1}}, "idx[1] (50) must be in [0,50)"},
		{"negative index", Obs{Idx: []int{-1}, Loss: []float32{1}}, "idx[0] (-1)"},
		{"length mismatch", Obs{Idx: []int{1, 2}, Loss: []float32{1}}, "len(loss) (1) must equal len(idx) (2)"},
		{"zero weight", Obs{Idx: []int{1}, Loss: []float32{1}, Weight: []float32{0}}, "weight[0] (0)"},
		{"weight above 1", Obs{Idx: []int{1}, Loss: []float32{1}, Weight: []float32{1.5}}, "weight[0] (1.5)"},
		{"weight length", Obs{Idx: []int{1}, Loss: []float32{1}, Weight: []float32{}}, "len(weight) (0)"},
		{"NaN grad norm", Obs{Idx: []int{1}, Loss: []float32{1}, GradNorm: []float32{nan}}, "grad_norm[0] (NaN)"},
	}
	for _, m := range Methods() {
		for _, tc := range tests {
			t.Run(m+"/"+tc.name, func(t *testing.T) {
				s := build(t, m, 1, 50, 1)
				mustObserve(t, s, randomLosses(2, 50))
				before, _ := s.(Stateful).MarshalState()
				o := tc.o
				if o.GradNorm == nil { // valid grad norms, so upper-bound-is reaches the bad field
					o.GradNorm = make([]float32, len(o.Idx))
				}
				err := s.Observe(o)
				if !errors.Is(err, ErrBadObs) {
					t.Fatalf("Observe = %v, want ErrBadObs", err)
				}
				if !bytes.Contains([]byte(err.Error()), []byte(tc.frag)) {
					t.Fatalf("error %q does not contain %q", err, tc.frag)
				}
				after, _ := s.(Stateful).MarshalState()
				if !bytes.Equal(before, after) {
					t.Fatal("a rejected observation changed the sampler")
				}
			})
		}
	}
}

func TestEpochPanicsOnBadArguments(t *testing.T) {
	tests := []struct {
		name string
		e, n int
	}{{"n > N", 0, 101}, {"negative n", 0, -1}, {"negative epoch", -1, 10}}
	for _, m := range Methods() {
		for _, tc := range tests {
			t.Run(m+"/"+tc.name, func(t *testing.T) {
				s := build(t, m, 1, 100, 0.5)
				defer func() {
					if recover() == nil {
						t.Fatalf("Epoch(%d, %d) did not panic", tc.e, tc.n)
					}
				}()
				s.Epoch(tc.e, tc.n)
			})
		}
	}
}

// TestUnifSGDEverySampleEquallyLikely: inclusion counts over E epochs have mean E·K/N
// and variance E·(K/N)(1−K/N); the χ² sum over samples, scaled by 1/(1−K/N), is
// ≈ χ²(N−1).
func TestUnifSGDEverySampleEquallyLikely(t *testing.T) {
	const n, k, epochs = 200, 60, 3000
	s := build(t, "unif-sgd", 1, n, 0.3)
	obs := make([]float64, n)
	for e := range epochs {
		for _, i := range s.Epoch(e, k) {
			obs[i]++
		}
	}
	exp := make([]float64, n)
	for i := range exp {
		exp[i] = epochs * k / n
	}
	x := chi2(t, obs, exp) / (1 - float64(k)/n)
	if x > chi2Critical(n-1) {
		t.Fatalf("χ² = %.1f > %.1f", x, chi2Critical(n-1))
	}
	// Positions are uniform too: sample 0 lands in the first half about half the time.
	first := 0
	for e := range epochs {
		out := s.Epoch(e, k)
		if p := slices.Index(out, 0); p >= 0 && p < k/2 {
			first++
		}
	}
	if f := float64(first) / (epochs * k / n); math.Abs(f-0.5) > 0.06 {
		t.Fatalf("sample 0 is in the first half of the order %.2f of the time, want 0.5", f)
	}
}

func TestFixedSubsetsStayFixed(t *testing.T) {
	for _, m := range []string{"fixed-random", "fixed-coreset"} {
		t.Run(m, func(t *testing.T) {
			s := build(t, m, 1, 500, 0.3)
			first := s.Epoch(0, 150)
			set := slices.Sorted(slices.Values(first))
			for e := 1; e < 4; e++ {
				mustObserve(t, s, randomLosses(uint64(e), 500))
				out := s.Epoch(e, 150)
				if !slices.Equal(slices.Sorted(slices.Values(out)), set) {
					t.Fatalf("epoch %d visits a different subset", e)
				}
				if slices.Equal(out, first) {
					t.Fatalf("epoch %d has the same order as epoch 0", e)
				}
			}
		})
	}
}

// TestFixedCoresetCoversBetterThanRandom: the k-center subset has a smaller covering
// radius (max over points of the distance to the nearest chosen point) than a random
// subset of the same size — the property Sener & Savarese optimise.
func TestFixedCoresetCoversBetterThanRandom(t *testing.T) {
	const n, k, dim = 2000, 100, 6
	feat := gaussianFeatures(5, n, dim, 4)
	cover := func(sub []int) float64 {
		worst := 0.0
		for i := range n {
			best := math.Inf(1)
			for _, j := range sub {
				best = min(best, float64(dist2Bound(feat[i*dim:(i+1)*dim], feat[j*dim:(j+1)*dim], inf32)))
			}
			worst = max(worst, best)
		}
		return math.Sqrt(worst)
	}
	core := build(t, "fixed-coreset", 1, n, 0.3).Epoch(0, k)
	rnd := build(t, "fixed-random", 1, n, 0.3).Epoch(0, k)
	if cc, cr := cover(core), cover(rnd); !(cc < 0.75*cr) {
		t.Fatalf("covering radius: core-set %.3f, random %.3f", cc, cr)
	}
}

func TestFixedCoresetNeedsFeatures(t *testing.T) {
	s := mustNew(t, testConfig("fixed-coreset", 10, 1))
	fu := s.(FeatureUser)
	for _, tc := range []struct {
		name string
		f    []float32
		dim  int
		frag string
	}{
		{"wrong length", make([]float32, 15), 2, "len(f) (15) must be n*dim (10*2=20)"},
		{"zero dim", nil, 0, "dim (0) must be > 0"},
		{"NaN", append(make([]float32, 19), float32(math.NaN())), 2, "f[19] (NaN, sample 9)"},
	} {
		if err := fu.SetFeatures(tc.f, tc.dim); err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.frag)) {
			t.Errorf("%s: SetFeatures = %v, want %q", tc.name, err, tc.frag)
		}
	}
	defer func() {
		if r := recover(); r == nil || !bytes.Contains([]byte(r.(string)), []byte("before SetFeatures")) {
			t.Fatalf("Epoch without features: recover() = %v", r)
		}
	}()
	s.Epoch(0, 5)
}

func TestEntropy(t *testing.T) {
	tests := []struct {
		name   string
		counts []float64
		want   float64
	}{
		{"uniform", []float64{3, 3, 3, 3}, math.Log(4)},
		{"single", []float64{0, 5, 0}, 0},
		{"empty", []float64{0, 0}, 0},
		{"nil", nil, 0},
		{"two to one", []float64{2, 1}, -(2.0/3)*math.Log(2.0/3) - (1.0/3)*math.Log(1.0/3)},
	}
	for _, tc := range tests {
		if got := Entropy(tc.counts); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: Entropy(%v) = %g, want %g", tc.name, tc.counts, got, tc.want)
		}
	}
}

func TestReportCountsVisitsFromObserve(t *testing.T) {
	for _, m := range Methods() {
		t.Run(m, func(t *testing.T) {
			s := build(t, m, 1, 100, 0.5)
			out := s.Epoch(0, 50)
			st := s.(Reporter).Report()
			if st.Method != m || st.Observed != 0 || st.NeverSeen != 1 || st.Entropy != 0 || st.Scheduled != int64(len(out)) {
				t.Fatalf("fresh Report() = %+v", st)
			}
			// 40 samples once, with shares (weights do not change visit counts).
			w := make([]float32, 40)
			for i := range w {
				w[i] = 0.5
			}
			if err := s.Observe(Obs{Idx: seq(0, 40), Loss: randomLosses(1, 40), Weight: w, GradNorm: randomLosses(2, 40)}); err != nil {
				t.Fatal(err)
			}
			st = s.(Reporter).Report()
			if st.Observed != 40 || math.Abs(st.NeverSeen-0.6) > 1e-12 || math.Abs(st.Entropy-math.Log(40)) > 1e-12 ||
				math.Abs(st.MaxEntropy-math.Log(100)) > 1e-12 {
				t.Fatalf("Report() = %+v, want Observed 40, NeverSeen 0.6, Entropy ln 40", st)
			}
			if c := s.(VisitCounter).VisitCounts(); c[0] != 1 || c[99] != 0 {
				t.Fatalf("VisitCounts()[0,99] = %d, %d", c[0], c[99])
			}
		})
	}
}
