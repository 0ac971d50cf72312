package ort

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"budgetrain/onnx"
	"budgetrain/onnx/internal/ref"
)

func randn(rng *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * scale)
	}
	return v
}

// smallNet is the test model: input [N,1,4,4] → (x − mean)/std → Conv3x3 pad 1 with bias →
// BN → Relu → Add(skip, Conv3x3 pad 1 without bias) → GlobalAveragePool → Flatten → Gemm
// (transB) → logits [N,3], with fixed random weights.
type smallNet struct {
	mean, std           float32
	w1, b1              []float32 // [4,1,3,3], [4]
	gamma, beta, mu, va []float32 // [4]
	w2                  []float32 // [4,4,3,3]
	fw, fb              []float32 // [3,4], [3]
}

const smallClasses = 3

func newSmallNet(seed uint64) smallNet {
	rng := rand.New(rand.NewPCG(seed, 1))
	n := smallNet{mean: 0.45, std: 0.22,
		w1: randn(rng, 36, 0.5), b1: randn(rng, 4, 0.1),
		gamma: randn(rng, 4, 0.5), beta: randn(rng, 4, 0.3), mu: randn(rng, 4, 0.3),
		w2: randn(rng, 144, 0.3), fw: randn(rng, 12, 0.8), fb: randn(rng, 3, 0.1)}
	for range 4 {
		n.va = append(n.va, float32(0.2+rng.Float64()))
	}
	return n
}

func (n smallNet) marshal(tb testing.TB) []byte {
	tb.Helper()
	b := onnx.NewBuilder("small")
	x := b.Input(onnx.InputName, -1, 1, 4, 4)
	x = b.Div(b.Sub(x, b.Initializer("mean", []int64{1, 1, 1, 1}, []float32{n.mean})),
		b.Initializer("std", []int64{1, 1, 1, 1}, []float32{n.std}))
	h := b.Conv(x, b.Initializer("conv1.weight", []int64{4, 1, 3, 3}, n.w1), b.Initializer("conv1.bias", []int64{4}, n.b1), 1, 1, 1)
	h = b.BatchNorm(h, b.Initializer("bn.weight", []int64{4}, n.gamma), b.Initializer("bn.bias", []int64{4}, n.beta),
		b.Initializer("bn.running_mean", []int64{4}, n.mu), b.Initializer("bn.running_var", []int64{4}, n.va), 1e-5)
	h = b.Relu(h)
	h = b.Add(h, b.Conv(h, b.Initializer("conv2.weight", []int64{4, 4, 3, 3}, n.w2), "", 1, 1, 1))
	h = b.Flatten(b.GlobalAveragePool(h), 1)
	h = b.Gemm(h, b.Initializer("fc.weight", []int64{smallClasses, 4}, n.fw), b.Initializer("fc.bias", []int64{smallClasses}, n.fb), true)
	b.Identity(h, onnx.OutputName)
	b.Output(onnx.OutputName, -1, smallClasses)
	b.SetMetadata("model", "small")
	b.SetMetadata("dataset", "test")
	data, err := b.Marshal("budgetrain-test")
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// forward is the same network computed by the float64 reference.
func (n smallNet) forward(x []float32, batch int) []float64 {
	t := ref.Normalize(ref.FromFloat32(x, batch, 1, 4, 4), []float64{float64(n.mean)}, []float64{float64(n.std)})
	t = ref.Conv2D(t, ref.FromFloat32(n.w1, 4, 1, 3, 3), ref.F64(n.b1), 1, 1, 1)
	t = ref.Relu(ref.BatchNorm(t, ref.F64(n.gamma), ref.F64(n.beta), ref.F64(n.mu), ref.F64(n.va), 1e-5))
	t = ref.Add(t, ref.Conv2D(t, ref.FromFloat32(n.w2, 4, 4, 3, 3), nil, 1, 1, 1))
	t = ref.Linear(ref.GlobalAveragePool(t), ref.FromFloat32(n.fw, smallClasses, 4), ref.F64(n.fb))
	return t.Data
}

func maxAbsDiff(got []float32, want []float64) float64 {
	d := 0.0
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i])-want[i]))
	}
	return d
}

func openBytes(tb testing.TB, data []byte) *Session {
	tb.Helper()
	s, err := OpenBytes(data, 1)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func uniformPixels(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.Float64())
	}
	return x
}

