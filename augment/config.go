package augment

import (
	"errors"
	"fmt"
)

// DefaultPolicy is the policy of an empty Config: the paper's standard
// augmentation (spec §3.1).
const DefaultPolicy = "standard"

// Config is the augment section of the run configuration.
type Config struct {
	// Policy is the augmentation policy string (see Parse), e.g. "standard",
	// "rand-n2-m4+standard" (the paper's RandAugment) or
	// "standard+ricap-a0.3".
	Policy string `mapstructure:"policy"`
}

// EnsureDefaults fills unset fields with their defaults.
func (c *Config) EnsureDefaults() {
	if c.Policy == "" {
		c.Policy = DefaultPolicy
	}
}

// Validate reports every problem of the config, one line each, naming the
// key and its value. The policy is checked against CIFAR-10's shape; the
// dataset itself is checked when the pipeline is built.
func (c Config) Validate() error {
	ds, _ := Preset("cifar10")
	var errs []error
	p := Pipeline{}
	for _, e := range parseInto(&p, c.Policy, ds) {
		var pe *PolicyError
		if errors.As(e, &pe) {
			msg := fmt.Sprintf("augment.policy (%q): %s", c.Policy, pe.Problem)
			if pe.Hint != "" {
				msg += " (" + pe.Hint + ")"
			}
			errs = append(errs, &configError{msg: msg, err: pe.Err})
			continue
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// Pipeline resolves the config for a dataset.
func (c Config) Pipeline(ds DatasetInfo) (Pipeline, error) { return Parse(c.Policy, ds) }

// configError is one line of Validate; it unwraps to the policy sentinel.
type configError struct {
	msg string
	err error
}

func (e *configError) Error() string { return e.msg }
func (e *configError) Unwrap() error { return e.err }
