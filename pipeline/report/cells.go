package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"budgetrain/pipeline/data"
	"budgetrain/pipeline/runfolder"
)

// Config keys the report names.
const (
	KeyDataset = "dataset.name"
	KeyAugment = "augment.policy"
	KeyBudget  = "train.budget"
	KeyMethod  = "sampler.method"
	KeyModel   = "model.name"
	KeySeed    = "seed"

	// Reference is the method every other one is compared with, paired by seed.
	Reference = "unif-sgd"
	// FullData is the method of the full-budget reference (b = 1), with Reference at b = 1
	// standing in when it is missing.
	FullData = "sgd"
)

// identityKeys never make runs different cells: the run's name and folders
// (runfolder.IdentityKeys), the seed (its own column), the data folder, the selection log and
// augment.ops, whose rendered form is augment.policy.
var identityKeys = append(slices.Clone(runfolder.IdentityKeys), KeySeed, "dataset.dir", "train.log_selection", "augment.ops")

// environmentKeys change how fast a run goes, not what it trains (runfolder.EnvironmentKeys):
// results.csv shows them when they vary, but runs that differ only in them are the same cell.
var environmentKeys = runfolder.EnvironmentKeys

// methodOrder is the order of methods in tables and legends; others follow alphabetically.
var methodOrder = []string{"sgd", "unif-sgd", "p-sgd", "c-sgd", "selective-backprop", "fixed-random",
	"fixed-coreset", "infobatch", "loss-is", "upper-bound-is"}

// Metric selects the accuracy that cells are summarised by.
type Metric string

const (
	MetricFinal Metric = "final" // accuracy after the last epoch (summary.json final_test_acc)
	MetricBest  Metric = "best"  // best accuracy over the evaluated epochs (best_test_acc)
)

// KV is one config key and its value.
type KV struct{ Key, Value string }

func (kv KV) String() string { return kv.Key + "=" + kv.Value }

func joinKV(kvs []KV, sep string) string {
	s := make([]string, len(kvs))
	for i, kv := range kvs {
		s[i] = kv.String()
	}
	return strings.Join(s, sep)
}

// Cell is the runs of one configuration that differ only in their seed.
type Cell struct {
	Group   *Group
	Method  string
	Budget  float64
	Sampler []KV   // varying sampler.* keys other than the method
	Label   string // method, plus the sampler keys whose value is not the group's usual one
	Runs    []*Run // StatusOK runs, one per seed, by seed
	Acc     Stats  // the report's Metric, fractions
	Final   Stats
	Best    Stats
	Seconds Stats // training wall time (s)
	Train   Stats // last epoch's training accuracy (Values.TrainAcc), fractions
	Paper   float64
	// PaperNote says why Paper is NaN for a cell that follows the paper's recipe.
	PaperNote string
	key       string
}

// Group is the cells that share a dataset, an augmentation and every other varying key except
// the budget and the sampler's: one table block and one set of plots.
type Group struct {
	Dataset, Augment, Model string
	Other                   []KV // varying keys besides dataset, augmentation, budget and sampler.*
	Cells                   []*Cell
	FullBudget              *Cell // b = 1 with sgd (or unif-sgd); nil when there is none
	// StandardRef, for a group of another augmentation without a full-budget cell of its own, is
	// the full-budget cell of the group with standard augmentation and every other key the same:
	// the paper's comparison of a stronger augmentation under a budget against the 100% model
	// trained with standard augmentation.
	StandardRef *Cell
	// RefDiffs are the other cells minus the full-budget reference (FullBudget, else
	// StandardRef), paired by seed; only cells with a paired seed.
	RefDiffs []*Diff
	// AugDiffs, for a group of another augmentation, are its cells minus the cell of standard
	// augmentation with the same method, budget and other settings, paired by seed.
	AugDiffs []*Diff
	Slug     string
	// Recipe reports whether the group's runs follow the paper's recipe (PaperRecipe), and
	// RecipeDiff, when they do not, the first keys that differ.
	Recipe     bool
	RecipeDiff []string
	key        string
}

// Title names the group for plots and headings: dataset, model, augmentation and other keys.
func (g *Group) Title() string {
	s := DatasetTitle(g.Dataset) + " · " + g.Model + " · " + g.Augment
	if len(g.Other) > 0 {
		s += " · " + joinKV(g.Other, ", ")
	}
	return s
}