// The exported graph evaluated by onnxruntime matches the float64 reference within 1e-5 for
// every batch size, including sizes that force the session to rebuild its tensors.
func TestSmallNetMatchesReference(t *testing.T) {
	needORT(t)
	net := newSmallNet(7)
	s := openBytes(t, net.marshal(t))
	rng := rand.New(rand.NewPCG(8, 0))
	for _, n := range []int{1, 5, 3, 64, 5} {
		t.Run(fmt.Sprintf("batch %d", n), func(t *testing.T) {
			x := uniformPixels(rng, n*16)
			got, err := s.Run(x, n)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n*smallClasses {
				t.Fatalf("got %d logits, want %d", len(got), n*smallClasses)
			}
			if d := maxAbsDiff(got, net.forward(x, n)); d > 1e-5 {
				t.Errorf("max |ort − reference| = %g, want ≤ 1e-5", d)
			}
		})
	}
}

func TestSessionReportsShapeClassesAndMetadata(t *testing.T) {
	needORT(t)
	s := openBytes(t, newSmallNet(1).marshal(t))
	if got := s.InputShape(); !slices.Equal(got, []int64{-1, 1, 4, 4}) {
		t.Errorf("InputShape() = %v, want [-1 1 4 4]", got)
	}
	if s.NumClasses() != smallClasses {
		t.Errorf("NumClasses() = %d, want %d", s.NumClasses(), smallClasses)
	}
	want := map[string]string{"model": "small", "dataset": "test"}
	if got := s.Metadata(); !maps.Equal(got, want) {
		t.Errorf("Metadata() = %v, want %v", got, want)
	}
	s.Metadata()["model"] = "changed"
	if s.Metadata()["model"] != "small" {
		t.Error("Metadata() returns the session's own map")
	}
}

// conv and pool variants, each flattened into "logits" so that the session accepts them.
func TestOpsMatchReference(t *testing.T) {
	needORT(t)
	type opCase struct {
		name     string
		c, h, w  int
		build    func(b *onnx.Builder, x string, rng *rand.Rand) (string, func(x ref.Tensor) ref.Tensor)
		outShape func() int
	}
	conv := func(cin, cout, k, stride, pad, groups int, bias bool) func(b *onnx.Builder, x string, rng *rand.Rand) (string, func(ref.Tensor) ref.Tensor) {
		return func(b *onnx.Builder, x string, rng *rand.Rand) (string, func(ref.Tensor) ref.Tensor) {
			w := randn(rng, cout*cin/groups*k*k, 0.5)
			var bv []float32
			bname := ""
			if bias {
				bv = randn(rng, cout, 0.5)
				bname = b.Initializer("b", []int64{int64(cout)}, bv)
			}
			y := b.Conv(x, b.Initializer("w", []int64{int64(cout), int64(cin / groups), int64(k), int64(k)}, w), bname, stride, pad, groups)
			return y, func(t ref.Tensor) ref.Tensor {
				var b64 []float64
				if bias {
					b64 = ref.F64(bv)
				}
				return ref.Conv2D(t, ref.FromFloat32(w, cout, cin/groups, k, k), b64, stride, pad, groups)
			}
		}
	}
	pool := func(k, stride, pad int, max bool) func(b *onnx.Builder, x string, rng *rand.Rand) (string, func(ref.Tensor) ref.Tensor) {
		return func(b *onnx.Builder, x string, _ *rand.Rand) (string, func(ref.Tensor) ref.Tensor) {
			var y string
			if max {
				y = b.MaxPool(x, k, stride, pad)
			} else {
				y = b.AveragePool(x, k, stride)
			}
			return y, func(t ref.Tensor) ref.Tensor { return ref.Pool2D(t, k, stride, pad, max) }
		}
	}
	tests := []opCase{
		{name: "conv 3x3 pad 1 with bias", c: 3, h: 6, w: 6, build: conv(3, 5, 3, 1, 1, 1, true)},
		{name: "conv 3x3 pad 1 without bias", c: 3, h: 6, w: 6, build: conv(3, 5, 3, 1, 1, 1, false)},
		{name: "conv 3x3 stride 2 pad 1", c: 2, h: 7, w: 7, build: conv(2, 4, 3, 2, 1, 1, true)},
		{name: "conv 1x1 stride 2 shortcut", c: 4, h: 8, w: 8, build: conv(4, 6, 1, 2, 0, 1, false)},
		{name: "conv grouped", c: 4, h: 5, w: 5, build: conv(4, 6, 3, 1, 1, 2, true)},
		{name: "avgpool 4 stride 4", c: 2, h: 8, w: 8, build: pool(4, 4, 0, false)},
		{name: "avgpool 3 stride 2 drops the ragged edge", c: 2, h: 8, w: 8, build: pool(3, 2, 0, false)},
		{name: "maxpool 3 stride 2 pad 1", c: 2, h: 8, w: 8, build: pool(3, 2, 1, true)},
		{name: "maxpool 2 stride 2", c: 3, h: 6, w: 6, build: pool(2, 2, 0, true)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(20, uint64(i)))
			b := onnx.NewBuilder("op")
			x := b.Input(onnx.InputName, -1, int64(tt.c), int64(tt.h), int64(tt.w))
			y, refFn := tt.build(b, x, rng)
			const n = 3
			xs := make([]float32, n*tt.c*tt.h*tt.w)
			for j := range xs {
				xs[j] = float32(rng.NormFloat64()) // negative values too, so that max pool padding matters
			}
			want := refFn(ref.FromFloat32(xs, n, tt.c, tt.h, tt.w))
			classes := len(want.Data) / n
			b.Identity(b.Flatten(y, 1), onnx.OutputName)
			b.Output(onnx.OutputName, -1, int64(classes))
			data, err := b.Marshal("test")
			if err != nil {
				t.Fatal(err)
			}
			s := openBytes(t, data)
			got, err := s.Run(xs, n)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(got, want.Data); d > 1e-5 {
				t.Errorf("max |ort − reference| = %g over %d outputs, want ≤ 1e-5", d, len(want.Data))
			}
		})
	}
}

