package augment

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// tokens is the policy grammar: one row per op, in the order Grammar lists
// them. Parse reads it, and everything else is generated from it: knownOps
// (the list in an unknown-op error), each op's hint, mixerNames, paramPrefix
// (Config.Ops) and Grammar (the listing in the package doc and
// docs/augment.md, checked by TestGrammarInDocs), so the grammar, the errors
// and the docs cannot drift apart. Defaults are the
// paper's (spec §3): RandAugment N = 2, M = 4; mixup and RICAP alpha 0.3.
var tokens = []token{
	{Name: "standard", Doc: "zero-pad, random crop, horizontal flip (spec §3.1)",
		Params: []param{
			{Key: "pad", Prefix: "pad", Sym: "P", Noun: "pad", Int: true, Lo: 0, Hi: inf,
				FromDataset: func(ds DatasetInfo) float64 { return float64(ds.Pad) }},
			{Key: "flip", Prefix: "flip", Sym: "F", Noun: "flip probability", Lo: 0, Hi: 1,
				FromDataset: func(ds DatasetInfo) float64 { return ds.FlipProb }}},
		New: func(v []float64, _ DatasetInfo) (any, error) { return &Standard{Pad: int(v[0]), FlipProb: v[1]}, nil }},
	{Name: "rand", Doc: "RandAugment, N ops at magnitude M of 30 (spec §3.4)",
		Params: []param{
			{Key: "n", Prefix: "n", Sym: "N", Int: true, Lo: 1, Hi: inf, Def: 2},
			{Key: "m", Prefix: "m", Sym: "M", Int: true, Lo: 0, Hi: 30, Def: 4}},
		New: func(v []float64, _ DatasetInfo) (any, error) { return NewRandAugment(int(v[0]), int(v[1])) }},
	{Name: "trivial", Doc: "TrivialAugment Wide (not in the paper)",
		New: func([]float64, DatasetInfo) (any, error) { return NewTrivialAugment(), nil }},
	{Name: "autoaug-cifar10", Doc: "AutoAugment, CIFAR-10 policy (not in the paper)",
		New: func([]float64, DatasetInfo) (any, error) { return NewAutoAugmentCIFAR10(), nil }},
	{Name: "cutout", Doc: "Cutout, a size x size square of the dataset mean (not in the paper)",
		Params: []param{{Key: "size", Prefix: "", Sym: "size", Int: true, Lo: 1, Hi: inf, Def: 16}},
		New:    newCutout},
	{Name: "erase", Doc: "random erasing with probability p (not in the paper)",
		Params: []param{{Key: "p", Prefix: "p", Sym: "p", Lo: 0, Hi: 1, Def: 0.5}},
		New:    func(v []float64, _ DatasetInfo) (any, error) { return NewRandomErasing(v[0]) }},
	{Name: "mixup", Doc: "mixup, 2 parts (spec §3.2)", Mixer: true,
		Params: []param{{Key: "alpha", Prefix: "a", Sym: "alpha", Lo: 0, LoOpen: true, Hi: inf, Def: 0.3}},
		New:    func(v []float64, _ DatasetInfo) (any, error) { return &Mixup{Alpha: v[0]}, nil }},
	{Name: "ricap", Doc: "RICAP, 4 parts (spec §3.3; alpha is its beta)", Mixer: true,
		Params: []param{{Key: "alpha", Prefix: "a", Sym: "alpha", Lo: 0, LoOpen: true, Hi: inf, Def: 0.3}},
		New:    func(v []float64, _ DatasetInfo) (any, error) { return &RICAP{Beta: v[0]}, nil }},
	{Name: "cutmix", Doc: "CutMix on a batch with probability p (not in the paper)", Mixer: true,
		Params: []param{
			{Key: "alpha", Prefix: "a", Sym: "alpha", Lo: 0, LoOpen: true, Hi: inf, Def: 1},
			// p = 1 (every batch) is what cutmix and cutmix-a1 meant before p existed.
			{Key: "p", Prefix: "p", Sym: "p", Lo: 0, Hi: 1, Def: 1}},
		New: func(v []float64, _ DatasetInfo) (any, error) { return NewCutMix(v[0], v[1]) }},
	{Name: "none", Doc: "no augmentation; stands alone"}, // New nil: never part of a pipeline
}

