// ONNX export: the Graph that copies a model's VarStore variables in as initializers, and Export.

package models

import (
	"fmt"
	"sort"
	"strings"

	"budgetrain/onnx"

	"github.com/sugarme/gotch/nn"
	ts "github.com/sugarme/gotch/ts"
)

// Graph is an ONNX graph under construction together with the VarStore its initializers come
// from. Parameters are copied in lazily, named exactly like the VarStore variables.
type Graph struct {
	B     *onnx.Builder
	vars  map[string]ts.Tensor // shares C pointers with the VarStore: never dropped here
	added map[string]bool
	err   error
}

// NewGraph starts a graph whose parameters are read from vs.
func NewGraph(b *onnx.Builder, vs *nn.VarStore) *Graph {
	return &Graph{B: b, vars: vs.Variables(), added: map[string]bool{}}
}

// Param adds the variable name as an initializer (once) and returns its name. A missing
// variable is recorded and reported by Err.
func (g *Graph) Param(name string) string {
	if g.added[name] {
		return name
	}
	t, ok := g.vars[name]
	if !ok {
		if g.err == nil {
			g.err = fmt.Errorf("export: no variable %q in the model", name)
		}
		return name
	}
	dims := t.MustSize()
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	data := make([]float32, n)
	ts.NoGrad(func() { t.MustCopyData(data, uint(n)) })
	g.B.Initializer(name, dims, data)
	g.added[name] = true
	return name
}

// Err reports the first problem met while building.
func (g *Graph) Err() error { return g.err }

// ExportOptions describe the self-contained model file.
type ExportOptions struct {
	H, W, C   int64     // input image size
	Classes   int64     // logits per image
	Mean, Std []float32 // per-channel normalisation, part of the graph
	Metadata  map[string]string
}

// Export writes m (with parameters from vs) as an ONNX ModelProto through onnx.Export: opset
// 17, one float32 NCHW input with a dynamic batch and pixels in [0,1], normalised inside the
// graph, and one output of logits. Every variable of vs must be used, so a model whose export
// forgot a layer fails here rather than producing a silently different network.
func Export(m Model, vs *nn.VarStore, o ExportOptions) ([]byte, error) {
	return onnx.Export(&boundModel{m: m, vs: vs}, onnx.ExportConfig{
		GraphName: "budgetrain", Producer: "budgetrain",
		C: int(o.C), H: int(o.H), W: int(o.W), Classes: int(o.Classes),
		Mean: o.Mean, Std: o.Std, Metadata: o.Metadata,
	})
}

// boundModel is a model together with the VarStore its initializers come from: an
// onnx.Exporter.
type boundModel struct {
	m  Model
	vs *nn.VarStore
}

func (bm *boundModel) ExportONNX(b *onnx.Builder, x string) (string, error) {
	g := NewGraph(b, bm.vs)
	logits := bm.m.ExportONNX(g, x)
	if err := g.Err(); err != nil {
		return "", err
	}
	var unused []string
	for name := range g.vars {
		if !g.added[name] {
			unused = append(unused, name)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return "", fmt.Errorf("variables not used by the graph: %s", strings.Join(unused, ", "))
	}
	return logits, nil
}
