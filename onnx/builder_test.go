package onnx

import (
	"bytes"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

func randn(rng *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * scale)
	}
	return v
}

// smallGraph builds input [N,1,4,4] → Normalize → Conv3x3(bias) → BN → Relu → Conv3x3(no bias)
// → Add(skip) → GlobalAveragePool → Flatten → Gemm(transB) → logits [N,3].
func smallGraph() *Builder {
	rng := rand.New(rand.NewPCG(1, 2))
	b := NewBuilder("small")
	x := b.Input(InputName, -1, 1, 4, 4)
	x = b.Normalize(x, []float32{0.5}, []float32{0.25})
	w1 := b.Initializer("conv1.weight", []int64{4, 1, 3, 3}, randn(rng, 36, 0.5))
	b1 := b.Initializer("conv1.bias", []int64{4}, randn(rng, 4, 0.1))
	h := b.Conv(x, w1, b1, 1, 1, 1)
	h = b.BatchNorm(h,
		b.Initializer("bn1.weight", []int64{4}, randn(rng, 4, 0.3)),
		b.Initializer("bn1.bias", []int64{4}, randn(rng, 4, 0.3)),
		b.Initializer("bn1.running_mean", []int64{4}, randn(rng, 4, 0.3)),
		b.Initializer("bn1.running_var", []int64{4}, []float32{0.5, 1, 1.5, 2}), 1e-5)
	h = b.Relu(h)
	w2 := b.Initializer("conv2.weight", []int64{4, 4, 3, 3}, randn(rng, 144, 0.3))
	h = b.Add(h, b.Conv(h, w2, "", 1, 1, 1))
	h = b.Flatten(b.GlobalAveragePool(h), 1)
	fw := b.Initializer("fc.weight", []int64{3, 4}, randn(rng, 12, 0.5))
	fb := b.Initializer("fc.bias", []int64{3}, randn(rng, 3, 0.1))
	b.Identity(b.Gemm(h, fw, fb, true), OutputName)
	b.Output(OutputName, -1, 3)
	b.SetMetadata("model", "small")
	b.SetMetadata("seed", "1")
	return b
}

func TestMarshalWritesModelStructure(t *testing.T) {
	data, err := smallGraph().Marshal("budgetrain-test")
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeModel(data)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if m.ir != 8 || m.producer != "budgetrain-test" || m.opsets[""] != 17 || len(m.opsets) != 1 {
		t.Errorf("header: ir %d producer %q opsets %v, want 8, budgetrain-test, {\"\": 17}", m.ir, m.producer, m.opsets)
	}
	if want := [][2]string{{"model", "small"}, {"seed", "1"}}; !slices.Equal(m.meta, want) {
		t.Errorf("metadata %v, want %v", m.meta, want)
	}
	g := m.graph
	if g.name != "small" {
		t.Errorf("graph name %q", g.name)
	}
	var ops, names []string
	for _, n := range g.nodes {
		ops = append(ops, n.op)
		names = append(names, n.name)
	}
	wantOps := []string{"Sub", "Div", "Conv", "BatchNormalization", "Relu", "Conv", "Add",
		"GlobalAveragePool", "Flatten", "Gemm", "Identity"}
	if !slices.Equal(ops, wantOps) {
		t.Errorf("ops %v, want %v", ops, wantOps)
	}
	if sorted := slices.Compact(slices.Sorted(slices.Values(names))); len(sorted) != len(names) {
		t.Errorf("node names are not unique: %v", names)
	}
	if len(g.inputs) != 1 || g.inputs[0].name != "input" || g.inputs[0].elem != 1 ||
		!slices.Equal(g.inputs[0].dims, []string{"N", "1", "4", "4"}) {
		t.Errorf("inputs %+v, want input float [N 1 4 4]", g.inputs)
	}
	if len(g.outputs) != 1 || g.outputs[0].name != "logits" || !slices.Equal(g.outputs[0].dims, []string{"N", "3"}) {
		t.Errorf("outputs %+v, want logits [N 3]", g.outputs)
	}
	if last := g.nodes[len(g.nodes)-1]; !slices.Equal(last.out, []string{"logits"}) {
		t.Errorf("last node outputs %v, want [logits]", last.out)
	}

	conv1, conv2 := g.nodes[2], g.nodes[5]
	checkInts := func(n dNode, attr string, want ...int64) {
		t.Helper()
		a, ok := n.attrs[attr]
		if !ok || a.typ != 7 || !slices.Equal(a.ints, want) {
			t.Errorf("%s.%s = %+v (present %v), want INTS %v", n.name, attr, a, ok, want)
		}
	}
	checkInts(conv1, "kernel_shape", 3, 3)
	checkInts(conv1, "pads", 1, 1, 1, 1)
	checkInts(conv1, "strides", 1, 1)
	if a := conv1.attrs["group"]; a.typ != 2 || a.i != 1 {
		t.Errorf("conv group %+v, want INT 1", a)
	}
	if len(conv1.in) != 3 || len(conv2.in) != 2 {
		t.Errorf("conv inputs %v and %v, want with and without bias", conv1.in, conv2.in)
	}
	if a := g.nodes[3].attrs["epsilon"]; a.typ != 1 || a.f != 1e-5 {
		t.Errorf("batchnorm epsilon %+v, want FLOAT 1e-5", a)
	}
	if a := g.nodes[9].attrs["transB"]; a.typ != 2 || a.i != 1 {
		t.Errorf("gemm transB %+v, want INT 1", a)
	}
	if a := g.nodes[8].attrs["axis"]; a.i != 1 {
		t.Errorf("flatten axis %+v, want 1", a)
	}

	// Initializers keep order, shape and exact values.
	rng := rand.New(rand.NewPCG(1, 2))
	w1 := randn(rng, 36, 0.5)
	var found bool
	for _, in := range g.inits {
		if in.name == "conv1.weight" {
			found = true
			if in.dtype != 1 || !slices.Equal(in.dims, []int64{4, 1, 3, 3}) || !slices.Equal(in.data, w1) {
				t.Errorf("conv1.weight: dtype %d dims %v data differs %v", in.dtype, in.dims, !slices.Equal(in.data, w1))
			}
		}
		if in.name == "norm0.mean" && !slices.Equal(in.dims, []int64{1, 1, 1, 1}) {
			t.Errorf("norm0.mean dims %v, want [1 1 1 1]", in.dims)
		}
	}
	if !found {
		t.Error("initializer conv1.weight missing")
	}
}

