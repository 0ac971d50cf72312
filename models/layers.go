// The layers every network here is built from, initialised as PyTorch's defaults, each with its
// ONNX twin (a Graph method) beside it.

package models

import (
	"math"
	"strings"

	"github.com/sugarme/gotch/nn"
	ts "github.com/sugarme/gotch/ts"
)

// conv returns a bias-free k×k convolution initialised as PyTorch's nn.Conv2d default
// (kaiming_uniform with a=√5, i.e. U(±1/√fan_in)).
func conv(p *nn.Path, in, out, k, stride, pad int64) *nn.Conv2D {
	bound := 1 / math.Sqrt(float64(in*k*k))
	cfg := nn.DefaultConv2DConfig()
	cfg.Stride = []int64{stride, stride}
	cfg.Padding = []int64{pad, pad}
	cfg.Bias = false
	cfg.WsInit = nn.NewUniformInit(-bound, bound)
	return nn.NewConv2D(p, in, out, k, cfg)
}

// batchNorm returns a BatchNorm2d with PyTorch's defaults: weight 1, bias 0, eps 1e-5, momentum 0.1.
func batchNorm(p *nn.Path, c int64) *nn.BatchNorm {
	return nn.BatchNorm2D(p, c, &nn.BatchNormConfig{
		CudnnEnable: true, Eps: bnEps, Momentum: 0.1,
		WsInit: nn.NewConstInit(1), BsInit: nn.NewConstInit(0),
	})
}

const bnEps = 1e-5

// linear returns a Linear layer initialised as PyTorch's nn.Linear: weight and bias U(±1/√in).
func linear(p *nn.Path, in, out int64) *nn.Linear {
	bound := 1 / math.Sqrt(float64(in))
	return nn.NewLinear(p, in, out, &nn.LinearConfig{
		WsInit: nn.NewUniformInit(-bound, bound),
		BsInit: nn.NewUniformInit(-bound, bound),
		Bias:   true,
	})
}

// convBN is a convolution followed by batch normalisation, the unit every residual network here
// is built from.
type convBN struct {
	name   string // dotted prefix of the conv ("conv1", "layer1.0.conv1", "layer1.0.shortcut.0")
	bnName string
	conv   *nn.Conv2D
	bn     *nn.BatchNorm
	stride int64
	pad    int64
}

func newConvBN(convPath, bnPath *nn.Path, in, out, k, stride, pad int64) *convBN {
	return &convBN{
		name: pathName(convPath), bnName: pathName(bnPath),
		conv: conv(convPath, in, out, k, stride, pad), bn: batchNorm(bnPath, out),
		stride: stride, pad: pad,
	}
}

// forwardT returns bn(conv(x)); x is not dropped.
func (c *convBN) forwardT(x *ts.Tensor, train bool) *ts.Tensor {
	y := c.conv.ForwardT(x, train)
	out := c.bn.ForwardT(y, train)
	y.MustDrop()
	return out
}

// convBN emits Conv (no bias) then BatchNormalization with the running statistics.
func (g *Graph) convBN(c *convBN, in string) string {
	y := g.B.Conv(in, g.Param(c.name+".weight"), "", int(c.stride), int(c.pad), 1)
	return g.B.BatchNorm(y, g.Param(c.bnName+".weight"), g.Param(c.bnName+".bias"),
		g.Param(c.bnName+".running_mean"), g.Param(c.bnName+".running_var"), bnEps)
}

// Every ReLU here is out of place (MustRelu(true): a new tensor, the input dropped), as
// F.relu in PyTorch's models: libtorch runs relu_ through the threshold kernel, which reads its
// input twice, and the out-of-place relu through clamp_min. Measured on resnet8 training
// (batch 128, 2 threads, three runs of each in one command): 1,735–1,814 img/s against
// 1,578–1,639 in place.

// pathName is the dotted prefix of the variables created under p ("layer1.0.conv1").
func pathName(p *nn.Path) string { return strings.Join(p.Paths(), ".") }

// namedConv is a bias-free convolution (see conv) with the dotted name of its weight's prefix,
// for the ONNX export.
type namedConv struct {
	name        string
	conv        *nn.Conv2D
	stride, pad int64
}

func newNamedConv(p *nn.Path, in, out, k, stride, pad int64) *namedConv {
	return &namedConv{name: pathName(p), conv: conv(p, in, out, k, stride, pad), stride: stride, pad: pad}
}

// conv emits a bias-free Conv.
func (g *Graph) conv(c *namedConv, in string) string {
	return g.B.Conv(in, g.Param(c.name+".weight"), "", int(c.stride), int(c.pad), 1)
}

// namedBN is a batch normalisation (see batchNorm) with the dotted name of its variables' prefix.
type namedBN struct {
	name string
	bn   *nn.BatchNorm
}

func newNamedBN(p *nn.Path, c int64) *namedBN {
	return &namedBN{name: pathName(p), bn: batchNorm(p, c)}
}

// bn emits BatchNormalization with the running statistics.
func (g *Graph) bn(b *namedBN, in string) string {
	return g.B.BatchNorm(in, g.Param(b.name+".weight"), g.Param(b.name+".bias"),
		g.Param(b.name+".running_mean"), g.Param(b.name+".running_var"), bnEps)
}
