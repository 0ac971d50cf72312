package torchx

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	ts "github.com/sugarme/gotch/ts"
)

// lockGrad keeps the test on one OS thread with gradients enabled: libtorch's grad mode is per
// thread, and another test's NoGrad may have left this thread's off.
func lockGrad(t *testing.T) {
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
	ts.MustGradSetEnabled(true)
}

// sgdStore builds a VarStore holding one 4→3 linear layer (weight and bias) with fixed values.
func sgdStore(t *testing.T) (*nn.VarStore, *nn.Linear) {
	t.Helper()
	ManualSeed(7)
	vs := nn.NewVarStore(gotch.CPU)
	cfg := &nn.LinearConfig{WsInit: nn.NewUniformInit(-0.5, 0.5), BsInit: nn.NewUniformInit(-0.5, 0.5), Bias: true}
	return vs, nn.NewLinear(vs.Root().Sub("fc"), 4, 3, cfg)
}

func trainable(vs *nn.VarStore) []*ts.Tensor {
	vars := vs.Variables()
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*ts.Tensor
	for _, n := range names {
		v := vars[n]
		if v.MustRequiresGrad() {
			out = append(out, &v)
		}
	}
	return out
}

// step computes a loss on a fixed batch and back-propagates it.
func lossBackward(lin *nn.Linear, k int) {
	x := ts.MustOfSlice([]float32{1, -2, 0.5, 3, float32(k), 0.25, -1, 2}).MustView([]int64{2, 4}, true)
	y := lin.Forward(x)
	l := y.MustMul(y, false).MustSum(gotch.Float, true)
	l.MustBackward()
	for _, v := range []*ts.Tensor{x, y, l} {
		v.MustDrop()
	}
}

func values(tt []*ts.Tensor) [][]float32 {
	out := make([][]float32, len(tt))
	for i, p := range tt {
		out[i] = make([]float32, p.Numel())
		p.MustCopyData(out[i], p.Numel())
	}
	return out
}

// TestSGDMatchesLibtorch: the shim's SGD gives bit-identical parameters to libtorch's own
// torch::optim::SGD (gotch's nn.SGD) over several steps with a varying learning rate, for
// every combination of momentum, weight decay and Nesterov.
func TestSGDMatchesLibtorch(t *testing.T) {
	lockGrad(t)
	for _, c := range []struct {
		name     string
		m, wd    float64
		nesterov bool
	}{{"plain", 0, 0, false}, {"momentum", 0.9, 0, false}, {"momentum+wd", 0.9, 5e-4, false}, {"nesterov+wd", 0.9, 1e-4, true}, {"wd only", 0, 1e-2, false}} {
		t.Run(c.name, func(t *testing.T) {
			lockGrad(t) // a subtest runs on its own goroutine
			vsA, linA := sgdStore(t)
			defer vsA.Destroy()
			vsB, linB := sgdStore(t)
			defer vsB.Destroy()
			ref, err := nn.NewSGDConfig(c.m, 0, c.wd, c.nesterov).Build(vsA, 0.1)
			if err != nil {
				t.Fatal(err)
			}
			own, err := NewSGD(trainable(vsB), c.m, 0, c.wd, c.nesterov)
			if err != nil {
				t.Fatal(err)
			}
			defer own.Close()
			for k := 0; k < 5; k++ {
				lr := 0.1 / float64(k+1)
				ref.SetLR(lr)
				ref.MustZeroGrad()
				lossBackward(linA, k)
				ref.MustStep()
				if err := own.ZeroGrad(); err != nil {
					t.Fatal(err)
				}
				lossBackward(linB, k)
				if err := own.Step(lr); err != nil {
					t.Fatal(err)
				}
			}
			a, b := values(trainable(vsA)), values(trainable(vsB))
			for i := range a {
				for j := range a[i] {
					if a[i][j] != b[i][j] {
						t.Fatalf("param %d[%d]: libtorch %v, shim %v", i, j, a[i][j], b[i][j])
					}
				}
			}
		})
	}
}

