package pipeline

import (
	"strings"
	"testing"
)

func TestDefaultConfigIsValid(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Out != "runs/demo" || c.Model.Name != "resnet8" || c.Sampler.Method != "unif-sgd" || c.Train.Budget != 0.3 {
		t.Errorf("unexpected defaults: %+v", c)
	}
}

// TestValidateListsEveryProblem: one error naming every bad key and its value.
func TestValidateListsEveryProblem(t *testing.T) {
	c := DefaultConfig()
	c.Train.Budget = 1.5
	c.Train.BatchSize = -1
	c.Train.LR = -0.1
	c.Model.Name = "resnet1000"
	c.Dataset.Name = "imagenet21k"
	c.Sampler.Method = "magic"
	c.Augment.Policy = "standard+bogus"
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, frag := range []string{
		"train.budget (1.5) must be in (0,1]", "train.batch_size (-1) must be > 0", "train.lr (-0.1) must be > 0",
		`model.name ("resnet1000") is unknown`, `dataset.name ("imagenet21k") is unknown`,
		`sampler.method ("magic")`, `augment.policy ("standard+bogus")`,
	} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("error does not mention %q:\n%v", frag, err)
		}
	}
}

func TestConfigMapRoundTrip(t *testing.T) {
	c := DefaultConfig()
	c.Train.Milestones = []float64{5, 10}
	c.Sampler.Method = "p-sgd"
	got, err := ConfigFromMap(ConfigMap(c))
	if err != nil {
		t.Fatal(err)
	}
	if got.Sampler.Method != "p-sgd" || len(got.Train.Milestones) != 2 || got.Train.Milestones[1] != 10 {
		t.Errorf("round trip lost values: %+v", got)
	}
	m := ConfigMap(c)
	if _, ok := m["sampler"].(map[string]any)["n"]; ok {
		t.Errorf("internal key sampler.n must not appear in the config map")
	}
}

func TestValidationSplitReplacesTestSet(t *testing.T) {
	c := tinyConfig(t)
	c.Dataset.Validation, c.Dataset.ValSamples = true, 20
	_, train, val, err := LoadData(c.Dataset)
	if err != nil {
		t.Fatal(err)
	}
	if val.N != 20 || train.N != 44 {
		t.Errorf("split %d train / %d validation, want 44 / 20", train.N, val.N)
	}
	for i, n := range val.ClassCounts() {
		if n != 2 {
			t.Errorf("class %d has %d validation images, want 2", i, n)
		}
	}
	c.Dataset.ValSamples = 70
	if _, _, _, err := LoadData(c.Dataset); err == nil || !strings.Contains(err.Error(), "dataset.val_samples (70)") {
		t.Errorf("oversized split: %v", err)
	}
}

// TestValidateSchedule: every schedule name is accepted; an unknown one is rejected with the
// list of choices; a negative warm-up and a warm-up added to onecycle are rejected naming
// train.warmup_steps and its value.
func TestValidateSchedule(t *testing.T) {
	for _, name := range ScheduleNames() {
		c := DefaultConfig()
		c.Train.Schedule = name
		if err := c.Validate(); err != nil {
			t.Errorf("schedule %s: %v", name, err)
		}
	}
	for _, tc := range []struct {
		schedule string
		warmup   int
		frags    []string
	}{
		{"exp", 0, []string{`train.schedule ("exp") must be one of cosine, linear, onecycle, rex, step`}},
		{"exp", -2, []string{`train.schedule ("exp")`, "train.warmup_steps (-2) must be >= 0"}},
		{"onecycle", 5, []string{"train.warmup_steps (5) must be 0 with train.schedule onecycle"}},
	} {
		c := DefaultConfig()
		c.Train.Schedule, c.Train.WarmupSteps = tc.schedule, tc.warmup
		err := c.Validate()
		if err == nil {
			t.Errorf("%s with warm-up %d: no error", tc.schedule, tc.warmup)
			continue
		}
		for _, f := range tc.frags {
			if !strings.Contains(err.Error(), f) {
				t.Errorf("error does not mention %q:\n%v", f, err)
			}
		}
	}
	c := DefaultConfig()
	c.Train.Schedule, c.Train.FinalLR = "onecycle", 1
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "onecycle ignores it") {
		t.Errorf("onecycle with final_lr > lr: %v, want an error saying onecycle ignores it", err)
	}
	c = DefaultConfig()
	c.Train.Schedule, c.Train.WarmupSteps = "cosine", 1_000_000 // T is checked by NewTrainer
	if err := c.Validate(); err != nil {
		t.Errorf("a long warm-up fails before T is known: %v", err)
	}
}
