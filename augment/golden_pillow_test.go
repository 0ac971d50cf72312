package augment

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// pillowGolden is the file written by testdata/gen_pillow_golden.py.
type pillowGolden struct {
	Pillow string `json:"pillow"`
	Inputs map[string]struct {
		W, H, C int
		Pix     []uint8
	} `json:"inputs"`
	Cases []struct {
		Op    string    `json:"op"`
		Input string    `json:"input"`
		Args  []float64 `json:"args"`
		M     *int      `json:"m"`
		Out   []uint8   `json:"out"`
	} `json:"cases"`
}

// goldenOps runs each op of the golden file with explicit arguments.
var goldenOps = map[string]func(img *Image, a []float64){
	"AutoContrast":  func(img *Image, _ []float64) { AutoContrast(img) },
	"Equalize":      func(img *Image, _ []float64) { Equalize(img) },
	"Invert":        func(img *Image, _ []float64) { Invert(img) },
	"Rotate":        func(img *Image, a []float64) { Rotate(img, a[0]) },
	"Posterize":     func(img *Image, a []float64) { posterizeLevel(img, a[0]) },
	"Solarize":      func(img *Image, a []float64) { Solarize(img, a[0]) },
	"SolarizeAdd":   func(img *Image, a []float64) { SolarizeAdd(img, a[0], 128) },
	"Color":         func(img *Image, a []float64) { Color(img, a[0]) },
	"Contrast":      func(img *Image, a []float64) { Contrast(img, a[0]) },
	"Brightness":    func(img *Image, a []float64) { Brightness(img, a[0]) },
	"Sharpness":     func(img *Image, a []float64) { Sharpness(img, a[0]) },
	"ShearX":        func(img *Image, a []float64) { ShearX(img, a[0]) },
	"ShearY":        func(img *Image, a []float64) { ShearY(img, a[0]) },
	"CutoutAbs":     func(img *Image, a []float64) { CutoutAbs(img, a[0], a[1], a[2]) },
	"TranslateXabs": func(img *Image, a []float64) { TranslateX(img, a[0]) },
	"TranslateYabs": func(img *Image, a []float64) { TranslateY(img, a[0]) },
	"Affine":        func(img *Image, a []float64) { Affine(img, [6]float64(a)) },
}

// TestOpsMatchPillow replays every case of testdata/pillow_golden.json and
// requires every sample to match Pillow exactly. Nearest-neighbour
// geometric ops could have been given a tolerance of one grey level, but
// they reproduce PIL's fixed-point mapping and match exactly as well; the
// level cases also check levelToArg bit for bit.
func TestOpsMatchPillow(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "pillow_golden.json"))
	if err != nil {
		t.Fatalf("read golden file (regenerate with testdata/gen_pillow_golden.py): %v", err)
	}
	var g pillowGolden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) < 1000 {
		t.Fatalf("golden file has only %d cases", len(g.Cases))
	}
	seen := map[string]int{}
	for i, c := range g.Cases {
		in, ok := g.Inputs[c.Input]
		if !ok {
			t.Fatalf("case %d: unknown input %q", i, c.Input)
		}
		name := fmt.Sprintf("%d/%s/%s%v", i, c.Op, c.Input, c.Args)
		if c.M != nil {
			name += fmt.Sprintf("/m%d", *c.M)
			op := opByName[c.Op]
			if op == nil {
				t.Fatalf("%s: op not in the RandAugment table", name)
			}
			v := levelToArg(op, *c.M)
			if v != c.Args[0] && v != -c.Args[0] {
				t.Errorf("%s: levelToArg = %v, reference %v", name, v, c.Args[0])
			}
		}
		img := &Image{H: in.H, W: in.W, C: in.C, Pix: append([]uint8(nil), in.Pix...)}
		goldenOps[c.Op](img, c.Args)
		seen[c.Op]++
		if len(c.Out) != len(img.Pix) {
			t.Fatalf("%s: %d reference samples for a %d-sample image", name, len(c.Out), len(img.Pix))
		}
		bad, worst := 0, 0
		for j := range c.Out {
			d := int(img.Pix[j]) - int(c.Out[j])
			worst = max(worst, d, -d)
			if d != 0 {
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d samples differ from Pillow %s (worst by %d)\n got  %v\n want %v",
				name, bad, len(c.Out), g.Pillow, worst, img.Pix, c.Out)
		}
	}
	for name := range goldenOps {
		if seen[name] == 0 {
			t.Errorf("golden file has no case for %s", name)
		}
	}
}