// TestSGDParameterJoiningLater: the update runs on all parameters at once (the _foreach ops);
// a parameter without a gradient is skipped and gets its momentum buffer at the first step that
// gives it one, while the others' buffers are already running, bit-identically to libtorch's
// per-parameter torch::optim::SGD.
func TestSGDParameterJoiningLater(t *testing.T) {
	lockGrad(t)
	build := func() (*nn.VarStore, *nn.Linear, *nn.Linear) {
		ManualSeed(11)
		vs := nn.NewVarStore(gotch.CPU)
		cfg := &nn.LinearConfig{WsInit: nn.NewUniformInit(-0.5, 0.5), BsInit: nn.NewUniformInit(-0.5, 0.5), Bias: true}
		return vs, nn.NewLinear(vs.Root().Sub("a"), 4, 4, cfg), nn.NewLinear(vs.Root().Sub("b"), 4, 3, cfg)
	}
	loss := func(a, b *nn.Linear, k int) {
		x := ts.MustOfSlice([]float32{1, -2, 0.5, 3, float32(k), 0.25, -1, 2}).MustView([]int64{2, 4}, true)
		h := a.Forward(x)
		if k >= 2 { // b joins at the third step
			h = b.Forward(h)
		}
		l := h.MustMul(h, false).MustSum(gotch.Float, true)
		l.MustBackward()
		for _, v := range []*ts.Tensor{x, h, l} {
			v.MustDrop()
		}
	}
	vsA, a1, b1 := build()
	defer vsA.Destroy()
	vsB, a2, b2 := build()
	defer vsB.Destroy()
	ref, err := nn.NewSGDConfig(0.9, 0, 5e-4, false).Build(vsA, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	own, err := NewSGD(trainable(vsB), 0.9, 0, 5e-4, false)
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	for k := 0; k < 6; k++ {
		lr := 0.1 / float64(k+1)
		ref.SetLR(lr)
		ref.MustZeroGrad()
		loss(a1, b1, k)
		ref.MustStep()
		if err := own.ZeroGrad(); err != nil {
			t.Fatal(err)
		}
		loss(a2, b2, k)
		if err := own.Step(lr); err != nil {
			t.Fatal(err)
		}
		if k == 1 {
			bufs, err := own.Buffers()
			if err != nil {
				t.Fatal(err)
			}
			// Sorted names: a.bias, a.weight, b.bias, b.weight; b has had no gradient yet.
			if bufs[0] == nil || bufs[1] == nil || bufs[2] != nil || bufs[3] != nil {
				t.Fatalf("after 2 steps of a alone, buffers present = %v %v %v %v; want a's only", bufs[0] != nil, bufs[1] != nil, bufs[2] != nil, bufs[3] != nil)
			}
			for _, b := range bufs {
				if b != nil {
					b.MustDrop()
				}
			}
		}
	}
	a, b := values(trainable(vsA)), values(trainable(vsB))
	for i := range a {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				t.Fatalf("param %d[%d]: libtorch %v, shim %v", i, j, a[i][j], b[i][j])
			}
		}
	}
}

// TestSGDFollowsPyTorchRule checks the update against PyTorch's documented rule computed in Go
// (float64): d = g + wd·p; buf = d, then m·buf + d; d = nesterov ? d + m·buf : buf; p −= lr·d.
// The loss is Σ p², so g = 2p at every step.
func TestSGDFollowsPyTorchRule(t *testing.T) {
	lockGrad(t)
	for _, nesterov := range []bool{false, true} {
		m, wd := 0.9, 0.01
		p0 := []float64{0.5, -1.5, 2}
		p := ts.MustOfSlice([]float32{0.5, -1.5, 2}).MustSetRequiresGrad(true, true)
		o, err := NewSGD([]*ts.Tensor{p}, m, 0, wd, nesterov)
		if err != nil {
			t.Fatal(err)
		}
		want := append([]float64(nil), p0...)
		buf := make([]float64, len(want))
		for k := 0; k < 4; k++ {
			lr := 0.05 * float64(k+1)
			o.ZeroGrad()
			l := p.MustMul(p, false).MustSum(gotch.Float, true)
			l.MustBackward()
			l.MustDrop()
			if err := o.Step(lr); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				d := 2*want[i] + wd*want[i]
				if k == 0 {
					buf[i] = d
				} else {
					buf[i] = m*buf[i] + d
				}
				if nesterov {
					d += m * buf[i]
				} else {
					d = buf[i]
				}
				want[i] -= lr * d
			}
		}
		got := make([]float32, 3)
		p.MustCopyData(got, 3)
		for i := range got {
			if math.Abs(float64(got[i])-want[i]) > 1e-5*math.Max(1, math.Abs(want[i])) {
				t.Errorf("nesterov=%v p[%d] = %v, want %v", nesterov, i, got[i], want[i])
			}
		}
		if o.LR() != 0.2 {
			t.Errorf("LR() = %v, want the last step's 0.2", o.LR())
		}
		o.Close()
		p.MustDrop()
	}
}

