// Package report summarises finished training runs: it finds run folders (config.yaml plus
// summary.json and/or metrics.jsonl, as pipeline writes them), and writes results.csv (one row
// per run), report.md (mean ± std and a t-interval over seeds per cell, the difference to
// unif-sgd paired by seed, the full-budget reference, the paper's published numbers where a
// run follows the paper's recipe, and the cells that are missing or failed) and PNG plots.
//
// The package reads files only: it is pure Go and imports nothing of gotch or of the trainer,
// so that reports can be made on any machine; dataset titles and the paper's datasets come from
// the dataset records of pipeline/data (pure Go too). The files' names, records and the state of
// a run folder come from package runfolder, which the pipeline writes through.
//
// A cell is a set of runs that differ only in their seed. Its key is every configuration key
// whose value differs among the runs reported, so runs that differ in anything else (a
// learning rate, a model) are never averaged together. Not counted: the seed, the run's name
// and folders, augment.ops (augment.policy is its rendered form) and the keys that change
// only the speed (device, threads, loader workers, evaluation batch); results.csv still shows
// the last ones when they vary. Cells that share the dataset, augmentation, model and every
// other key but the budget and the sampler's make a group: one table and one set of plots.
// A varying sampler option (sampler.sb_beta) makes a variant of its method in the same group.
package report
