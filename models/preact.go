package models

import (
	"fmt"
	"strings"

	"github.com/sugarme/gotch/nn"
	ts "github.com/sugarme/gotch/ts"
)

// PreActResNet is a residual network of pre-activation basic blocks (He et al. 2016, "Identity
// Mappings in Deep Residual Networks", Fig. 4(e)): a 3×3 stride-1 stem convolution without BN or
// max-pooling, stages of blocks BN-ReLU-conv3×3-BN-ReLU-conv3×3 whose sum with the shortcut is not
// activated, a final BN-ReLU, global average pooling and a linear classifier. Where a block changes
// the shape, its shortcut is a bias-free 1×1 convolution (no BN) applied to the block's
// activated input, as in the reference implementations; elsewhere it is the identity on the raw
// input. All convolutions are bias-free.
//
// Two registered families share this structure and differ only in widths, depths and parameter
// names (see preactSpec): PreAct-ResNet-18 (preact-resnet18, this file) and the Wide ResNets
// (wrn-16-8, wrn-28-10, wrn.go).
//
// Deviation, both families: parameters are initialised like every model here (PyTorch's
// defaults, layers.go), not with the He-normal fan-out init and zero linear bias of the papers'
// code.
type PreActResNet struct {
	stem   *namedConv
	blocks []*preactBlock
	bn     *namedBN // final BN, followed by ReLU
	fc     *nn.Linear
	fcName string
	nhwc   bool // run channels-last (see channelsLast)
}

// preactSpec is the shape of a PreActResNet and the dotted names of its parameters, so that
// each family's names are the state_dict keys of its reference PyTorch code.
type preactSpec struct {
	stem   int64
	widths []int64 // output channels of each stage
	blocks []int   // blocks in each stage; stage s > 0 starts with stride 2
	// Names: stage is a format with the 1-based stage number ("layer%d"); the block index
	// follows it. shortcut is the shortcut conv's path inside a block.
	stemName, stage, shortcut, finalBN, fc string
}

// preactBlock: out = conv2(relu(bn2(conv1(a)))) + shortcut, with a = relu(bn1(x)); the shortcut
// is conv(a) when shortcut != nil, else x.
type preactBlock struct {
	bn1, bn2     *namedBN
	conv1, conv2 *namedConv
	shortcut     *namedConv
}

// PreAct-ResNet-18 (He et al. 2016 "Identity Mappings", CIFAR variant: 3×3 stem, no max-pool),
// with names as in kuangliu/pytorch-cifar preact_resnet.py plus the final BN ("bn"), which that
// code omits (11,171,146 parameters without it, 11,172,170 with it for 3 channels and 10
// classes). Without the final BN-ReLU the last block's sum (Fig. 4(e) units leave it unactivated)
// would reach the pooling unnormalised.
var preactResNet18 = preactSpec{
	stem: 64, widths: []int64{64, 128, 256, 512}, blocks: []int{2, 2, 2, 2},
	stemName: "conv1", stage: "layer%d", shortcut: "shortcut.0", finalBN: "bn", fc: "linear",
}

func preact(spec preactSpec) Constructor {
	return func(p *nn.Path, s Spec) (Model, error) {
		return newPreActResNet(p, s.InChannels, s.NumClasses, spec), nil
	}
}

// sub descends p along a dotted path ("block1.layer" → p/block1/layer).
func sub(p *nn.Path, dotted string) *nn.Path {
	for _, part := range strings.Split(dotted, ".") {
		p = p.Sub(part)
	}
	return p
}