// TestSGDBuffersRestore: restoring the momentum buffers into a fresh optimizer continues the run
// exactly as the uninterrupted optimizer does.
func TestSGDBuffersRestore(t *testing.T) {
	lockGrad(t)
	vsA, linA := sgdStore(t)
	defer vsA.Destroy()
	vsB, linB := sgdStore(t)
	defer vsB.Destroy()
	a, _ := NewSGD(trainable(vsA), 0.9, 0, 1e-3, true)
	defer a.Close()
	b1, _ := NewSGD(trainable(vsB), 0.9, 0, 1e-3, true)
	for k := 0; k < 3; k++ {
		for _, s := range []struct {
			o   *SGD
			lin *nn.Linear
		}{{a, linA}, {b1, linB}} {
			s.o.ZeroGrad()
			lossBackward(s.lin, k)
			s.o.Step(0.05)
		}
	}
	bufs, err := b1.Buffers()
	if err != nil {
		t.Fatal(err)
	}
	b1.Close()
	b2, _ := NewSGD(trainable(vsB), 0.9, 0, 1e-3, true)
	defer b2.Close()
	for i, buf := range bufs {
		if buf == nil {
			t.Fatalf("buffer %d missing after 3 steps", i)
		}
		if err := b2.SetBuffer(i, buf); err != nil {
			t.Fatal(err)
		}
		buf.MustDrop()
	}
	for k := 3; k < 6; k++ {
		a.ZeroGrad()
		lossBackward(linA, k)
		a.Step(0.05)
		b2.ZeroGrad()
		lossBackward(linB, k)
		b2.Step(0.05)
	}
	va, vb := values(trainable(vsA)), values(trainable(vsB))
	for i := range va {
		for j := range va[i] {
			if va[i][j] != vb[i][j] {
				t.Fatalf("param %d[%d]: uninterrupted %v, restored %v", i, j, va[i][j], vb[i][j])
			}
		}
	}
	// A wrong shape is an error, not a crash.
	bad := ts.MustZeros([]int64{7}, gotch.Float, gotch.CPU)
	defer bad.MustDrop()
	if err := b2.SetBuffer(0, bad); err == nil {
		t.Error("SetBuffer accepted a buffer of the wrong shape")
	}
}

// TestSerializeTensors: the in-memory archive is the same bytes for the same tensors, and
// VarStore.Load reads it back.
func TestSerializeTensors(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	vs, _ := sgdStore(t)
	defer vs.Destroy()
	vars := vs.Variables()
	names := []string{"fc.bias", "fc.weight"}
	tt := []*ts.Tensor{}
	for _, n := range names {
		v := vars[n]
		tt = append(tt, &v)
	}
	b1, err := SerializeTensors(names, tt)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := SerializeTensors(names, tt)
	if !bytes.Equal(b1, b2) {
		t.Error("two serializations of the same tensors differ")
	}
	p := filepath.Join(t.TempDir(), "w.pt")
	if err := os.WriteFile(p, b1, 0o644); err != nil {
		t.Fatal(err)
	}
	vs2 := nn.NewVarStore(gotch.CPU)
	defer vs2.Destroy()
	nn.NewLinear(vs2.Root().Sub("fc"), 4, 3, &nn.LinearConfig{WsInit: nn.NewConstInit(0), BsInit: nn.NewConstInit(0), Bias: true})
	if err := vs2.Load(p); err != nil {
		t.Fatal(err)
	}
	w1, w2 := vars["fc.weight"], vs2.Variables()["fc.weight"]
	if !bytes.Equal(f32bytes(&w1), f32bytes(&w2)) {
		t.Error("loaded weights differ from the saved ones")
	}
}

func f32bytes(t *ts.Tensor) []byte {
	v := make([]float32, t.Numel())
	t.MustCopyData(v, t.Numel())
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		u := math.Float32bits(x)
		b = append(b, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	return b
}

// TestSetAllowTF32RoundTrips: the two TF32 flags read back as set, each on its own, and are
// restored afterwards (they are process-wide).
func TestSetAllowTF32RoundTrips(t *testing.T) {
	lockGrad(t) // libtorch's error slot is per thread
	b0, d0, err := AllowTF32()
	if err != nil {
		t.Fatal(err)
	}
	defer SetAllowTF32(b0, d0)
	for _, c := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		if err := SetAllowTF32(c[0], c[1]); err != nil {
			t.Fatal(err)
		}
		b, d, err := AllowTF32()
		if err != nil || b != c[0] || d != c[1] {
			t.Errorf("set cuBLAS %v cuDNN %v, read back %v %v (%v)", c[0], c[1], b, d, err)
		}
	}
}

// TestSetCuDNNRoundTrips: cuDNN's benchmark and deterministic flags read back as set and are
// restored afterwards (they are process-wide).
func TestSetCuDNNRoundTrips(t *testing.T) {
	lockGrad(t)
	b0, d0, err := CuDNN()
	if err != nil {
		t.Fatal(err)
	}
	defer SetCuDNN(b0, d0)
	for _, c := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		if err := SetCuDNN(c[0], c[1]); err != nil {
			t.Fatal(err)
		}
		b, d, err := CuDNN()
		if err != nil || b != c[0] || d != c[1] {
			t.Errorf("set benchmark %v deterministic %v, read back %v %v (%v)", c[0], c[1], b, d, err)
		}
	}
}

