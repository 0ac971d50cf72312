package data

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ErrUnknownDataset is returned (wrapped) by Lookup and Load for a name not
// in Names().
var ErrUnknownDataset = errors.New("unknown dataset")

// Info holds the per-dataset defaults of the standard augmentation and of
// the validation split. Mean and Std are per channel, for pixels scaled to
// [0, 1] (spec §3.1 Normalize). FlipProb is the horizontal flip probability
// and Pad the zero padding of the random crop (spec §3.1). ValSamples is the
// size of the class-balanced validation split (spec §4: 5000). Zero H, W, C
// and nil Mean, Std or Classes mean "given by the data" (imagefolder; use
// Dataset.MeanStd and Dataset.Classes). Folder marks the datasets read
// from folders of image files, whose images can be resized (FolderOptions).
type Info struct {
	Name       string
	H, W, C    int
	Mean, Std  []float32
	FlipProb   float64
	Pad        int
	Classes    []string
	ValSamples int
	Folder     bool
}

// infos is the dataset table. CIFAR-10/100, SVHN and mini-ImageNet follow
// spec §3.1 and §4; the paper uses no MNIST-like data, so their entries are
// project choices: the usual normalisation constants (Fashion-MNIST's are
// those of its training set, checked by a test), the paper's crop padding
// of 4, no flip for digits (as for SVHN) and flip 0.5 for clothes.
// Deviation: spec §4 defines the 5000-image validation split for CIFAR-10
// and SVHN only; the other fixed datasets get the same size here.
var infos = map[string]Info{
	"cifar10": {H: 32, W: 32, C: 3,
		Mean: []float32{0.4914, 0.4822, 0.4465}, Std: []float32{0.2023, 0.1994, 0.2010},
		FlipProb: 0.5, Pad: 4, Classes: cifar10Classes, ValSamples: 5000},
	"cifar100": {H: 32, W: 32, C: 3,
		Mean: []float32{0.5071, 0.4867, 0.4408}, Std: []float32{0.2675, 0.2565, 0.2761},
		FlipProb: 0.5, Pad: 4, Classes: cifar100FineClasses, ValSamples: 5000},
	"svhn": {H: 32, W: 32, C: 3,
		Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.5, 0.5, 0.5},
		FlipProb: 0, Pad: 4, Classes: svhnClasses, ValSamples: 5000},
	"mini-imagenet": {H: 84, W: 84, C: 3,
		Mean: []float32{0.4728, 0.4487, 0.4031}, Std: []float32{0.2744, 0.2663, 0.2806},
		FlipProb: 0.5, Pad: 4, ValSamples: 5000, Folder: true},
	"mnist": {H: 28, W: 28, C: 1,
		Mean: []float32{0.1307}, Std: []float32{0.3081},
		FlipProb: 0, Pad: 4, Classes: mnistClasses, ValSamples: 5000},
	// Fashion-MNIST (not in the paper): no horizontal flip, like SVHN. Its footwear is
	// photographed facing one way: 96% of ankle boots and 83% of sneakers have more
	// lower-half mass on the right, and an ankle boot correlates 0.13 with its mirror
	// image (clothes 0.8-0.9). Flipping makes footwear the test set never shows; with it,
	// the demo run (resnet8, b=0.3, 11 epochs, lr 0.2) reached 0.892 test accuracy,
	// without it 0.900.
	"fashion-mnist": {H: 28, W: 28, C: 1,
		Mean: []float32{0.2860}, Std: []float32{0.3530},
		FlipProb: 0, Pad: 4, Classes: fashionMNISTClasses, ValSamples: 5000},
	"imagefolder": {FlipProb: 0.5, Pad: 4, Folder: true},
}

// defaultDirs are directories where a system package installs a dataset.
// Only Fashion-MNIST has one (Debian's dataset-fashion-mnist); no Debian
// package ships MNIST, CIFAR or SVHN.
var defaultDirs = map[string]string{
	"fashion-mnist": "/usr/share/datasets/fashion-mnist",
}

// Names returns the known dataset names, sorted.
func Names() []string { return slices.Sorted(maps.Keys(infos)) }

// Lookup returns the defaults of a dataset. The returned slices are copies.
// An unknown name gives an error wrapping ErrUnknownDataset that lists the
// known names.
func Lookup(name string) (Info, error) {
	info, ok := infos[name]
	if !ok {
		return Info{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownDataset, name, strings.Join(Names(), ", "))
	}
	info.Name = name
	info.Mean = slices.Clone(info.Mean)
	info.Std = slices.Clone(info.Std)
	info.Classes = slices.Clone(info.Classes)
	return info, nil
}

// DefaultDir returns the directory a system package installs the dataset
// into, or "" if there is none.
func DefaultDir(name string) string { return defaultDirs[name] }
