package onnx

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// linearModel is a minimal Exporter: flatten, then one fully connected layer.
type linearModel struct {
	in, classes int
	err         error
}

func (m linearModel) ExportONNX(b *Builder, x string) (string, error) {
	if m.err != nil {
		return "", m.err
	}
	w := b.Initializer("fc.weight", []int64{int64(m.classes), int64(m.in)}, make([]float32, m.classes*m.in))
	return b.Gemm(b.Flatten(x, 1), w, "", true), nil
}

var _ Exporter = linearModel{}

func TestExportWiresInputNormalizeModelAndLogits(t *testing.T) {
	data, err := Export(linearModel{in: 3 * 2 * 2, classes: 5}, ExportConfig{
		GraphName: "linear", Producer: "budgetrain", C: 3, H: 2, W: 2, Classes: 5,
		Mean: []float32{0.1, 0.2, 0.3}, Std: []float32{0.5, 0.5, 0.5},
		Metadata: map[string]string{"z": "last", "a": "first"},
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeModel(data)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, n := range m.graph.nodes {
		ops = append(ops, n.op)
	}
	if want := []string{"Sub", "Div", "Flatten", "Gemm", "Identity"}; !slices.Equal(ops, want) {
		t.Errorf("ops %v, want %v", ops, want)
	}
	if in := m.graph.inputs[0]; in.name != InputName || !slices.Equal(in.dims, []string{"N", "3", "2", "2"}) {
		t.Errorf("input %+v", in)
	}
	if out := m.graph.outputs[0]; out.name != OutputName || !slices.Equal(out.dims, []string{"N", "5"}) {
		t.Errorf("output %+v", out)
	}
	if want := [][2]string{{"a", "first"}, {"z", "last"}}; !slices.Equal(m.meta, want) {
		t.Errorf("metadata %v, want sorted %v", m.meta, want)
	}
}

func TestExportReportsErrors(t *testing.T) {
	boom := errors.New("tensor copy failed")
	tests := []struct {
		name string
		m    linearModel
		cfg  ExportConfig
		want []string
	}{
		{"model error is wrapped", linearModel{err: boom}, ExportConfig{GraphName: "g", C: 1, H: 1, W: 1, Classes: 1},
			[]string{`export "g": tensor copy failed`}},
		{"bad geometry all reported", linearModel{in: 1, classes: 1}, ExportConfig{GraphName: "g", C: 0, H: 1, W: 1, Classes: 0},
			[]string{"C×H×W must be positive, got 0×1×1", "classes must be >= 1, got 0"}},
		{"mean length", linearModel{in: 2, classes: 1}, ExportConfig{GraphName: "g", C: 2, H: 1, W: 1, Classes: 1,
			Mean: []float32{0.5}, Std: []float32{0.5, 0.5}}, []string{"mean has 1 values, want C = 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Export(tt.m, tt.cfg)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.m.err != nil && !errors.Is(err, tt.m.err) {
				t.Error("model error not wrapped")
			}
		})
	}
}
