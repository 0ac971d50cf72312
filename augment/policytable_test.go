package augment

import (
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestGrammarInDocs: the listing in the package doc and in docs/augment.md is
// Grammar's, and the augment.ops parameter names in Config's doc and
// docs/config.md are the table's, so the docs cannot drift from the table.
func TestGrammarInDocs(t *testing.T) {
	want := Grammar()
	for _, c := range []struct {
		path, after string
		block       func(lines []string) string
	}{
		{"doc.go", "// # Policy grammar", commentBlock},
		{"../docs/augment.md", "## What it does", fencedBlock},
	} {
		src, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		_, rest, ok := strings.Cut(string(src), c.after+"\n")
		if !ok {
			t.Fatalf("%s: no line %q", c.path, c.after)
		}
		if got := c.block(strings.Split(rest, "\n")); got != want {
			t.Errorf("%s: the grammar listing under %q is\n%s\nwant Grammar():\n%s", c.path, c.after, got, want)
		}
	}
	var keys []string
	for _, op := range tokens {
		for _, pa := range op.Params {
			if !slices.Contains(keys, pa.Key) {
				keys = append(keys, pa.Key)
			}
		}
	}
	list := strings.Join(keys, ", ")
	for _, path := range []string{"config.go", "../docs/config.md"} {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(src), list) {
			t.Errorf("%s does not list the augment.ops parameters %q", path, list)
		}
	}
}

