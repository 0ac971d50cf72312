package report

import "slices"

// fullBudget returns the group's b = 1 reference: sgd, else unif-sgd, preferring the plain
// method over a variant.
func fullBudget(g *Group) *Cell {
	for _, m := range []string{FullData, Reference} {
		var found *Cell
		for _, c := range g.Cells {
			if c.Budget == 1 && c.Method == m && (found == nil || c.Label == c.Method) {
				found = c
			}
		}
		if found != nil {
			return found
		}
	}
	return nil
}

// reference returns the unif-sgd cell of c's group and budget: the one with c's sampler
// options, else the plain one; nil when there is none or the choice is ambiguous.
func reference(c *Cell) *Cell {
	var plain, same []*Cell
	for _, r := range c.Group.Cells {
		if r.Method != Reference || r.Budget != c.Budget {
			continue
		}
		if slices.Equal(r.Sampler, c.Sampler) {
			same = append(same, r)
		}
		if r.Label == r.Method {
			plain = append(plain, r)
		}
	}
	switch {
	case len(same) == 1:
		return same[0]
	case len(plain) == 1:
		return plain[0]
	}
	return nil
}

func (rep *Report) diffs(g *Group) {
	for _, c := range g.Cells {
		if c.Method == Reference {
			continue
		}
		ref := reference(c)
		if ref == nil {
			if c.Method != FullData { // the full-data baseline is a reference itself
				rep.NoRef = append(rep.NoRef, c)
			}
			continue
		}
		rep.Diffs = append(rep.Diffs, PairedDiff(c, ref, rep.Metric))
	}
}

// PairedDiff pairs the runs of c and ref by seed and describes c's accuracy minus ref's (in
// fractions). Seeds that only one of them has are excluded and listed.
func PairedDiff(c, ref *Cell, metric Metric) *Diff {
	acc := func(r *Run) float64 {
		v := r.Values()
		if metric == MetricBest {
			return v.BestAcc
		}
		return v.FinalAcc
	}
	refBySeed := map[uint64]*Run{}
	for _, r := range ref.Runs {
		refBySeed[r.Seed()] = r
	}
	d := &Diff{Cell: c, Ref: ref}
	var ds []float64
	for _, r := range c.Runs {
		s := r.Seed()
		rr, ok := refBySeed[s]
		if !ok {
			d.OnlyCell = append(d.OnlyCell, s)
			continue
		}
		delete(refBySeed, s)
		d.Seeds = append(d.Seeds, s)
		if r.Provenance().Machine() != rr.Provenance().Machine() {
			d.CrossMachine++
		}
		ds = append(ds, acc(r)-acc(rr))
	}
	for s := range refBySeed {
		d.OnlyRef = append(d.OnlyRef, s)
	}
	slices.Sort(d.OnlyRef)
	d.D = Describe(ds)
	return d
}

// missing lists, for each cell of g, the seeds of complete runs in other cells of g that have
// no run folder in this cell (listed holds the seeds of its runs that are not ok, which are
// listed with those runs).
func (rep *Report) missing(g *Group, seeds map[uint64]bool, seen, listed map[string]map[uint64]bool) {
	all := make([]uint64, 0, len(seeds))
	for s := range seeds {
		all = append(all, s)
	}
	slices.Sort(all)
	for _, c := range g.Cells {
		var miss []uint64
		for _, s := range all {
			if !seen[c.key][s] && !listed[c.key][s] {
				miss = append(miss, s)
			}
		}
		if len(miss) > 0 {
			rep.Missing = append(rep.Missing, MissingSeeds{Group: g, Label: c.Label, Budget: c.Budget, Seeds: miss})
		}
	}
}

// standardCell returns the cell of standard augmentation that c is compared with: same
// dataset, model, other settings, method, budget and label, in a group of standard
// augmentation; nil for a cell of standard augmentation itself or without such a cell.
func standardCell(groups []*Group, c *Cell) *Cell {
	g := c.Group
	if g.Augment == "standard" {
		return nil
	}
	for _, h := range groups {
		if h.Augment != "standard" || h.Dataset != g.Dataset || h.Model != g.Model || joinKV(h.Other, "_") != joinKV(g.Other, "_") {
			continue
		}
		for _, hc := range h.Cells {
			if hc.Method == c.Method && hc.Budget == c.Budget && hc.Label == c.Label {
				return hc
			}
		}
	}
	return nil
}
