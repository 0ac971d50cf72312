package onnx

import (
	"errors"
	"fmt"
	"slices"
)

// Tensor names shared by the exporter and budgetrain/onnx/ort.
const (
	InputName  = "input"  // graph input, [N, C, H, W] float32 pixels in [0, 1]
	OutputName = "logits" // graph output, [N, classes] float32 logits
)

// symbolicDim is the dim_param written for every negative dimension (the dynamic batch).
const symbolicDim = "N"

// ErrUnknownTensor is wrapped by the Marshal error when a node reads a tensor that no graph input,
// initializer or node defines.
var ErrUnknownTensor = errors.New("unknown tensor")

// Builder collects one ONNX graph (float32 tensors only). Methods that add nodes return the name
// of the node's output tensor, so that calls chain like the forward pass they describe. Node and
// output names are derived from the op type and a per-op counter ("Conv_0", output
// "Conv_0_out"), so the same sequence of calls always gives the same bytes.
//
// Builder methods never fail on their own: problems (bad attributes, bad shapes, unknown or
// duplicate names) are collected and all reported by Marshal. A Builder is not safe for
// concurrent use.
type Builder struct {
	name    string
	inputs  []valueInfo
	outputs []valueInfo
	inits   []initializer
	initIdx map[string]int // initializer name -> index in inits (first definition)
	nodes   []node
	meta    [][2]string // metadata_props in insertion order
	opCount map[string]int
	normN   int
	errs    []error
}

type valueInfo struct {
	name string
	dims []int64 // nil: rank unspecified; < 0: symbolic "N"
}

type initializer struct {
	name string
	dims []int64
	raw  []byte // little-endian float32
}

type node struct {
	name, op string
	inputs   []string
	outputs  []string
	attrs    []attribute
}

type attribute struct {
	name string
	typ  int
	f    float32
	i    int64
	ints []int64
}

// NewBuilder returns an empty graph named graphName.
func NewBuilder(graphName string) *Builder {
	return &Builder{name: graphName, initIdx: map[string]int{}, opCount: map[string]int{}}
}

func (b *Builder) errorf(format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf(format, args...))
}

// Input declares a float32 graph input and returns its name. A negative dimension becomes the
// symbolic dimension "N" (the dynamic batch); every negative dimension maps to the same symbol, so
// use it for the batch axis only. Zero dimensions and an empty shape are errors.
func (b *Builder) Input(name string, dims ...int64) string {
	if len(dims) == 0 {
		b.errorf("input %q has no dimensions", name)
	}
	for i, d := range dims {
		if d == 0 {
			b.errorf("input %q: dimension %d is 0", name, i)
		}
	}
	b.inputs = append(b.inputs, valueInfo{name: name, dims: slices.Clone(dims)})
	return name
}

// Output declares a float32 graph output; name must be defined by a node (see Identity) or be an
// input or initializer. Negative dimensions become the symbolic "N"; with no dims the output's
// shape is left unspecified.
func (b *Builder) Output(name string, dims ...int64) {
	for i, d := range dims {
		if d == 0 {
			b.errorf("output %q: dimension %d is 0", name, i)
		}
	}
	var d []int64
	if len(dims) > 0 {
		d = slices.Clone(dims)
	}
	b.outputs = append(b.outputs, valueInfo{name: name, dims: d})
}

// Initializer adds a constant float32 tensor (a weight) with the given shape, row-major, and
// returns its name. The data is copied. len(data) must equal the product of dims, and every
// dimension must be positive; an empty dims is a scalar.
func (b *Builder) Initializer(name string, dims []int64, data []float32) string {
	n := int64(1)
	for i, d := range dims {
		if d <= 0 {
			b.errorf("initializer %q: dimension %d is %d, want > 0", name, i, d)
			n = -1
			break
		}
		n *= d
	}
	if n >= 0 && int64(len(data)) != n {
		b.errorf("initializer %q: shape %v needs %d values, got %d", name, dims, n, len(data))
	}
	if _, dup := b.initIdx[name]; !dup {
		b.initIdx[name] = len(b.inits)
	}
	b.inits = append(b.inits, initializer{name: name, dims: slices.Clone(dims), raw: float32LE(data)})
	return name
}

