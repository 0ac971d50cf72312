package onnx

import "strconv"

// Operators, with the attribute names and defaults of the default-domain opset 17 (ONNX
// Operators.md: Conv-11, BatchNormalization-15, Relu-14, Add/Sub/Mul/Div-14, GlobalAveragePool-1,
// AveragePool-11, MaxPool-12, Flatten-13, Gemm-13, Identity-16). Every attribute that changes the
// result is written explicitly rather than left to a default.

func ints(name string, v ...int64) attribute { return attribute{name: name, typ: attrInts, ints: v} }
func intAttr(name string, v int64) attribute { return attribute{name: name, typ: attrInt, i: v} }
func floatAttr(name string, v float32) attribute {
	return attribute{name: name, typ: attrFloat, f: v}
}

// Conv adds a 2-D convolution (ONNX Conv) of in ([N, C, H, W]) with the weight initializer w
// ([M, C/groups, kH, kW]) and returns its output [N, M, H', W']. bias is the name of an [M]
// tensor, or "" for none. The kernel shape is read from w, which must therefore be an
// initializer added before this call. pad is applied on all four sides (torch
// Conv2d(padding=pad)); dilation is 1.
func (b *Builder) Conv(in, w, bias string, stride, pad, groups int) string {
	inputs := []string{in, w}
	if bias != "" {
		inputs = append(inputs, bias)
	}
	kh, kw := int64(1), int64(1)
	switch dims := b.initDims(w); {
	case dims == nil:
		b.errorf("conv on %q: weight %q is not an initializer added before the Conv, so its kernel shape is unknown", in, w)
	case len(dims) != 4:
		b.errorf("conv on %q: weight %q has shape %v, want 4 dimensions [M, C/groups, kH, kW]", in, w, dims)
	default:
		kh, kw = dims[2], dims[3]
		if groups >= 1 && dims[0]%int64(groups) != 0 {
			b.errorf("conv on %q: %d output channels of %q are not divisible by groups %d", in, dims[0], w, groups)
		}
	}
	if stride < 1 {
		b.errorf("conv on %q: stride must be >= 1, got %d", in, stride)
	}
	if pad < 0 {
		b.errorf("conv on %q: pad must be >= 0, got %d", in, pad)
	}
	if groups < 1 {
		b.errorf("conv on %q: groups must be >= 1, got %d", in, groups)
	}
	s, p := int64(stride), int64(pad)
	return b.addNode("Conv", inputs,
		ints("kernel_shape", kh, kw),
		ints("strides", s, s),
		ints("pads", p, p, p, p), // [top, left, bottom, right]
		ints("dilations", 1, 1),
		intAttr("group", int64(groups)))
}

// BatchNorm adds inference-mode batch normalisation (ONNX BatchNormalization, training_mode 0):
// y = scale·(x − mean)/√(variance + eps) + bias per channel of in ([N, C, ...]). The four
// parameters are [C] tensors, in torch terms weight, bias, running_mean and running_var.
func (b *Builder) BatchNorm(in, scale, bias, mean, variance string, eps float32) string {
	if !(eps > 0) {
		b.errorf("batchnorm on %q: eps must be > 0, got %g", in, eps)
	}
	return b.addNode("BatchNormalization", []string{in, scale, bias, mean, variance},
		floatAttr("epsilon", eps))
}

// Relu adds max(x, 0).
func (b *Builder) Relu(in string) string { return b.addNode("Relu", []string{in}) }

// Add adds the element-wise sum x + y (numpy broadcasting).
func (b *Builder) Add(x, y string) string { return b.addNode("Add", []string{x, y}) }

// Sub adds the element-wise difference x − y (numpy broadcasting).
func (b *Builder) Sub(x, y string) string { return b.addNode("Sub", []string{x, y}) }

// Mul adds the element-wise product x · y (numpy broadcasting).
func (b *Builder) Mul(x, y string) string { return b.addNode("Mul", []string{x, y}) }

// Div adds the element-wise quotient x / y (numpy broadcasting).
func (b *Builder) Div(x, y string) string { return b.addNode("Div", []string{x, y}) }

// GlobalAveragePool adds the mean over all spatial positions: [N, C, H, W] → [N, C, 1, 1]
// (torch AdaptiveAvgPool2d(1)).
func (b *Builder) GlobalAveragePool(in string) string {
	return b.addNode("GlobalAveragePool", []string{in})
}

