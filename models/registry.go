package models

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/sugarme/gotch/nn"
	ts "github.com/sugarme/gotch/ts"
)

// Spec describes the data a model is built for.
type Spec struct {
	InChannels int64 // image channels (1 for Fashion-MNIST, 3 for CIFAR)
	NumClasses int64
}

// Model is a classifier that can write its own ONNX graph.
type Model interface {
	ts.ModuleT
	// ExportONNX appends the network (evaluation mode) to g, reading the normalised NCHW
	// tensor named in, and returns the name of the logits tensor.
	ExportONNX(g *Graph, in string) string
}

// ChannelsLaster is implemented by models that compute in the channels-last (NHWC) layout.
// Their 4-d weights should be made channels-last after building (pipeline.NewModel does, with
// torchx.ChannelsLast), as PyTorch's model.to(memory_format=torch.channels_last) does: the
// convolutions then produce channels-last activations from the first layer on, and neither
// activations nor weights are reordered on the way (see channelsLast for why narrow networks
// stay NCHW).
type ChannelsLaster interface {
	ChannelsLast() bool
}

// Constructor builds a model's variables under p.
type Constructor func(p *nn.Path, s Spec) (Model, error)

// ErrUnknownModel is returned (wrapped) by New for a name not in the registry.
var ErrUnknownModel = errors.New("unknown model")

// registry lists every model by name, in one place.
var registry = map[string]Constructor{
	// The paper's network (spec §4): 11,173,962 parameters for 3 channels and 10 classes.
	"resnet18": resnet(resnetSpec{stem: 64, widths: []int64{64, 128, 256, 512}, blocks: []int{2, 2, 2, 2}}),
	// He et al. 2016 CIFAR family (6n+2 layers): small enough to train on a CPU.
	"resnet8":  resnet(resnetSpec{stem: 16, widths: []int64{16, 32, 64}, blocks: []int{1, 1, 1}}),
	"resnet20": resnet(resnetSpec{stem: 16, widths: []int64{16, 32, 64}, blocks: []int{3, 3, 3}}),
	// Models of the data-pruning literature (pre-activation residual networks, preact.go).
	// He et al. 2016 "Identity Mappings": 11,172,170 parameters (3 channels, 10 classes).
	"preact-resnet18": preact(preactResNet18),
	// Zagoruyko & Komodakis 2016 "Wide Residual Networks": 10,961,370 and 36,479,194 parameters.
	"wrn-16-8":  preact(wideResNet(16, 8)),
	"wrn-28-10": preact(wideResNet(28, 10)),
	// A tiny network for fast tests.
	"test-tiny": resnet(resnetSpec{stem: 4, widths: []int64{4, 8}, blocks: []int{1, 1}}),
}

func resnet(spec resnetSpec) Constructor {
	return func(p *nn.Path, s Spec) (Model, error) {
		return newResNet(p, s.InChannels, s.NumClasses, spec), nil
	}
}

// New builds the named model under p.
func New(name string, p *nn.Path, s Spec) (Model, error) {
	c, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownModel, name, strings.Join(Names(), ", "))
	}
	if s.InChannels <= 0 || s.NumClasses <= 0 {
		return nil, fmt.Errorf("model %s: in_channels (%d) and num_classes (%d) must be > 0", name, s.InChannels, s.NumClasses)
	}
	return c(p, s)
}

// Names lists the registered models, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