func newPreActResNet(p *nn.Path, in, classes int64, spec preactSpec) *PreActResNet {
	m := &PreActResNet{fcName: spec.fc, nhwc: true}
	m.stem = newNamedConv(sub(p, spec.stemName), in, spec.stem, 3, 1, 1)
	cin := spec.stem
	for s, w := range spec.widths {
		m.nhwc = m.nhwc && w >= minNHWCChannels
		stage := sub(p, fmt.Sprintf(spec.stage, s+1))
		for b := 0; b < spec.blocks[s]; b++ {
			stride := int64(1)
			if s > 0 && b == 0 {
				stride = 2
			}
			bp := stage.Sub(fmt.Sprint(b))
			blk := &preactBlock{
				bn1:   newNamedBN(bp.Sub("bn1"), cin),
				conv1: newNamedConv(bp.Sub("conv1"), cin, w, 3, stride, 1),
				bn2:   newNamedBN(bp.Sub("bn2"), w),
				conv2: newNamedConv(bp.Sub("conv2"), w, w, 3, 1, 1),
			}
			if stride != 1 || cin != w {
				blk.shortcut = newNamedConv(sub(bp, spec.shortcut), cin, w, 1, stride, 0)
			}
			m.blocks = append(m.blocks, blk)
			cin = w
		}
	}
	m.nhwc = m.nhwc && spec.stem >= minNHWCChannels
	m.bn = newNamedBN(sub(p, spec.finalBN), cin)
	m.fc = linear(sub(p, spec.fc), cin, classes)
	return m
}

// ChannelsLast reports whether the network runs channels-last (every stage 8 channels or wider).
func (m *PreActResNet) ChannelsLast() bool { return m.nhwc }

// ForwardT maps an NCHW batch of normalised images to logits [N, classes]. The input is kept;
// the result is owned by the caller.
func (m *PreActResNet) ForwardT(x *ts.Tensor, train bool) *ts.Tensor {
	out := m.stem.conv.ForwardT(x, train)
	if m.nhwc {
		out = channelsLast(out) // see ResNet.ForwardT
	}
	for _, b := range m.blocks {
		next := b.forwardT(out, train)
		out.MustDrop()
		out = next
	}
	a := m.bn.bn.ForwardT(out, train)
	out.MustDrop()
	a = a.MustRelu(true)
	pooled := a.MustAdaptiveAvgPool2d([]int64{1, 1}, true)
	flat := pooled.MustFlatten(1, -1, true)
	logits := m.fc.ForwardT(flat, train)
	flat.MustDrop()
	return logits
}

// ExportONNX appends the network to g, reading tensor in (normalised NCHW), and returns the
// name of the logits tensor. It mirrors ForwardT in evaluation mode; the BatchNormalization
// nodes stay separate (pre-activation BN cannot be folded into the preceding convolution).
func (m *PreActResNet) ExportONNX(g *Graph, in string) string {
	out := g.conv(m.stem, in)
	for _, b := range m.blocks {
		out = b.exportONNX(g, out)
	}
	flat := g.B.Flatten(g.B.GlobalAveragePool(g.B.Relu(g.bn(m.bn, out))), 1)
	return g.B.Gemm(flat, g.Param(m.fcName+".weight"), g.Param(m.fcName+".bias"), true)
}

// forwardT returns the block's output; x is not dropped.
func (b *preactBlock) forwardT(x *ts.Tensor, train bool) *ts.Tensor {
	a := b.bn1.bn.ForwardT(x, train)
	a = a.MustRelu(true)
	h := b.conv1.conv.ForwardT(a, train)
	var short *ts.Tensor
	if b.shortcut != nil {
		short = b.shortcut.conv.ForwardT(a, train)
	}
	a.MustDrop()
	h2 := b.bn2.bn.ForwardT(h, train)
	h.MustDrop()
	h2 = h2.MustRelu(true)
	y := b.conv2.conv.ForwardT(h2, train)
	h2.MustDrop()
	if short == nil {
		return y.MustAdd(x, true)
	}
	out := y.MustAdd(short, true)
	short.MustDrop()
	return out
}

// exportONNX appends the block to g, reading tensor in, and returns its output's name; the twin
// of forwardT in evaluation mode.
func (b *preactBlock) exportONNX(g *Graph, in string) string {
	a := g.B.Relu(g.bn(b.bn1, in))
	h := g.conv(b.conv1, a)
	y := g.conv(b.conv2, g.B.Relu(g.bn(b.bn2, h)))
	short := in
	if b.shortcut != nil {
		short = g.conv(b.shortcut, a)
	}
	return g.B.Add(y, short)
}