// The bytes are a pure function of the calls, and match the golden file (regenerate with
// go test ./onnx -update after an intended change of the encoding).
func TestMarshalIsDeterministicAndMatchesGolden(t *testing.T) {
	a, err := smallGraph().Marshal("budgetrain-test")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := smallGraph().Marshal("budgetrain-test")
	if !bytes.Equal(a, b) {
		t.Fatal("two identical builds marshal to different bytes")
	}
	golden := filepath.Join("testdata", "small.onnx")
	if *update {
		if err := os.WriteFile(golden, a, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./onnx -update to create it)", err)
	}
	if !bytes.Equal(a, want) {
		t.Errorf("marshalled bytes (%d) differ from %s (%d); rerun with -update if the change is intended", len(a), golden, len(want))
	}
}

func TestMarshalReportsEveryProblem(t *testing.T) {
	w := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	tests := []struct {
		name  string
		build func(b *Builder)
		want  []string
		is    error
	}{
		{"unknown input names it", func(b *Builder) {
			x := b.Input("x", -1, 4)
			b.Identity(b.Add(x, "ghost"), "y")
			b.Output("y")
		}, []string{`node Add_0 (Add): input 1: unknown tensor "ghost"`}, ErrUnknownTensor},
		{"input used before defined", func(b *Builder) {
			x := b.Input("x", 4)
			b.Relu("later")
			b.Identity(x, "later")
			b.Output("later")
		}, []string{`"later" is used before node Identity_0 defines it`}, nil},
		{"duplicate tensor", func(b *Builder) {
			x := b.Input("x", 4)
			b.Initializer("x", []int64{1}, []float32{1})
			b.Identity(x, "y")
			b.Output("y")
		}, []string{`tensor "x" is defined twice`}, nil},
		{"undefined output", func(b *Builder) {
			b.Input("x", 4)
			b.Output("nowhere", 4)
		}, []string{`output "nowhere": unknown tensor`}, ErrUnknownTensor},
		{"no inputs or outputs", func(b *Builder) {}, []string{"graph has no inputs", "graph has no outputs"}, nil},
		{"conv weight not an initializer", func(b *Builder) {
			x := b.Input("x", -1, 1, 4, 4)
			b.Identity(b.Conv(x, x, "", 1, 1, 1), "y")
			b.Output("y")
		}, []string{`weight "x" is not an initializer`}, nil},
		{"conv bad attributes all reported", func(b *Builder) {
			x := b.Input("x", -1, 1, 4, 4)
			b.Identity(b.Conv(x, b.Initializer("w", []int64{1, 1, 3, 3}, w), "", 0, -1, 0), "y")
			b.Output("y")
		}, []string{"stride must be >= 1, got 0", "pad must be >= 0, got -1", "groups must be >= 1, got 0"}, nil},
		{"conv weight rank", func(b *Builder) {
			x := b.Input("x", -1, 1, 4, 4)
			b.Identity(b.Conv(x, b.Initializer("w", []int64{9}, w), "", 1, 0, 1), "y")
			b.Output("y")
		}, []string{`weight "w" has shape [9], want 4 dimensions`}, nil},
		{"conv groups divide output channels", func(b *Builder) {
			x := b.Input("x", -1, 2, 4, 4)
			b.Identity(b.Conv(x, b.Initializer("w", []int64{3, 1, 1, 1}, w[:3]), "", 1, 0, 2), "y")
			b.Output("y")
		}, []string{"3 output channels of \"w\" are not divisible by groups 2"}, nil},
		{"initializer length", func(b *Builder) {
			x := b.Input("x", 2)
			b.Identity(b.Add(x, b.Initializer("c", []int64{2}, w)), "y")
			b.Output("y")
		}, []string{`initializer "c": shape [2] needs 2 values, got 9`}, nil},
		{"zero dimensions", func(b *Builder) {
			x := b.Input("x", 0, 3)
			b.Identity(x, "y")
			b.Output("y", 3, 0)
		}, []string{`input "x": dimension 0 is 0`, `output "y": dimension 1 is 0`}, nil},
		{"batchnorm eps", func(b *Builder) {
			x := b.Input("x", -1, 1, 2, 2)
			c := b.Initializer("c", []int64{1}, w[:1])
			b.Identity(b.BatchNorm(x, c, c, c, c, 0), "y")
			b.Output("y")
		}, []string{"eps must be > 0, got 0"}, nil},
		{"pool arguments", func(b *Builder) {
			x := b.Input("x", -1, 1, 4, 4)
			b.Identity(b.MaxPool(b.AveragePool(x, 0, 0), 2, 1, 2), "y")
			b.Output("y")
		}, []string{"averagepool on \"x\": kernel must be >= 1, got 0", "averagepool on \"x\": stride must be >= 1, got 0",
			"maxpool on \"AveragePool_0_out\": pad must be in [0, kernel/2], got 2"}, nil},
		{"normalize arguments", func(b *Builder) {
			x := b.Input("x", -1, 2, 4, 4)
			b.Identity(b.Normalize(x, []float32{0.5, 0.5}, []float32{0.5, 0}), "y")
			b.Output("y")
		}, []string{"std[1] must be > 0, got 0"}, nil},
		{"metadata key empty", func(b *Builder) {
			b.Identity(b.Input("x", 1), "y")
			b.Output("y")
			b.SetMetadata("", "v")
		}, []string{`metadata key is empty (value "v")`}, nil},
		{"output declared twice", func(b *Builder) {
			b.Identity(b.Input("x", 1), "y")
			b.Output("y")
			b.Output("y")
		}, []string{`output "y" is declared twice`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder("g")
			tt.build(b)
			data, err := b.Marshal("test")
			if err == nil {
				t.Fatalf("Marshal succeeded (%d bytes), want an error containing %q", len(data), tt.want)
			}
			if data != nil {
				t.Error("Marshal returned bytes along with an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(err, %v) = false", tt.is)
			}
		})
	}
}

