package sampler

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"math/rand/v2"
)

// stateHeader is the part of every checkpoint that base owns. It is gob-encoded first,
// followed by the method's own payload struct.
type stateHeader struct {
	Method    string
	Seed      uint64
	N         int
	RNG       []byte // rand.PCG binary state
	Visits    []int32
	Observed  int64
	Scheduled int64
}

// marshal encodes the header and the method payload (a struct with exported fields).
func (b *base) marshal(payload any) ([]byte, error) {
	rng, err := b.pcg.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("sampler: %s: marshal rng state: %w", b.cfg.Method, err)
	}
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	h := stateHeader{Method: b.cfg.Method, Seed: b.cfg.Seed, N: b.cfg.N, RNG: rng,
		Visits: b.visits, Observed: b.observed, Scheduled: b.scheduled}
	if err := enc.Encode(h); err != nil {
		return nil, fmt.Errorf("sampler: %s: marshal state: %w", b.cfg.Method, err)
	}
	if err := enc.Encode(payload); err != nil {
		return nil, fmt.Errorf("sampler: %s: marshal state: %w", b.cfg.Method, err)
	}
	return buf.Bytes(), nil
}

// unmarshal decodes data into a header (checked against this sampler) and payload
// (a pointer), without touching the sampler. The caller validates the payload and
// then calls commit, so a bad state leaves the sampler unchanged.
func (b *base) unmarshal(data []byte, payload any) (stateHeader, error) {
	var h stateHeader
	dec := gob.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&h); err != nil {
		return h, b.stateErr("decode header: %v", err)
	}
	switch {
	case h.Method != b.cfg.Method:
		return h, b.stateErr("state is for method %q", h.Method)
	case h.Seed != b.cfg.Seed:
		return h, b.stateErr("state has seed %d, sampler has %d", h.Seed, b.cfg.Seed)
	case h.N != b.cfg.N:
		return h, b.stateErr("state has n %d, sampler has %d", h.N, b.cfg.N)
	case len(h.Visits) != b.cfg.N:
		return h, b.stateErr("state has %d visit counts, want %d", len(h.Visits), b.cfg.N)
	}
	if err := new(rand.PCG).UnmarshalBinary(h.RNG); err != nil {
		return h, b.stateErr("rng: %v", err)
	}
	if err := dec.Decode(payload); err != nil {
		return h, b.stateErr("decode payload: %v", err)
	}
	return h, nil
}

// commit installs a header returned by unmarshal.
func (b *base) commit(h stateHeader) {
	_ = b.pcg.UnmarshalBinary(h.RNG) // checked in unmarshal
	b.visits = h.Visits
	b.observed = h.Observed
	b.scheduled = h.Scheduled
}

func (b *base) stateErr(format string, args ...any) error {
	return fmt.Errorf("sampler: %s: unmarshal state: %s: %w", b.cfg.Method, fmt.Sprintf(format, args...), ErrState)
}

// checkLen reports a payload slice of the wrong length (nil allowed when optional).
func (b *base) checkLen(name string, got, want int) error {
	if got != want {
		return b.stateErr("%s has length %d, want %d", name, got, want)
	}
	return nil
}
