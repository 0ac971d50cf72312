package torchx

/*
#include <stdlib.h>
#include <stddef.h>
typedef void *tensor;
char *get_and_reset_last_err();
int   bt_save_multi_buf(tensor *tensors, char **names, int n, char **out, size_t *outlen);
void *bt_sgd_new(tensor *params, int n, double momentum, double dampening, double weight_decay, int nesterov);
void  bt_sgd_free(void *opt);
void  bt_sgd_step(void *opt, double lr);
void  bt_sgd_zero_grad(void *opt);
void  bt_sgd_buffers(void *opt, tensor *out);
void  bt_sgd_set_buffer(void *opt, int i, tensor buf);
const char *bt_torch_version();
void  bt_set_allow_tf32(int cublas, int cudnn);
void  bt_allow_tf32(int *out);
void  bt_set_cudnn(int benchmark, int deterministic);
void  bt_cudnn(int *out);
*/
import "C"

import (
	"errors"
	"unsafe"

	lib "github.com/sugarme/gotch/libtch"
	ts "github.com/sugarme/gotch/ts"
)

// TorchVersion returns the libtorch version budgetrain was compiled against ("2.1.2"), or ""
// when the headers do not say.
func TorchVersion() string { return C.GoString(C.bt_torch_version()) }

// SetAllowTF32 sets whether CUDA may compute float32 matrix products (cuBLAS; PyTorch's
// torch.backends.cuda.matmul.allow_tf32) and convolutions (cuDNN; torch.backends.cudnn.allow_tf32)
// in TF32, whose 10-bit mantissa gives relative errors near 1e-3 where float32 gives 1e-7.
// libtorch's defaults are false for cuBLAS and true for cuDNN, which uses TF32 on Ampere and
// newer GPUs. The flags are process-wide and do nothing on the CPU.
func SetAllowTF32(cublas, cudnn bool) error {
	C.bt_set_allow_tf32(cbool(cublas), cbool(cudnn))
	return lastErr()
}

// AllowTF32 reports the two flags SetAllowTF32 sets.
func AllowTF32() (cublas, cudnn bool, err error) {
	var out [2]C.int
	C.bt_allow_tf32(&out[0])
	return out[0] != 0, out[1] != 0, lastErr()
}

// SetCuDNN sets cuDNN's autotuner (PyTorch's torch.backends.cudnn.benchmark: time the
// convolution algorithms for each new shape and keep the fastest) and its choice of
// deterministic algorithms (torch.backends.cudnn.deterministic). Process-wide; nothing on the CPU.
func SetCuDNN(benchmark, deterministic bool) error {
	C.bt_set_cudnn(cbool(benchmark), cbool(deterministic))
	return lastErr()
}