func TestMarshalAcceptsValidGraphs(t *testing.T) {
	tests := []struct {
		name  string
		build func(b *Builder)
	}{
		{"input straight to identity", func(b *Builder) { b.Identity(b.Input("x", -1, 3), "y"); b.Output("y", -1, 3) }},
		{"pools and mul", func(b *Builder) {
			x := b.Input("x", -1, 2, 8, 8)
			h := b.MaxPool(b.AveragePool(x, 2, 2), 3, 2, 1)
			b.Identity(b.Mul(h, h), "y")
			b.Output("y")
		}},
		{"grouped strided conv", func(b *Builder) {
			x := b.Input("x", -1, 4, 8, 8)
			w := b.Initializer("w", []int64{8, 2, 3, 3}, make([]float32, 144))
			b.Identity(b.Conv(x, w, "", 2, 1, 2), "y")
			b.Output("y", -1, 8, 4, 4)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder("g")
			tt.build(b)
			data, err := b.Marshal("test")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := decodeModel(data); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGroupedConvWritesGroupAndStride(t *testing.T) {
	b := NewBuilder("g")
	x := b.Input("x", -1, 4, 8, 8)
	w := b.Initializer("w", []int64{8, 2, 5, 3}, make([]float32, 240))
	b.Identity(b.Conv(x, w, "", 2, 1, 2), "y")
	b.Output("y")
	data, err := b.Marshal("test")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := decodeModel(data)
	conv := m.graph.nodes[0]
	if a := conv.attrs["group"]; a.i != 2 {
		t.Errorf("group %d, want 2", a.i)
	}
	if a := conv.attrs["strides"]; !slices.Equal(a.ints, []int64{2, 2}) {
		t.Errorf("strides %v, want [2 2]", a.ints)
	}
	if a := conv.attrs["kernel_shape"]; !slices.Equal(a.ints, []int64{5, 3}) {
		t.Errorf("kernel_shape %v, want [5 3] from the weight", a.ints)
	}
}

func TestSetMetadataReplacesValueInPlace(t *testing.T) {
	b := NewBuilder("g")
	b.Identity(b.Input("x", 1), "y")
	b.Output("y")
	b.SetMetadata("a", "1")
	b.SetMetadata("b", "2")
	b.SetMetadata("a", "3")
	data, err := b.Marshal("test")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := decodeModel(data)
	if want := [][2]string{{"a", "3"}, {"b", "2"}}; !slices.Equal(m.meta, want) {
		t.Errorf("metadata %v, want %v", m.meta, want)
	}
}

// Node names come from a per-op counter, so they are unique and independent of tensor names.
func TestNodeNamesAreUniqueAndDeterministic(t *testing.T) {
	b := NewBuilder("g")
	x := b.Input("x", -1, 4)
	for range 3 {
		x = b.Relu(b.Add(x, x))
	}
	b.Identity(x, "y")
	b.Output("y")
	data, err := b.Marshal("t")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := decodeModel(data)
	var names []string
	for _, n := range m.graph.nodes {
		names = append(names, n.name)
	}
	want := []string{"Add_0", "Relu_0", "Add_1", "Relu_1", "Add_2", "Relu_2", "Identity_0"}
	if !slices.Equal(names, want) {
		t.Errorf("node names %v, want %v", names, want)
	}
}

// For any input shape, conv arguments and weights, Marshal never panics, and a graph it accepts
// decodes back to the same attributes and weights.
func FuzzMarshalRoundTrip(f *testing.F) {
	f.Add("x", int64(-1), int64(3), 3, 1, 1, 1, []byte{1, 2, 3, 4})
	f.Add("", int64(0), int64(-5), 0, -1, 0, 7, []byte{})
	f.Fuzz(func(t *testing.T, name string, d0, d1 int64, k, stride, pad, groups int, raw []byte) {
		k = k%7 + 1
		if k < 1 {
			k += 7
		}
		cout := int64(len(raw)%4 + 1)
		w := make([]float32, int(cout)*k*k)
		for i := range w {
			if len(raw) > 0 {
				w[i] = float32(raw[i%len(raw)]) - 128
			}
		}
		b := NewBuilder("fuzz")
		x := b.Input(name, d0, d1, 8, 8)
		wt := b.Initializer("w", []int64{cout, 1, int64(k), int64(k)}, w)
		b.Identity(b.Conv(x, wt, "", stride, pad, groups), "y")
		b.Output("y")
		data, err := b.Marshal("fuzz")
		if err != nil {
			return
		}
		m, err := decodeModel(data)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		conv := m.graph.nodes[0]
		if conv.in[0] != name || conv.attrs["group"].i != int64(groups) ||
			!slices.Equal(conv.attrs["pads"].ints, []int64{int64(pad), int64(pad), int64(pad), int64(pad)}) ||
			!slices.Equal(conv.attrs["strides"].ints, []int64{int64(stride), int64(stride)}) {
			t.Errorf("conv node %+v does not match the arguments", conv)
		}
		if !slices.Equal(m.graph.inits[0].data, w) {
			t.Error("weights changed in the round trip")
		}
		if got := m.graph.inputs[0].dims[0]; (d0 < 0) != (got == "N") {
			t.Errorf("dim %d encoded as %q", d0, got)
		}
	})
}

func benchmarkMarshal(b *testing.B, params int) {
	rng := rand.New(rand.NewPCG(3, 4))
	w := randn(rng, params, 1)
	b.ReportAllocs()
	b.SetBytes(int64(4 * params))
	for b.Loop() {
		g := NewBuilder("bench")
		x := g.Input("x", -1, int64(params))
		g.Identity(g.Mul(x, g.Initializer("w", []int64{int64(params)}, w)), "y")
		g.Output("y")
		if _, err := g.Marshal("bench"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshal1M(b *testing.B)  { benchmarkMarshal(b, 1<<20) }
func BenchmarkMarshal11M(b *testing.B) { benchmarkMarshal(b, 11_173_962) } // ResNet-18 (CIFAR) parameter count
