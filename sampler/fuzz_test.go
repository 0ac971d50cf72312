package sampler

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// FuzzSamplersValidIndices: for any non-negative losses (ties, zeros, huge values),
// any method, seed and epoch size, every epoch holds valid indices of the right
// count, Select returns valid positions, and a NaN loss is rejected with ErrBadObs.
func FuzzSamplersValidIndices(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0}, uint8(0), uint64(1), uint8(30), uint8(0))
	f.Add([]byte{1, 2, 3, 250, 255, 7, 7, 7}, uint8(3), uint64(2), uint8(99), uint8(5))
	f.Add([]byte("ties and zeros 0000000000"), uint8(5), uint64(3), uint8(1), uint8(200))
	for m := range len(Methods()) {
		f.Add([]byte{9, 0, 9, 0, 200, 3, 3, 3, 3, 1}, uint8(m), uint64(m), uint8(50), uint8(m))
	}
	f.Fuzz(func(t *testing.T, data []byte, mi uint8, seed uint64, frac uint8, nanAt uint8) {
		methods := Methods()
		method := methods[int(mi)%len(methods)]
		n := 8 + len(data)%120
		byteAt := func(i int) byte {
			if len(data) == 0 {
				return 0
			}
			return data[i%len(data)]
		}
		loss := make([]float32, n)
		for i := range loss {
			switch b := byteAt(i); {
			case b >= 250:
				loss[i] = float32(b) * 1e30 // huge but finite
			default:
				loss[i] = float32(b%16) / 4 // many ties, zeros
			}
		}
		k := n * int(frac%101) / 100
		b := 1.0
		if k >= 1 && k < n {
			b = (float64(k) + 0.5) / float64(n) // k/n itself can truncate to k−1
		}
		c := DefaultConfig()
		c.Method, c.Seed, c.N, c.Budget, c.BatchSize, c.Epochs = method, seed, n, b, 1, 4
		s, err := New(c)
		if err != nil {
			t.Fatalf("New(%+v): %v", c, err)
		}
		if fu, ok := s.(FeatureUser); ok {
			feat := make([]float32, n*3)
			for i := range feat {
				feat[i] = float32(byteAt(i * 7))
			}
			if err := fu.SetFeatures(feat, 3); err != nil {
				t.Fatal(err)
			}
		}
		size, exact, distinct := epochRule(method, n, k)
		for e := range 3 {
			out := s.Epoch(e, k)
			if (exact && len(out) != size) || len(out) > size {
				t.Fatalf("%s epoch %d: %d indices, want %d", method, e, len(out), size)
			}
			seen := make([]bool, n)
			for _, i := range out {
				if i < 0 || i >= n || (distinct && seen[i]) {
					t.Fatalf("%s epoch %d: index %d invalid or repeated", method, e, i)
				}
				seen[i] = true
			}
			if w, ok := s.(Weighter); ok {
				for _, x := range w.Weights(out) {
					if !(x > 0) || math.IsInf(float64(x), 0) {
						t.Fatalf("%s: weight %g", method, x)
					}
				}
			}
			if sel, ok := s.(Selector); ok {
				keep := sel.Select(loss)
				if !slices.IsSorted(keep) || len(keep) > n || (len(keep) > 0 && (keep[0] < 0 || keep[len(keep)-1] >= n)) {
					t.Fatalf("Select returned %v", keep)
				}
			}
			mustObserve(t, s, loss)
		}
		bad := slices.Clone(loss)
		bad[int(nanAt)%n] = float32(math.NaN())
		if err := s.Observe(Obs{Idx: seq(0, n), Loss: bad, GradNorm: loss}); !errors.Is(err, ErrBadObs) {
			t.Fatalf("%s: Observe with a NaN loss = %v, want ErrBadObs", method, err)
		}
	})
}
