package sampler

import "math/rand/v2"

// Compile-time interface checks.
var (
	_ Sampler      = (*fullData)(nil)
	_ Reporter     = (*fullData)(nil)
	_ Stateful     = (*fullData)(nil)
	_ VisitCounter = (*fullData)(nil)
	_ Sampler      = (*uniform)(nil)
	_ Reporter     = (*uniform)(nil)
	_ Stateful     = (*uniform)(nil)
	_ VisitCounter = (*uniform)(nil)
	_ Sampler      = (*fixedRandom)(nil)
	_ Reporter     = (*fixedRandom)(nil)
	_ Stateful     = (*fixedRandom)(nil)
	_ VisitCounter = (*fixedRandom)(nil)
)

// fullData is "sgd" (paper §2.6): a fresh permutation of all N samples every epoch,
// ignoring n. The caller's global step budget ends the run, as for every method.
type fullData struct{ base }

func newFullData(c Config) *fullData { return &fullData{newBase(c)} }

// Epoch returns a permutation of [0, N); n is only range-checked.
func (s *fullData) Epoch(e, n int) []int {
	s.checkEpoch(e, n)
	out := permutation(s.epochRand(e), s.cfg.N)
	s.scheduled += int64(len(out))
	return out
}

// Observe only counts visits.
func (s *fullData) Observe(o Obs) error {
	if err := s.validate(o, false); err != nil {
		return err
	}
	s.count(o)
	return nil
}

func (s *fullData) Report() Stats                 { return s.report() }
func (s *fullData) MarshalState() ([]byte, error) { return s.marshal(noState{}) }
func (s *fullData) UnmarshalState(d []byte) error { return s.unmarshalEmpty(d) }

// noState is the payload of samplers whose only state is in base (gob cannot encode
// a struct without exported fields).
type noState struct{ Version int }

// unmarshalEmpty restores a sampler whose only state is in base.
func (b *base) unmarshalEmpty(d []byte) error {
	var p noState
	h, err := b.unmarshal(d, &p)
	if err != nil {
		return err
	}
	b.commit(h)
	return nil
}

// uniform is "unif-sgd" (paper §2.2): every epoch an independent uniform subset of
// n = ⌊N·b⌋ samples drawn without replacement, in random order.
type uniform struct{ base }

func newUniform(c Config) *uniform { return &uniform{newBase(c)} }

// Epoch returns n distinct uniformly chosen indices in random order.
func (s *uniform) Epoch(e, n int) []int {
	s.checkEpoch(e, n)
	out := uniformSubset(s.epochRand(e), s.cfg.N, n)
	s.scheduled += int64(len(out))
	return out
}

// uniformSubset is a partial Fisher–Yates shuffle: the first n positions of a
// uniformly shuffled [0, N), hence a uniform subset in uniform random order.
func uniformSubset(r *rand.Rand, N, n int) []int {
	a := make([]int, N)
	for i := range a {
		a[i] = i
	}
	for i := 0; i < n; i++ {
		j := i + r.IntN(N-i)
		a[i], a[j] = a[j], a[i]
	}
	return a[:n:n]
}

// Observe only counts visits: with w ≡ 1 the statistics of §2.5 never change the
// distribution, so they are not kept.
func (s *uniform) Observe(o Obs) error {
	if err := s.validate(o, false); err != nil {
		return err
	}
	s.count(o)
	return nil
}

func (s *uniform) Report() Stats                 { return s.report() }
func (s *uniform) MarshalState() ([]byte, error) { return s.marshal(noState{}) }
func (s *uniform) UnmarshalState(d []byte) error { return s.unmarshalEmpty(d) }

// fixedRandom is "fixed-random" (paper §2.8, "Random" in the teaser figure): one
// uniform subset of n samples, drawn at the first Epoch call from a stream that does
// not depend on the epoch, then reshuffled every epoch. The n of later calls is
// ignored: the subset size is fixed by the first call.
type fixedRandom struct {
	base
	subset []int
}

func newFixedRandom(c Config) *fixedRandom { return &fixedRandom{base: newBase(c)} }

// Epoch returns the fixed subset in a fresh random order.
func (s *fixedRandom) Epoch(e, n int) []int {
	s.checkEpoch(e, n)
	if s.subset == nil {
		s.subset = uniformSubset(s.reseed(tagSubset), s.cfg.N, n)
	}
	out := shuffled(s.epochRand(e), s.subset)
	s.scheduled += int64(len(out))
	return out
}

// Observe only counts visits.
func (s *fixedRandom) Observe(o Obs) error {
	if err := s.validate(o, false); err != nil {
		return err
	}
	s.count(o)
	return nil
}

func (s *fixedRandom) Report() Stats { return s.report() }

type fixedState struct {
	Chosen bool
	Subset []int
}

func (s *fixedRandom) MarshalState() ([]byte, error) {
	return s.marshal(fixedState{Chosen: s.subset != nil, Subset: s.subset})
}

func (s *fixedRandom) UnmarshalState(d []byte) error {
	subset, h, err := s.unmarshalSubset(d)
	if err != nil {
		return err
	}
	s.commit(h)
	s.subset = subset
	return nil
}

// unmarshalSubset decodes and checks a fixedState.
func (b *base) unmarshalSubset(d []byte) ([]int, stateHeader, error) {
	var p fixedState
	h, err := b.unmarshal(d, &p)
	if err != nil {
		return nil, h, err
	}
	if !p.Chosen {
		return nil, h, nil
	}
	if len(p.Subset) > b.cfg.N {
		return nil, h, b.stateErr("subset has %d indices, more than n %d", len(p.Subset), b.cfg.N)
	}
	for _, i := range p.Subset {
		if i < 0 || i >= b.cfg.N {
			return nil, h, b.stateErr("subset index %d out of [0,%d)", i, b.cfg.N)
		}
	}
	if p.Subset == nil {
		p.Subset = []int{} // gob drops empty slices; a chosen empty subset stays chosen
	}
	return p.Subset, h, nil
}