// TestHostTensorsAndCopies: HostEmpty makes a contiguous CPU tensor of the shape and dtype
// (pinned only where CUDA is), CopyFromHost fills it and refuses a slice of another byte size
// with an error naming the mismatch, ToDevice and Copy move values intact, and ChannelsLast
// changes the layout of a 4-d tensor without changing its values.
func TestHostTensorsAndCopies(t *testing.T) {
	lockGrad(t)
	h, err := HostEmpty([]int64{2, 3}, gotch.Float, true)
	if err != nil {
		t.Fatal(err)
	}
	defer h.MustDrop()
	if got := h.MustSize(); len(got) != 2 || got[0] != 2 || got[1] != 3 || h.DType() != gotch.Float {
		t.Fatalf("HostEmpty: size %v dtype %v, want [2 3] float", got, h.DType())
	}
	if IsPinned(h) != gotch.CUDA.IsAvailable() {
		t.Errorf("pinned = %v with CUDA available = %v", IsPinned(h), gotch.CUDA.IsAvailable())
	}
	src := []float32{1, 2, 3, 4, 5, 6}
	if err := CopyFromHost(h, src); err != nil {
		t.Fatal(err)
	}
	if err := CopyFromHost(h, src[:5]); err == nil || !strings.Contains(err.Error(), "size mismatch") {
		t.Errorf("5 values into 6: error %v, want a size mismatch", err)
	}
	if err := CopyFromHost(h, []int64{1, 2, 3, 4, 5, 6}); err == nil {
		t.Error("48 bytes of int64 into 24 bytes of float32: no error")
	}
	d, err := ToDevice(h, gotch.CPU, true)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float32, 6)
	d.MustCopyData(got, 6)
	d.MustDrop()
	for i := range src {
		if got[i] != src[i] {
			t.Fatalf("ToDevice: %v, want %v", got, src)
		}
	}
	z := ts.MustZeros([]int64{2, 3}, gotch.Float, gotch.CPU)
	defer z.MustDrop()
	if err := Copy(z, h, true); err != nil {
		t.Fatal(err)
	}
	z.MustCopyData(got, 6)
	for i := range src {
		if got[i] != src[i] {
			t.Fatalf("Copy: %v, want %v", got, src)
		}
	}
	x := ts.MustArange(ts.IntScalar(2*3*4*5), gotch.Float, gotch.CPU).MustView([]int64{2, 3, 4, 5}, true)
	defer x.MustDrop()
	before := make([]float32, 120)
	x.MustCopyData(before, 120)
	if IsChannelsLast(x) {
		t.Fatal("a fresh [2 3 4 5] tensor is channels-last")
	}
	if err := ChannelsLast([]*ts.Tensor{x}); err != nil {
		t.Fatal(err)
	}
	if !IsChannelsLast(x) {
		t.Error("ChannelsLast left the tensor NCHW")
	}
	after := make([]float32, 120)
	x.MustCopyData(after, 120)
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("ChannelsLast changed value %d: %v -> %v", i, before[i], after[i])
		}
	}
}

// TestAutocastBF16Pairs: AutocastBF16 turns autocast on and off for the CPU on this thread, and
// a matrix product computed inside comes out in bfloat16.
func TestAutocastBF16Pairs(t *testing.T) {
	lockGrad(t)
	if AutocastEnabled(gotch.CPU) {
		t.Fatal("autocast on before the test")
	}
	a := ts.MustOnes([]int64{2, 2}, gotch.Float, gotch.CPU)
	defer a.MustDrop()
	if err := AutocastBF16(true, gotch.CPU); err != nil {
		t.Fatal(err)
	}
	on := AutocastEnabled(gotch.CPU)
	m := a.MustMm(a, false)
	if err := AutocastBF16(false, gotch.CPU); err != nil {
		t.Fatal(err)
	}
	defer m.MustDrop()
	if !on || AutocastEnabled(gotch.CPU) {
		t.Errorf("autocast on inside = %v, after = %v; want true, false", on, AutocastEnabled(gotch.CPU))
	}
	if m.DType() != gotch.BFloat16 {
		t.Errorf("mm under autocast gave %v, want bfloat16", m.DType())
	}
	// On the CPU there is nothing to wait for: no event, and waiting on none returns at once.
	e, err := RecordEvent(gotch.CPU)
	if e != nil || err != nil {
		t.Errorf("RecordEvent on the CPU: %v, %v; want nil, nil", e, err)
	}
	if err := e.Wait(); err != nil {
		t.Error(err)
	}
}
