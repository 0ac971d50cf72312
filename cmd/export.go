package cmd

import (
	"fmt"
	"path/filepath"

	"budgetrain/internal/torchx"
	"budgetrain/models"
	"budgetrain/onnx"
	"budgetrain/pipeline"
	"budgetrain/pipeline/data"

	"github.com/spf13/cobra"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
)

type exportOptions struct {
	run, weights, model, dataset, out string
}

func newExportCommand(o *options) *cobra.Command {
	e := &exportOptions{}
	c := &cobra.Command{
		Use:   "export",
		Short: "Write a trained checkpoint as a self-contained ONNX model (opset 17, dynamic batch, pixels in [0,1])",
		Long: `Export a checkpoint to ONNX. The graph takes one float32 NCHW input "input" with pixels in
[0,1] and any batch size, normalises it inside the graph and returns "logits". metadata_props
hold mean, std and classes (JSON arrays), dataset, model, method, budget and augmentation.

  budgetrain export --run runs/demo                       # writes runs/demo/model.onnx
  budgetrain export --weights model.pt --model resnet8 --dataset fashion-mnist --onnx out.onnx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, cfg, err := exportCheckpoint(e.run, e.weights, e.model, e.dataset)
			if err != nil {
				return err
			}
			out := e.out
			if out == "" {
				if e.run == "" {
					return fmt.Errorf("export: --onnx is required with --weights")
				}
				out = filepath.Join(e.run, pipeline.ONNXFile)
			}
			if err := onnx.WriteFileAtomic(out, b); err != nil {
				return fmt.Errorf("export: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d bytes; %s %s on %s)\n", out, len(b), cfg.Model.Name, cfg.Sampler.Method, cfg.Dataset.Name)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&e.run, "run", "", "run folder holding model.pt and checkpoint.json")
	f.StringVar(&e.weights, "weights", "", "weights file saved by train (model.pt), instead of --run")
	f.StringVar(&e.model, "model", "", "architecture of --weights (a models registry name)")
	f.StringVar(&e.dataset, "dataset", "fashion-mnist", "dataset of --weights (sets channels, classes, mean and std)")
	f.StringVar(&e.out, "onnx", "", "output file (default <run>/model.onnx)")
	return c
}

// exportCheckpoint loads a checkpoint (from a run folder, or a weights file plus model and
// dataset names) and returns its ONNX serialisation with the config it was trained with.
func exportCheckpoint(run, weights, model, dataset string) ([]byte, pipeline.Config, error) {
	cfg := pipeline.DefaultConfig()
	switch {
	case run != "" && weights != "":
		return nil, cfg, fmt.Errorf("export: give either --run or --weights, not both")
	case run != "":
		ck, err := pipeline.ReadCheckpoint(run)
		if err != nil {
			return nil, cfg, err
		}
		if cfg, err = pipeline.ConfigFromMap(ck.Config); err != nil {
			return nil, cfg, fmt.Errorf("checkpoint in %s: %w", run, err)
		}
		weights = filepath.Join(run, ck.Weights)
	case weights != "":
		if model == "" {
			return nil, cfg, fmt.Errorf("export: --weights needs --model (one of %v)", models.Names())
		}
		cfg.Model.Name, cfg.Dataset.Name = model, dataset
	default:
		return nil, cfg, fmt.Errorf("export: give --run DIR or --weights FILE --model NAME")
	}
	info, err := data.Lookup(cfg.Dataset.Name)
	if err != nil {
		return nil, cfg, err
	}
	if info.C == 0 || len(info.Classes) == 0 || len(info.Mean) == 0 {
		// image folders: shape, classes and statistics come from the training data
		if info, _, _, err = pipeline.LoadData(cfg.Dataset); err != nil {
			return nil, cfg, err
		}
	}
	vs := nn.NewVarStore(gotch.CPU)
	defer vs.Destroy()
	m, err := pipeline.NewModel(vs, cfg, info)
	if err != nil {
		return nil, cfg, err
	}
	if err := torchx.LoadWeights(vs, weights); err != nil {
		return nil, cfg, fmt.Errorf("export %s: %w", cfg.Model.Name, err)
	}
	b, err := pipeline.ExportModel(m, vs, info, cfg)
	return b, cfg, err
}
