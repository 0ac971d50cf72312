package pipeline_test

import (
	"context"
	"fmt"
	"runtime"

	"budgetrain/pipeline"
)

// Example trains a tiny run from Go: the defaults (Fashion-MNIST, unif-sgd at budget 0.3,
// standard augmentation) with the test model, p-sgd and two epochs on 2,000 images. It is the
// library example of README.md; it has no Output line, so go test compiles it but does not run
// it (it needs libtorch, onnxruntime and the dataset).
func Example() {
	runtime.LockOSThread() // libtorch state is per OS thread: build and run on one
	cfg := pipeline.DefaultConfig()
	cfg.Name, cfg.Out, cfg.Model.Name = "tiny", "runs/tiny", "test-tiny"
	cfg.Sampler.Method, cfg.Train.Epochs, cfg.Dataset.TrainLimit = "p-sgd", 2, 2000
	t, err := pipeline.NewTrainer(cfg, nil) // nil: no log; pass os.Stdout to see one
	if err != nil {
		fmt.Println(err)
		return
	}
	defer t.Close()
	sum, err := t.Run(context.Background())
	fmt.Println(sum.Iterations, sum.FinalTestAcc, err)
}