// token is one op of the policy grammar: "rand-n2-m4" is Name "rand" and
// the parameters n and m, each written "-" prefix value, in any order, each
// optional.
type token struct {
	Name   string  // a Name with "-" (autoaug-cifar10) matches only the whole token
	Doc    string  // what it does, one line of Grammar
	Params []param // in the order they are read and checked
	Mixer  bool    // New returns a Mixer: at most one, and the last token
	// New builds the op from its parameter values, in Params order and
	// within their ranges; it returns a Transform, or a Mixer if Mixer.
	// It is nil for "none".
	New func(v []float64, ds DatasetInfo) (any, error)
}

// param is one numeric parameter of a token.
type param struct {
	Key    string  // its name in Config.Ops ("alpha")
	Prefix string  // the letters before its value in a token ("a"; "" for cutout-16)
	Sym    string  // its placeholder in Grammar and hints ("alpha", "N")
	Noun   string  // its name in "bad <Noun> <value>"; "" means Sym
	Int    bool    // the value must be an integer
	Lo, Hi float64 // the allowed range, inclusive; Hi = inf for no upper bound
	LoOpen bool    // Lo itself is not allowed
	Def    float64 // the default
	// FromDataset, if set, gives the default from the dataset instead of Def.
	FromDataset func(DatasetInfo) float64
}

var inf = math.Inf(1)

func newCutout(v []float64, ds DatasetInfo) (any, error) {
	c := &Cutout{Size: int(v[0])}
	for i := range min(len(ds.Mean), 3) {
		c.Fill[i] = uint8(math.Round(float64(255 * min(max(ds.Mean[i], 0), 1))))
	}
	return c, nil
}

// lookup returns the row of an op name, or nil.
func lookup(name string) *token {
	for i := range tokens {
		if tokens[i].Name == name {
			return &tokens[i]
		}
	}
	return nil
}

// values reads the parameter strings of a token ("n2", "m4") into the
// values of op.Params, defaults filled in. problem names the first bad or
// unknown parameter, else the first value out of range.
func (op *token) values(params []string, ds DatasetInfo) (v []float64, problem string) {
	v = make([]float64, len(op.Params))
	seen := map[string]bool{}
	var firstBad string
	for i, pa := range op.Params {
		v[i] = pa.Def
		if pa.FromDataset != nil {
			v[i] = pa.FromDataset(ds)
		}
		for _, s := range params { // the first string with the prefix
			if s == "" || !strings.HasPrefix(s, pa.Prefix) {
				continue
			}
			seen[s] = true
			x, err := strconv.ParseFloat(s[len(pa.Prefix):], 64)
			if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
				if firstBad == "" {
					firstBad = s
				}
			} else {
				v[i] = x
			}
			break
		}
	}
	if firstBad != "" {
		return nil, fmt.Sprintf("bad parameter %q", firstBad)
	}
	for _, s := range params {
		if !seen[s] {
			return nil, fmt.Sprintf("unknown parameter %q", s)
		}
	}
	for i, pa := range op.Params {
		if !pa.allows(v[i]) {
			noun := pa.Noun
			if noun == "" {
				noun = pa.Sym
			}
			return nil, fmt.Sprintf("bad %s %v", noun, v[i])
		}
	}
	return v, ""
}

func (pa param) allows(x float64) bool {
	if pa.Int && (x != math.Trunc(x) || math.Abs(x) >= 1<<30) {
		return false
	}
	return (x > pa.Lo || !pa.LoOpen && x == pa.Lo) && x <= pa.Hi
}

