package models

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"budgetrain/onnx/ort"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	ts "github.com/sugarme/gotch/ts"
)

// largeModels are skipped by the per-model forward/backward and ONNX tests under -short: each
// has 11–36 M parameters and takes seconds per pass on two CPU cores.
var largeModels = map[string]bool{"resnet18": true, "preact-resnet18": true, "wrn-16-8": true, "wrn-28-10": true}

// TestPreActParamCountsMatchPapers: the parameter counts for 3 channels and 10 classes are those
// of the reference implementations (PreAct-ResNet-18 with the final BN: kuangliu's 11,171,146
// plus 2×512; WRN: xternalz/WideResNet-pytorch, bias-free convolutions).
func TestPreActParamCountsMatchPapers(t *testing.T) {
	runtime.LockOSThread()
	for _, tc := range []struct {
		name string
		want int64
		keys []string // a sample of the reference code's state_dict keys
	}{
		{"preact-resnet18", 11_172_170, []string{"conv1.weight", "layer1.0.bn1.weight", "layer1.1.conv2.weight",
			"layer2.0.shortcut.0.weight", "layer4.1.bn2.running_var", "bn.weight", "linear.weight", "linear.bias"}},
		{"wrn-16-8", 10_961_370, []string{"conv1.weight", "block1.layer.0.bn1.weight", "block1.layer.0.convShortcut.weight",
			"block3.layer.1.conv2.weight", "bn1.running_mean", "fc.weight", "fc.bias"}},
		{"wrn-28-10", 36_479_194, []string{"block2.layer.3.bn2.bias", "block3.layer.0.convShortcut.weight", "fc.weight"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.LockOSThread()
			vs := nn.NewVarStore(gotch.CPU)
			defer vs.Destroy()
			if _, err := New(tc.name, vs.Root(), Spec{InChannels: 3, NumClasses: 10}); err != nil {
				t.Fatal(err)
			}
			if got := paramCount(vs); got != tc.want {
				t.Errorf("%d parameters, want %d", got, tc.want)
			}
			vars := vs.Variables()
			for _, k := range tc.keys {
				if _, ok := vars[k]; !ok {
					t.Errorf("missing variable %q", k)
				}
			}
			if _, ok := vars["layer1.0.shortcut.0.weight"]; ok {
				t.Error("layer1.0 of preact-resnet18 (64→64, stride 1) must have an identity shortcut")
			}
		})
	}
}

// TestWideResNetRejectsBadDepth: depth must be 6n+4.
func TestWideResNetRejectsBadDepth(t *testing.T) {
	for _, d := range []int{4, 15, 17} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("wideResNet(%d, 1) did not panic", d)
				}
			}()
			wideResNet(d, 1)
		}()
	}
	if s := wideResNet(28, 10); s.blocks[0] != 4 || s.widths[2] != 640 {
		t.Errorf("wrn-28-10: blocks %v widths %v, want 4 per group and 160/320/640", s.blocks, s.widths)
	}
}

