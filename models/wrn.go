package models

import "fmt"

// wideResNet returns the spec of WRN-depth-k (Zagoruyko & Komodakis 2016, "Wide Residual
// Networks", Table 1, CIFAR variant): a 3×3 stem to 16 channels, three groups of (depth−4)/6
// pre-activation basic blocks of widths 16k, 32k and 64k with strides 1, 2, 2, a final BN-ReLU,
// global average pooling and a linear layer; bias-free convolutions, 1×1 convolution shortcuts
// where the shape changes. Parameter names are those of xternalz/WideResNet-pytorch
// ("block1.layer.0.conv1.weight", "block1.layer.0.convShortcut.weight", "bn1.weight",
// "fc.weight"). Dropout between the convolutions (the paper's WRN-d-k with dropout) is not
// implemented: these are the dropout-free networks. It panics unless depth = 6n+4, n ≥ 1, and
// k ≥ 1 (a programmer error in the registry).
func wideResNet(depth, k int) preactSpec {
	if depth < 10 || (depth-4)%6 != 0 || k < 1 {
		panic(fmt.Sprintf("models: wide resnet depth %d (want 6n+4, n >= 1) or width %d (want >= 1)", depth, k))
	}
	n := (depth - 4) / 6
	w := int64(k)
	return preactSpec{
		stem: 16, widths: []int64{16 * w, 32 * w, 64 * w}, blocks: []int{n, n, n},
		stemName: "conv1", stage: "block%d.layer", shortcut: "convShortcut", finalBN: "bn1", fc: "fc",
	}
}