// initDims returns the shape of initializer name, or nil when name is not an initializer.
func (b *Builder) initDims(name string) []int64 {
	if i, ok := b.initIdx[name]; ok {
		return b.inits[i].dims
	}
	return nil
}

// SetMetadata sets the model's metadata_props entry key to value (replacing an earlier value).
// Entries are written in the order their keys were first set.
func (b *Builder) SetMetadata(key, value string) {
	if key == "" {
		b.errorf("metadata key is empty (value %q)", value)
		return
	}
	for i := range b.meta {
		if b.meta[i][0] == key {
			b.meta[i][1] = value
			return
		}
	}
	b.meta = append(b.meta, [2]string{key, value})
}

// addNode appends a node with a fresh deterministic name and one output, and returns the output.
func (b *Builder) addNode(op string, inputs []string, attrs ...attribute) string {
	k := b.opCount[op]
	b.opCount[op] = k + 1
	name := fmt.Sprintf("%s_%d", op, k)
	out := name + "_out"
	b.nodes = append(b.nodes, node{name: name, op: op, inputs: inputs, outputs: []string{out}, attrs: attrs})
	return out
}

// Marshal validates the graph and returns the bytes of a ModelProto (IR version 8, opset 17)
// with the given producer name. Every problem found is reported in one error, one line each:
// a node reading a tensor that is not defined (wrapping ErrUnknownTensor) or that a later node
// defines, a tensor name defined twice, an output that nothing defines, no inputs or outputs,
// and the problems recorded by earlier Builder calls.
func (b *Builder) Marshal(producer string) ([]byte, error) {
	if err := b.validate(); err != nil {
		return nil, fmt.Errorf("onnx: graph %q is invalid:\n%w", b.name, err)
	}
	return encodeModel(b, producer), nil
}

func (b *Builder) validate() error {
	errs := slices.Clone(b.errs)
	if b.name == "" {
		errs = append(errs, errors.New("graph name is empty"))
	}
	if len(b.inputs) == 0 {
		errs = append(errs, errors.New("graph has no inputs"))
	}
	if len(b.outputs) == 0 {
		errs = append(errs, errors.New("graph has no outputs"))
	}

	// Where each tensor is defined; every name must be defined once (ONNX graphs are SSA).
	defined := map[string]string{}
	define := func(name, by string) {
		if name == "" {
			errs = append(errs, fmt.Errorf("%s has an empty name", by))
			return
		}
		if prev, ok := defined[name]; ok {
			errs = append(errs, fmt.Errorf("tensor %q is defined twice: by %s and by %s", name, prev, by))
			return
		}
		defined[name] = by
	}
	for _, v := range b.inputs {
		define(v.name, "graph input")
	}
	for _, t := range b.inits {
		define(t.name, "an initializer")
	}
	for _, n := range b.nodes {
		for _, out := range n.outputs {
			define(out, "node "+n.name)
		}
	}

	// Nodes must be in topological order: an input is usable once its producer came earlier.
	ready := map[string]bool{}
	for _, v := range b.inputs {
		ready[v.name] = true
	}
	for _, t := range b.inits {
		ready[t.name] = true
	}
	for _, n := range b.nodes {
		for i, in := range n.inputs {
			switch by, ok := defined[in]; {
			case in == "":
				errs = append(errs, fmt.Errorf("node %s (%s): input %d has an empty name", n.name, n.op, i))
			case !ok:
				errs = append(errs, fmt.Errorf("node %s (%s): input %d: %w %q", n.name, n.op, i, ErrUnknownTensor, in))
			case !ready[in]:
				errs = append(errs, fmt.Errorf("node %s (%s): input %d %q is used before %s defines it", n.name, n.op, i, in, by))
			}
		}
		for _, out := range n.outputs {
			ready[out] = true
		}
	}

	seen := map[string]bool{}
	for _, v := range b.outputs {
		if _, ok := defined[v.name]; !ok {
			errs = append(errs, fmt.Errorf("output %q: %w (no input, initializer or node defines it)", v.name, ErrUnknownTensor))
		}
		if seen[v.name] {
			errs = append(errs, fmt.Errorf("output %q is declared twice", v.name))
		}
		seen[v.name] = true
	}
	return errors.Join(errs...)
}
