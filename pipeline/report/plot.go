package report

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/plot/vg"
)

// Size of every plot: 8 × 4.8 in at 120 dpi, 960 × 576 pixels.
const (
	PlotWidth  = 8 * vg.Inch
	PlotHeight = 4.8 * vg.Inch
	PlotDPI    = 120
)

// PlotPixels returns the size of a plot's PNG in pixels.
func PlotPixels() (w, h int) {
	return int(math.Round(float64(PlotWidth/vg.Inch) * PlotDPI)), int(math.Round(float64(PlotHeight/vg.Inch) * PlotDPI))
}

// Plot kinds, the first part of their file names.
const (
	PlotAccBudget  = "acc-vs-budget"
	PlotDiffBudget = "diff-vs-budget"
	PlotAccTime    = "acc-vs-time"
	PlotCurves     = "curves"
)

// plotKinds are the file name prefixes of the plots.
var plotKinds = []string{PlotAccBudget, PlotDiffBudget, PlotAccTime, PlotCurves}

// Plot is one PNG written by WritePlots.
type Plot struct {
	Kind  string
	File  string // name inside the report folder
	Group *Group
	Title string
}

// WritePlots renders every plot of the report into dir and returns them in order: per group
// accuracy vs budget, the paired difference vs budget, accuracy vs wall-clock, then the test
// accuracy curves of each budget.
func (rep *Report) WritePlots(dir string) ([]Plot, error) {
	var out []Plot
	add := func(kind, name string, g *Group, title string, f *figure) error {
		if f == nil {
			return nil
		}
		file := kind + "_" + name + ".png"
		if err := f.save(filepath.Join(dir, file)); err != nil {
			return fmt.Errorf("plot %s: %w", file, err)
		}
		out = append(out, Plot{Kind: kind, File: file, Group: g, Title: title})
		return nil
	}
	for _, g := range rep.Groups {
		f, t := rep.accVsBudget(g)
		if err := add(PlotAccBudget, g.Slug, g, t, f); err != nil {
			return out, err
		}
		f, t = rep.diffVsBudget(g)
		if err := add(PlotDiffBudget, g.Slug, g, t, f); err != nil {
			return out, err
		}
		f, t = rep.accVsTime(g)
		if err := add(PlotAccTime, g.Slug, g, t, f); err != nil {
			return out, err
		}
		for _, b := range budgets(g) {
			f, t = rep.curves(g, b)
			if err := add(PlotCurves, g.Slug+"_b"+fmtBudget(b), g, t, f); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

func budgets(g *Group) []float64 {
	var bs []float64
	for _, c := range g.Cells {
		if !slices.Contains(bs, c.Budget) {
			bs = append(bs, c.Budget)
		}
	}
	slices.Sort(bs)
	return bs
}

func fmtBudget(b float64) string { return strconv.FormatFloat(b, 'g', -1, 64) }

// labels returns the group's cell labels in style order, and its cells by label (budget order).
func (rep *Report) labels(g *Group) ([]string, map[string][]*Cell) {
	by := map[string][]*Cell{}
	var ls []string
	for _, c := range g.Cells {
		if by[c.Label] == nil {
			ls = append(ls, c.Label)
		}
		by[c.Label] = append(by[c.Label], c)
	}
	sort.SliceStable(ls, func(i, j int) bool {
		a, b := by[ls[i]][0], by[ls[j]][0]
		if ra, rb := methodRank(a.Method), methodRank(b.Method); ra != rb {
			return ra < rb
		}
		return ls[i] < ls[j]
	})
	return ls, by
}

func (rep *Report) accLabel() string {
	return rep.Metric.String() + " test accuracy (%)"
}

// String names the metric in axis labels.
func (m Metric) String() string { return string(m) }

// accVsBudget: one line per method, mean accuracy against budget with 95% CI bars; the
// full-budget reference as a dashed line; the paper's numbers as open markers.
func (rep *Report) accVsBudget(g *Group) (*figure, string) {
	title := g.Title() + "\n" + rep.Metric.String() + " test accuracy vs budget (mean over seeds, bars: 95% CI)"
	f := newFigure(title, "budget b (fraction of each epoch's iterations)", rep.accLabel())
	labels, by := rep.labels(g)
	bs := budgets(g)
	at := map[float64][]string{}
	for _, l := range labels {
		for _, c := range by[l] {
			at[c.Budget] = append(at[c.Budget], l)
		}
	}
	dodge := dodger(bs, at)
	for _, l := range labels {
		var pts []errPoint
		for _, c := range by[l] {
			pts = append(pts, errPoint{x: c.Budget + dodge(l, c.Budget), y: 100 * c.Acc.Mean, yerr: 100 * c.Acc.HalfWidth})
		}
		f.series(l, rep.Styles[l], pts, true)
	}
	refLine(f, g)
	for _, l := range labels {
		var pts []errPoint
		for _, c := range by[l] {
			if !math.IsNaN(c.Paper) {
				pts = append(pts, errPoint{x: c.Budget, y: c.Paper})
			}
		}
		if len(pts) > 0 {
			f.paper("paper: "+l+" (spec §5.1)", rep.Styles[l], pts)
		}
	}
	f.budgetTicks(bs)
	return f, title
}

// diffVsBudget: per method other than unif-sgd, the mean paired difference to unif-sgd with
// its 95% CI against budget, and the zero line.
func (rep *Report) diffVsBudget(g *Group) (*figure, string) {
	by := map[string][]*Diff{}
	var labels []string
	for _, d := range rep.Diffs {
		if d.Cell.Group != g || d.D.N == 0 {
			continue
		}
		if by[d.Cell.Label] == nil {
			labels = append(labels, d.Cell.Label)
		}
		by[d.Cell.Label] = append(by[d.Cell.Label], d)
	}
	if len(labels) == 0 {
		return nil, ""
	}
	all, _ := rep.labels(g)
	labels = orderLike(labels, all)
	title := g.Title() + "\n" + rep.Metric.String() + " accuracy minus unif-sgd, paired by seed (mean, bars: 95% CI)"
	f := newFigure(title, "budget b (fraction of each epoch's iterations)", "difference to unif-sgd (percentage points)")
	var bs []float64
	for _, l := range labels {
		for _, d := range by[l] {
			if !slices.Contains(bs, d.Cell.Budget) {
				bs = append(bs, d.Cell.Budget)
			}
		}
	}
	slices.Sort(bs)
	at := map[float64][]string{}
	for _, l := range labels {
		for _, d := range by[l] {
			at[d.Cell.Budget] = append(at[d.Cell.Budget], l)
		}
	}
	dodge := dodger(bs, at)
	f.zero()
	for _, l := range labels {
		var pts []errPoint
		for _, d := range by[l] {
			pts = append(pts, errPoint{x: d.Cell.Budget + dodge(l, d.Cell.Budget), y: 100 * d.D.Mean, yerr: 100 * d.D.HalfWidth})
		}
		f.series(l, rep.Styles[l], pts, true)
	}
	f.budgetTicks(bs)
	return f, title
}

// accVsTime: per method, mean accuracy against mean training wall-clock (one point per
// budget, joined in budget order), with 95% CI bars on the accuracy. Time bars are left out:
// on a shared machine they are wide and hide the points (results.csv has every run's time).
func (rep *Report) accVsTime(g *Group) (*figure, string) {
	maxT := 0.0
	for _, c := range g.Cells {
		maxT = max(maxT, c.Seconds.Mean)
	}
	if !(maxT > 0) {
		return nil, ""
	}
	unit, scale := "s", 1.0
	switch {
	case maxT > 3*3600:
		unit, scale = "h", 3600
	case maxT > 3*60:
		unit, scale = "min", 60
	}
	title := g.Title() + "\n" + rep.Metric.String() + " test accuracy vs training time\none point per budget (mean over seeds, bars: 95% CI)"
	f := newFigure(title, "training wall-clock per run ("+unit+", evaluation excluded)", rep.accLabel())
	labels, by := rep.labels(g)
	for _, l := range labels {
		var pts []errPoint
		for _, c := range by[l] {
			if math.IsNaN(c.Seconds.Mean) {
				continue
			}
			pts = append(pts, errPoint{x: c.Seconds.Mean / scale, y: 100 * c.Acc.Mean, yerr: 100 * c.Acc.HalfWidth})
		}
		f.series(l, rep.Styles[l], pts, true)
	}
	refLine(f, g)
	f.xFromZero = true
	return f, title
}

// refLine draws the group's full-budget reference as a dashed line, or, for a group without
// one, that of standard augmentation (Group.StandardRef).
func refLine(f *figure, g *Group) {
	if r := g.FullBudget; r != nil {
		f.hline(100*r.Acc.Mean, fmt.Sprintf("%s at b=1: %.2f%%", r.Label, 100*r.Acc.Mean))
	} else if r := g.StandardRef; r != nil {
		f.hline(100*r.Acc.Mean, fmt.Sprintf("%s, standard augmentation, at b=1: %.2f%%", r.Label, 100*r.Acc.Mean))
	}
}

// curves: at one budget, each cell's test accuracy over optimizer steps, the mean over its
// seeds at every evaluated epoch.
func (rep *Report) curves(g *Group, b float64) (*figure, string) {
	title := fmt.Sprintf("%s · b=%s\ntest accuracy during training (mean over seeds)", g.Title(), fmtBudget(b))
	f := newFigure(title, "optimizer step", "test accuracy (%)")
	labels, by := rep.labels(g)
	drawn := 0
	for _, l := range labels {
		for _, c := range by[l] {
			if c.Budget != b {
				continue
			}
			pts := meanCurve(c)
			if len(pts) == 0 {
				continue
			}
			n := fmt.Sprintf("%s (n=%d)", l, len(c.Runs))
			f.series(n, rep.Styles[l], pts, len(pts) <= 30)
			drawn++
		}
	}
	if drawn == 0 {
		return nil, ""
	}
	f.xFromZero = true
	return f, title
}

// meanCurve averages the test accuracy of c's runs epoch by epoch, at the mean step of that
// epoch (Selective Backprop's epochs end at steps that differ between seeds), over the epochs
// that every run evaluated.
func meanCurve(c *Cell) []errPoint {
	var pts []errPoint
	if len(c.Runs) == 0 {
		return nil
	}
	for e := 0; ; e++ {
		acc, step, n := 0.0, 0.0, 0
		for _, r := range c.Runs {
			if e >= len(r.Epochs) {
				return pts
			}
			if a := r.Epochs[e].TestAcc; a != nil {
				acc += *a
				step += float64(r.Epochs[e].Step)
				n++
			}
		}
		if n == len(c.Runs) {
			pts = append(pts, errPoint{x: step / float64(n), y: 100 * acc / float64(n)})
		}
	}
}

// dodger spreads the points drawn at one budget apart horizontally, so that their error bars
// do not hide each other: by 2% of the budget range per point, centred on the budget. at
// lists, per budget, the labels drawn there in drawing order.
func dodger(bs []float64, at map[float64][]string) func(label string, b float64) float64 {
	span := 0.5
	if len(bs) > 1 {
		span = max(bs[len(bs)-1]-bs[0], 0.2)
	}
	step := 0.02 * span
	return func(label string, b float64) float64 {
		ls := at[b]
		return (float64(slices.Index(ls, label)) - float64(len(ls)-1)/2) * step
	}
}

func orderLike(ls, order []string) []string {
	sort.SliceStable(ls, func(i, j int) bool { return slices.Index(order, ls[i]) < slices.Index(order, ls[j]) })
	return ls
}