// form is how a token is written: "rand-n{N}-m{M}". Parameters whose
// default comes from the dataset are written in brackets
// ("standard[-pad{P}][-flip{F}]"), or left out if short.
func (op *token) form(short bool) string {
	s := op.Name
	for _, pa := range op.Params {
		w := "-" + pa.Prefix + "{" + pa.Sym + "}"
		switch {
		case pa.FromDataset == nil:
			s += w
		case !short:
			s += "[" + w + "]"
		}
	}
	return s
}

// ranges is the allowed values: "integer N >= 1, integer 0 <= M <= 30".
func (op *token) ranges(sep string) string {
	var parts []string
	for _, pa := range op.Params {
		s, lt := "", " <= "
		if pa.Int {
			s = "integer "
		}
		if pa.LoOpen {
			lt = " < "
		}
		if math.IsInf(pa.Hi, 1) {
			s += pa.Sym + strings.Replace(lt, "<", ">", 1) + strconv.FormatFloat(pa.Lo, 'g', -1, 64)
		} else {
			s += fmt.Sprintf("%g%s%s <= %g", pa.Lo, lt, pa.Sym, pa.Hi)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, sep)
}

// hint is what a bad token of op is told: "want rand-n{N}-m{M} with integer
// N >= 1 and integer 0 <= M <= 30".
func (op *token) hint() string {
	if len(op.Params) == 0 {
		return op.Name + " takes no parameters"
	}
	return "want " + op.form(false) + " with " + op.ranges(" and ")
}

// knownOps lists every op in its short form, for an unknown-op error:
// "standard, rand-n{N}-m{M}, trivial, ...".
func knownOps() string {
	forms := make([]string, len(tokens))
	for i := range tokens {
		forms[i] = tokens[i].form(true)
	}
	return strings.Join(forms, ", ")
}

// mixerNames lists the mixers, for a second-mixer error: "mixup, ricap, cutmix".
func mixerNames() string {
	var names []string
	for _, op := range tokens {
		if op.Mixer {
			names = append(names, op.Name)
		}
	}
	return strings.Join(names, ", ")
}

// paramPrefix returns the token prefix of a parameter named key in
// Config.Ops ("alpha" → "a", "size" → ""); a key that no op has is its own
// prefix (so that Parse reports it).
func paramPrefix(key string) string {
	for _, op := range tokens {
		for _, pa := range op.Params {
			if pa.Key == key {
				return pa.Prefix
			}
		}
	}
	return key
}

// Grammar returns the policy grammar: its rule, then every op with what it
// does, its parameters' ranges and defaults. Each parameter may be left out
// for its default; those in brackets default to the dataset's numbers.
func Grammar() string {
	width := 0
	for i := range tokens {
		width = max(width, len(tokens[i].form(false)))
	}
	var sb strings.Builder
	sb.WriteString(`policy = "none" | { transform "+" } ( transform | mixer )` + "\n\n")
	for i := range tokens {
		op := &tokens[i]
		doc := op.Doc
		if op.Mixer {
			doc = "mixer: " + doc
		}
		fmt.Fprintf(&sb, "%-*s  %s\n", width, op.form(false), doc)
		if len(op.Params) > 0 {
			fmt.Fprintf(&sb, "%-*s  %s; %s\n", width, "", op.ranges(", "), op.defaults())
		}
	}
	return sb.String()
}

// defaults is "default N 2, M 4", or "default P and F from the dataset".
func (op *token) defaults() string {
	var fixed, fromDS []string
	for _, pa := range op.Params {
		if pa.FromDataset != nil {
			fromDS = append(fromDS, pa.Sym)
		} else {
			fixed = append(fixed, pa.Sym+" "+strconv.FormatFloat(pa.Def, 'g', -1, 64))
		}
	}
	parts := fixed
	if len(fromDS) > 0 {
		parts = append(parts, strings.Join(fromDS, " and ")+" from the dataset")
	}
	return "default " + strings.Join(parts, ", ")
}
