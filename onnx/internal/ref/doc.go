// Package ref is a deliberately naive float64 implementation of the ONNX operators that
// budgetrain/onnx emits, used by the tests of onnx and onnx/ort as the reference the exported
// graphs are checked against. Tensors are row-major NCHW; nothing here is tuned for speed.
package ref
