package torchx

/*
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>
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
void  bt_channels_last_(tensor *ts, int n);
int   bt_is_channels_last(tensor t);
tensor bt_host_empty(int64_t *sizes, int ndim, int dtype, int pinned);
void  bt_copy_from_host(tensor dst, const void *src, size_t nbytes);
int   bt_is_pinned(tensor t);
tensor bt_to_device(tensor t, int device, int non_blocking);
void  bt_copy_(tensor dst, tensor src, int non_blocking);
void  bt_autocast_bf16(int enable, int cuda);
int   bt_autocast_enabled(int cuda);
void *bt_event_record(int device);
void  bt_event_wait(void *e);
*/
import "C"

import (
	"errors"
	"unsafe"

	"github.com/sugarme/gotch"
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

// ChannelsLast makes every 4-d tensor of tt (convolution weights) channels-last in place, keeping
// each variable's identity: PyTorch's module.to(memory_format=torch.channels_last). Values do not
// change; oneDNN and cuDNN then run the network channels-last from its first convolution.
func ChannelsLast(tt []*ts.Tensor) error {
	if len(tt) == 0 {
		return nil
	}
	ct := cTensors(tt)
	defer C.free(unsafe.Pointer(ct))
	C.bt_channels_last_(ct, C.int(len(tt)))
	return lastErr()
}

// IsChannelsLast reports whether t is contiguous in the channels-last layout.
func IsChannelsLast(t *ts.Tensor) bool {
	return C.bt_is_channels_last(C.tensor(t.Ctensor())) == 1
}

// HostEmpty returns a new contiguous CPU tensor of the shape and dtype, uninitialised, in
// page-locked memory when pinned is true and libtorch has CUDA (ordinary memory otherwise). Fill
// it with CopyFromHost; upload it with ToDevice.
func HostEmpty(shape []int64, dtype gotch.DType, pinned bool) (*ts.Tensor, error) {
	if len(shape) == 0 {
		return nil, errors.New("torchx: HostEmpty: empty shape")
	}
	c := C.bt_host_empty((*C.int64_t)(unsafe.Pointer(&shape[0])), C.int(len(shape)), C.int(dtype.CInt()), cbool(pinned))
	if err := lastErr(); err != nil {
		return nil, err
	}
	return ts.New(lib.Ctensor(unsafe.Pointer(c))), nil
}

// CopyFromHost copies the elements of src, a slice of float32, int64 or uint8 whose byte size
// equals dst's, into dst (a contiguous CPU tensor): one memcpy, where gotch's OfSlice encodes
// element by element (encoding/binary) and then copies.
func CopyFromHost[E float32 | int64 | uint8](dst *ts.Tensor, src []E) error {
	if len(src) == 0 {
		return errors.New("torchx: CopyFromHost: empty slice")
	}
	n := uintptr(len(src)) * unsafe.Sizeof(src[0])
	C.bt_copy_from_host(C.tensor(dst.Ctensor()), unsafe.Pointer(&src[0]), C.size_t(n))
	return lastErr()
}

// IsPinned reports whether the CPU tensor t is in page-locked memory.
func IsPinned(t *ts.Tensor) bool { return C.bt_is_pinned(C.tensor(t.Ctensor())) == 1 }

// ToDevice returns t on dev, a new tensor (a new handle to t itself when it is there already).
// With nonBlocking the copy does not wait for the device: from (to) pinned host memory it is
// asynchronous, so the host memory must stay untouched until the device has used it.
func ToDevice(t *ts.Tensor, dev gotch.Device, nonBlocking bool) (*ts.Tensor, error) {
	c := C.bt_to_device(C.tensor(t.Ctensor()), C.int(dev.CInt()), cbool(nonBlocking))
	if err := lastErr(); err != nil {
		return nil, err
	}
	return ts.New(lib.Ctensor(unsafe.Pointer(c))), nil
}

// Copy copies src into dst (same shape, any devices); with nonBlocking it does not wait for
// the device where the copy can be asynchronous.
func Copy(dst, src *ts.Tensor, nonBlocking bool) error {
	C.bt_copy_(C.tensor(dst.Ctensor()), C.tensor(src.Ctensor()), cbool(nonBlocking))
	return lastErr()
}

// AutocastBF16 enters (enable true) or leaves automatic mixed precision in bfloat16 for dev's
// type (CUDA or the CPU) on this OS thread, as torch.autocast(device_type, dtype=torch.bfloat16)
// around a forward pass: convolutions and matrix products run in bfloat16, softmax and losses in
// float32, the weights stay float32. Calls must pair; leaving the outermost region clears
// autocast's cache of bfloat16 weight copies.
func AutocastBF16(enable bool, dev gotch.Device) error {
	C.bt_autocast_bf16(cbool(enable), cbool(dev.IsCuda()))
	return lastErr()
}

// AutocastEnabled reports whether autocast is on for dev's type on this OS thread.
func AutocastEnabled(dev gotch.Device) bool {
	return C.bt_autocast_enabled(cbool(dev.IsCuda())) == 1
}

// Event marks a point in a CUDA device's work queue (a c10::Event on its current stream).
type Event struct{ h unsafe.Pointer }

// RecordEvent records an event after all the work queued so far on dev, or returns nil on the
// CPU, where every op has finished when it returns.
func RecordEvent(dev gotch.Device) (*Event, error) {
	if !dev.IsCuda() {
		return nil, nil
	}
	h := C.bt_event_record(C.int(dev.CInt()))
	if err := lastErr(); err != nil {
		return nil, err
	}
	return &Event{h: h}, nil
}

// Wait blocks until the work before the event is done and frees the event; nil waits for
// nothing. Call it once.
func (e *Event) Wait() error {
	if e == nil || e.h == nil {
		return nil
	}
	C.bt_event_wait(e.h)
	e.h = nil
	return lastErr()
}
