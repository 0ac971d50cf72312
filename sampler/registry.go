package sampler

import (
	"fmt"
	"slices"
	"strings"
)

// constructor builds a sampler from a validated Config.
type constructor func(c Config) Sampler

// registry maps Config.Method to its constructor. Keep it in this one map literal.
var registry = map[string]constructor{
	"sgd":                func(c Config) Sampler { return newFullData(c) },
	"unif-sgd":           func(c Config) Sampler { return newUniform(c) },
	"p-sgd":              func(c Config) Sampler { return newActiveBias(c, false) },
	"c-sgd":              func(c Config) Sampler { return newActiveBias(c, true) },
	"selective-backprop": func(c Config) Sampler { return newSelectiveBackprop(c) },
	"fixed-random":       func(c Config) Sampler { return newFixedRandom(c) },
	"fixed-coreset":      func(c Config) Sampler { return newFixedCoreset(c) },
	"infobatch":          func(c Config) Sampler { return newInfoBatch(c) },
	"loss-is":            func(c Config) Sampler { return newImportanceIS(c, false) },
	"upper-bound-is":     func(c Config) Sampler { return newImportanceIS(c, true) },
}

// Methods returns the registered method names, sorted.
func Methods() []string {
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// New validates c (as given: nothing is filled in) and builds the sampler for c.Method.
// An unknown method gives an error wrapping ErrUnknownMethod that lists Methods().
func New(c Config) (Sampler, error) {
	if _, ok := registry[c.Method]; !ok {
		return nil, fmt.Errorf("sampler: new %q: %w (known: %s)", c.Method, ErrUnknownMethod, strings.Join(Methods(), ", "))
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("sampler: new %q: invalid config:\n%w", c.Method, err)
	}
	return registry[c.Method](c), nil
}

// Selects reports whether method's sampler chooses the images to back-propagate itself from a
// forwarded batch (implements Selector, as Selective Backprop does), which batch mixing cannot
// serve. It builds a throwaway sampler of one image; false for an unknown method.
func Selects(method string) bool {
	build, ok := registry[method]
	if !ok {
		return false
	}
	c := DefaultConfig()
	c.Method, c.Run = method, Run{N: 1, Budget: 1, BatchSize: 1, Epochs: 1}
	_, ok = build(c).(Selector)
	return ok
}
