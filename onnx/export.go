package onnx

import (
	"fmt"
	"slices"
)

// Exporter is implemented by models that can describe their inference graph (eval mode: batch
// norm with running statistics, no dropout).
type Exporter interface {
	// ExportONNX adds the model's weights (as initializers) and nodes to b. x names the
	// normalised input tensor [N, C, H, W]; the returned name is the logits tensor [N, classes].
	ExportONNX(b *Builder, x string) (logits string, err error)
}

// ExportConfig describes the graph around a model: its input geometry, the normalisation
// applied to pixels in [0, 1], and what to record in the file.
type ExportConfig struct {
	GraphName string            // graph name, for example the model's registry name
	Producer  string            // ModelProto.producer_name
	C, H, W   int               // input channels, height and width
	Classes   int               // number of logits
	Mean, Std []float32         // per-channel normalisation (C values each); nil for none
	Metadata  map[string]string // metadata_props, written in sorted key order
}

// Export builds the graph InputName [N, C, H, W] → Normalize(Mean, Std) → m → OutputName
// [N, Classes] and returns the ModelProto bytes. All configuration problems and graph errors are
// reported together.
func Export(m Exporter, cfg ExportConfig) ([]byte, error) {
	b := NewBuilder(cfg.GraphName)
	if cfg.C < 1 || cfg.H < 1 || cfg.W < 1 {
		b.errorf("input shape C×H×W must be positive, got %d×%d×%d", cfg.C, cfg.H, cfg.W)
	}
	if cfg.Classes < 1 {
		b.errorf("classes must be >= 1, got %d", cfg.Classes)
	}
	x := b.Input(InputName, -1, int64(cfg.C), int64(cfg.H), int64(cfg.W))
	if cfg.Mean != nil || cfg.Std != nil {
		if len(cfg.Mean) != cfg.C {
			b.errorf("normalisation mean has %d values, want C = %d", len(cfg.Mean), cfg.C)
		}
		x = b.Normalize(x, cfg.Mean, cfg.Std)
	}
	logits, err := m.ExportONNX(b, x)
	if err != nil {
		return nil, fmt.Errorf("onnx: export %q: %w", cfg.GraphName, err)
	}
	b.Identity(logits, OutputName)
	b.Output(OutputName, -1, int64(cfg.Classes))
	keys := make([]string, 0, len(cfg.Metadata))
	for k := range cfg.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.SetMetadata(k, cfg.Metadata[k])
	}
	return b.Marshal(cfg.Producer)
}
