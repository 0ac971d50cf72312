// Package onnx writes image-classifier graphs in the ONNX format (IR version 8, default-domain
// opset 17) without cgo and without generated protobuf bindings.
//
// A [Builder] collects graph inputs, initializers (the trained weights), nodes and outputs in the
// order they are added, and [Builder.Marshal] validates the graph and encodes a ModelProto by hand
// with protowire. Hand encoding keeps the dependency tree to google.golang.org/protobuf: the
// dozen ONNX messages used here are small, and their field numbers are listed next to each
// encoder (they follow onnx.proto; see the ONNX IR specification, "Models", "Graphs", "Nodes").
//
// Conventions shared with the runtime package budgetrain/onnx/ort: the graph input is named
// [InputName] with shape [N, C, H, W] (N symbolic), pixels in [0, 1]; the output is named
// [OutputName] with shape [N, classes] and holds logits. Per-channel normalisation, which the
// paper's test transform applies after ToTensor (spec §3.1, "Test transform: ToTensor +
// Normalize only"), belongs inside the graph ([Builder.Normalize]) so that an exported file is
// self-contained.
//
// Evaluation with onnxruntime lives in the subpackage ort, which is the only part that needs cgo.
package onnx
