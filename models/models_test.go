package models

import (
	"errors"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"budgetrain/internal/torchx"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	ts "github.com/sugarme/gotch/ts"
)

func paramCount(vs *nn.VarStore) int64 {
	var n int64
	for _, p := range vs.TrainableVariables() {
		n += int64(p.Numel())
	}
	return n
}

func TestResNet18ParamCountMatchesPaper(t *testing.T) {
	runtime.LockOSThread()
	for _, tc := range []struct {
		classes int64
		want    int64
	}{{10, 11_173_962}, {100, 11_220_132}} {
		vs := nn.NewVarStore(gotch.CPU)
		if _, err := New("resnet18", vs.Root(), Spec{InChannels: 3, NumClasses: tc.classes}); err != nil {
			t.Fatal(err)
		}
		if got := paramCount(vs); got != tc.want {
			t.Errorf("resnet18 with %d classes: %d parameters, want %d", tc.classes, got, tc.want)
		}
		vs.Destroy()
	}
}

func TestResNet18NamesMatchOfficialStateDict(t *testing.T) {
	runtime.LockOSThread()
	vs := nn.NewVarStore(gotch.CPU)
	defer vs.Destroy()
	if _, err := New("resnet18", vs.Root(), Spec{InChannels: 3, NumClasses: 10}); err != nil {
		t.Fatal(err)
	}
	vars := vs.Variables()
	// A sample of the official code's state_dict keys (minus num_batches_tracked, which gotch lacks).
	for _, name := range []string{
		"conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
		"layer1.0.conv1.weight", "layer1.0.bn2.running_var", "layer1.1.conv2.weight",
		"layer2.0.shortcut.0.weight", "layer2.0.shortcut.1.weight", "layer2.0.shortcut.1.running_mean",
		"layer4.1.bn2.bias", "linear.weight", "linear.bias",
	} {
		if _, ok := vars[name]; !ok {
			t.Errorf("missing variable %q", name)
		}
	}
	if _, ok := vars["layer1.0.shortcut.0.weight"]; ok {
		t.Errorf("layer1.0 has a projection shortcut; the paper's network uses identity there")
	}
	// 62 trainable tensors + 2 running stats for each of the 20 BatchNorms.
	if got, want := len(vars), 62+2*20; got != want {
		t.Errorf("%d variables, want %d", got, want)
	}
	w := vars["linear.weight"]
	if got := w.MustSize(); got[0] != 10 || got[1] != 512 {
		t.Errorf("linear.weight shape %v, want [10 512]", got)
	}
}

// TestEveryModelForwardBackward runs each registered model on a tiny batch: the logits have the
// right shape and are finite, and one backward pass gives every trainable parameter a gradient.
func TestEveryModelForwardBackward(t *testing.T) {
	runtime.LockOSThread()
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			runtime.LockOSThread()
			if largeModels[name] && testing.Short() {
				t.Skip("large model (11-36 M parameters) skipped under -short")
			}
			const n, c, classes = 4, 1, 7
			vs := nn.NewVarStore(gotch.CPU)
			defer vs.Destroy()
			m, err := New(name, vs.Root(), Spec{InChannels: c, NumClasses: classes})
			if err != nil {
				t.Fatal(err)
			}
			x := ts.MustRandn([]int64{n, c, 16, 16}, gotch.Float, gotch.CPU)
			defer x.MustDrop()
			logits := m.ForwardT(x, true)
			defer logits.MustDrop()
			if got := logits.MustSize(); len(got) != 2 || got[0] != n || got[1] != classes {
				t.Fatalf("logits shape %v, want [%d %d]", got, n, classes)
			}
			vals := make([]float32, n*classes)
			logits.MustCopyData(vals, uint(len(vals)))
			for i, v := range vals {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("logit %d is %v", i, v)
				}
			}
			loss := logits.MustMean(gotch.Float, false)
			defer loss.MustDrop()
			loss.MustBackward()
			for _, p := range vs.TrainableVariables() {
				g := p.MustGrad(false)
				if !g.MustDefined() {
					t.Errorf("a parameter of shape %v has no gradient", p.MustSize())
					continue
				}
				g.MustDrop()
			}
		})
	}
}

