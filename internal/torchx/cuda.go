package torchx

import (
	"bytes"
	"os"
)

// CUDALoaded reports whether libtorch's CUDA part (libtorch_cuda) is loaded in this process. A
// build made with BUDGETRAIN_CUDA=1 links it (scripts/deps.sh passes --no-as-needed, so it loads
// at start with or without a GPU); a CPU build's libtorch has no CUDA libraries beside it, so it
// never loads. It reads the process's memory map; false where /proc is unavailable.
func CUDALoaded() bool {
	b, err := os.ReadFile("/proc/self/maps")
	return err == nil && bytes.Contains(b, []byte("/libtorch_cuda.so"))
}