// FoldBatchNorm gives a Conv that onnxruntime evaluates like the Conv+BatchNormalization pair.
func TestFoldedConvMatchesConvBatchNormInORT(t *testing.T) {
	needORT(t)
	rng := rand.New(rand.NewPCG(30, 0))
	const cin, cout = 3, 4
	w, bias := randn(rng, cout*cin*9, 0.5), randn(rng, cout, 0.2)
	gamma, beta, mean := randn(rng, cout, 1), randn(rng, cout, 0.5), randn(rng, cout, 0.5)
	variance := []float32{0.3, 1, 2.5, 0.05}
	graph := func(fold bool) []byte {
		b := onnx.NewBuilder("fold")
		x := b.Input(onnx.InputName, -1, cin, 5, 5)
		var y string
		if fold {
			wf, bf := onnx.FoldBatchNorm(w, cout, bias, gamma, beta, mean, variance, 1e-5)
			y = b.Conv(x, b.Initializer("w", []int64{cout, cin, 3, 3}, wf), b.Initializer("b", []int64{cout}, bf), 1, 1, 1)
		} else {
			y = b.Conv(x, b.Initializer("w", []int64{cout, cin, 3, 3}, w), b.Initializer("b", []int64{cout}, bias), 1, 1, 1)
			y = b.BatchNorm(y, b.Initializer("g", []int64{cout}, gamma), b.Initializer("be", []int64{cout}, beta),
				b.Initializer("m", []int64{cout}, mean), b.Initializer("v", []int64{cout}, variance), 1e-5)
		}
		b.Identity(b.Flatten(y, 1), onnx.OutputName)
		b.Output(onnx.OutputName, -1, cout*25)
		data, err := b.Marshal("test")
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	x := uniformPixels(rng, 2*cin*25)
	a, err := openBytes(t, graph(false)).Run(x, 2)
	if err != nil {
		t.Fatal(err)
	}
	f, err := openBytes(t, graph(true)).Run(x, 2)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(f, ref.F64(a)); d > 1e-5 {
		t.Errorf("max |folded − conv+bn| = %g, want ≤ 1e-5", d)
	}
}

func TestGoldenFileFromOnnxPackageLoads(t *testing.T) {
	needORT(t)
	s, err := Open("../testdata/small.onnx", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !slices.Equal(s.InputShape(), []int64{-1, 1, 4, 4}) || s.NumClasses() != 3 || s.Metadata()["model"] != "small" {
		t.Errorf("golden model: shape %v classes %d metadata %v", s.InputShape(), s.NumClasses(), s.Metadata())
	}
	out, err := s.Run(make([]float32, 2*16), 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range out {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Errorf("non-finite logit %v", v)
		}
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	needORT(t)
	s := openBytes(t, newSmallNet(1).marshal(t))
	tests := []struct {
		name string
		x    []float32
		n    int
		want string
	}{
		{"short input", make([]float32, 15), 1, "x has 15 values, want n·16 = 16 for n = 1"},
		{"zero batch", nil, 0, "batch size must be >= 1, got 0"},
		{"negative batch", nil, -2, "batch size must be >= 1, got -2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Run(tt.x, tt.n)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
	s.Close()
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Run(make([]float32, 16), 1); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Run after Close: %v, want a closed-session error", err)
	}
}

func TestOpenRejectsModelsOutsideTheConvention(t *testing.T) {
	needORT(t)
	graph := func(in, out string, inDims, outDims []int64) []byte {
		b := onnx.NewBuilder("g")
		x := b.Input(in, inDims...)
		b.Identity(b.Flatten(x, 1), out)
		b.Output(out, outDims...)
		data, err := b.Marshal("t")
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"wrong output name", graph("input", "probs", []int64{-1, 3}, []int64{-1, 3}), `no output "logits"`},
		{"wrong input name", graph("x", "logits", []int64{-1, 3}, []int64{-1, 3}), `no input "input"`},
		{"dynamic feature dimension", graph("input", "logits", []int64{-1, -1}, []int64{-1, -1}), "dimension 1 must be fixed"},
		{"not a model", []byte("garbage"), "read model inputs and outputs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := OpenBytes(tt.data, 1)
			if err == nil {
				s.Close()
				t.Fatalf("OpenBytes succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
	if _, err := Open("no/such/model.onnx", 1); err == nil || !strings.Contains(err.Error(), "no/such/model.onnx") {
		t.Errorf("Open of a missing file: %v, want an error naming the path", err)
	}
	// Bad files: each error names the file and says what was expected.
	small, err := os.ReadFile("../testdata/small.onnx")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range []struct {
		name string
		data []byte
		want string
	}{
		{"garbage.onnx", []byte("this is not a model"), "not an ONNX model, or truncated?"},
		{"empty.onnx", nil, "empty model (0 bytes), want a serialized ONNX ModelProto"},
		{"truncated.onnx", small[:len(small)/2], "not an ONNX model, or truncated?"},
	} {
		path := filepath.Join(dir, f.name)
		if err := os.WriteFile(path, f.data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Open(path, 1)
		if err == nil {
			s.Close()
			t.Errorf("Open(%s) succeeded", f.name)
			continue
		}
		for _, want := range []string{`open model "` + path + `"`, f.want} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Open(%s): error %q lacks %q", f.name, err, want)
			}
		}
	}
	if _, err := OpenBytes(newSmallNet(1).marshal(t), -1); err == nil || !strings.Contains(err.Error(), "threads must be >= 0, got -1") {
		t.Errorf("negative threads: %v", err)
	}
}

func TestFixedBatchModelAcceptsOnlyItsBatch(t *testing.T) {
	needORT(t)
	b := onnx.NewBuilder("fixed")
	b.Identity(b.Relu(b.Input(onnx.InputName, 2, 3)), onnx.OutputName)
	b.Output(onnx.OutputName, 2, 3)
	data, err := b.Marshal("t")
	if err != nil {
		t.Fatal(err)
	}
	s := openBytes(t, data)
	if got, err := s.Run([]float32{-1, 2, -3, 4, -5, 6}, 2); err != nil || !slices.Equal(got, []float32{0, 2, 0, 4, 0, 6}) {
		t.Errorf("Run(batch 2) = %v, %v; want relu of the input", got, err)
	}
	if _, err := s.Run(make([]float32, 3), 1); err == nil || !strings.Contains(err.Error(), "fixed batch of 2, got 1") {
		t.Errorf("Run(batch 1): %v, want a fixed-batch error", err)
	}
}

// Concurrent Run calls with different batch sizes give the same logits as sequential calls.
func TestRunIsSafeForConcurrentUse(t *testing.T) {
	needORT(t)
	net := newSmallNet(3)
	s := openBytes(t, net.marshal(t))
	rng := rand.New(rand.NewPCG(40, 0))
	inputs := make([][]float32, 8)
	for i := range inputs {
		inputs[i] = uniformPixels(rng, (i+1)*16)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(inputs))
	for i := range inputs {
		wg.Go(func() {
			for range 5 {
				got, err := s.Run(inputs[i], i+1)
				if err != nil {
					errs[i] = err
					return
				}
				if d := maxAbsDiff(got, net.forward(inputs[i], i+1)); d > 1e-5 {
					errs[i] = fmt.Errorf("batch %d: max diff %g", i+1, d)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func benchmarkRun(b *testing.B, batch int) {
	needORT(b)
	s := openBytes(b, newSmallNet(1).marshal(b))
	x := uniformPixels(rand.New(rand.NewPCG(1, 1)), batch*16)
	if _, err := s.Run(x, batch); err != nil { // warm up: first run allocates
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Run(x, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "img/s")
}

func BenchmarkRun1(b *testing.B)   { benchmarkRun(b, 1) }
func BenchmarkRun256(b *testing.B) { benchmarkRun(b, 256) }