// Diff is a cell's accuracy minus a reference cell's (unif-sgd at its budget, the full-budget
// reference or standard augmentation), paired by seed.
type Diff struct {
	Cell, Ref *Cell
	Seeds     []uint64 // the paired seeds
	D         Stats    // per-seed differences (fractions)
	OnlyCell  []uint64 // seeds of the cell without a reference run: excluded
	OnlyRef   []uint64 // seeds of the reference without a run of the cell: excluded
	// CrossMachine counts the pairs whose two runs come from different machines (libtorch,
	// device, threads or CPU model; runfolder.Provenance.Machine), where results are not
	// bit-exact comparable.
	CrossMachine int
}

// MissingSeeds is a cell without a run folder for seeds that other cells of its group have.
type MissingSeeds struct {
	Group  *Group
	Label  string
	Budget float64
	Seeds  []uint64
}

// Report is everything report.md, results.csv and the plots show.
type Report struct {
	Dirs     []string
	Metric   Metric
	Runs     []*Run            // every run folder found
	Varying  []string          // config keys whose values differ among the runs (identity keys excepted)
	Constant map[string]string // the other keys, with their common value
	Groups   []*Group
	Diffs    []*Diff
	NoRef    []*Cell // cells that have no unif-sgd cell to pair with
	// Duplicates are StatusOK runs left out because another run of their cell has the same seed.
	Duplicates []*Run
	Missing    []MissingSeeds
	Styles     map[string]Style // plot style per cell label
	// Stale are the plots of an earlier report in the same folder that this one did not
	// write (a group or budget that is gone, or renamed), removed by Write.
	Stale []string
}

// Counts returns the number of runs by status.
func (r *Report) Counts() map[Status]int {
	m := map[Status]int{}
	for _, run := range r.Runs {
		m[run.Status]++
	}
	return m
}

// NotOK returns the runs that are not averaged: incomplete or failed, by folder.
func (r *Report) NotOK() []*Run {
	var out []*Run
	for _, run := range r.Runs {
		if run.Status != StatusOK {
			out = append(out, run)
		}
	}
	return out
}

