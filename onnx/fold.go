package onnx

import "math"

// FoldBatchNorm folds an inference-mode BatchNormalization into the convolution before it, so
// that Conv(x, wf, bf) = BN(Conv(x, w, bias)) for every x:
//
//	s[o]  = gamma[o] / √(variance[o] + eps)
//	wf[o] = w[o] · s[o]            (every weight of output channel o)
//	bf[o] = (bias[o] − mean[o]) · s[o] + beta[o]
//
// w is the conv weight [cout, cin/groups, kH, kW] flattened row-major; bias is the conv bias
// ([cout]) or nil for a conv without bias. The inputs are not modified. The scale is computed in
// float64 and rounded once. Only valid for Conv followed directly by BN (the ResNet-18 stem,
// block convs and shortcuts); a pre-activation BN→ReLU→Conv cannot be folded.
//
// FoldBatchNorm panics if cout < 1, if len(w) is not a multiple of cout, or if a per-channel
// slice does not have cout values.
func FoldBatchNorm(w []float32, cout int, bias, gamma, beta, mean, variance []float32, eps float32) (wf, bf []float32) {
	if cout < 1 || len(w)%cout != 0 {
		panic("onnx: FoldBatchNorm: weight length is not a positive multiple of cout")
	}
	if (bias != nil && len(bias) != cout) || len(gamma) != cout || len(beta) != cout ||
		len(mean) != cout || len(variance) != cout {
		panic("onnx: FoldBatchNorm: per-channel slice length differs from cout")
	}
	per := len(w) / cout
	wf = make([]float32, len(w))
	bf = make([]float32, cout)
	for o := range cout {
		s := float64(gamma[o]) / math.Sqrt(float64(variance[o])+float64(eps))
		for i := o * per; i < (o+1)*per; i++ {
			wf[i] = float32(float64(w[i]) * s)
		}
		b := 0.0
		if bias != nil {
			b = float64(bias[o])
		}
		bf[o] = float32((b-float64(mean[o]))*s + float64(beta[o]))
	}
	return wf, bf
}