// TestEveryModelONNXParity exports each registered model (after two training-mode passes, so
// the BatchNorm running statistics are not the initial 0 and 1) and compares onnxruntime's logits
// with libtorch's evaluation-mode forward on two grayscale 28×28 images (Fashion-MNIST's shape;
// odd feature-map sizes 7 and 4 appear deeper in). Tolerance 1e-4, as TestONNXParityTinyModel.
func TestEveryModelONNXParity(t *testing.T) {
	runtime.LockOSThread()
	requireORT(t)
	const n, c, h, w, classes = 2, 1, 28, 28, 10
	mean, std := float32(0.3), float32(0.35)
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			runtime.LockOSThread()
			if largeModels[name] && testing.Short() {
				t.Skip("large model skipped under -short")
			}
			vs := nn.NewVarStore(gotch.CPU)
			defer vs.Destroy()
			m, err := New(name, vs.Root(), Spec{InChannels: c, NumClasses: classes})
			if err != nil {
				t.Fatal(err)
			}
			ts.NoGrad(func() {
				for i := 0; i < 2; i++ {
					x := ts.MustRand([]int64{4, c, h, w}, gotch.Float, gotch.CPU)
					m.ForwardT(x, true).MustDrop()
					x.MustDrop()
				}
			})
			raw := make([]float32, n*c*h*w) // pixels in [0,1]
			norm := make([]float32, len(raw))
			for i := range raw {
				raw[i] = float32((i*7919)%256) / 255
				norm[i] = (raw[i] - mean) / std
			}
			b, err := Export(m, vs, ExportOptions{H: h, W: w, C: c, Classes: classes,
				Mean: []float32{mean}, Std: []float32{std}})
			if err != nil {
				t.Fatal(err)
			}
			s, err := ort.OpenBytes(b, 1)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := s.Run(raw, n)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float32, n*classes)
			ts.NoGrad(func() {
				x := ts.MustOfSlice(norm).MustView([]int64{n, c, h, w}, true)
				y := m.ForwardT(x, false)
				y.MustCopyData(want, uint(len(want)))
				x.MustDrop()
				y.MustDrop()
			})
			worst, scale := 0.0, 0.0
			for i := range want {
				worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
				scale = math.Max(scale, math.Abs(float64(want[i])))
			}
			if worst > 1e-4 {
				t.Errorf("max |onnxruntime - libtorch| = %g (largest logit %g), want <= 1e-4", worst, scale)
			}
			t.Logf("max abs logit difference %.3g, largest logit %.3g", worst, scale)
		})
	}
}

// requireORT skips when onnxruntime is not installed, and fails under CI (see
// pipeline.requireNative).
func requireORT(t *testing.T) {
	t.Helper()
	if err := ort.Init(1); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("onnxruntime is required under CI: %v", err)
		}
		t.Skipf("onnxruntime not available: %v", err)
	}
}

// TestPreActChannelsLastMatchesNCHW: the channels-last layout is an execution detail for the
// pre-activation networks too (a WRN-10-1, so the test is cheap): same logits and input gradient
// with it as without it, in training and evaluation mode.
func TestPreActChannelsLastMatchesNCHW(t *testing.T) {
	runtime.LockOSThread()
	vs := nn.NewVarStore(gotch.CPU)
	defer vs.Destroy()
	m := newPreActResNet(vs.Root(), 1, 10, wideResNet(10, 1))
	if !m.nhwc {
		t.Fatal("a WRN-10-1 (16 channels and up) should run channels-last")
	}
	x := ts.MustRandn([]int64{4, 1, 28, 28}, gotch.Float, gotch.CPU)
	defer x.MustDrop()
	run := func(nhwc, train bool) ([]float32, []float32) {
		m.nhwc = nhwc
		xi := x.MustDetach(false).MustSetRequiresGrad(true, true)
		defer xi.MustDrop()
		out := m.ForwardT(xi, train)
		defer out.MustDrop()
		s := out.MustSum(gotch.Float, false)
		s.MustBackward()
		s.MustDrop()
		g := xi.MustGrad(false)
		defer g.MustDrop()
		return out.Vals().([]float32), g.Vals().([]float32)
	}
	for _, train := range []bool{false, true} {
		a, ga := run(false, train)
		b, gb := run(true, train)
		if d := maxAbsDiff(a, b); d > 1e-4 {
			t.Errorf("train=%v: logits differ by %g between NCHW and channels-last", train, d)
		}
		if d := maxAbsDiff(ga, gb); d > 1e-4 {
			t.Errorf("train=%v: input gradients differ by %g between NCHW and channels-last", train, d)
		}
	}
}

// TestConfigDocListsEveryModel: the model.name row of docs/config.md's configuration reference
// names every registered model.
func TestConfigDocListsEveryModel(t *testing.T) {
	const doc = "docs/config.md"
	text, err := os.ReadFile(filepath.Join("..", doc))
	if err != nil {
		t.Fatal(err)
	}
	var row string
	for _, line := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(line, "| `model.name` |") {
			row = line
		}
	}
	if row == "" {
		t.Fatalf("%s has no | `model.name` | row", doc)
	}
	for _, n := range Names() {
		if !strings.Contains(row, "`"+n+"`") {
			t.Errorf("%s's model.name row does not list %q", doc, n)
		}
	}
}
