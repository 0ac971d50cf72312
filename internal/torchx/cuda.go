package torchx

import (
	"bytes"
	"os"
)

// CUDALinked reports whether this process has libtorch's CUDA part (libtorch_cuda) loaded, i.e.
// whether it was built with BUDGETRAIN_CUDA=1 (scripts/deps.sh links the library with
// --no-as-needed, so it is loaded at start whether or not a GPU is present). It reads the
// process's memory map; false where /proc is unavailable.
func CUDALinked() bool {
	b, err := os.ReadFile("/proc/self/maps")
	return err == nil && bytes.Contains(b, []byte("/libtorch_cuda.so"))
}