// AveragePool adds a k×k average pool with the given stride and no padding (torch
// F.avg_pool2d(x, k, stride)); windows that do not fit are dropped (ceil_mode 0).
func (b *Builder) AveragePool(in string, k, stride int) string {
	b.checkPool("averagepool", in, k, stride, 0)
	return b.addNode("AveragePool", []string{in},
		ints("kernel_shape", int64(k), int64(k)),
		ints("strides", int64(stride), int64(stride)),
		ints("pads", 0, 0, 0, 0),
		intAttr("ceil_mode", 0),
		intAttr("count_include_pad", 0))
}

// MaxPool adds a k×k max pool with the given stride and pad on all four sides (padded positions
// never win, as in torch MaxPool2d); ceil_mode 0.
func (b *Builder) MaxPool(in string, k, stride, pad int) string {
	b.checkPool("maxpool", in, k, stride, pad)
	p := int64(pad)
	return b.addNode("MaxPool", []string{in},
		ints("kernel_shape", int64(k), int64(k)),
		ints("strides", int64(stride), int64(stride)),
		ints("pads", p, p, p, p),
		ints("dilations", 1, 1),
		intAttr("ceil_mode", 0))
}

func (b *Builder) checkPool(op, in string, k, stride, pad int) {
	if k < 1 {
		b.errorf("%s on %q: kernel must be >= 1, got %d", op, in, k)
	}
	if stride < 1 {
		b.errorf("%s on %q: stride must be >= 1, got %d", op, in, stride)
	}
	if pad < 0 || (k >= 1 && 2*pad > k) {
		b.errorf("%s on %q: pad must be in [0, kernel/2], got %d with kernel %d", op, in, pad, k)
	}
}

// Flatten adds a reshape to 2-D: dimensions before axis form the rows, the rest the columns
// ([N, C, 1, 1] with axis 1 → [N, C]).
func (b *Builder) Flatten(in string, axis int) string {
	return b.addNode("Flatten", []string{in}, intAttr("axis", int64(axis)))
}

// Gemm adds a fully connected layer y = a·wᵀ + bias when transB is true (w is [out, in], the torch
// Linear layout), or y = a·w + bias with w [in, out] when false. bias is an [out] tensor or "".
func (b *Builder) Gemm(a, w, bias string, transB bool) string {
	inputs := []string{a, w}
	if bias != "" {
		inputs = append(inputs, bias)
	}
	t := int64(0)
	if transB {
		t = 1
	}
	return b.addNode("Gemm", inputs,
		floatAttr("alpha", 1), floatAttr("beta", 1), intAttr("transA", 0), intAttr("transB", t))
}

// Identity copies in to the tensor named out, which is how the final tensor gets its public name
// (for example OutputName); declare it with Output as well.
func (b *Builder) Identity(in, out string) {
	k := b.opCount["Identity"]
	b.opCount["Identity"] = k + 1
	b.nodes = append(b.nodes, node{
		name: "Identity_" + strconv.Itoa(k), op: "Identity", inputs: []string{in}, outputs: []string{out},
	})
}

// Normalize adds (x − mean[c]) / std[c] per channel of in ([N, C, H, W]), the torchvision
// Normalize of the paper's test transform (spec §3.1), as a Sub and a Div with [1, C, 1, 1]
// initializers named "normK.mean" and "normK.std" (K counts Normalize calls). mean and std must
// have the same length and std must be positive.
func (b *Builder) Normalize(in string, mean, std []float32) string {
	k := strconv.Itoa(b.normN)
	b.normN++
	if len(mean) != len(std) || len(mean) == 0 {
		b.errorf("normalize on %q: mean has %d values and std %d, want the same positive count", in, len(mean), len(std))
	}
	for c, s := range std {
		if !(s > 0) {
			b.errorf("normalize on %q: std[%d] must be > 0, got %g", in, c, s)
		}
	}
	m := b.Initializer("norm"+k+".mean", []int64{1, int64(len(mean)), 1, 1}, mean)
	s := b.Initializer("norm"+k+".std", []int64{1, int64(len(std)), 1, 1}, std)
	return b.Div(b.Sub(in, m), s)
}
