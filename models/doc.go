// Package models holds the classifier architectures budgetrain trains with libtorch through gotch,
// a registry to build them by name, and their ONNX export.
//
// Every model is built on a gotch nn.Path so that its parameter names are the dotted state_dict
// keys of the equivalent PyTorch module (for resnet18 exactly those of the paper's official code,
// e.g. "layer1.0.shortcut.0.weight", "linear.weight"). Every model initialises its parameters the
// way PyTorch's defaults do (gotch's own defaults differ: its Kaiming init draws N(0,1) and its
// BatchNorm weight U(0,1)), and every model writes its own ONNX graph from the same structure
// its ForwardT walks, with initializers named like the parameters.
//
// Tensor ownership: ForwardT returns a new tensor owned by the caller and never drops its input.
package models