// TestEveryModelInitMatchesPyTorchDefaults checks every variable of every registered model
// against the initialisation it is meant to have (PyTorch's defaults, see layers.go):
// convolution and linear weights, and linear biases, U(±b) with b = 1/√fan_in, so within ±b with
// mean 0 and standard deviation b/√3; BatchNorm weight 1, bias 0, running mean 0 and running
// variance 1 exactly. The moments catch a wrong scale or distribution that stays inside the
// bounds (gotch's own defaults are N(0,1) weights and U(0,1) BatchNorm weights). Torch is seeded,
// and the tolerances are 5 standard errors: the sample standard deviation of n uniform values
// has a relative standard error of about 0.447/√n.
func TestEveryModelInitMatchesPyTorchDefaults(t *testing.T) {
	runtime.LockOSThread()
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			runtime.LockOSThread()
			torchx.ManualSeed(1)
			vs := nn.NewVarStore(gotch.CPU)
			defer vs.Destroy()
			if _, err := New(name, vs.Root(), Spec{InChannels: 3, NumClasses: 10}); err != nil {
				t.Fatal(err)
			}
			vars := vs.Variables() // copies sharing the live tensors: never drop them
			values := func(v ts.Tensor) []float32 {
				buf := make([]float32, v.Numel())
				v.MustCopyData(buf, uint(len(buf)))
				return buf
			}
			constant := func(key string, buf []float32, want float32) {
				for i, x := range buf {
					if x != want {
						t.Errorf("%s[%d] = %v, want %v", key, i, x, want)
						return
					}
				}
			}
			uniform := func(key string, buf []float32, fanIn int64) {
				b := 1 / math.Sqrt(float64(fanIn))
				var sum, sq float64
				for i, x := range buf {
					if math.Abs(float64(x)) > float64(float32(b)) { // the bound as libtorch holds it
						t.Errorf("%s[%d] = %v outside ±%.4g (fan_in %d)", key, i, x, b, fanIn)
						return
					}
					sum += float64(x)
				}
				n := float64(len(buf))
				mean := sum / n
				for _, x := range buf {
					sq += (float64(x) - mean) * (float64(x) - mean)
				}
				std, want := math.Sqrt(sq/(n-1)), b/math.Sqrt(3)
				if tol := 5 * want / math.Sqrt(n); math.Abs(mean) > tol {
					t.Errorf("%s: mean %.4g, want 0 ± %.2g (%d values)", key, mean, tol, len(buf))
				}
				if tol := 5 * 0.447 / math.Sqrt(n); math.Abs(std/want-1) > tol {
					t.Errorf("%s: std %.4g, want b/√3 = %.4g ± %.0f%% (%d values)", key, std, want, 100*tol, len(buf))
				}
			}
			for key, v := range vars {
				i := strings.LastIndex(key, ".")
				prefix, kind := key[:max(i, 0)], key[i+1:]
				shape := v.MustSize()
				weight, hasWeight := vars[prefix+".weight"]
				switch {
				case kind == "running_mean":
					constant(key, values(v), 0)
				case kind == "running_var":
					constant(key, values(v), 1)
				case kind == "weight" && len(shape) == 4: // conv [out, in, kh, kw]
					uniform(key, values(v), shape[1]*shape[2]*shape[3])
				case kind == "weight" && len(shape) == 2: // linear [out, in]
					uniform(key, values(v), shape[1])
				case kind == "weight" && len(shape) == 1: // BatchNorm γ
					constant(key, values(v), 1)
				case kind == "bias" && hasWeight && len(weight.MustSize()) == 2: // linear
					uniform(key, values(v), weight.MustSize()[1])
				case kind == "bias" && hasWeight && len(weight.MustSize()) == 1: // BatchNorm β
					constant(key, values(v), 0)
				default:
					t.Errorf("variable %s of shape %v has no intended init in this test: add one", key, shape)
				}
			}
		})
	}
}

func TestUnknownModelListsNames(t *testing.T) {
	runtime.LockOSThread()
	vs := nn.NewVarStore(gotch.CPU)
	defer vs.Destroy()
	_, err := New("resnet1000", vs.Root(), Spec{InChannels: 3, NumClasses: 10})
	if !errors.Is(err, ErrUnknownModel) {
		t.Fatalf("got %v, want ErrUnknownModel", err)
	}
	for _, n := range Names() {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("error %q does not list %q", err, n)
		}
	}
}

// The channels-last layout is an execution detail: resnet8 must give the same logits and the
// same input gradient with it as without it, in training and evaluation mode.
func TestChannelsLastMatchesNCHW(t *testing.T) {
	runtime.LockOSThread()
	vs := nn.NewVarStore(gotch.CPU)
	defer vs.Destroy()
	m, err := New("resnet8", vs.Root(), Spec{InChannels: 1, NumClasses: 10})
	if err != nil {
		t.Fatal(err)
	}
	r := m.(*ResNet)
	if !r.nhwc {
		t.Fatal("resnet8 (16 channels and up) should run channels-last")
	}
	x := ts.MustRandn([]int64{6, 1, 28, 28}, gotch.Float, gotch.CPU)
	defer x.MustDrop()
	y := channelsLast(ts.MustRandn([]int64{2, 16, 5, 7}, gotch.Float, gotch.CPU))
	if got, want := y.MustStride(), []int64{16 * 5 * 7, 1, 7 * 16, 16}; !slices.Equal(got, want) || !slices.Equal(y.MustSize(), []int64{2, 16, 5, 7}) {
		t.Fatalf("channelsLast: size %v strides %v, want [2 16 5 7] with strides %v", y.MustSize(), got, want)
	}
	y.MustDrop()
	run := func(nhwc, train bool) ([]float32, []float32) {
		r.nhwc = nhwc
		xi := x.MustDetach(false).MustSetRequiresGrad(true, true)
		defer xi.MustDrop()
		out := r.ForwardT(xi, train)
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
	narrow, err := New("test-tiny", vs.Root().Sub("tiny"), Spec{InChannels: 1, NumClasses: 10})
	if err != nil {
		t.Fatal(err)
	}
	if narrow.(*ResNet).nhwc {
		t.Error("test-tiny (4 channels) must stay NCHW: libtorch 2.1.2 corrupts its heap otherwise")
	}
}

func maxAbsDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}
