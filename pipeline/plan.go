package pipeline

import (
	"budgetrain/pipeline/data"
	"budgetrain/sampler"
)

// valPerClass is the number of training images of each class held out for validation when
// dataset.validation is on: dataset.val_samples (0 = the dataset record's) over the classes.
func valPerClass(c DatasetConfig, info data.Info, classes int) int {
	n := c.ValSamples
	if n == 0 {
		n = info.ValSamples
	}
	return n / max(classes, 1)
}

// PlannedBudget is the budget arithmetic of a run from its config alone, for planning without
// loading the data (a sweep's step counts): N is the dataset record's training-set size after
// dataset.train_limit and the validation split, as LoadData will give it. known is false when
// the record has no size (image folders: N is known once the folder is read).
func (c Config) PlannedBudget() (b sampler.Budget, known bool) {
	info, err := data.Lookup(c.Dataset.Name)
	n := info.TrainSize
	if err != nil || n == 0 {
		return sampler.Budget{}, false
	}
	if l := c.Dataset.TrainLimit; l > 0 && l < n {
		n = l
	}
	if c.Dataset.Validation {
		k := len(info.Classes)
		n -= valPerClass(c.Dataset, info, k) * k
	}
	return sampler.Budget{N: n, Fraction: c.Train.Budget, BatchSize: c.Train.BatchSize, Epochs: c.Train.Epochs}, true
}
