package ort

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"budgetrain/onnx"
)

func TestHWCToCHWPlacesChannelsAndScales(t *testing.T) {
	// Two 1×2 images with 3 channels: pixel p, channel c holds 10·img + 3·p + c.
	src := []uint8{0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15}
	dst := make([]float32, len(src))
	hwcToCHW(dst, src, 1, 2, 3)
	want := []uint8{0, 3, 1, 4, 2, 5, 10, 13, 11, 14, 12, 15}
	for i, v := range want {
		if dst[i] != float32(v)/255 {
			t.Fatalf("dst = %v, want %v/255", dst, want)
		}
	}
	if pixelScale[255] != 1 || pixelScale[0] != 0 {
		t.Errorf("pixelScale ends %v, %v; want 0 and 1", pixelScale[0], pixelScale[255])
	}
}

func TestArgmaxTakesFirstMaximumAndRejectsNonFinite(t *testing.T) {
	tests := []struct {
		v    []float32
		want int
		err  bool
	}{
		{[]float32{1, 3, 3, 2}, 1, false},
		{[]float32{-5}, 0, false},
		{[]float32{-1, -0.5, -2}, 1, false},
		{[]float32{0, float32(math.NaN())}, 0, true},
		{[]float32{float32(math.Inf(1)), 0}, 0, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.v), func(t *testing.T) {
			got, err := argmax(tt.v)
			if (err != nil) != tt.err || (!tt.err && got != tt.want) {
				t.Errorf("argmax = %d, %v; want %d, error %v", got, err, tt.want, tt.err)
			}
		})
	}
}

// Evaluate agrees with Run: labels equal to Run's predictions for a known subset give exactly the
// expected accuracy, per-class accuracy and confusion matrix, for any batch size.
func TestEvaluateCountsMatchRunPredictions(t *testing.T) {
	needORT(t)
	s := openBytes(t, newSmallNet(5).marshal(t))
	rng := rand.New(rand.NewPCG(50, 0))
	const n = 50
	images := make([]uint8, n*16)
	for i := range images {
		images[i] = uint8(rng.IntN(256))
	}
	x := make([]float32, len(images))
	for i, v := range images { // H×W×1 images: HWC and CHW coincide
		x[i] = float32(v) / 255
	}
	logits, err := s.Run(x, n)
	if err != nil {
		t.Fatal(err)
	}
	labels := make([]int, n)
	wantConf := make([][]int, smallClasses)
	for i := range wantConf {
		wantConf[i] = make([]int, smallClasses)
	}
	wantCorrect := 0
	for i := range labels {
		pred, err := argmax(logits[i*smallClasses : (i+1)*smallClasses])
		if err != nil {
			t.Fatal(err)
		}
		labels[i] = pred
		if i%3 == 0 { // every third example gets a wrong label
			labels[i] = (pred + 1) % smallClasses
		} else {
			wantCorrect++
		}
		wantConf[labels[i]][pred]++
	}
	for _, batch := range []int{1, 7, 50, 64} {
		t.Run(fmt.Sprintf("batch %d", batch), func(t *testing.T) {
			r, err := Evaluate(s, images, labels, 4, 4, 1, batch)
			if err != nil {
				t.Fatal(err)
			}
			if r.Total != n || r.Correct != wantCorrect || r.Accuracy != float64(wantCorrect)/n {
				t.Errorf("total %d correct %d accuracy %g, want %d, %d, %g", r.Total, r.Correct, r.Accuracy, n, wantCorrect, float64(wantCorrect)/n)
			}
			if !slices.EqualFunc(r.Confusion, wantConf, slices.Equal) {
				t.Errorf("confusion %v, want %v", r.Confusion, wantConf)
			}
			for c := range smallClasses {
				total := 0
				for _, v := range wantConf[c] {
					total += v
				}
				want := 0.0
				if total > 0 {
					want = float64(wantConf[c][c]) / float64(total)
				}
				if r.ClassTotal[c] != total || r.PerClass[c] != want {
					t.Errorf("class %d: total %d accuracy %g, want %d, %g", c, r.ClassTotal[c], r.PerClass[c], total, want)
				}
			}
		})
	}
}

// Channel order matters: a 3-channel model that outputs its input pixels shows whether HWC bytes
// reach the right NCHW positions.
func TestEvaluateConvertsHWCToNCHW(t *testing.T) {
	needORT(t)
	b := onnx.NewBuilder("id")
	x := b.Input(onnx.InputName, -1, 3, 1, 2)
	b.Identity(b.Flatten(x, 1), onnx.OutputName)
	b.Output(onnx.OutputName, -1, 6)
	data, err := b.Marshal("t")
	if err != nil {
		t.Fatal(err)
	}
	s := openBytes(t, data)
	// One image, 1×2 pixels, RGB: the brightest value is the green channel of pixel 1, which sits
	// at CHW position 1·2 + 1 = 3.
	r, err := Evaluate(s, []uint8{10, 20, 30, 40, 250, 60}, []int{3}, 1, 2, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Correct != 1 {
		t.Errorf("confusion row %v: the largest logit is not at CHW position 3", r.Confusion[3])
	}
}

func TestEvaluateRejectsBadArguments(t *testing.T) {
	needORT(t)
	s := openBytes(t, newSmallNet(1).marshal(t))
	img := make([]uint8, 2*16)
	tests := []struct {
		name           string
		images         []uint8
		labels         []int
		h, w, c, batch int
		want           string
	}{
		{"geometry differs from model", img, []int{0, 1}, 4, 4, 2, 8, "images are 2×4×4 (C×H×W) but the model input is [-1 1 4 4]"},
		{"pixel count", img[:31], []int{0, 1}, 4, 4, 1, 8, "31 pixel bytes for 2 labels, want 2·16 = 32"},
		{"label out of range", img, []int{0, 3}, 4, 4, 1, 8, "label 3 of example 1 is outside [0, 3)"},
		{"negative label", img, []int{-1, 0}, 4, 4, 1, 8, "label -1 of example 0"},
		{"zero batch", img, []int{0, 1}, 4, 4, 1, 0, "batch must be >= 1, got 4, 4, 1 and 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Evaluate(s, tt.images, tt.labels, tt.h, tt.w, tt.c, tt.batch)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestEvaluateRejectsNonFiniteLogits(t *testing.T) {
	needORT(t)
	b := onnx.NewBuilder("nan")
	x := b.Flatten(b.Input(onnx.InputName, -1, 1, 1, 2), 1)
	b.Identity(b.Div(x, b.Initializer("zero", []int64{1}, []float32{0})), onnx.OutputName) // 0/0 = NaN
	b.Output(onnx.OutputName, -1, 2)
	data, err := b.Marshal("t")
	if err != nil {
		t.Fatal(err)
	}
	s := openBytes(t, data)
	_, err = Evaluate(s, []uint8{0, 0, 1, 1}, []int{0, 1}, 1, 2, 1, 2)
	if err == nil || !strings.Contains(err.Error(), "example 0: logit 0 is NaN") {
		t.Errorf("error %v, want a non-finite logit error for example 0", err)
	}
}

func benchmarkEvaluate(b *testing.B, batch int) {
	needORT(b)
	s := openBytes(b, newSmallNet(1).marshal(b))
	const n = 1024
	images := make([]uint8, n*16)
	labels := make([]int, n)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Evaluate(s, images, labels, 4, 4, 1, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "img/s")
}

func BenchmarkEvaluateBatch256(b *testing.B) { benchmarkEvaluate(b, 256) }
