package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"budgetrain/sampler"
)

// TestEveryMethodSameStepBudget trains every sampler on the fixture at budgets 0.2, 0.3 and
// 0.5: each run ends, and every method's optimizer-step count is T = E·⌊⌊N·b⌋/B⌋.
func TestEveryMethodSameStepBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped under -short")
	}
	for _, b := range []float64{0.2, 0.3, 0.5} {
		for _, m := range sampler.Methods() {
			t.Run(fmt.Sprintf("b=%g/%s", b, m), func(t *testing.T) {
				c := tinyConfig(t)
				c.Sampler.Method = m
				c.Train.Budget, c.Train.BatchSize, c.Train.Epochs = b, 4, 2
				c.Train.EvalBackend, c.Train.EvalEvery = "torch", 100
				s := train(t, c)
				want := sampler.Budget{N: 64, Fraction: b, BatchSize: 4, Epochs: 2}.Steps()
				if s.Iterations != want || s.PlannedSteps != want {
					t.Errorf("%d steps (planned %d), want %d", s.Iterations, s.PlannedSteps, want)
				}
				if s.SamplesBackward != int64(want*4) {
					t.Errorf("%d samples backpropagated, want %d", s.SamplesBackward, want*4)
				}
				if m == "selective-backprop" && s.SamplesForward <= s.SamplesBackward {
					t.Errorf("selective backprop: %d forward vs %d backward; its selection passes must be counted", s.SamplesForward, s.SamplesBackward)
				}
			})
		}
	}
}

// TestMixingCreditsEverySource: with RICAP each source image is credited its patch area, so
// the sampler sees several (index, share) pairs per mixed image.
func TestMixingCreditsEverySource(t *testing.T) {
	for _, credit := range []string{"share", "released"} {
		t.Run(credit, func(t *testing.T) {
			c := tinyConfig(t)
			c.Sampler.Method = "p-sgd"
			c.Augment.Policy = "standard+ricap-a0.3"
			c.Train.Credit = credit
			c.Train.EvalBackend = "torch"
			s := train(t, c)
			if s.Iterations != 6 {
				t.Errorf("%d steps, want 6", s.Iterations)
			}
		})
	}
}

// TestObsCreditRules checks the credit of a mixed batch: "share" gives each source its own
// label's loss and its weight, skipping empty parts; "released" scores image j against the label
// loaded at j with weight 1.
func TestObsCreditRules(t *testing.T) {
	b := &Batch{Index: []int{10, 11}}
	b.N, b.Parts = 2, 2
	b.Label = []int{0, 1}
	b.Src = []int{0, 1, 1, 0} // image 0 = parts of images 0 and 1; image 1 = all of image 1
	b.Weight = []float32{0.75, 0.25, 1, 0}
	logits := []float32{2, 0, 0, 3} // 2 classes
	s := perExample(logits, 2, b)
	share := s.obs(b, "share", true)
	wantIdx := []int{10, 11, 11}
	wantW := []float32{0.75, 0.25, 1}
	if len(share.Idx) != 3 {
		t.Fatalf("share credits %v, want 3 entries", share.Idx)
	}
	for i := range wantIdx {
		if share.Idx[i] != wantIdx[i] || share.Weight[i] != wantW[i] {
			t.Errorf("entry %d: index %d weight %v, want %d and %v", i, share.Idx[i], share.Weight[i], wantIdx[i], wantW[i])
		}
	}
	// image 0 against label 1: CE = log(1+e^2) - 0
	if got, want := share.Loss[1], float32(2.126928); got < want-1e-4 || got > want+1e-4 {
		t.Errorf("credited loss %v, want %v", got, want)
	}
	rel := s.obs(b, "released", false)
	if len(rel.Idx) != 2 || rel.Weight != nil || rel.Idx[1] != 11 {
		t.Errorf("released credits %+v", rel)
	}
	// image 1 against its loaded label 1: CE = log(1+e^-3)
	if got, want := rel.Loss[1], float32(0.048587); got < want-1e-4 || got > want+1e-4 {
		t.Errorf("released loss %v, want %v", got, want)
	}
}

