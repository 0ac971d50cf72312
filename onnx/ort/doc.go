// Package ort evaluates exported classifiers with onnxruntime through
// github.com/yalue/onnxruntime_go, which loads the shared library at run time (dlopen), so
// building needs cgo but no onnxruntime at link time.
//
// [Init] loads the library found by [LibraryPath] once per process; [Open] and [OpenBytes] create
// a [Session] for a model whose input is named "input" ([N, C, H, W] float32, pixels in [0, 1])
// and whose output is named "logits" ([N, classes]), the convention of budgetrain/onnx.
// [Evaluate] runs a labelled image set through a session and reports top-1 accuracy, the metric
// of the paper (spec §4, "Metric"), with per-class accuracy and a confusion matrix.
//
// Sessions run on the CPU execution provider with a fixed number of intra-op threads, one
// inter-op thread and sequential execution, so that evaluation does not compete with training
// for cores beyond what it is given.
package ort
