package augment

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the Go-produced golden files in testdata/")

func cifar10(t testing.TB) DatasetInfo { return datasetInfo(t, "cifar10") }

// TestParseKeepsPolicyOrder: transforms come out in the order written, and
// the mixer is separate.
func TestParseKeepsPolicyOrder(t *testing.T) {
	cases := []struct {
		policy string
		want   []string
		mixer  string
	}{
		{"none", nil, ""},
		{"standard", []string{"*augment.Standard"}, ""},
		{"standard+rand-n2-m4", []string{"*augment.Standard", "*augment.RandAugment"}, ""},
		{"rand-n2-m4+standard", []string{"*augment.RandAugment", "*augment.Standard"}, ""},
		{"rand-n2-m4+standard+cutout-16", []string{"*augment.RandAugment", "*augment.Standard", "*augment.Cutout"}, ""},
		{"standard+mixup-a0.3", []string{"*augment.Standard"}, "*augment.Mixup"},
		{"standard+ricap-a0.3", []string{"*augment.Standard"}, "*augment.RICAP"},
		{"standard+cutmix-a1", []string{"*augment.Standard"}, "*augment.CutMix"},
		{"trivial+standard+erase-p0.25", []string{"*augment.TrivialAugment", "*augment.Standard", "*augment.RandomErasing"}, ""},
		{"autoaug-cifar10+standard", []string{"*augment.AutoAugment", "*augment.Standard"}, ""},
		{"mixup", nil, "*augment.Mixup"},
	}
	for _, c := range cases {
		t.Run(c.policy, func(t *testing.T) {
			p, err := Parse(c.policy, cifar10(t))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tr := range p.Transforms {
				got = append(got, fmt.Sprintf("%T", tr))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("transforms %v, want %v", got, c.want)
			}
			if m := fmt.Sprintf("%T", p.Mixer); (p.Mixer == nil) != (c.mixer == "") || (p.Mixer != nil && m != c.mixer) {
				t.Errorf("mixer %s, want %q", m, c.mixer)
			}
		})
	}
}

// TestParseReadsParameters: parameters and defaults land in the structs.
func TestParseReadsParameters(t *testing.T) {
	ds := cifar10(t)
	svhn := datasetInfo(t, "svhn")
	cases := []struct {
		policy string
		ds     DatasetInfo
		want   any
	}{
		{"rand-n3-m9", ds, &RandAugment{N: 3, M: 9}},
		{"rand-m9-n3", ds, &RandAugment{N: 3, M: 9}},
		{"rand", ds, &RandAugment{N: 2, M: 4}},
		{"standard", svhn, &Standard{Pad: 4, FlipProb: 0}},
		{"cutout-8", ds, &Cutout{Size: 8, Fill: [3]uint8{125, 123, 114}}},
		{"erase-p0.25", ds, &RandomErasing{P: 0.25, ScaleLo: 0.02, ScaleHi: 0.33, RatioLo: 0.3, RatioHi: 3.3}},
		{"mixup", ds, &Mixup{Alpha: 0.3}},
		{"ricap-a0.5", ds, &RICAP{Beta: 0.5}},
		{"cutmix", ds, &CutMix{Alpha: 1, P: 1}},
		{"cutmix-a1-p0.5", ds, &CutMix{Alpha: 1, P: 0.5}},
		{"cutmix-p0.25-a2", ds, &CutMix{Alpha: 2, P: 0.25}},
	}
	for _, c := range cases {
		p, err := Parse(c.policy, c.ds)
		if err != nil {
			t.Fatalf("%s: %v", c.policy, err)
		}
		var got any = p.Mixer
		if len(p.Transforms) > 0 {
			got = p.Transforms[0]
		}
		if r, ok := got.(*RandAugment); ok {
			r.ops = nil
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %+v, want %+v", c.policy, got, c.want)
		}
	}
}

