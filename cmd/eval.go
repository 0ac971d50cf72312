package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"budgetrain/models"
	"budgetrain/onnx/ort"
	"budgetrain/pipeline"

	"github.com/spf13/cobra"
)

type evalOptions struct {
	model, run, weights, arch, dataset, dir string
	asJSON                                  bool
	batch, threads, imageSize               int
}

func newEvalCommand(o *options) *cobra.Command {
	e := &evalOptions{}
	c := &cobra.Command{
		Use:   "eval",
		Short: "Evaluate an ONNX model (or a checkpoint, exported first) on a test set with onnxruntime alone",
		Long: `Evaluate top-1 and per-class accuracy with onnxruntime, without libtorch.

  budgetrain eval --onnx runs/demo/model.onnx --dataset fashion-mnist [--json]
  budgetrain eval --run runs/demo             # exports the checkpoint, then evaluates it
  budgetrain eval --weights model.pt --arch resnet8 --dataset fashion-mnist`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := noConfig(cmd, false, "it evaluates a finished model; choose the test set with --dataset, --data-dir and --image-size"); err != nil {
				return err
			}
			var model []byte
			var err error
			dataset, imageSize := e.dataset, e.imageSize
			source := fmt.Sprintf("model %q", e.model) // names the model in errors
			switch {
			case e.model != "":
				if e.run != "" || e.weights != "" {
					return fmt.Errorf("eval: give one of --onnx, --run or --weights")
				}
				if model, err = os.ReadFile(e.model); err != nil {
					return fmt.Errorf("eval: %w", err)
				}
			default:
				var cfg pipeline.Config
				switch {
				case e.run != "" && e.weights != "":
					return fmt.Errorf("eval: give one of --onnx, --run or --weights")
				case e.run == "" && e.weights == "":
					return fmt.Errorf("eval: give --onnx FILE, --run DIR or --weights FILE --arch NAME")
				case e.weights != "" && e.arch == "":
					return fmt.Errorf("eval: --weights needs --arch (one of %v)", models.Names())
				}
				src := pipeline.ExportSource{Run: e.run, Weights: e.weights, Arch: e.arch, Dataset: e.dataset}
				if model, cfg, err = pipeline.ExportCheckpoint(src); err != nil {
					return fmt.Errorf("eval: %w", err)
				}
				if e.run != "" && !cmd.Flags().Changed("dataset") {
					dataset = cfg.Dataset.Name
				}
				if e.run != "" && !cmd.Flags().Changed("image-size") {
					imageSize = cfg.Dataset.ImageSize
				}
				source = fmt.Sprintf("ONNX export of %q", e.weights)
				if e.run != "" {
					source = fmt.Sprintf("ONNX export of run %q", e.run)
				}
			}
			if e.threads < 0 {
				return fmt.Errorf("eval: --threads (%d) must be >= 0 (0 = one per CPU)", e.threads)
			}
			threads, note := pipeline.Threads(e.threads)
			if note != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "eval: "+note)
			}
			// The model is opened before the test set is read, so that a bad file fails at once.
			s, err := ort.OpenBytes(model, threads)
			if err != nil {
				return fmt.Errorf("eval: %s: %w", source, err)
			}
			defer s.Close()
			if trained := s.Metadata()["dataset"]; trained != "" && trained != dataset {
				fmt.Fprintf(cmd.ErrOrStderr(), "eval: warning: the model was trained on %s (its metadata), evaluating it on %s\n", trained, dataset)
			}
			progress, endBar := loadBars(cmd.ErrOrStderr())
			_, _, test, err := pipeline.LoadDataWith(pipeline.DatasetConfig{Name: dataset, Dir: e.dir, ImageSize: imageSize}, progress)
			endBar()
			if err != nil {
				return err
			}
			res, err := ort.Evaluate(s, test.Pix, test.Labels, test.H, test.W, test.C, e.batch)
			if err != nil {
				return err
			}
			return printEval(cmd, e.asJSON, dataset, test.Classes, res)
		},
	}
	f := c.Flags()
	f.StringVar(&e.model, "onnx", "", "ONNX model file")
	// --model named the ONNX file before; in train and export it names an architecture.
	f.StringVar(&e.model, "model", "", "ONNX model file (deprecated: use --onnx)")
	f.MarkDeprecated("model", "use --onnx (--model names an architecture in train and export)")
	f.StringVar(&e.run, "run", "", "run folder: export its checkpoint and evaluate it")
	f.StringVar(&e.weights, "weights", "", "weights file (model.pt): export and evaluate it")
	f.StringVar(&e.arch, "arch", "", "architecture of --weights")
	f.StringVar(&e.dataset, "dataset", "fashion-mnist", "test set to evaluate on")
	f.StringVar(&e.dir, "data-dir", "", "folder of the dataset files (default: the dataset's default location)")
	f.BoolVar(&e.asJSON, "json", false, "print the result as JSON")
	f.IntVar(&e.batch, "batch", 500, "evaluation batch size")
	f.IntVar(&e.threads, "threads", 0, "onnxruntime intra-op threads (0 = one per CPU; more than the CPUs is capped there)")
	f.IntVar(&e.imageSize, "image-size", 0, "image folders: resize and centre-crop every image to this size, as dataset.image_size (default: the run's with --run, else 0 = as they are)")
	return c
}

func printEval(cmd *cobra.Command, asJSON bool, dataset string, classes []string, r ort.Result) error {
	w := cmd.OutOrStdout()
	if asJSON {
		per := map[string]float64{}
		for i, a := range r.PerClass {
			per[className(classes, i)] = a
		}
		b, _ := json.MarshalIndent(map[string]any{
			"dataset": dataset, "accuracy": r.Accuracy, "correct": r.Correct, "total": r.Total,
			"per_class": per, "onnxruntime": ort.Version(),
		}, "", "  ")
		fmt.Fprintln(w, string(b))
		return nil
	}
	fmt.Fprintf(w, "%s: accuracy %.4f (%d/%d) with onnxruntime %s\n", dataset, r.Accuracy, r.Correct, r.Total, ort.Version())
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "class\taccuracy\timages")
	for i, a := range r.PerClass {
		fmt.Fprintf(tw, "%s\t%.4f\t%d\n", className(classes, i), a, r.ClassTotal[i])
	}
	return tw.Flush()
}

func className(classes []string, i int) string {
	if i < len(classes) {
		return classes[i]
	}
	return fmt.Sprint(i)
}
