// Sweep planning: the grid from --grid, --preset or DIR/sweep.yaml, the base overrides, each
// cell's resolved config and planned steps, and the shard this process runs.

package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"budgetrain/pipeline"
	"budgetrain/pipeline/sweep"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"budgetrain/pipeline/runfolder"
)

// configKeys are the flat config keys with their defaults ([]any marks a list-valued key).
func configKeys() map[string]any { return pipeline.FlatConfig(pipeline.Default()) }

// readRecord reads DIR/sweep.yaml with viper; nil when there is none.
func readRecord(dir string) (*sweep.Record, error) {
	path := filepath.Join(dir, runfolder.RecordFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	raw, err := readYAML(path, nil)
	if err != nil {
		return nil, err
	}
	rec, err := sweep.ParseRecord(raw, configKeys())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return &rec, nil
}

// readYAML reads a YAML file (or content, when path is "") with a fresh viper.
func readYAML(path string, content []byte) (map[string]any, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	var err error
	if path != "" {
		v.SetConfigFile(path)
		err = v.ReadInConfig()
	} else {
		err = v.ReadConfig(bytes.NewReader(content))
	}
	if err != nil {
		return nil, fmt.Errorf("read grid %s: %w", path, err)
	}
	return v.AllSettings(), nil
}

// loadSpec reads the grid from --grid, --preset or the folder's sweep.yaml.
func loadSpec(so *sweepOptions, recorded *sweep.Record, keys map[string]any) (sweep.Spec, error) {
	var raw map[string]any
	var err error
	switch {
	case so.grid != "" && so.preset != "":
		return sweep.Spec{}, errors.New("sweep: give --grid or --preset, not both")
	case so.grid != "":
		raw, err = readYAML(so.grid, nil)
	case so.preset != "":
		var b []byte
		if b, err = sweep.Preset(so.preset); err == nil {
			raw, err = readYAML("", b)
		}
	case recorded != nil:
		return recorded.Spec, nil
	default:
		return sweep.Spec{}, errors.New("sweep: give --grid GRID.yaml or --preset NAME (or --out a folder with a sweep.yaml)")
	}
	if err != nil {
		return sweep.Spec{}, err
	}
	return sweep.ParseSpec(raw, keys)
}

// overrideBase applies --set, and --seed and --device when given, to the grid's base.
func overrideBase(cmd *cobra.Command, o *options, spec *sweep.Spec, keys map[string]any) error {
	set := map[string]any{}
	if cmd.Flags().Changed("seed") {
		set["seed"] = o.seed
	}
	if cmd.Flags().Changed("device") {
		set["device"] = o.device
	}
	var bad []string
	for _, s := range o.sets {
		k, v, ok := strings.Cut(s, "=")
		if _, known := keys[k]; !ok || !known {
			bad = append(bad, fmt.Sprintf("--set %q: want key=value with a known key", s))
			continue
		}
		set[k] = v
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		varied := spec.Grid[k] != nil
		for _, inc := range spec.Include {
			varied = varied || inc[k] != nil
		}
		switch {
		case varied:
			bad = append(bad, fmt.Sprintf("%s is varied by the grid; it cannot be overridden for all cells", k))
		case slices.Contains(sweep.Reserved, k):
			bad = append(bad, fmt.Sprintf("%s is set by the sweep for every cell", k))
		default:
			spec.Base[k] = set[k]
		}
	}
	if len(bad) > 0 {
		return errors.New("sweep: " + strings.Join(bad, "\n  "))
	}
	return nil
}

// resolveCell resolves a cell's settings over the defaults as `train --config` resolves a
// file (same decoding, same validation), without environment or flags.
func resolveCell(settings map[string]any) (sweep.Resolved, error) {
	s := maps.Clone(settings)
	if _, ok := s["out"]; !ok {
		s["out"] = "cell" // each cell's folder is set when it runs
	}
	cfg, err := pipeline.Resolve(s, func(string) string { return "the grid" })
	if err != nil {
		return sweep.Resolved{}, err
	}
	cfg.Out = ""
	steps := 0
	if plan, known := cfg.PlannedBudget(); known {
		// What the trainer would refuse after loading the data, refused before any cell starts.
		if err := plan.Check(); err != nil {
			return sweep.Resolved{}, err
		}
		steps = plan.Steps()
	}
	return sweep.Resolved{Config: pipeline.FlatConfig(cfg), Steps: steps, Data: cfg}, nil
}

func pickShard(so *sweepOptions) (sweep.Shard, error) {
	if so.shard != "" {
		return sweep.ParseShard(so.shard)
	}
	if so.backend == "slurm" {
		return sweep.All, nil
	}
	s, _, err := sweep.SlurmShard()
	return s, err
}