// TestParseErrorsNameTheBadToken: every problem is reported, naming the
// token, with the right sentinel.
func TestParseErrorsNameTheBadToken(t *testing.T) {
	cases := []struct {
		policy string
		want   []string
		is     error
	}{
		{"standard+rnd-n2", []string{`augment: unknown op "rnd-n2" in policy "standard+rnd-n2" (known: standard, rand-n{N}-m{M}`}, ErrUnknownOp},
		{"", []string{"empty policy"}, ErrBadPolicy},
		{"rand-n0-m4", []string{`bad N 0 in "rand-n0-m4"`}, ErrBadPolicy},
		{"rand-n2-m31", []string{`bad M 31 in "rand-n2-m31"`}, ErrBadPolicy},
		{"rand-nx-m4", []string{`bad parameter "nx" in "rand-nx-m4"`}, ErrBadPolicy},
		{"rand-n2-q4", []string{`unknown parameter "q4" in "rand-n2-q4"`}, ErrBadPolicy},
		{"mixup-a0", []string{`bad alpha 0 in "mixup-a0"`}, ErrBadPolicy},
		{"mixup-a-1", []string{`bad parameter "a" in "mixup-a-1"`}, ErrBadPolicy},
		{"erase-p2", []string{`bad p 2 in "erase-p2"`}, ErrBadPolicy},
		{"cutmix-a1-p1.5", []string{`bad p 1.5 in "cutmix-a1-p1.5"`}, ErrBadPolicy},
		{"mixup-p0.5", []string{`unknown parameter "p0.5" in "mixup-p0.5"`}, ErrBadPolicy},
		{"cutout-0", []string{`bad size 0 in "cutout-0"`}, ErrBadPolicy},
		{"standard-x", []string{`unknown parameter "x" in "standard-x"`}, ErrBadPolicy},
		{"mixup+standard", []string{`mixer "mixup" before the last token`}, ErrBadPolicy},
		{"standard+mixup+ricap", []string{`second mixer "ricap"`, `mixer "mixup" before the last token`}, ErrBadPolicy},
		{"none+standard", []string{`"none" combined with other tokens`}, ErrBadPolicy},
		{"foo+rand-n9-m99+bar", []string{`unknown op "foo"`, `bad M 99 in "rand-n9-m99"`, `unknown op "bar"`}, ErrUnknownOp},
	}
	for _, c := range cases {
		t.Run(c.policy, func(t *testing.T) {
			_, err := Parse(c.policy, cifar10(t))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(c.want) {
				t.Errorf("error has %d lines, want %d: %q", n, len(c.want), err)
			}
			if !errors.Is(err, c.is) {
				t.Errorf("error %q is not %v", err, c.is)
			}
		})
	}
	bad := DatasetInfo{H: 0, W: 32, C: 2, FlipProb: 2, Pad: -1}
	_, err := Parse("standard", bad)
	for _, w := range []string{"size (0x32)", "channels (2)", "flip_prob (2)", "pad (-1)", "mean/std lengths (0, 0)"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("bad dataset: error %v does not contain %q", err, w)
		}
	}
}

// TestConfigDefaultsAndValidate: the default config is the standard policy; an empty policy
// is derived from the ops only, and is an error without them (not silently "standard"); an
// explicit one is kept; Validate lists every problem with key and value.
func TestConfigDefaultsAndValidate(t *testing.T) {
	c := DefaultConfig()
	if c.Policy != DefaultPolicy || c.Validate() != nil {
		t.Fatalf("defaults %+v invalid: %v", c, c.Validate())
	}
	for _, tc := range []struct {
		in   Config
		want string
	}{
		{Config{}, ""},
		{Config{Ops: []Op{{Name: "rand", Params: map[string]float64{"n": 1, "m": 2}}, {Name: "standard"}}}, "rand-m2-n1+standard"},
		{Config{Policy: "none"}, "none"},
		{Config{Policy: "none", Ops: []Op{{Name: "standard"}}}, "none"}, // kept; Validate reports the disagreement
	} {
		got := tc.in
		got.DerivePolicy()
		if got.Policy != tc.want {
			t.Errorf("DerivePolicy(%+v): policy %q, want %q", tc.in, got.Policy, tc.want)
		}
	}
	if err := (Config{}).Validate(); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty policy: %v", err)
	}
	c.Policy = "standard+rnd-n2+mixup-a0"
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{
		`augment.policy ("standard+rnd-n2+mixup-a0"): unknown op "rnd-n2" (known: `,
		`augment.policy ("standard+rnd-n2+mixup-a0"): bad alpha 0 in "mixup-a0" (want mixup-a{alpha} with alpha > 0)`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d: %q", len(lines), len(want), err)
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], want[i])
		}
	}
	if !errors.Is(err, ErrUnknownOp) || !errors.Is(err, ErrBadPolicy) {
		t.Errorf("error %v does not wrap both sentinels", err)
	}
	if _, err := (Config{Policy: "rand-n2-m4+standard"}).Pipeline(cifar10(t)); err != nil {
		t.Errorf("paper RandAugment config: %v", err)
	}
}

// TestPipelineStringGolden: the resolved pipelines printed at start-up, in
// testdata/pipelines.golden (go test ./augment -update rewrites it).
func TestPipelineStringGolden(t *testing.T) {
	policies := []struct{ policy, dataset string }{
		{"none", "cifar10"},
		{"standard", "cifar10"},
		{"standard", "svhn"},
		{"standard", "fashion-mnist"},
		{"rand-n2-m4+standard", "cifar100"},
		{"standard+rand-n2-m4", "mini-imagenet"},
		{"standard+mixup-a0.3", "cifar10"},
		{"standard+ricap-a0.3", "cifar10"},
		{"standard+cutmix-a1", "cifar10"},
		{"standard+cutmix-a1-p0.5", "cifar10"},
		{"rand-n2-m4+standard+cutout-16", "cifar10"},
		{"trivial+standard+erase-p0.25", "cifar10"},
		{"autoaug-cifar10+standard+cutout-16", "cifar10"},
	}
	var sb strings.Builder
	for _, c := range policies {
		p, err := Parse(c.policy, datasetInfo(t, c.dataset))
		if err != nil {
			t.Fatalf("%s: %v", c.policy, err)
		}
		fmt.Fprintf(&sb, "%s @ %s\n\t%s\n", c.policy, c.dataset, p)
	}
	path := filepath.Join("testdata", "pipelines.golden")
	if *update {
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./augment -update)", err)
	}
	if sb.String() != string(want) {
		t.Errorf("pipelines differ from %s (run with -update if intended):\n%s", path, sb.String())
	}
}

