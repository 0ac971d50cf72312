package pipeline

import (
	"strings"
	"testing"

	"budgetrain/internal/torchx"

	"github.com/sugarme/gotch"
)

// TestDeviceSelection exercises the device choice on whatever this machine has: auto follows
// libtorch's CUDA availability, cpu is always CPU, and cuda without a GPU is a clear error.
func TestDeviceSelection(t *testing.T) {
	cuda := gotch.CUDA.IsAvailable()
	d, err := DeviceFor("cpu")
	if err != nil || d.IsCuda() {
		t.Errorf("cpu: got %v, %v", d, err)
	}
	d, err = DeviceFor("auto")
	if err != nil || d.IsCuda() != cuda {
		t.Errorf("auto: got %v (cuda=%v), %v; libtorch reports CUDA available = %v", d, d.IsCuda(), err, cuda)
	}
	d, err = DeviceFor("cuda")
	if cuda {
		if err != nil || !d.IsCuda() {
			t.Errorf("cuda with a GPU: got %v, %v", d, err)
		}
	} else {
		// Which error depends on the build: a CPU-only build says so, a CUDA build without a
		// device says that instead (both builds are run by the tests, see docs/gpu.md).
		want := "built for CPU only"
		if torchx.CUDALoaded() {
			want = "libtorch has CUDA, but sees no CUDA device"
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("cuda without a GPU (CUDA loaded: %v): got %v, %v; want an error saying %q", torchx.CUDALoaded(), d, err, want)
		}
	}
	if name := deviceName(gotch.CudaBuilder(1)); name != "cuda:1" {
		t.Errorf("deviceName = %q", name)
	}
}
