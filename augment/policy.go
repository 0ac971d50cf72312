package augment

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// ErrUnknownOp is wrapped by the errors of Parse for a token that names no
// op; ErrBadPolicy by every other policy error.
var (
	ErrUnknownOp = errors.New("unknown op")
	ErrBadPolicy = errors.New("bad policy")
)

// knownOps is the grammar, listed in errors.
const knownOps = "standard, rand-n{N}-m{M}, trivial, autoaug-cifar10, cutout-{size}, erase-p{p}, " +
	"mixup-a{alpha}, ricap-a{beta}, cutmix-a{alpha}-p{p}, none"

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
//	policy = "none" | token { "+" token }
//	token  = "standard" | "rand" ["-n" N] ["-m" M] | "trivial" | "autoaug-cifar10"
//	       | "cutout" ["-" size] | "erase" ["-p" p]
//	       | ("mixup" | "ricap") ["-a" alpha] | "cutmix" ["-a" alpha] ["-p" p]
//
// with defaults N = 2, M = 4 (the paper's RandAugment), size 16, erase p
// 0.5, mixup and RICAP alpha 0.3 (spec §3.2-3.3), CutMix alpha 1 and p 1
// (every batch; Yun et al.'s CIFAR setting is cutmix-a1-p0.5). Transforms run
// in the order written; a mixer must be the last token and there can be
// only one. The paper's RandAugment setting is "rand-n2-m4+standard"
// (RandAugment runs before the crop and flip, spec §3.4). All problems of
// the policy are reported, one per line, each a *PolicyError.
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
	tokens := strings.Split(policy, "+")
	for i, tok := range tokens {
		head, args, _ := strings.Cut(tok, "-")
		if tok == "autoaug-cifar10" {
			head, args = tok, ""
		}
		var params []string
		if args != "" {
			params = strings.Split(args, "-")
		}
		t, m, problem, hint := parseToken(head, params, ds)
		switch {
		case problem == "unknown":
			bad(tok, fmt.Sprintf("unknown op %q", tok), "known: "+knownOps, ErrUnknownOp)
			continue
		case problem != "":
			bad(tok, fmt.Sprintf("%s in %q", problem, tok), hint, ErrBadPolicy)
			continue
		}
		if m != nil {
			switch {
			case p.Mixer != nil:
				bad(tok, fmt.Sprintf("second mixer %q", tok), "at most one of mixup, ricap, cutmix", ErrBadPolicy)
			case i != len(tokens)-1:
				bad(tok, fmt.Sprintf("mixer %q before the last token", tok), "mixers act on the normalized batch, so they come last", ErrBadPolicy)
			}
			p.Mixer = m
			continue
		}
		p.Transforms = append(p.Transforms, t)
	}
	return errs
}

// parseToken builds one token. problem "unknown" means no such op; another
// non-empty problem names the bad parameter.
func parseToken(head string, params []string, ds DatasetInfo) (t Transform, m Mixer, problem, hint string) {
	// get returns the value of parameter prefix (e.g. "n" of "n2"), or def.
	seen := map[string]bool{}
	var firstBad string
	get := func(prefix string, def float64) float64 {
		for _, p := range params {
			if strings.HasPrefix(p, prefix) && (prefix != "" || p != "") {
				seen[p] = true
				v, err := strconv.ParseFloat(p[len(prefix):], 64)
				if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
					if firstBad == "" {
						firstBad = p
					}
					return def
				}
				return v
			}
		}
		return def
	}
	unused := func() string {
		if firstBad != "" {
			return fmt.Sprintf("bad parameter %q", firstBad)
		}
		for _, p := range params {
			if !seen[p] {
				return fmt.Sprintf("unknown parameter %q", p)
			}
		}
		return ""
	}
	isInt := func(v float64) bool { return v == math.Trunc(v) && math.Abs(v) < 1<<30 }
	switch head {
	case "standard":
		hint = "want standard[-pad{P}][-flip{F}] with integer P >= 0 and 0 <= F <= 1"
		pad, flip := get("pad", float64(ds.Pad)), get("flip", ds.FlipProb)
		if pr := unused(); pr != "" {
			return nil, nil, pr, hint
		}
		if !isInt(pad) || pad < 0 {
			return nil, nil, fmt.Sprintf("bad pad %v", pad), hint
		}
		if !(flip >= 0 && flip <= 1) {
			return nil, nil, fmt.Sprintf("bad flip probability %v", flip), hint
		}
		return &Standard{Pad: int(pad), FlipProb: flip}, nil, "", ""
	case "trivial", "autoaug-cifar10", "none":
		if len(params) > 0 {
			return nil, nil, fmt.Sprintf("unknown parameter %q", params[0]), head + " takes no parameters"
		}
		switch head {
		case "trivial":
			return NewTrivialAugment(), nil, "", ""
		case "autoaug-cifar10":
			return NewAutoAugmentCIFAR10(), nil, "", ""
		}
		return nil, nil, `"none" combined with other tokens`, `"none" must stand alone`
	case "rand":
		hint = "want rand-n{N}-m{M} with integer N >= 1 and 0 <= M <= 30"
		n, mag := get("n", 2), get("m", 4)
		if pr := unused(); pr != "" {
			return nil, nil, pr, hint
		}
		if !isInt(n) || n < 1 {
			return nil, nil, fmt.Sprintf("bad N %v", n), hint
		}
		if !isInt(mag) || mag < 0 || mag > 30 {
			return nil, nil, fmt.Sprintf("bad M %v", mag), hint
		}
		r, _ := NewRandAugment(int(n), int(mag))
		return r, nil, "", ""
	case "cutout":
		hint = "want cutout-{size} with integer size >= 1"
		size := get("", 16)
		if pr := unused(); pr != "" {
			return nil, nil, pr, hint
		}
		if !isInt(size) || size < 1 {
			return nil, nil, fmt.Sprintf("bad size %v", size), hint
		}
		c := &Cutout{Size: int(size)}
		for i := range min(len(ds.Mean), 3) {
			c.Fill[i] = uint8(math.Round(float64(255 * min(max(ds.Mean[i], 0), 1))))
		}
		return c, nil, "", ""
	case "erase":
		hint = "want erase-p{p} with 0 <= p <= 1"
		pr := get("p", 0.5)
		if u := unused(); u != "" {
			return nil, nil, u, hint
		}
		e, err := NewRandomErasing(pr)
		if err != nil {
			return nil, nil, fmt.Sprintf("bad p %v", pr), hint
		}
		return e, nil, "", ""
	case "mixup", "ricap":
		hint = "want " + head + "-a{alpha} with alpha > 0"
		a := get("a", 0.3)
		if pr := unused(); pr != "" {
			return nil, nil, pr, hint
		}
		if !(a > 0) {
			return nil, nil, fmt.Sprintf("bad alpha %v", a), hint
		}
		if head == "mixup" {
			return nil, &Mixup{Alpha: a}, "", ""
		}
		return nil, &RICAP{Beta: a}, "", ""
	case "cutmix":
		hint = "want cutmix[-a{alpha}][-p{p}] with alpha > 0 and 0 <= p <= 1"
		a, pr := get("a", 1), get("p", 1)
		if u := unused(); u != "" {
			return nil, nil, u, hint
		}
		if !(a > 0) {
			return nil, nil, fmt.Sprintf("bad alpha %v", a), hint
		}
		c, err := NewCutMix(a, pr)
		if err != nil {
			return nil, nil, fmt.Sprintf("bad p %v", pr), hint
		}
		return nil, c, "", ""
	}
	return nil, nil, "unknown", ""
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
