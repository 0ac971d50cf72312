package pipeline

import (
	"errors"
	"fmt"
	"path/filepath"

	"budgetrain/internal/torchx"
	"budgetrain/models"
	"budgetrain/pipeline/data"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
)

// ExportSource names a trained model: a run folder (its checkpoint and the config it was
// trained with), or a weights file (model.pt) with its architecture and dataset.
type ExportSource struct {
	Run     string // run folder; or
	Weights string // weights file, with
	Arch    string // its architecture (a models registry name) and
	Dataset string // its dataset (channels, classes, mean and std)
}

// ExportCheckpoint loads the model src names on the CPU and returns its ONNX serialisation with
// the config it was trained with (for a weights file: the defaults with Arch and Dataset).
func ExportCheckpoint(src ExportSource) ([]byte, Config, error) {
	cfg := DefaultConfig()
	weights := src.Weights
	switch {
	case src.Run != "" && src.Weights != "":
		return nil, cfg, errors.New("export: a run folder or a weights file, not both")
	case src.Run != "":
		ck, err := ReadCheckpoint(src.Run)
		if err != nil {
			return nil, cfg, err
		}
		if cfg, err = ConfigFromMap(ck.Config); err != nil {
			return nil, cfg, fmt.Errorf("checkpoint in %s: %w", src.Run, err)
		}
		weights = filepath.Join(src.Run, ck.Weights)
	case src.Weights != "":
		if src.Arch == "" {
			return nil, cfg, fmt.Errorf("export %s: the weights file's architecture is needed (one of %v)", src.Weights, models.Names())
		}
		cfg.Model.Name, cfg.Dataset.Name = src.Arch, src.Dataset
	default:
		return nil, cfg, errors.New("export: nothing to export (a run folder or a weights file)")
	}
	info, err := data.Lookup(cfg.Dataset.Name)
	if err != nil {
		return nil, cfg, err
	}
	if info.C == 0 || len(info.Classes) == 0 || len(info.Mean) == 0 {
		// image folders: shape, classes and statistics come from the training data
		if info, _, _, err = LoadData(cfg.Dataset); err != nil {
			return nil, cfg, err
		}
	}
	vs := nn.NewVarStore(gotch.CPU)
	defer vs.Destroy()
	m, err := NewModel(vs, cfg, info)
	if err != nil {
		return nil, cfg, err
	}
	if err := torchx.LoadWeights(vs, weights); err != nil {
		return nil, cfg, fmt.Errorf("export %s: %w", cfg.Model.Name, err)
	}
	b, err := ExportModel(m, vs, info, cfg)
	return b, cfg, err
}
