package cmd

import (
	"fmt"
	"path/filepath"

	"budgetrain/models"
	"budgetrain/pipeline"
	"budgetrain/pipeline/runfolder"

	"github.com/spf13/cobra"
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
			if err := noConfig(cmd, false, "it exports a trained checkpoint as it was trained (--run, or --weights with --model and --dataset)"); err != nil {
				return err
			}
			switch {
			case e.run != "" && e.weights != "":
				return fmt.Errorf("export: give either --run or --weights, not both")
			case e.run == "" && e.weights == "":
				return fmt.Errorf("export: give --run DIR or --weights FILE --model NAME")
			case e.weights != "" && e.model == "":
				return fmt.Errorf("export: --weights needs --model (one of %v)", models.Names())
			}
			b, cfg, err := pipeline.ExportCheckpoint(pipeline.ExportSource{Run: e.run, Weights: e.weights, Arch: e.model, Dataset: e.dataset})
			if err != nil {
				return err
			}
			out := e.out
			if out == "" {
				if e.run == "" {
					return fmt.Errorf("export: --onnx is required with --weights")
				}
				out = filepath.Join(e.run, runfolder.ONNXFile)
			}
			if err := runfolder.WriteFileAtomic(out, b); err != nil {
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
