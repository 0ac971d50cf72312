// Package torchx reaches the few libtorch functions that gotch v0.9.1 exports in C but does not
// wrap in Go (the global seed and the intra-/inter-op thread pools; see gotch's
// libtch/torch_api.h), and glibc's malloc_trim, which returns the C heap's free memory. LoadWeights
// and Error turn libtorch's failures on a bad weights file into one-line errors naming the file.
package torchx

/*
#include <stdint.h>
#include <malloc.h>
void at_manual_seed(int64_t seed);
void at_set_num_threads(int n);
int  at_get_num_threads();
void at_set_num_interop_threads(int n);
*/
import "C"

import (
	_ "github.com/sugarme/gotch/libtch" // links torch_api.cpp, which defines the functions above
)

// ManualSeed seeds every libtorch generator (CPU and all CUDA devices), as torch.manual_seed does.
func ManualSeed(seed int64) { C.at_manual_seed(C.int64_t(seed)) }

// SetNumThreads sets the intra-op (OpenMP) thread count. Call it before the first parallel op.
func SetNumThreads(n int) { C.at_set_num_threads(C.int(n)) }

// NumThreads reports the intra-op thread count.
func NumThreads() int { return int(C.at_get_num_threads()) }

// SetNumInteropThreads sets the inter-op pool size; libtorch allows it only once, before any
// inter-op work, and aborts the process on a second call, so callers must guard it.
func SetNumInteropThreads(n int) { C.at_set_num_interop_threads(C.int(n)) }

// TrimHeap returns the C heap's free memory to the operating system (glibc's malloc_trim(0)):
// libtorch and onnxruntime allocate through malloc, and glibc keeps freed blocks, per thread
// arena, until told otherwise.
func TrimHeap() { C.malloc_trim(0) }
