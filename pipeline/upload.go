// Putting host batches on the training device.

package pipeline

import (
	"fmt"

	"budgetrain/internal/torchx"

	"github.com/sugarme/gotch"
	ts "github.com/sugarme/gotch/ts"
)

// uploader turns host slices (a batch's pixels, labels, loss weights) into tensors on the
// training device. Each slice is copied with one memcpy into a reusable host tensor, then
// uploaded without blocking the host. Host tensors are kept per dtype and shape, two of each
// used in turn (double buffering), and page-locked on CUDA, so that an upload is an asynchronous
// DMA the GPU runs while the host prepares the next batch; gotch's OfSlice instead encoded every
// element (encoding/binary, 1.6 ms per 128×3×32×32 batch here) into pageable memory, whose upload
// blocks.
//
// A host tensor handed out at one call is written again two calls of its dtype and shape later.
// That is safe because the step that used it has finished by then: every step reads its logits
// back, which waits for all the device work queued before it, uploads included. On the CPU the
// "upload" is a new handle to the host tensor itself, so the CPU runs the same code with the
// same reuse rule, and the GPU check's CPU stand-in tests it.
type uploader struct {
	dev    gotch.Device
	pinned bool
	slots  map[hostKey]*hostSlot
}

// hostKey identifies a host tensor's dtype and shape (up to 4 dimensions).
type hostKey struct {
	dtype gotch.DType
	ndim  int
	shape [4]int64
}

type hostSlot struct {
	t    [2]*ts.Tensor
	next int
}

func newUploader(dev gotch.Device) *uploader {
	return &uploader{dev: dev, pinned: dev.IsCuda(), slots: map[hostKey]*hostSlot{}}
}

// host returns the next host tensor of the dtype and shape, made on first use. The uploader owns it.
func (u *uploader) host(dtype gotch.DType, shape []int64) (*ts.Tensor, error) {
	if len(shape) == 0 || len(shape) > 4 {
		return nil, fmt.Errorf("upload: %d dimensions (1 to 4 are supported)", len(shape))
	}
	k := hostKey{dtype: dtype, ndim: len(shape)}
	copy(k.shape[:], shape)
	s := u.slots[k]
	if s == nil {
		s = &hostSlot{}
		u.slots[k] = s
	}
	i := s.next
	s.next ^= 1
	if s.t[i] == nil {
		t, err := torchx.HostEmpty(shape, dtype, u.pinned)
		if err != nil {
			return nil, fmt.Errorf("upload: host buffer %v: %w", shape, err)
		}
		s.t[i] = t
	}
	return s.t[i], nil
}

// put returns src, whose length is the product of shape, as a tensor of that shape on u's
// device (float32 or int64, as src). The caller drops the result.
func put[E float32 | int64](u *uploader, src []E, shape ...int64) *ts.Tensor {
	dtype := gotch.Float
	if _, isInt := any(src).([]int64); isInt {
		dtype = gotch.Int64
	}
	h, err := u.host(dtype, shape)
	if err == nil {
		err = torchx.CopyFromHost(h, src)
	}
	var d *ts.Tensor
	if err == nil {
		d, err = torchx.ToDevice(h, u.dev, true)
	}
	if err != nil {
		// Only a programming error (a length that does not match the shape) or a device out
		// of memory gets here; the training step has no error path for either.
		panic(fmt.Sprintf("pipeline: upload of %d values as %v to %s: %v", len(src), shape, deviceName(u.dev), err))
	}
	return d
}

// images returns normalised NCHW images as a float32 tensor [n, c, h, w] on u's device.
func (u *uploader) images(x []float32, n, c, h, w int) *ts.Tensor {
	return put(u, x[:n*c*h*w], int64(n), int64(c), int64(h), int64(w))
}

// close frees the host tensors.
func (u *uploader) close() {
	for k, s := range u.slots {
		for _, t := range s.t {
			if t != nil {
				t.MustDrop()
			}
		}
		delete(u.slots, k)
	}
}

// imagesTo is how evaluation puts a batch of normalised NCHW images on its device: the trainer's
// uploader, or a fresh CPU tensor (cpuImages) where there is no trainer.
type imagesTo func(x []float32, n, c, h, w int) *ts.Tensor

// cpuImages returns the images as a new CPU tensor (one memcpy).
func cpuImages(x []float32, n, c, h, w int) *ts.Tensor {
	t, err := torchx.HostEmpty([]int64{int64(n), int64(c), int64(h), int64(w)}, gotch.Float, false)
	if err == nil {
		err = torchx.CopyFromHost(t, x[:n*c*h*w])
	}
	if err != nil {
		panic(fmt.Sprintf("pipeline: %d images of %dx%dx%d to the CPU: %v", n, c, h, w, err))
	}
	return t
}
