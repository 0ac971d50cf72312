package augment

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
)

// ErrUnknownOp is wrapped by the errors of Parse for a token that names no
// op; ErrBadPolicy by every other policy error.
var (
	ErrUnknownOp = errors.New("unknown op")
	ErrBadPolicy = errors.New("bad policy")
)

// PolicyError is one problem of a policy string.
type PolicyError struct {
	Policy  string // the whole policy
	Token   string // the offending token ("" for the policy as a whole)
	Problem string // what is wrong, naming the token or value
	Hint    string // what was expected, may be ""
	Err     error  // ErrUnknownOp or ErrBadPolicy
}

func (e *PolicyError) Error() string {
	s := fmt.Sprintf("augment: %s in policy %q", e.Problem, e.Policy)
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

func (e *PolicyError) Unwrap() error { return e.Err }

// Pipeline is a resolved augmentation policy: per-image transforms applied
// in the order of the policy, then Normalize, then an optional batch Mixer.
// Its transforms and mixer hold scratch buffers, so a Pipeline is for one
// worker at a time; Clone gives another worker its own.
type Pipeline struct {
	Policy     string
	Dataset    DatasetInfo
	Transforms []Transform
	Mixer      Mixer // nil = no mixing
	norm       *Normalizer
}

// Parse resolves a policy string for a dataset. The grammar is
//
//	policy = "none" | { transform "+" } ( transform | mixer )
//
// where transform and mixer are the rows of the op table (tokens, in
// policytable.go), which Grammar lists with their parameters, ranges and
// defaults (as does the package documentation). Transforms run
// in the order written; a mixer must be the last token and there can be only
// one. The paper's RandAugment setting is "rand-n2-m4+standard" (RandAugment
// runs before the crop and flip, spec §3.4); Yun et al.'s CIFAR setting of
// CutMix is "cutmix-a1-p0.5". All problems of the policy are reported, one
// per line, each a *PolicyError.
func Parse(policy string, ds DatasetInfo) (Pipeline, error) {
	p := Pipeline{Policy: policy, Dataset: ds}
	errs := parseInto(&p, policy, ds)
	if err := ds.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("augment: policy %q: %w", policy, err))
	}
	if len(errs) > 0 {
		return Pipeline{}, errors.Join(errs...)
	}
	p.norm = NewNormalizer(ds.Mean, ds.Std)
	return p, nil
}

func parseInto(p *Pipeline, policy string, ds DatasetInfo) []error {
	var errs []error
	bad := func(token, problem, hint string, err error) {
		errs = append(errs, &PolicyError{Policy: policy, Token: token, Problem: problem, Hint: hint, Err: err})
	}
	if policy == "none" {
		return nil
	}
	if strings.TrimSpace(policy) == "" {
		bad("", "empty policy", "use \"none\" for no augmentation", ErrBadPolicy)
		return errs
	}
	toks := strings.Split(policy, "+")
	for i, tok := range toks {
		op, built, problem, hint := parseToken(tok, ds)
		switch {
		case op == nil:
			bad(tok, fmt.Sprintf("unknown op %q", tok), "known: "+knownOps(), ErrUnknownOp)
			continue
		case problem != "":
			bad(tok, fmt.Sprintf("%s in %q", problem, tok), hint, ErrBadPolicy)
			continue
		}
		if op.Mixer {
			switch {
			case p.Mixer != nil:
				bad(tok, fmt.Sprintf("second mixer %q", tok), "at most one of "+mixerNames(), ErrBadPolicy)
			case i != len(toks)-1:
				bad(tok, fmt.Sprintf("mixer %q before the last token", tok), "mixers act on the normalized batch, so they come last", ErrBadPolicy)
			}
			p.Mixer = built.(Mixer)
			continue
		}
		p.Transforms = append(p.Transforms, built.(Transform))
	}
	return errs
}

// parseToken builds one token from its row of tokens: "rand-n2-m4" is op
// "rand" with parameters "n2" and "m4". op is nil for no such op; a
// non-empty problem names the bad parameter, and hint says what was wanted.
func parseToken(tok string, ds DatasetInfo) (op *token, built any, problem, hint string) {
	var args string
	if op = lookup(tok); op == nil { // names with "-" match only whole
		var head string
		head, args, _ = strings.Cut(tok, "-")
		if op = lookup(head); op == nil {
			return nil, nil, "", ""
		}
	}
	var params []string
	if args != "" {
		params = strings.Split(args, "-")
	}
	v, problem := op.values(params, ds)
	switch {
	case problem != "":
		return op, nil, problem, op.hint()
	case op.New == nil:
		return op, nil, fmt.Sprintf("%q combined with other tokens", op.Name), fmt.Sprintf("%q must stand alone", op.Name)
	}
	built, err := op.New(v, ds)
	if err != nil { // a range in tokens looser than the constructor's
		return op, nil, err.Error(), op.hint()
	}
	return op, built, "", ""
}

// Apply runs the transforms on img, in order.
func (p Pipeline) Apply(img *Image, rng *rand.Rand) {
	for _, t := range p.Transforms {
		t.Apply(img, rng)
	}
}

// Fill builds a training batch: it applies the transforms to each image (in
// place), normalizes image j into b.X, sets b.Label, resets the part
// bookkeeping and, if there is a mixer, mixes the batch. It panics if
// len(imgs) or len(labels) differ from b.N or an image shape differs from
// the batch's.
func (p Pipeline) Fill(b *Batch, imgs []*Image, labels []int, rng *rand.Rand) {
	if len(imgs) != b.N || len(labels) != b.N {
		panic(fmt.Sprintf("augment: fill %d images and %d labels into a batch of %d", len(imgs), len(labels), b.N))
	}
	for j, img := range imgs {
		if img.H != b.H || img.W != b.W || img.C != b.C {
			panic(fmt.Sprintf("augment: image %d is %dx%dx%d, batch wants %dx%dx%d", j, img.H, img.W, img.C, b.H, b.W, b.C))
		}
		p.Apply(img, rng)
		if p.norm == nil {
			Normalize(img, p.Dataset.Mean, p.Dataset.Std, b.Image(j))
		} else {
			p.norm.Apply(img, b.Image(j))
		}
	}
	copy(b.Label, labels)
	b.Unmix()
	if p.Mixer != nil {
		p.Mixer.Mix(b, rng)
	}
}

// Clone returns a pipeline with the same policy and fresh scratch buffers,
// for another worker. It panics for a pipeline that Parse did not make.
func (p Pipeline) Clone() Pipeline {
	q, err := Parse(p.Policy, p.Dataset)
	if err != nil {
		panic("augment: clone of a pipeline not made by Parse: " + err.Error())
	}
	return q
}

// String describes the resolved pipeline in order, for the start-up log.
func (p Pipeline) String() string {
	var parts []string
	if len(p.Transforms) == 0 {
		parts = append(parts, "none")
	}
	for _, t := range p.Transforms {
		parts = append(parts, describe(t))
	}
	parts = append(parts, fmt.Sprintf("normalize(mean=%v, std=%v)", p.Dataset.Mean, p.Dataset.Std))
	if p.Mixer != nil {
		parts = append(parts, describe(p.Mixer))
	}
	return strings.Join(parts, " -> ")
}

func describe(v any) string {
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%T", v)
}
