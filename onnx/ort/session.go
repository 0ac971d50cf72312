package ort

import (
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"sync"

	rt "github.com/yalue/onnxruntime_go"

	"budgetrain/onnx"
)

// Session is an onnxruntime inference session for a classifier with input onnx.InputName
// ([N, ...], N dynamic) and output onnx.OutputName ([N, classes]). It keeps its input and output
// tensors between calls and rebuilds them only when the batch size changes. Methods are safe for
// concurrent use (calls are serialised).
type Session struct {
	mu      sync.Mutex
	sess    *rt.DynamicAdvancedSession
	shape   []int64 // input shape; shape[0] is -1 for a dynamic batch
	per     int     // values per example: product of shape[1:]
	classes int
	meta    map[string]string

	n        int // batch size the tensors below are built for (0: none yet)
	inBuf    []float32
	outBuf   []float32
	in, out  *rt.Tensor[float32]
	inShape  rt.Shape
	outShape rt.Shape
	// pin keeps inBuf and outBuf pinned while onnxruntime holds pointers to them (the tensors
	// wrap the Go buffers without copying), as the cgo pointer rules require.
	pin runtime.Pinner
}

// Open reads an ONNX model file and opens a session on it; see OpenBytes. Errors name the file.
func Open(modelPath string, threads int) (*Session, error) {
	data, err := os.ReadFile(modelPath)
	if err != nil {
		return nil, fmt.Errorf("ort: open model: %w", err)
	}
	s, err := OpenBytes(data, threads)
	if err != nil {
		return nil, fmt.Errorf("ort: open model %q: %w", modelPath, err)
	}
	return s, nil
}

// OpenBytes opens a session on a serialized ModelProto. threads is the intra-op thread count
// (0: the count given to Init, or onnxruntime's default); inter-op threads are 1 and execution is
// sequential. It calls Init(0) if Init has not been called. The model must have a float32 input
// onnx.InputName of rank ≥ 2 whose dimensions other than the first are fixed, and a float32
// output onnx.OutputName of shape [N, classes] with classes fixed.
func OpenBytes(data []byte, threads int) (*Session, error) {
	if err := Init(0); err != nil {
		return nil, err
	}
	if threads < 0 {
		return nil, fmt.Errorf("ort: threads must be >= 0, got %d", threads)
	}
	if threads == 0 {
		threads = defaultThreads
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("ort: empty model (0 bytes), want a serialized ONNX ModelProto")
	}
	ins, outs, err := rt.GetInputOutputInfoWithONNXData(data)
	if err != nil {
		return nil, fmt.Errorf("ort: read model inputs and outputs (%d bytes; not an ONNX model, or truncated?): %w", len(data), err)
	}
	s := &Session{}
	if err := s.checkSignature(ins, outs); err != nil {
		return nil, err
	}

	opts, err := rt.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("ort: session options: %w", err)
	}
	defer opts.Destroy()
	for _, set := range []func() error{
		func() error { return opts.SetIntraOpNumThreads(threads) },
		func() error { return opts.SetInterOpNumThreads(1) },
		func() error { return opts.SetExecutionMode(rt.ExecutionModeSequential) },
	} {
		if err := set(); err != nil {
			return nil, fmt.Errorf("ort: session options: %w", err)
		}
	}
	s.sess, err = rt.NewDynamicAdvancedSessionWithONNXData(data,
		[]string{onnx.InputName}, []string{onnx.OutputName}, opts)
	if err != nil {
		return nil, fmt.Errorf("ort: create session: %w", err)
	}
	if s.meta, err = readMetadata(s.sess); err != nil {
		s.sess.Destroy()
		return nil, err
	}
	return s, nil
}

func (s *Session) checkSignature(ins, outs []rt.InputOutputInfo) error {
	find := func(list []rt.InputOutputInfo, name string) (rt.InputOutputInfo, bool) {
		for _, io := range list {
			if io.Name == name {
				return io, true
			}
		}
		return rt.InputOutputInfo{}, false
	}
	names := func(list []rt.InputOutputInfo) []string {
		var n []string
		for _, io := range list {
			n = append(n, io.Name)
		}
		return n
	}
	in, ok := find(ins, onnx.InputName)
	if !ok {
		return fmt.Errorf("ort: model has no input %q (inputs %q)", onnx.InputName, names(ins))
	}
	if len(ins) != 1 {
		return fmt.Errorf("ort: model has %d inputs %q, want only %q", len(ins), names(ins), onnx.InputName)
	}
	out, ok := find(outs, onnx.OutputName)
	if !ok {
		return fmt.Errorf("ort: model has no output %q (outputs %q)", onnx.OutputName, names(outs))
	}
	if in.DataType != rt.TensorElementDataTypeFloat || out.DataType != rt.TensorElementDataTypeFloat {
		return fmt.Errorf("ort: input and output must be float32, got %v and %v", in.DataType, out.DataType)
	}
	if len(in.Dimensions) < 2 {
		return fmt.Errorf("ort: input %q has shape %v, want rank >= 2 [N, ...]", in.Name, in.Dimensions)
	}
	s.per = 1
	for i, d := range in.Dimensions[1:] {
		if d <= 0 {
			return fmt.Errorf("ort: input %q has shape %v: dimension %d must be fixed", in.Name, in.Dimensions, i+1)
		}
		s.per *= int(d)
	}
	if len(out.Dimensions) != 2 || out.Dimensions[1] <= 0 {
		return fmt.Errorf("ort: output %q has shape %v, want [N, classes] with classes fixed", out.Name, out.Dimensions)
	}
	s.shape = slices.Clone([]int64(in.Dimensions))
	s.classes = int(out.Dimensions[1])
	return nil
}

