package augment

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// DefaultPolicy is the policy of DefaultConfig: the paper's standard
// augmentation (spec §3.1).
const DefaultPolicy = "standard"

// DefaultConfig returns the default augment section: DefaultPolicy, no ops.
func DefaultConfig() Config { return Config{Policy: DefaultPolicy} }

// Config is the augment section of the run configuration.
type Config struct {
	// Policy is the augmentation policy string (see Parse), e.g. "standard",
	// "rand-n2-m4+standard" (the paper's RandAugment) or
	// "standard+ricap-a0.3".
	Policy string `mapstructure:"policy"`
	// Ops is the structured form of the same thing: the steps in order, each a name and
	// its numeric parameters, e.g. [{name: rand, params: {n: 2, m: 4}}, {name: standard},
	// {name: ricap, params: {alpha: 0.3}}]. Parameter names are those of the policy
	// grammar spelled out: pad, flip, n, m, size, p, alpha. When Ops is set and Policy
	// is "", DerivePolicy sets Policy from it; when both are given they must agree.
	Ops []Op `mapstructure:"ops"`
}

// Op is one step of a structured policy.
type Op struct {
	Name   string             `mapstructure:"name"`
	Params map[string]float64 `mapstructure:"params"`
}

// OpsPolicy renders structured ops as a policy string ("rand-n2-m4+standard").
func OpsPolicy(ops []Op) string {
	tokens := make([]string, 0, len(ops))
	for _, op := range ops {
		tok := op.Name
		keys := make([]string, 0, len(op.Params))
		for k := range op.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			tok += "-" + paramPrefix(k) + strconv.FormatFloat(op.Params[k], 'g', -1, 64)
		}
		tokens = append(tokens, tok)
	}
	return strings.Join(tokens, "+")
}

// DerivePolicy sets an empty Policy from the structured form, OpsPolicy(Ops), when Ops is
// given: a config file can give augment.ops alone. cmd calls it once, after every source is
// applied. It fills in nothing else: an empty Policy without Ops stays empty and Validate
// rejects it ("none" is no augmentation); a Policy that is set is left alone, and Validate
// checks that it agrees with Ops.
func (c *Config) DerivePolicy() {
	if c.Policy == "" && len(c.Ops) > 0 {
		c.Policy = OpsPolicy(c.Ops)
	}
}

// policyCheckShape is the image Validate parses a policy for: 32×32 RGB
// (CIFAR's shape) with the standard crop padding and flip. Only the shape,
// padding and flip can make a policy invalid; the normalization is neutral.
var policyCheckShape = DatasetInfo{H: 32, W: 32, C: 3, FlipProb: 0.5, Pad: 4,
	Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.5, 0.5, 0.5}}

// Validate reports every problem of the config, one line each, naming the
// key and its value. The policy is checked against a 32×32 RGB image
// (policyCheckShape); the dataset itself is checked when the pipeline is
// built.
func (c Config) Validate() error {
	ds := policyCheckShape
	var errs []error
	if c.Policy == "" {
		return errors.New(`augment.policy ("") is empty: give a policy such as "standard" or "none", or augment.ops`)
	}
	if len(c.Ops) > 0 && OpsPolicy(c.Ops) != c.Policy {
		errs = append(errs, fmt.Errorf("augment.policy (%q) and augment.ops (%q) disagree: give one of them", c.Policy, OpsPolicy(c.Ops)))
	}
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
