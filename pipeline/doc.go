// Package pipeline trains a classifier under a compute budget: the budgeted learning-rate
// schedule, the input pipeline, the training loop with its hooks, evaluation through libtorch
// and onnxruntime, checkpoints and metrics.
//
// The budget b ∈ (0,1] is the fraction of an epoch's iterations allowed (Arazo et al. 2021,
// spec §1): every method at budget b runs exactly T = E·⌊⌊N·b⌋/B⌋ optimizer steps, and the
// learning-rate schedule spans those T steps. A sampler decides which examples each epoch
// visits; it never changes the learning rate.
//
// All torch work must happen on one OS thread (libtorch's grad mode and gotch's error slot are
// thread-local): callers lock the calling goroutine with runtime.LockOSThread.
package pipeline
