package pipeline

import (
	"runtime"
	"slices"
	"testing"

	"budgetrain/internal/torchx"
	"budgetrain/models"
	"budgetrain/pipeline/data"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	ts "github.com/sugarme/gotch/ts"
)

// TestUploaderDoubleBuffers: each dtype and shape has two host tensors used in turn, the values
// arrive intact (float32 and int64), a tensor is written again only two calls later, so the
// tensor of the previous call keeps its values, and pinned memory is asked for only on CUDA.
func TestUploaderDoubleBuffers(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dev := gotch.CPU
	if gotch.CUDA.IsAvailable() {
		dev = gotch.CudaBuilder(0)
	}
	u := newUploader(dev)
	defer u.close()
	read := func(x *ts.Tensor) []float32 {
		out := make([]float32, x.Numel())
		x.MustCopyData(out, x.Numel())
		return out
	}
	expect := func(what string, x *ts.Tensor, want []float32) {
		t.Helper()
		if got := read(x); !slices.Equal(got, want) {
			t.Fatalf("%s reads %v, want %v", what, got, want)
		}
	}
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{-1, -2, -3, -4, -5, -6}
	c := []float32{7, 8, 9, 10, 11, 12}
	ta := put(u, a, 2, 3)
	tb := put(u, b, 2, 3)
	expect("the first upload, after the second (which must not reuse its buffer),", ta, a)
	expect("the second upload", tb, b)
	ta.MustDrop()
	tc := put(u, c, 2, 3)
	expect("the third upload", tc, c)
	expect("the second upload, after the third,", tb, b)
	tb.MustDrop()
	tc.MustDrop()
	k := hostKey{dtype: gotch.Float, ndim: 2, shape: [4]int64{2, 3}}
	s := u.slots[k]
	if s == nil || s.t[0] == nil || s.t[1] == nil || len(u.slots) != 1 {
		t.Fatalf("slots after three uploads of one shape: %d kinds, want 1 with two host tensors", len(u.slots))
	}
	for i, h := range s.t {
		if got, want := torchx.IsPinned(h), dev.IsCuda(); got != want {
			t.Errorf("host tensor %d pinned = %v, want %v on %s", i, got, want, deviceName(dev))
		}
	}
	labels := []int64{3, 1, 4, 1}
	tl := put(u, labels, 4, 1)
	if k := tl.DType(); k != gotch.Int64 {
		t.Fatalf("an upload of []int64 made a %v tensor", k)
	}
	got := make([]int64, 4)
	tl.MustCopyData(got, 4)
	tl.MustDrop()
	if !slices.Equal(got, labels) {
		t.Fatalf("int64 upload reads %v, want %v", got, labels)
	}
	if len(u.slots) != 2 {
		t.Fatalf("%d kinds of host tensor after a second dtype, want 2", len(u.slots))
	}
	im := make([]float32, 2*3*4*5)
	for i := range im {
		im[i] = float32(i)
	}
	x := u.images(im, 2, 3, 4, 5)
	if sz := x.MustSize(); !slices.Equal(sz, []int64{2, 3, 4, 5}) {
		t.Fatalf("images: size %v, want [2 3 4 5]", sz)
	}
	if got := read(x); !slices.Equal(got, im) {
		t.Fatalf("images: values differ")
	}
	x.MustDrop()
	if ci := cpuImages(im, 2, 3, 4, 5); !slices.Equal(read(ci), im) {
		t.Fatal("cpuImages: values differ")
	} else {
		ci.MustDrop()
	}
}

// TestNewModelChannelsLastWeights: a model that computes channels-last (resnet8) gets
// channels-last convolution weights, one that does not (test-tiny, stages under 8 channels)
// keeps NCHW, and both start from the same values whatever the layout: NewModel with one seed
// gives the weights that models.New gives.
func TestNewModelChannelsLastWeights(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	info, err := data.Lookup("cifar10")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		model string
		nhwc  bool
	}{{"resnet8", true}, {"test-tiny", false}} {
		cfg := DefaultConfig()
		cfg.Model.Name = c.model
		torchx.ManualSeed(5)
		vs := nn.NewVarStore(gotch.CPU)
		if _, err := NewModel(vs, cfg, info); err != nil {
			t.Fatal(err)
		}
		conv := 0
		for name, v := range vs.Variables() {
			if v.Dim() != 4 {
				continue
			}
			if sz := v.MustSize(); sz[1]*sz[2]*sz[3] == sz[1] || sz[1] == 1 {
				continue // a 1×1 kernel or one input channel: both layouts have the same strides
			}
			conv++
			if got := torchx.IsChannelsLast(&v); got != c.nhwc {
				t.Errorf("%s: %s channels-last = %v, want %v", c.model, name, got, c.nhwc)
			}
		}
		if conv == 0 {
			t.Fatalf("%s: no 4-d variables", c.model)
		}
		got := weightsOf(vs)
		vs.Destroy()
		torchx.ManualSeed(5)
		ref := nn.NewVarStore(gotch.CPU)
		if _, err := models.New(cfg.Model.Name, ref.Root(), models.Spec{InChannels: int64(info.C), NumClasses: int64(len(info.Classes))}); err != nil {
			t.Fatal(err)
		}
		checkWeights(t, tolerance{}, c.model+" NewModel against models.New", got, weightsOf(ref))
		ref.Destroy()
	}
}
