// Package sweep runs a grid of training runs: it expands a grid file into cells (one resolved
// configuration each), names them, records the grid in the sweep folder, tells which cells are
// done, running, failed, interrupted or pending, runs the missing ones as child processes, and
// submits them to Slurm as one job array.
//
// The package is pure orchestration: it imports neither gotch nor viper nor the pipeline. The
// caller (cmd/sweep.go) reads grid files with viper, resolves a cell's settings into a
// pipeline.Config through a Resolver, and builds the child command of a cell.
//
// # Grid file
//
//	base:            # config keys shared by every cell, nested or dotted
//	  model.name: resnet18
//	  train: {epochs: 200}
//	grid:            # key → list of values: the cartesian product of all lists
//	  sampler.method: [unif-sgd, p-sgd]
//	  train.budget: [0.2, 0.3]
//	exclude:         # drop product cells matching every key of an entry (a list = any of)
//	  - {sampler.method: p-sgd, train.budget: 0.2}
//	include:         # add cells: each entry is a small grid of its own (a list = an axis)
//	  - {sampler.method: sgd, train.budget: 1.0}
//
// A cell's settings are base < its grid or include values. Exclude applies to the grid's
// product only (as in CI matrices). An empty grid with include entries has only the included
// cells; an empty grid without any has one cell, the base. A key whose value is itself a list
// (train.milestones, augment.ops) takes a list of lists in grid, include and exclude.
// Cells with the same resolved configuration are kept once.
//
// # Cells
//
// A cell's folder is named by the values of the keys that vary across the sweep, in a fixed
// order, plus the first 8 hex digits of the SHA-256 of its resolved configuration (HashIgnore
// keys left out, and HashOmitDefault keys while they hold their earlier value), e.g.
// method=p-sgd_budget=0.2_seed=1_3f9a2c1e. The folder is a normal run folder (config.yaml,
// metrics.jsonl, model.pt, checkpoint.json, summary.json) plus the sweep's own files:
// sweep-cell.yaml (the configuration the cell was started with), train.log, failed.json and
// running.json. Package runfolder owns all of these names and records, and the one
// classification of a cell's state (runfolder.ReadState) that the runner and `sweep status` use.
package sweep
