package cmd

import (
	"encoding/json"
	"fmt"
	"strings"

	"budgetrain/pipeline"

	"github.com/spf13/cobra"
)

// benchOptions are bench's own flags; --device and --seed are the top-level ones.
type benchOptions struct {
	pipeline.BenchConfig
	asJSON bool
}

func newBenchCommand(o *options) *cobra.Command {
	b := &benchOptions{BenchConfig: pipeline.DefaultBenchConfig()}
	d := b.BenchConfig
	c := &cobra.Command{
		Use:   "bench",
		Short: "Time the training step, evaluation (libtorch and onnxruntime) and the input pipeline on synthetic data",
		Long: `Time one model on one device in images per second, on random images of a dataset's shape
(no files needed): the training step (loader, forward, per-example losses, backward, SGD step),
evaluation with libtorch on the device and with onnxruntime on the CPU, and the input pipeline
(loader and augmentation) alone. Each part runs --warmup untimed and --iters timed batches and
reports the median with the range. On a GPU it also forwards one batch on the GPU and on the CPU
from the same weights and prints how far their logits differ.

  budgetrain bench                                    # resnet18, CIFAR-10's shape, batch 128
  budgetrain bench --model resnet8 --device cuda --iters 50 --json

scripts/bench-reference.py times the same model with PyTorch (docs/gpu.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, f := range []string{"config", "set", "out"} {
				if cmd.Flags().Changed(f) {
					return fmt.Errorf("bench takes no run configuration (--%s given): choose what to time with its own flags (budgetrain bench --help)", f)
				}
			}
			b.Device, b.Seed = o.device, o.seed
			r, err := pipeline.Bench(b.BenchConfig)
			if err != nil {
				return err
			}
			return printBench(cmd, b.asJSON, r)
		},
	}
	f := c.Flags()
	f.StringVar(&b.Model, "model", d.Model, "architecture (a models registry name)")
	f.StringVar(&b.Precision, "precision", d.Precision, "precision of the training step: "+strings.Join(pipeline.Precisions, ", ")+" (train.precision; evaluation is fp32)")
	f.StringVar(&b.Dataset, "dataset", d.Dataset, "dataset whose image shape and classes the random data takes")
	f.IntVar(&b.Batch, "batch", d.Batch, "images per batch")
	f.IntVar(&b.Warmup, "warmup", d.Warmup, "untimed batches before each part's timed ones")
	f.IntVar(&b.Iters, "iters", d.Iters, "timed batches of each part")
	f.IntVar(&b.Threads, "threads", d.Threads, "libtorch and onnxruntime threads (0 = one per CPU)")
	f.BoolVar(&b.asJSON, "json", false, "print the result as JSON")
	return c
}

func printBench(cmd *cobra.Command, asJSON bool, r pipeline.BenchResult) error {
	w := cmd.OutOrStdout()
	if asJSON {
		js, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(w, string(js))
		return nil
	}
	fmt.Fprintf(w, "bench: %s (%d parameters), %s, batch %d, %s shape %dx%dx%d, %d classes, random data\n",
		r.Model, r.Parameters, r.Precision, r.Batch, r.Dataset, r.H, r.W, r.C, r.Classes)
	fmt.Fprintf(w, "device %s, %d threads, CPU %s\n", r.Device, r.Threads, r.CPU)
	fmt.Fprintf(w, "budgetrain %s, libtorch %s, onnxruntime %s\n", r.Budgetrain, r.Libtorch, r.Onnxruntime)
	fmt.Fprintf(w, "%d warm-up and %d timed batches per part; img/s as median (min-max):\n", r.Warmup, r.Iters)
	row := func(name string, t pipeline.Throughput) {
		fmt.Fprintf(w, "  %-28s %9.0f  (%.0f-%.0f)\n", name, t.Median, t.Min, t.Max)
	}
	row("train step", r.Train)
	row("eval libtorch", r.EvalTorch)
	row("eval onnxruntime (CPU)", r.EvalONNX)
	row(fmt.Sprintf("input pipeline (%d workers)", r.LoaderWorkers), r.Input)
	fmt.Fprintf(w, "agreement: %s\n", r.Agreement)
	return nil
}
