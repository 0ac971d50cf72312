package augment

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// DatasetInfo is what the pipeline needs to know about a dataset: the image
// shape, the flip probability and padding of the standard augmentation, and
// the per-channel normalization (spec §3.1).
type DatasetInfo struct {
	H, W, C  int
	FlipProb float64
	Pad      int
	Mean     []float32
	Std      []float32
}

// presets are the datasets of spec §3.1, plus Fashion-MNIST.
var presets = map[string]DatasetInfo{
	"cifar10": {H: 32, W: 32, C: 3, FlipProb: 0.5, Pad: 4,
		Mean: []float32{0.4914, 0.4822, 0.4465}, Std: []float32{0.2023, 0.1994, 0.2010}},
	"cifar100": {H: 32, W: 32, C: 3, FlipProb: 0.5, Pad: 4,
		Mean: []float32{0.5071, 0.4867, 0.4408}, Std: []float32{0.2675, 0.2565, 0.2761}},
	"svhn": {H: 32, W: 32, C: 3, FlipProb: 0, Pad: 4,
		Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.5, 0.5, 0.5}},
	"miniimagenet": {H: 84, W: 84, C: 3, FlipProb: 0.5, Pad: 4,
		Mean: []float32{0.4728, 0.4487, 0.4031}, Std: []float32{0.2744, 0.2663, 0.2806}},
	// Not in the paper: the usual Fashion-MNIST training statistics.
	"fashionmnist": {H: 28, W: 28, C: 1, FlipProb: 0.5, Pad: 4,
		Mean: []float32{0.2860}, Std: []float32{0.3530}},
}

// ErrUnknownDataset is returned by Preset for a name it does not know.
var ErrUnknownDataset = errors.New("unknown dataset")

// Preset returns the DatasetInfo of a dataset of spec §3.1 by name
// (cifar10, cifar100, svhn, miniimagenet) or fashionmnist. The returned
// slices are copies.
func Preset(name string) (DatasetInfo, error) {
	ds, ok := presets[name]
	if !ok {
		return DatasetInfo{}, fmt.Errorf("augment: %w %q (known: %s)", ErrUnknownDataset, name, strings.Join(PresetNames(), ", "))
	}
	ds.Mean, ds.Std = slices.Clone(ds.Mean), slices.Clone(ds.Std)
	return ds, nil
}

// PresetNames returns the names Preset knows, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Validate reports every problem of ds, one per line.
func (ds DatasetInfo) Validate() error {
	var errs []error
	if ds.H <= 0 || ds.W <= 0 {
		errs = append(errs, fmt.Errorf("dataset size (%dx%d) must be positive", ds.H, ds.W))
	}
	if ds.C != 1 && ds.C != 3 {
		errs = append(errs, fmt.Errorf("dataset channels (%d) must be 1 or 3", ds.C))
	}
	if !(ds.FlipProb >= 0 && ds.FlipProb <= 1) {
		errs = append(errs, fmt.Errorf("dataset flip_prob (%g) must be in [0, 1]", ds.FlipProb))
	}
	if ds.Pad < 0 {
		errs = append(errs, fmt.Errorf("dataset pad (%d) must be >= 0", ds.Pad))
	}
	if len(ds.Mean) != ds.C || len(ds.Std) != ds.C {
		errs = append(errs, fmt.Errorf("dataset mean/std lengths (%d, %d) must equal channels (%d)", len(ds.Mean), len(ds.Std), ds.C))
	}
	for i, s := range ds.Std {
		if !(s > 0) {
			errs = append(errs, fmt.Errorf("dataset std[%d] (%g) must be > 0", i, s))
		}
	}
	return errors.Join(errs...)
}

// Normalize writes img as a CHW float32 tensor, (x/255 - mean[c]) / std[c],
// into dst, in float32 as torchvision's ToTensor + Normalize compute it.
// It allocates nothing. It panics if len(dst) != C*H*W or mean/std do not
// have C entries.
func Normalize(img *Image, mean, std []float32, dst []float32) {
	img.check()
	C, HW := img.C, img.H*img.W
	if len(dst) != C*HW || len(mean) != C || len(std) != C {
		panic(fmt.Sprintf("augment: normalize %dx%dx%d into %d floats with %d means, %d stds",
			img.H, img.W, C, len(dst), len(mean), len(std)))
	}
	var lut [256]float32
	for c := range C {
		for v := range lut {
			lut[v] = (float32(v)/255 - mean[c]) / std[c]
		}
		out := dst[c*HW : (c+1)*HW]
		for i := range out {
			out[i] = lut[img.Pix[i*C+c]]
		}
	}
}