// TestFillNormalizesLabelsAndMixes: Fill applies the transforms, writes
// normalized images and labels, and leaves consistent part bookkeeping.
func TestFillNormalizesLabelsAndMixes(t *testing.T) {
	ds := cifar10(t)
	rng := newRNG(30)
	imgs := make([]*Image, 4)
	for i := range imgs {
		imgs[i] = randomImage(rng, 32, 32, 3)
	}
	labels := []int{3, 1, 4, 1}
	b := NewBatch(4, 3, 32, 32)
	p, _ := Parse("none", ds)
	p.Fill(b, imgs, labels, rng)
	want := make([]float32, 3*32*32)
	for j, img := range imgs {
		Normalize(img, ds.Mean, ds.Std, want)
		if !slices.Equal(b.Image(j), want) {
			t.Fatalf("image %d not normalized", j)
		}
	}
	if !slices.Equal(b.Label, labels) || b.Parts != 1 || !slices.Equal(b.Src, []int{0, 1, 2, 3}) {
		t.Fatalf("labels %v parts %d src %v", b.Label, b.Parts, b.Src)
	}
	p, _ = Parse("rand-n2-m4+standard+ricap-a0.3", ds)
	p.Fill(b, imgs, labels, rng)
	if b.Parts != 4 {
		t.Fatalf("ricap pipeline left %d parts", b.Parts)
	}
	// Filling again resets the bookkeeping before mixing.
	p.Fill(b, imgs, labels, rng)
	if b.Parts != 4 || len(b.Src) != 16 {
		t.Fatalf("refill left %d parts, %d sources", b.Parts, len(b.Src))
	}
}

// TestCloneSameSeedSameOutput: a clone has its own scratch and, with the
// same seed, gives the same images as the original.
func TestCloneSameSeedSameOutput(t *testing.T) {
	p, err := Parse("trivial+rand-n2-m9+standard+erase-p0.5+cutout-8", cifar10(t))
	if err != nil {
		t.Fatal(err)
	}
	q := p.Clone()
	if p.Transforms[0] == q.Transforms[0] {
		t.Fatal("clone shares transforms")
	}
	base := randomImage(newRNG(31), 32, 32, 3)
	r1, r2 := newRNG(32), newRNG(32)
	for range 100 {
		a, b := base.Clone(), base.Clone()
		p.Apply(a, r1)
		q.Apply(b, r2)
		sameImage(t, "clone", b, a)
	}
}

// TestPipelinesAllocateNothingPerImage: after warm-up, applying a pipeline
// and filling a batch allocates nothing.
func TestPipelinesAllocateNothingPerImage(t *testing.T) {
	for _, policy := range []string{"standard", "rand-n2-m4+standard", "trivial+standard+erase-p0.5",
		"autoaug-cifar10+standard+cutout-16", "standard+mixup", "standard+ricap", "standard+cutmix", "standard+cutmix-p0.5"} {
		p, err := Parse(policy, cifar10(t))
		if err != nil {
			t.Fatal(err)
		}
		rng := newRNG(33)
		imgs := []*Image{randomImage(rng, 32, 32, 3), randomImage(rng, 32, 32, 3)}
		b := NewBatch(2, 3, 32, 32)
		labels := []int{0, 1}
		run := func() { p.Fill(b, imgs, labels, rng) }
		for range 300 { // warm every op's scratch and rotation cache
			run()
		}
		if a := testing.AllocsPerRun(200, run); a != 0 {
			t.Errorf("%s: %v allocations per batch", policy, a)
		}
	}
}

// TestOpsCutMixProbability: the structured form {name: cutmix, params:
// {alpha: 1, p: 0.5}} is the policy token cutmix-a1-p0.5 and builds the same
// mixer.
func TestOpsCutMixProbability(t *testing.T) {
	c := Config{Ops: []Op{{Name: "standard"}, {Name: "cutmix", Params: map[string]float64{"alpha": 1, "p": 0.5}}}}
	c.DerivePolicy()
	if c.Policy != "standard+cutmix-a1-p0.5" {
		t.Fatalf("policy %q, want standard+cutmix-a1-p0.5", c.Policy)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	p, err := c.Pipeline(cifar10(t))
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := p.Mixer.(*CutMix); !ok || m.Alpha != 1 || m.P != 0.5 {
		t.Errorf("mixer %+v, want CutMix alpha 1 p 0.5", p.Mixer)
	}
}
