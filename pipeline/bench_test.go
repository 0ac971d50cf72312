package pipeline

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"budgetrain/onnx/ort"
)

// benchTrainer builds a trainer on real Fashion-MNIST (or the fixture when absent) with the
// given model and batch size; the input pipeline runs as in training.
func benchTrainer(b testing.TB, model string, batch int) *Trainer {
	return newBenchTrainer(b, benchConfig(b, model, batch))
}

// benchConfig is benchTrainer's configuration.
func benchConfig(b testing.TB, model string, batch int) Config {
	c := tinyConfig(b)
	c.Threads = 0
	if _, err := os.Stat("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"); err == nil {
		c.Dataset.Dir = ""
		c.Dataset.TrainLimit, c.Dataset.TestLimit = 8192, 2000
	}
	c.Model.Name = model
	c.Train.BatchSize = batch
	c.Train.Budget = 1
	c.Train.Epochs = 1000
	return c
}

// newBenchTrainer builds a trainer for c on the benchmark's locked OS thread.
func newBenchTrainer(b testing.TB, c Config) *Trainer {
	runtime.LockOSThread()
	tr, err := NewTrainer(c, nil)
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

// benchmarkTrainStep measures optimizer steps (forward, per-example loss, backward, SGD step,
// with batches prepared by the loader) in images per second.
func benchmarkTrainStep(b *testing.B, model string, batch int) {
	benchmarkSteps(b, benchConfig(b, model, batch))
}

// benchmarkSteps is benchmarkTrainStep for any configuration.
func benchmarkSteps(b *testing.B, c Config) {
	batch := c.Train.BatchSize
	tr := newBenchTrainer(b, c)
	defer tr.Close()
	idx := tr.Sampler.Epoch(0, tr.EpochSamples)
	stop := make(chan struct{})
	defer close(stop)
	epoch := 0
	ch := tr.Loader.Epoch(epoch, idx, stop)
	next := func() *Batch {
		for {
			if bt, ok := tr.Loader.Next(ch); ok {
				return bt
			}
			epoch++
			ch = tr.Loader.Epoch(epoch, idx, stop)
		}
	}
	bt := next() // warm-up step
	if err := tr.trainStep(bt, nil, true); err != nil {
		b.Fatal(err)
	}
	tr.Loader.Release(bt)
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		bt := next()
		if err := tr.trainStep(bt, nil, true); err != nil {
			b.Fatal(err)
		}
		tr.Loader.Release(bt)
	}
	b.ReportMetric(float64(b.N*batch)/time.Since(t0).Seconds(), "img/s")
}

func BenchmarkTrainStep(b *testing.B) {
	for _, m := range []string{"resnet8", "resnet20", "resnet18"} {
		b.Run(fmt.Sprintf("%s/batch=128", m), func(b *testing.B) { benchmarkTrainStep(b, m, 128) })
	}
}

// BenchmarkEval compares evaluation throughput of libtorch (eval mode, no grad) and
// onnxruntime (exported model) on the same test images, batch 500.
func BenchmarkEval(b *testing.B) {
	for _, m := range []string{"resnet8", "resnet18"} {
		b.Run(m+"/backend=torch", func(b *testing.B) {
			tr := benchTrainer(b, m, 128)
			defer tr.Close()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tr.EvalTorch(tr.Test)
			}
			b.ReportMetric(float64(b.N*tr.Test.N)/b.Elapsed().Seconds(), "img/s")
		})
		b.Run(m+"/backend=onnx", func(b *testing.B) {
			requireNative(b, "onnxruntime", ort.Init(0))
			tr := benchTrainer(b, m, 128)
			defer tr.Close()
			model, err := tr.ExportBytes()
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := EvalONNXBytes(model, tr.Test, tr.Cfg.Train.EvalBatchSize, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*tr.Test.N)/b.Elapsed().Seconds(), "img/s")
		})
	}
}
