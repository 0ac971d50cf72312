package models

import (
	"fmt"
	"slices"

	"github.com/sugarme/gotch/nn"
	ts "github.com/sugarme/gotch/ts"
)

// ResNet is a CIFAR-style residual network (He et al. 2016, "Deep Residual Learning for Image
// Recognition", §4.2): a 3×3 stride-1 stem without max-pooling, stages of BasicBlocks, global
// average pooling and a linear classifier.
//
// With widths 64/128/256/512 and two blocks per stage it is exactly the ResNet-18 of the paper's
// official code (kuangliu style; spec §4), including the parameter names. The ResNet-6n+2 family
// of He et al. (ResNet-8, -20) uses widths 16/32/64; deviation: its shortcuts are 1×1
// convolution + BN projections (He et al.'s option B) rather than zero-padding (option A), so
// that every model here has the same block structure and the same export path.
type ResNet struct {
	stem   *convBN
	blocks []*basicBlock
	fc     *nn.Linear
	meta   resnetSpec
	// nhwc: run the blocks in channels-last layout (see channelsLast); false when a stage is
	// narrower than 8 channels.
	nhwc bool
}

type resnetSpec struct {
	stem   int64
	widths []int64
	blocks []int
}

// basicBlock is conv3×3-BN-ReLU-conv3×3-BN plus a shortcut (identity, or conv1×1-BN when the
// shape changes), then ReLU.
type basicBlock struct {
	c1, c2   *convBN
	shortcut *convBN // nil = identity
}

func newResNet(p *nn.Path, in, classes int64, spec resnetSpec) *ResNet {
	m := &ResNet{meta: spec, nhwc: slices.Min(append([]int64{spec.stem}, spec.widths...)) >= minNHWCChannels}
	m.stem = newConvBN(p.Sub("conv1"), p.Sub("bn1"), in, spec.stem, 3, 1, 1)
	cin := spec.stem
	for s, w := range spec.widths {
		layer := p.Sub(fmt.Sprintf("layer%d", s+1))
		for b := 0; b < spec.blocks[s]; b++ {
			stride := int64(1)
			if s > 0 && b == 0 {
				stride = 2
			}
			bp := layer.Sub(fmt.Sprint(b))
			blk := &basicBlock{
				c1: newConvBN(bp.Sub("conv1"), bp.Sub("bn1"), cin, w, 3, stride, 1),
				c2: newConvBN(bp.Sub("conv2"), bp.Sub("bn2"), w, w, 3, 1, 1),
			}
			if stride != 1 || cin != w {
				sc := bp.Sub("shortcut")
				blk.shortcut = newConvBN(sc.Sub("0"), sc.Sub("1"), cin, w, 1, stride, 0)
			}
			m.blocks = append(m.blocks, blk)
			cin = w
		}
	}
	m.fc = linear(p.Sub("linear"), cin, classes)
	return m
}

// ChannelsLast reports whether the network runs channels-last (every stage 8 channels or wider).
func (m *ResNet) ChannelsLast() bool { return m.nhwc }

// ForwardT maps an NCHW batch of normalised images to logits [N, classes]. The input is kept;
// the result is owned by the caller.
func (m *ResNet) ForwardT(x *ts.Tensor, train bool) *ts.Tensor {
	out := m.stem.forwardT(x, train)
	if m.nhwc {
		out = channelsLast(out)
	}
	out = out.MustRelu(true)
	for _, b := range m.blocks {
		next := b.forwardT(out, train)
		out.MustDrop()
		out = next
	}
	pooled := out.MustAdaptiveAvgPool2d([]int64{1, 1}, true)
	flat := pooled.MustFlatten(1, -1, true)
	logits := m.fc.ForwardT(flat, train)
	flat.MustDrop()
	return logits
}

// ExportONNX appends the network to g, reading tensor in (normalised NCHW), and returns the
// name of the logits tensor. It mirrors ForwardT in evaluation mode.
func (m *ResNet) ExportONNX(g *Graph, in string) string {
	out := g.B.Relu(g.convBN(m.stem, in))
	for _, b := range m.blocks {
		out = b.exportONNX(g, out)
	}
	flat := g.B.Flatten(g.B.GlobalAveragePool(out), 1)
	return g.B.Gemm(flat, g.Param("linear.weight"), g.Param("linear.bias"), true)
}

// channelsLast returns x (NCHW, dropped) with the same shape but channels-last (NHWC) strides.
// libtorch's oneDNN convolutions and batch norms then work on that layout directly instead of
// reordering every activation; conv, BN, ReLU and Add all keep it, so one conversion after the
// stem carries through the network. Measured on ResNet-8 training (docs/training.md): about
// 1.2× the images per second on two CPU cores. The input itself is not converted because with
// one channel (Fashion-MNIST) NCHW and NHWC strides coincide and libtorch treats it as NCHW.
//
// libtorch 2.1.2 corrupts its heap ("double free or corruption") when a network trains in
// channels-last with a stage of fewer than 8 channels (reproduced with PyTorch 2.1.2 itself:
// 4 or 6 channels crash on one thread, 8, 12, 16, 20 and 24 do not), so narrower networks (the
// test model) stay NCHW.
func channelsLast(x *ts.Tensor) *ts.Tensor {
	nhwc := x.MustPermute([]int64{0, 2, 3, 1}, true).MustContiguous(true)
	return nhwc.MustPermute([]int64{0, 3, 1, 2}, true)
}

// minNHWCChannels is the narrowest stage that may run channels-last (see channelsLast).
const minNHWCChannels = 8

func (b *basicBlock) forwardT(x *ts.Tensor, train bool) *ts.Tensor {
	h := b.c1.forwardT(x, train)
	h = h.MustRelu(true)
	y := b.c2.forwardT(h, train)
	h.MustDrop()
	var out *ts.Tensor
	if b.shortcut != nil {
		s := b.shortcut.forwardT(x, train)
		out = y.MustAdd(s, true)
		s.MustDrop()
	} else {
		out = y.MustAdd(x, true)
	}
	out = out.MustRelu(true)
	return out
}

// exportONNX appends the block to g, reading tensor in, and returns its output's name; the twin
// of forwardT in evaluation mode.
func (b *basicBlock) exportONNX(g *Graph, in string) string {
	h := g.B.Relu(g.convBN(b.c1, in))
	y := g.convBN(b.c2, h)
	short := in
	if b.shortcut != nil {
		short = g.convBN(b.shortcut, in)
	}
	return g.B.Relu(g.B.Add(y, short))
}