// CuDNN reports the two flags SetCuDNN sets.
func CuDNN() (benchmark, deterministic bool, err error) {
	var out [2]C.int
	C.bt_cudnn(&out[0])
	return out[0] != 0, out[1] != 0, lastErr()
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// lastErr returns the error libtorch left in gotch's per-thread error slot, if any, cut to its
// message by Error.
func lastErr() error {
	p := C.get_and_reset_last_err()
	if p == nil {
		return nil
	}
	s := C.GoString(p)
	C.free(unsafe.Pointer(p))
	return Error(errors.New(s))
}

// cTensors copies the C handles of ts into C memory (freed by the caller with C.free).
func cTensors(tt []*ts.Tensor) *C.tensor {
	if len(tt) == 0 {
		return nil
	}
	arr := (*[1 << 28]C.tensor)(C.malloc(C.size_t(len(tt)) * C.size_t(unsafe.Sizeof(uintptr(0)))))
	for i, t := range tt {
		arr[i] = C.tensor(t.Ctensor())
	}
	return &arr[0]
}

// SerializeTensors returns the named tensors in the format of gotch's VarStore.Save (libtorch's
// torch::serialize::OutputArchive, which torch.jit.load and VarStore.Load read), built in memory
// so that the caller writes the file and sees every write error. Names are written in the order
// given.
func SerializeTensors(names []string, tensors []*ts.Tensor) ([]byte, error) {
	if len(names) != len(tensors) {
		panic("torchx: SerializeTensors: names and tensors differ in length")
	}
	ct := cTensors(tensors)
	defer C.free(unsafe.Pointer(ct))
	cn := (*[1 << 28]*C.char)(C.malloc(C.size_t(len(names)+1) * C.size_t(unsafe.Sizeof(uintptr(0)))))
	defer C.free(unsafe.Pointer(cn))
	for i, n := range names {
		cn[i] = C.CString(n)
		defer C.free(unsafe.Pointer(cn[i]))
	}
	var out *C.char
	var n C.size_t
	rc := C.bt_save_multi_buf(ct, &cn[0], C.int(len(names)), &out, &n)
	if err := lastErr(); err != nil || rc != 0 {
		if err == nil {
			err = errors.New("serialize tensors failed")
		}
		return nil, err
	}
	defer C.free(unsafe.Pointer(out))
	return C.GoBytes(unsafe.Pointer(out), C.int(n)), nil
}

// SGD is stochastic gradient descent with momentum, weight decay and Nesterov momentum, with
// exactly the update of PyTorch's torch.optim.SGD (libtorch's torch::optim::SGD, op for op):
//
//	d = g + wd·p;  buf = d (first step) or m·buf + (1−dampening)·d;  d = nesterov ? d + m·buf : buf;  p −= lr·d
//
// Unlike gotch's optimizer, its momentum buffers can be read (Buffers) and restored (SetBuffer),
// so that a resumed run continues exactly. Use it from one OS thread (libtorch's error slot is
// per thread) and Close it when done.
type SGD struct {
	h      unsafe.Pointer
	params []*ts.Tensor
	lr     float64
}

// NewSGD builds the optimizer over params (the trainer passes the trainable variables sorted by
// name, the order of Buffers).
func NewSGD(params []*ts.Tensor, momentum, dampening, weightDecay float64, nesterov bool) (*SGD, error) {
	ct := cTensors(params)
	defer C.free(unsafe.Pointer(ct))
	nest := 0
	if nesterov {
		nest = 1
	}
	h := C.bt_sgd_new(ct, C.int(len(params)), C.double(momentum), C.double(dampening), C.double(weightDecay), C.int(nest))
	if err := lastErr(); err != nil {
		return nil, err
	}
	return &SGD{h: h, params: params}, nil
}

// Step updates every parameter that has a gradient with learning rate lr.
func (o *SGD) Step(lr float64) error {
	o.lr = lr
	C.bt_sgd_step(o.h, C.double(lr))
	return lastErr()
}

// Params returns the parameters given to NewSGD (shared, not copies).
func (o *SGD) Params() []*ts.Tensor { return o.params }

// LR is the learning rate of the last Step.
func (o *SGD) LR() float64 { return o.lr }

// ZeroGrad sets every gradient to undefined (PyTorch's zero_grad(set_to_none=True)).
func (o *SGD) ZeroGrad() error {
	C.bt_sgd_zero_grad(o.h)
	return lastErr()
}

// Buffers returns the momentum buffer of each parameter, in the order of the parameters given to
// NewSGD; nil where the parameter has not been stepped yet (or momentum is 0). The caller owns
// the returned tensors (they share storage with the live buffers: do not modify them).
func (o *SGD) Buffers() ([]*ts.Tensor, error) {
	n := len(o.params)
	if n == 0 {
		return nil, nil
	}
	arr := (*[1 << 28]C.tensor)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(uintptr(0)))))
	defer C.free(unsafe.Pointer(arr))
	C.bt_sgd_buffers(o.h, &arr[0])
	if err := lastErr(); err != nil {
		return nil, err
	}
	out := make([]*ts.Tensor, n)
	for i := range out {
		if arr[i] != nil {
			out[i] = ts.New(lib.Ctensor(unsafe.Pointer(arr[i])))
		}
	}
	return out, nil
}

// SetBuffer replaces the momentum buffer of parameter i by a copy of buf (nil clears it). buf
// must have the parameter's shape.
func (o *SGD) SetBuffer(i int, buf *ts.Tensor) error {
	var c C.tensor
	if buf != nil {
		c = C.tensor(buf.Ctensor())
	}
	C.bt_sgd_set_buffer(o.h, C.int(i), c)
	return lastErr()
}

// Close frees the optimizer (not the parameters).
func (o *SGD) Close() {
	if o.h != nil {
		C.bt_sgd_free(o.h)
		o.h = nil
	}
}