// TestEveryDatasetFormatTrains: CIFAR-10/100 binary, SVHN .mat and image-folder fixtures train
// end to end through export and onnxruntime evaluation.
func TestEveryDatasetFormatTrains(t *testing.T) {
	for _, name := range []string{"cifar10", "cifar100", "svhn", "imagefolder", "mnist"} {
		t.Run(name, func(t *testing.T) {
			c := tinyConfig(t)
			c.Dataset.Name = name
			dir := name
			if name == "mnist" {
				dir = "fashion-mnist" // same IDX format
			}
			c.Dataset.Dir = filepath.Join("..", "testdata", dir)
			c.Train.BatchSize, c.Train.Budget, c.Train.Epochs = 2, 1, 2
			s := train(t, c)
			if s.Iterations == 0 || s.ONNXTestAcc < 0 || s.ONNXTestAcc > 1 {
				t.Errorf("summary %+v", s)
			}
		})
	}
}

// TestEveryPolicyTrains: each augmentation policy trains end to end on Fashion-MNIST-format data.
func TestEveryPolicyTrains(t *testing.T) {
	for _, p := range []string{"none", "standard", "rand-n2-m4+standard", "trivial+standard", "autoaug-cifar10+standard",
		"standard+cutout-8", "standard+erase-p0.5", "standard+mixup-a0.3", "standard+ricap-a0.3", "standard+cutmix-a1"} {
		t.Run(p, func(t *testing.T) {
			c := tinyConfig(t)
			c.Augment.Policy = p
			c.Train.EvalBackend = "onnx"
			if s := train(t, c); s.Iterations != 6 {
				t.Errorf("%d steps, want 6", s.Iterations)
			}
		})
	}
}

func TestSelectionLogHasIndicesAndImportance(t *testing.T) {
	c := tinyConfig(t)
	c.Sampler.Method = "p-sgd"
	c.Train.EvalBackend = "torch"
	c.Train.LogSelection = filepath.Join(c.Out, "sel.jsonl")
	train(t, c)
	b, err := os.ReadFile(c.Train.LogSelection)
	if err != nil {
		t.Fatal(err)
	}
	lines := splitLines(b)
	if len(lines) != 3 {
		t.Fatalf("%d selection lines, want 3", len(lines))
	}
	var rec struct {
		Epoch      int       `json:"epoch"`
		Indices    []int     `json:"indices"`
		Importance []float64 `json:"importance"`
	}
	if err := json.Unmarshal(lines[2], &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Epoch != 3 || len(rec.Indices) != 32 || len(rec.Importance) != 32 {
		t.Errorf("epoch %d: %d indices, %d importances; want 3, 32, 32", rec.Epoch, len(rec.Indices), len(rec.Importance))
	}
	for _, v := range rec.Importance {
		if v < 0 || v > 1 {
			t.Errorf("p-sgd importance %v outside [0,1] after two epochs", v)
		}
	}
}

// TestInfoBatchRunAnnealsAndReportsPruning: the trainer gives infobatch its step budget T, so
// at b = 0.3 the run's last epoch uses full data (counting epochs against δ·E would not: the
// 64 steps end in the 6th of 16 planned epochs), and the pruned count reaches metrics.jsonl and
// summary.json.
func TestInfoBatchRunAnnealsAndReportsPruning(t *testing.T) {
	c := tinyConfig(t)
	c.Sampler.Method = "infobatch"
	c.Train.Budget, c.Train.BatchSize, c.Train.Epochs = 0.3, 4, 16
	c.Train.EvalBackend, c.Train.EvalEvery = "torch", 100
	c.Train.LogSelection = filepath.Join(c.Out, "sel.jsonl")
	tr := newTestTrainer(t, c)
	if got := tr.Cfg.Sampler.TotalSteps(); got != tr.TotalSteps || got != 64 {
		t.Fatalf("sampler step budget %d, trainer %d, want 64", got, tr.TotalSteps)
	}
	s, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sel := selections(t, c.Train.LogSelection)
	pruned := 0
	for e := 2; e < len(sel); e++ {
		if len(sel[e]) < 64 {
			pruned++
		}
	}
	if pruned == 0 || len(sel[len(sel)]) != 64 {
		t.Errorf("%d epochs: %d pruned after the first, last has %d indices; want pruned epochs, then full data (64)", len(sel), pruned, len(sel[len(sel)]))
	}
	m := readMetrics(t, c.Out)
	if s.Pruned == 0 || m[len(m)-1].Pruned != s.Pruned {
		t.Errorf("summary pruned %d, last metrics line %d; want the same positive count", s.Pruned, m[len(m)-1].Pruned)
	}
}