// commentBlock returns the first code block of a doc comment ("//\t" lines
// and the blank "//" lines between them), unindented.
func commentBlock(lines []string) string {
	var out []string
	for _, l := range lines {
		if code, ok := strings.CutPrefix(l, "//\t"); ok {
			out = append(out, code)
		} else if l == "//" && len(out) > 0 {
			out = append(out, "")
		} else if len(out) > 0 {
			break
		}
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return strings.Join(out, "\n") + "\n"
}

// fencedBlock returns the first fenced code block of Markdown.
func fencedBlock(lines []string) string {
	var out []string
	in := false
	for _, l := range lines {
		switch {
		case !in && strings.HasPrefix(l, "```"):
			in = true
		case in && l == "```":
			return strings.Join(out, "\n") + "\n"
		case in:
			out = append(out, l)
		}
	}
	return ""
}

// TestTokenHintsAndKnownOps pins the generated error texts.
func TestTokenHintsAndKnownOps(t *testing.T) {
	want := map[string]string{
		"standard":        "want standard[-pad{P}][-flip{F}] with integer P >= 0 and 0 <= F <= 1",
		"rand":            "want rand-n{N}-m{M} with integer N >= 1 and integer 0 <= M <= 30",
		"trivial":         "trivial takes no parameters",
		"autoaug-cifar10": "autoaug-cifar10 takes no parameters",
		"cutout":          "want cutout-{size} with integer size >= 1",
		"erase":           "want erase-p{p} with 0 <= p <= 1",
		"mixup":           "want mixup-a{alpha} with alpha > 0",
		"ricap":           "want ricap-a{alpha} with alpha > 0",
		"cutmix":          "want cutmix-a{alpha}-p{p} with alpha > 0 and 0 <= p <= 1",
		"none":            "none takes no parameters",
	}
	if len(tokens) != len(want) {
		t.Errorf("%d ops in the table, %d here", len(tokens), len(want))
	}
	for _, op := range tokens {
		if got := op.hint(); got != want[op.Name] {
			t.Errorf("%s: hint %q, want %q", op.Name, got, want[op.Name])
		}
	}
	const known = "standard, rand-n{N}-m{M}, trivial, autoaug-cifar10, cutout-{size}, erase-p{p}, " +
		"mixup-a{alpha}, ricap-a{alpha}, cutmix-a{alpha}-p{p}, none"
	if got := knownOps(); got != known {
		t.Errorf("knownOps() = %q, want %q", got, known)
	}
	if got := mixerNames(); got != "mixup, ricap, cutmix" {
		t.Errorf("mixerNames() = %q", got)
	}
}

// TestTokenDefaultsAreThePapers: the table's defaults on CIFAR-10 (spec §3;
// CutMix p = 1 keeps the old meaning of "cutmix").
func TestTokenDefaultsAreThePapers(t *testing.T) {
	want := map[string][]float64{
		"standard": {4, 0.5}, "rand": {2, 4}, "cutout": {16}, "erase": {0.5},
		"mixup": {0.3}, "ricap": {0.3}, "cutmix": {1, 1},
	}
	for _, op := range tokens {
		v, problem := op.values(nil, cifar10(t))
		if problem != "" || !slices.Equal(v, want[op.Name]) {
			t.Errorf("%s: defaults %v (%s), want %v", op.Name, v, problem, want[op.Name])
		}
	}
}

// TestEveryTokenFollowsItsRow: for every row, the bare token builds a
// transform or (if Mixer) a mixer; writing every default out, as a token and
// as augment.ops, builds the same op; each range bound is accepted and each
// value just outside is rejected with "bad <noun>" and the row's hint.
func TestEveryTokenFollowsItsRow(t *testing.T) {
	ds := cifar10(t)
	prefixOf := map[string]string{}
	for _, op := range tokens {
		if op.New == nil {
			continue
		}
		t.Run(op.Name, func(t *testing.T) {
			bare, err := Parse(op.Name, ds)
			if err != nil {
				t.Fatal(err)
			}
			wantTransforms := 1
			if op.Mixer {
				wantTransforms = 0
			}
			if (bare.Mixer != nil) != op.Mixer || len(bare.Transforms) != wantTransforms {
				t.Fatalf("Mixer %v, but built %d transforms and mixer %v", op.Mixer, len(bare.Transforms), bare.Mixer)
			}
			defaults, _ := op.values(nil, ds)
			tok, params := op.Name, map[string]float64{}
			for i, pa := range op.Params {
				if p, ok := prefixOf[pa.Key]; ok && p != pa.Prefix {
					t.Errorf("augment.ops key %q has prefixes %q and %q", pa.Key, p, pa.Prefix)
				}
				prefixOf[pa.Key] = pa.Prefix
				tok += "-" + pa.Prefix + strconv.FormatFloat(defaults[i], 'g', -1, 64)
				params[pa.Key] = defaults[i]
			}
			c := Config{Ops: []Op{{Name: op.Name, Params: params}}}
			c.DerivePolicy()
			for _, policy := range []string{tok, c.Policy} {
				p, err := Parse(policy, ds)
				if err != nil {
					t.Fatal(err)
				}
				if p.String() != bare.String() {
					t.Errorf("%s builds %s, %s builds %s", policy, p, op.Name, bare)
				}
			}
			for i, pa := range op.Params {
				var good, bad []float64
				if !pa.LoOpen {
					good = append(good, pa.Lo)
				}
				if !math.IsInf(pa.Hi, 1) {
					good = append(good, pa.Hi)
					bad = append(bad, pa.Hi+1)
				}
				if pa.LoOpen {
					bad = append(bad, pa.Lo)
				} else if pa.Lo >= 1 { // below 0 cannot be written: "-" separates parameters
					bad = append(bad, pa.Lo-1)
				}
				if pa.Int {
					bad = append(bad, pa.Lo+0.5)
				}
				write := func(x float64) string {
					return op.Name + "-" + pa.Prefix + strconv.FormatFloat(x, 'g', -1, 64)
				}
				for _, x := range good {
					if _, err := Parse(write(x), ds); err != nil {
						t.Errorf("%s at its bound: %v", pa.Key, err)
					}
				}
				noun := pa.Noun
				if noun == "" {
					noun = pa.Sym
				}
				for _, x := range bad {
					tok := write(x)
					_, err := Parse(tok, ds)
					want := "bad " + noun + " " + strconv.FormatFloat(x, 'g', -1, 64) + ` in "` + tok + `"`
					if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "("+op.hint()+")") {
						t.Errorf("param %d, %s: error %v, want %q and the hint", i, tok, err, want)
					}
				}
			}
		})
	}
}