func readMetadata(sess *rt.DynamicAdvancedSession) (map[string]string, error) {
	md, err := sess.GetModelMetadata()
	if err != nil {
		return nil, fmt.Errorf("ort: read model metadata: %w", err)
	}
	defer md.Destroy()
	keys, err := md.GetCustomMetadataMapKeys()
	if err != nil {
		return nil, fmt.Errorf("ort: read model metadata: %w", err)
	}
	meta := make(map[string]string, len(keys))
	for _, k := range keys {
		v, _, err := md.LookupCustomMetadataMap(k)
		if err != nil {
			return nil, fmt.Errorf("ort: read model metadata %q: %w", k, err)
		}
		meta[k] = v
	}
	return meta, nil
}

// InputShape returns the model's input shape; the first entry is -1 when the batch is dynamic.
func (s *Session) InputShape() []int64 { return slices.Clone(s.shape) }

// NumClasses returns the number of logits per example.
func (s *Session) NumClasses() int { return s.classes }

// Metadata returns a copy of the model's metadata_props.
func (s *Session) Metadata() map[string]string { return maps.Clone(s.meta) }

// Run evaluates n examples: x holds n·C·H·W float32 values (NCHW, pixels in [0, 1]) and the result
// n·classes logits, row by row, in a new slice. Any n ≥ 1 is accepted (a model with a fixed batch
// accepts only that one).
func (s *Session) Run(x []float32, n int) ([]float32, error) {
	if n < 1 {
		return nil, fmt.Errorf("ort: run: batch size must be >= 1, got %d", n)
	}
	logits := make([]float32, n*s.classes)
	err := s.run(n, func(in []float32) error {
		if len(x) != n*s.per {
			return fmt.Errorf("ort: run: x has %d values, want n·%d = %d for n = %d", len(x), s.per, n*s.per, n)
		}
		copy(in, x)
		return nil
	}, func(out []float32) { copy(logits, out) })
	if err != nil {
		return nil, err
	}
	return logits, nil
}

// run fills the input tensor for a batch of n with fill, runs the model and hands the output
// buffer to read. The buffers are only valid inside fill and read.
func (s *Session) run(n int, fill func(in []float32) error, read func(out []float32)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess == nil {
		return fmt.Errorf("ort: run: session is closed")
	}
	if n < 1 {
		return fmt.Errorf("ort: run: batch size must be >= 1, got %d", n)
	}
	if s.shape[0] > 0 && int64(n) != s.shape[0] {
		return fmt.Errorf("ort: run: model has a fixed batch of %d, got %d", s.shape[0], n)
	}
	if err := s.resize(n); err != nil {
		return err
	}
	if err := fill(s.in.GetData()); err != nil {
		return err
	}
	if err := s.sess.Run([]rt.Value{s.in}, []rt.Value{s.out}); err != nil {
		return fmt.Errorf("ort: run batch of %d: %w", n, err)
	}
	read(s.out.GetData())
	return nil
}

// resize rebuilds the input and output tensors for batch size n over buffers that only grow.
func (s *Session) resize(n int) error {
	if n == s.n {
		return nil
	}
	s.destroyTensors()
	if need := n * s.per; cap(s.inBuf) < need {
		s.inBuf = make([]float32, need)
	}
	if need := n * s.classes; cap(s.outBuf) < need {
		s.outBuf = make([]float32, need)
	}
	s.pin.Pin(&s.inBuf[0])
	s.pin.Pin(&s.outBuf[0])
	s.inShape = rt.NewShape(append([]int64{int64(n)}, s.shape[1:]...)...)
	s.outShape = rt.NewShape(int64(n), int64(s.classes))
	var err error
	if s.in, err = rt.NewTensor(s.inShape, s.inBuf[:n*s.per]); err != nil {
		return fmt.Errorf("ort: input tensor %v: %w", s.inShape, err)
	}
	if s.out, err = rt.NewTensor(s.outShape, s.outBuf[:n*s.classes]); err != nil {
		s.destroyTensors()
		return fmt.Errorf("ort: output tensor %v: %w", s.outShape, err)
	}
	s.n = n
	return nil
}

func (s *Session) destroyTensors() {
	if s.in != nil {
		s.in.Destroy()
		s.in = nil
	}
	if s.out != nil {
		s.out.Destroy()
		s.out = nil
	}
	s.pin.Unpin()
	s.n = 0
}

// Close releases the session and its tensors. Closing twice is a no-op; Run after Close returns an
// error.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.destroyTensors()
	if s.sess == nil {
		return nil
	}
	err := s.sess.Destroy()
	s.sess = nil
	if err != nil {
		return fmt.Errorf("ort: close session: %w", err)
	}
	return nil
}