// Build groups runs into cells and computes their statistics and paired differences. metric
// selects final or best accuracy; an unknown metric is an error.
func Build(dirs []string, runs []*Run, metric Metric) (*Report, error) {
	if metric != MetricFinal && metric != MetricBest {
		return nil, fmt.Errorf("report: metric must be %q or %q, got %q", MetricFinal, MetricBest, metric)
	}
	rep := &Report{Dirs: dirs, Metric: metric, Runs: runs}
	rep.Varying, rep.Constant = varyingKeys(runs)
	groups := map[string]*Group{}
	cells := map[string]*Cell{}
	seen := map[string]map[uint64]bool{}   // cell key → seeds of its ok runs
	listed := map[string]map[uint64]bool{} // cell key → seeds of its runs that are not ok
	groupSeeds := map[string]map[uint64]bool{}
	cellOf := func(r *Run) (*Group, *Cell) {
		gk, ck := rep.keys(r)
		g := groups[gk]
		if g == nil {
			g = &Group{Dataset: r.Get(KeyDataset), Augment: r.Get(KeyAugment), Model: r.Get(KeyModel), key: gk}
			for _, k := range rep.Varying {
				if splits(k) && !cellKey(k) && !samplerKey(k) {
					g.Other = append(g.Other, KV{k, r.Get(k)})
				}
			}
			g.Recipe, g.RecipeDiff = PaperRecipe(r.Config)
			groups[gk] = g
			groupSeeds[gk] = map[uint64]bool{}
		}
		c := cells[ck]
		if c == nil {
			c = &Cell{Group: g, Method: r.Get(KeyMethod), Budget: parseFloat(r.Get(KeyBudget)), key: ck}
			for _, k := range rep.Varying {
				if samplerKey(k) {
					c.Sampler = append(c.Sampler, KV{strings.TrimPrefix(k, "sampler."), r.Get(k)})
				}
			}
			cells[ck] = c
			seen[ck] = map[uint64]bool{}
			g.Cells = append(g.Cells, c)
		}
		return g, c
	}
	for _, r := range runs {
		if r.Config == nil {
			continue
		}
		g, c := cellOf(r)
		if r.Status != StatusOK {
			if listed[c.key] == nil {
				listed[c.key] = map[uint64]bool{}
			}
			listed[c.key][r.Seed()] = true
			continue
		}
		if seen[c.key][r.Seed()] {
			rep.Duplicates = append(rep.Duplicates, r)
			continue
		}
		seen[c.key][r.Seed()] = true
		groupSeeds[g.key][r.Seed()] = true
		c.Runs = append(c.Runs, r)
	}
	for _, g := range groups {
		rep.Groups = append(rep.Groups, g)
	}
	sort.Slice(rep.Groups, func(i, j int) bool { return rep.Groups[i].key < rep.Groups[j].key })
	slugs := map[string]int{}
	for _, g := range rep.Groups {
		g.Slug = uniqueSlug(slugs, slug(g.Dataset, g.Augment, joinKV(g.Other, "_")))
		labelCells(g)
		// Cells with only failed runs stay out of the statistics (they are in NotOK).
		g.Cells = slices.DeleteFunc(g.Cells, func(c *Cell) bool { return len(c.Runs) == 0 })
		sortCells(g.Cells)
		for _, c := range g.Cells {
			sort.Slice(c.Runs, func(i, j int) bool { return c.Runs[i].Seed() < c.Runs[j].Seed() })
			rep.describe(c)
		}
		g.FullBudget = fullBudget(g)
		rep.diffs(g)
		rep.missing(g, groupSeeds[g.key], seen, listed)
	}
	// A group whose runs all failed has no cell to show; its runs are in NotOK.
	rep.Groups = slices.DeleteFunc(rep.Groups, func(g *Group) bool { return len(g.Cells) == 0 })
	for _, g := range rep.Groups {
		if g.FullBudget != nil || g.Augment == "standard" {
			continue
		}
		for _, h := range rep.Groups {
			if h.Augment == "standard" && h.FullBudget != nil && h.Dataset == g.Dataset && h.Model == g.Model &&
				joinKV(h.Other, "_") == joinKV(g.Other, "_") {
				g.StandardRef = h.FullBudget
			}
		}
	}
	for _, g := range rep.Groups {
		ref := cmp.Or(g.FullBudget, g.StandardRef)
		if ref == nil {
			continue
		}
		for _, c := range g.Cells {
			if d := PairedDiff(c, ref, metric); c != ref && d.D.N > 0 {
				g.RefDiffs = append(g.RefDiffs, d)
			}
		}
	}
	for _, g := range rep.Groups {
		for _, c := range g.Cells {
			if std := standardCell(rep.Groups, c); std != nil {
				if d := PairedDiff(c, std, metric); d.D.N > 0 {
					g.AugDiffs = append(g.AugDiffs, d)
				}
			}
		}
	}
	rep.Styles = styles(rep.Groups)
	return rep, nil
}

// splits reports whether a varying key makes different cells.
func splits(k string) bool { return !slices.Contains(environmentKeys, k) }

// cellKey reports whether k is one of the keys every table names.
func cellKey(k string) bool {
	return k == KeyDataset || k == KeyAugment || k == KeyBudget || k == KeyMethod
}

// samplerKey reports whether k is a sampler option (it makes a variant of a method).
func samplerKey(k string) bool { return strings.HasPrefix(k, "sampler.") && k != KeyMethod }

// keys returns the group and cell keys of a run.
func (rep *Report) keys(r *Run) (group, cell string) {
	var g, c []string
	g = append(g, r.Get(KeyDataset), r.Get(KeyAugment), r.Get(KeyModel))
	for _, k := range rep.Varying {
		if !splits(k) {
			continue
		}
		kv := k + "=" + r.Get(k)
		if !cellKey(k) && !samplerKey(k) {
			g = append(g, kv)
		}
		c = append(c, kv)
	}
	gk := strings.Join(g, "\x00")
	return gk, gk + "\x01" + r.Get(KeyMethod) + "\x00" + r.Get(KeyBudget) + "\x00" + strings.Join(c, "\x00")
}

