package ref

import "math"

// Tensor is a dense row-major float64 tensor.
type Tensor struct {
	Shape []int
	Data  []float64
}

// New returns a zero tensor of the given shape.
func New(shape ...int) Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return Tensor{Shape: shape, Data: make([]float64, n)}
}

// FromFloat32 wraps a copy of data with the given shape.
func FromFloat32(data []float32, shape ...int) Tensor {
	t := New(shape...)
	if len(data) != len(t.Data) {
		panic("ref: FromFloat32: data length does not match shape")
	}
	for i, v := range data {
		t.Data[i] = float64(v)
	}
	return t
}

func (t Tensor) at4(n, c, h, w int) float64 {
	s := t.Shape
	return t.Data[((n*s[1]+c)*s[2]+h)*s[3]+w]
}

// Conv2D is ONNX Conv with square stride and pad, dilation 1: x [N, C, H, W], w [M, C/groups,
// kH, kW], bias [M] or nil.
func Conv2D(x, w Tensor, bias []float64, stride, pad, groups int) Tensor {
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	m, cg, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	if cg*groups != c || m%groups != 0 {
		panic("ref: Conv2D: channel counts do not match groups")
	}
	oh, ow := (h+2*pad-kh)/stride+1, (wd+2*pad-kw)/stride+1
	y := New(n, m, oh, ow)
	mg := m / groups
	i := 0
	for b := range n {
		for o := range m {
			g := o / mg
			for yy := range oh {
				for xx := range ow {
					s := 0.0
					if bias != nil {
						s = bias[o]
					}
					for ci := range cg {
						for ky := range kh {
							for kx := range kw {
								iy, ix := yy*stride-pad+ky, xx*stride-pad+kx
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								s += x.at4(b, g*cg+ci, iy, ix) * w.at4(o, ci, ky, kx)
							}
						}
					}
					y.Data[i] = s
					i++
				}
			}
		}
	}
	return y
}

// BatchNorm is inference-mode batch normalisation over axis 1 of x.
func BatchNorm(x Tensor, gamma, beta, mean, variance []float64, eps float64) Tensor {
	y := New(x.Shape...)
	c := x.Shape[1]
	inner := len(x.Data) / (x.Shape[0] * c)
	for i, v := range x.Data {
		ch := (i / inner) % c
		y.Data[i] = gamma[ch]*(v-mean[ch])/math.Sqrt(variance[ch]+eps) + beta[ch]
	}
	return y
}

// Relu is max(x, 0).
func Relu(x Tensor) Tensor {
	y := New(x.Shape...)
	for i, v := range x.Data {
		y.Data[i] = math.Max(v, 0)
	}
	return y
}

// Add is the element-wise sum of two tensors of the same shape.
func Add(a, b Tensor) Tensor {
	y := New(a.Shape...)
	for i := range a.Data {
		y.Data[i] = a.Data[i] + b.Data[i]
	}
	return y
}

// Normalize is (x − mean[c]) / std[c] over axis 1.
func Normalize(x Tensor, mean, std []float64) Tensor {
	y := New(x.Shape...)
	c := x.Shape[1]
	inner := len(x.Data) / (x.Shape[0] * c)
	for i, v := range x.Data {
		ch := (i / inner) % c
		y.Data[i] = (v - mean[ch]) / std[ch]
	}
	return y
}

// GlobalAveragePool averages each [H, W] plane and flattens: [N, C, H, W] → [N, C].
func GlobalAveragePool(x Tensor) Tensor {
	n, c := x.Shape[0], x.Shape[1]
	hw := x.Shape[2] * x.Shape[3]
	y := New(n, c)
	for i := range n * c {
		s := 0.0
		for _, v := range x.Data[i*hw : (i+1)*hw] {
			s += v
		}
		y.Data[i] = s / float64(hw)
	}
	return y
}

// Pool2D is a k×k pool with the given stride and pad; max selects MaxPool (padding ignored),
// otherwise AveragePool without padding.
func Pool2D(x Tensor, k, stride, pad int, max bool) Tensor {
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	oh, ow := (h+2*pad-k)/stride+1, (w+2*pad-k)/stride+1
	y := New(n, c, oh, ow)
	i := 0
	for b := range n {
		for ch := range c {
			for yy := range oh {
				for xx := range ow {
					acc, cnt := math.Inf(-1), 0
					if !max {
						acc = 0
					}
					for ky := range k {
						for kx := range k {
							iy, ix := yy*stride-pad+ky, xx*stride-pad+kx
							if iy < 0 || iy >= h || ix < 0 || ix >= w {
								continue
							}
							v := x.at4(b, ch, iy, ix)
							if max {
								acc = math.Max(acc, v)
							} else {
								acc += v
							}
							cnt++
						}
					}
					if !max {
						acc /= float64(cnt)
					}
					y.Data[i] = acc
					i++
				}
			}
		}
	}
	return y
}

// Flatten reshapes x to [N, rest].
func Flatten(x Tensor) Tensor {
	return Tensor{Shape: []int{x.Shape[0], len(x.Data) / x.Shape[0]}, Data: x.Data}
}

// Linear is a·wᵀ + bias with a [N, in], w [out, in] (torch Linear, ONNX Gemm transB=1).
func Linear(a, w Tensor, bias []float64) Tensor {
	n, in := a.Shape[0], a.Shape[1]
	out := w.Shape[0]
	y := New(n, out)
	for r := range n {
		for o := range out {
			s := 0.0
			if bias != nil {
				s = bias[o]
			}
			for k := range in {
				s += a.Data[r*in+k] * w.Data[o*in+k]
			}
			y.Data[r*out+o] = s
		}
	}
	return y
}

// F64 converts a float32 slice to float64.
func F64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