// varyingKeys returns the config keys whose values differ among the runs with a config
// (a key missing from a run counts as the value ""), and the common value of the others.
func varyingKeys(runs []*Run) ([]string, map[string]string) {
	all := map[string]bool{}
	for _, r := range runs {
		for k := range r.Config {
			all[k] = true
		}
	}
	var varying []string
	constant := map[string]string{}
	for k := range all {
		if slices.Contains(identityKeys, k) {
			continue
		}
		first, set, differs := "", false, false
		for _, r := range runs {
			if r.Config == nil {
				continue
			}
			v := r.Get(k)
			if !set {
				first, set = v, true
			} else if v != first {
				differs = true
				break
			}
		}
		if differs {
			varying = append(varying, k)
		} else {
			constant[k] = first
		}
	}
	sort.Strings(varying)
	return varying, constant
}

// labelCells names each cell by its method and the sampler options whose value is not the
// most common one in the group (ties go to the smaller value), so that a sweep of one
// method's option does not relabel every other method.
func labelCells(g *Group) {
	usual := map[string]string{}
	counts := map[string]map[string]int{}
	for _, c := range g.Cells {
		for _, kv := range c.Sampler {
			if counts[kv.Key] == nil {
				counts[kv.Key] = map[string]int{}
			}
			counts[kv.Key][kv.Value] += max(len(c.Runs), 1)
		}
	}
	for k, vs := range counts {
		best, n := "", -1
		for v, m := range vs {
			if m > n || m == n && v < best {
				best, n = v, m
			}
		}
		usual[k] = best
	}
	for _, c := range g.Cells {
		var extra []KV
		for _, kv := range c.Sampler {
			if kv.Value != usual[kv.Key] {
				extra = append(extra, kv)
			}
		}
		c.Label = c.Method
		if len(extra) > 0 {
			c.Label += " (" + joinKV(extra, ", ") + ")"
		}
	}
}

func methodRank(m string) int {
	if i := slices.Index(methodOrder, m); i >= 0 {
		return i
	}
	return len(methodOrder)
}

func sortCells(cs []*Cell) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Budget != b.Budget {
			return a.Budget < b.Budget
		}
		if ra, rb := methodRank(a.Method), methodRank(b.Method); ra != rb {
			return ra < rb
		}
		return a.Label < b.Label
	})
}

func (rep *Report) describe(c *Cell) {
	var final, best, secs, train []float64
	for _, r := range c.Runs {
		v := r.Values()
		final, best, secs = append(final, v.FinalAcc), append(best, v.BestAcc), append(secs, v.TrainSeconds)
		if !math.IsNaN(v.TrainAcc) {
			train = append(train, v.TrainAcc)
		}
	}
	c.Final, c.Best, c.Seconds, c.Train = Describe(final), Describe(best), Describe(secs), Describe(train)
	c.Acc = c.Final
	if rep.Metric == MetricBest {
		c.Acc = c.Best
	}
	c.Paper, c.PaperNote = math.NaN(), ""
	if c.Group.Recipe {
		c.Paper, c.PaperNote = PaperAccuracy(c.Group.Dataset, c.Group.Augment, c.Method, c.Budget)
		if len(c.Sampler) > 0 && c.Label != c.Method { // an ablation variant: not what the paper ran
			c.Paper, c.PaperNote = math.NaN(), "variant not in the paper's figure"
		}
	}
}

func parseFloat(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// slug makes a file-name part from the words given: letters, digits and . = - kept, the
// rest replaced by "_".
func slug(parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if p == "" {
			continue
		}
		if i > 0 && b.Len() > 0 {
			b.WriteByte('_')
		}
		for _, r := range p {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '=', r == '-':
				b.WriteRune(r)
			default:
				b.WriteByte('_')
			}
		}
	}
	s := b.String()
	if len(s) > 100 {
		s = s[:100]
	}
	if s == "" {
		s = "runs"
	}
	return s
}

func uniqueSlug(used map[string]int, s string) string {
	used[s]++
	if n := used[s]; n > 1 {
		return fmt.Sprintf("%s_%d", s, n)
	}
	return s
}

// DatasetTitle is the usual spelling of a dataset name or alias ("cifar10" → "CIFAR-10"), from the
// dataset's record (data.Info.Title); an unknown name is returned as it is.
func DatasetTitle(name string) string {
	if c, ok := data.Canonical(name); ok {
		if info, err := data.Lookup(c); err == nil {
			return info.Title
		}
	}
	return name
}
