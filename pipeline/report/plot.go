package report

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
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

// Plot is one PNG written by WritePlots.
type Plot struct {
	Kind  string
	File  string // name inside the report folder
	Group *Group
	Title string
}

// Style is how one cell label is drawn in every plot of a report.
type Style struct {
	Color  color.Color
	Shape  draw.GlyphDrawer
	Dashes []vg.Length
}

// palette: the Okabe–Ito colours (distinguishable with the common colour-vision deficiencies;
// yellow left out, it vanishes on white), then four more. unif-sgd, the reference, is black.
// They are ordered so that neighbours in method order differ in hue.
var palette = []color.RGBA{
	{0xe6, 0x9f, 0x00, 255}, {0x00, 0x72, 0xb2, 255}, {0x00, 0x9e, 0x73, 255}, {0xd5, 0x5e, 0x00, 255},
	{0x56, 0xb4, 0xe9, 255}, {0xcc, 0x79, 0xa7, 255}, {0x88, 0x88, 0x88, 255}, {0x8c, 0x56, 0x4b, 255},
	{0x9a, 0x9a, 0x00, 255}, {0x6a, 0x3d, 0x9a, 255}, {0x17, 0xa2, 0xb8, 255},
}

// shapes: filled ones first (they read best at a glance), then outlines. Large rings are
// the paper's numbers, so no method uses a ring.
var shapes = []draw.GlyphDrawer{draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.CrossGlyph{}, draw.SquareGlyph{},
	draw.TriangleGlyph{}, draw.PlusGlyph{}}

// styles gives every cell label of the report a colour, a marker and a dash pattern, the same
// in every plot: unif-sgd black circles, the others in method order.
func styles(groups []*Group) map[string]Style {
	type lab struct {
		method, label string
	}
	var labels []lab
	seen := map[string]bool{}
	for _, g := range groups {
		for _, c := range g.Cells {
			if !seen[c.Label] {
				seen[c.Label] = true
				labels = append(labels, lab{c.Method, c.Label})
			}
		}
	}
	sort.Slice(labels, func(i, j int) bool {
		if a, b := methodRank(labels[i].method), methodRank(labels[j].method); a != b {
			return a < b
		}
		return labels[i].label < labels[j].label
	})
	out := map[string]Style{}
	i := 0
	for _, l := range labels {
		if l.label == Reference {
			out[l.label] = Style{Color: color.Black, Shape: draw.CircleGlyph{}}
			continue
		}
		st := Style{Color: palette[i%len(palette)], Shape: shapes[i%len(shapes)]}
		if i >= len(palette) || i%2 == 1 {
			st.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		out[l.label] = st
		i++
	}
	return out
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
	if r := g.FullBudget; r != nil {
		f.hline(100*r.Acc.Mean, fmt.Sprintf("%s at b=1: %.2f%%", r.Label, 100*r.Acc.Mean))
	}
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
	if r := g.FullBudget; r != nil {
		f.hline(100*r.Acc.Mean, fmt.Sprintf("%s at b=1: %.2f%%", r.Label, 100*r.Acc.Mean))
	}
	f.xFromZero = true
	return f, title
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

// errPoint is a point with a symmetric error half-width in y (and optionally x); NaN widths
// draw no bar.
type errPoint struct{ x, y, yerr, xerr float64 }

type errPoints []errPoint

func (e errPoints) Len() int                    { return len(e) }
func (e errPoints) XY(i int) (float64, float64) { return e[i].x, e[i].y }
func (e errPoints) YError(i int) (float64, float64) {
	w := finite(e[i].yerr)
	return w, w
}
func (e errPoints) XError(i int) (float64, float64) {
	w := finite(e[i].xerr)
	return w, w
}

func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// wrap breaks each line of s at spaces so that no line is longer than n runes (a word longer
// than n stays whole): titles are centred over the data area and would be cut at its sides.
func wrap(s string, n int) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		cur := ""
		for _, w := range strings.Fields(line) {
			switch {
			case cur == "":
				cur = w
			case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) > n:
				out = append(out, cur)
				cur = w
			default:
				cur += " " + w
			}
		}
		out = append(out, cur)
	}
	return strings.Join(out, "\n")
}

// niceTicks labels about six round values (1, 2 or 5 times a power of ten) and puts an
// unlabelled tick between each two, so that values can be read off without a ruler.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 4, 64)}}
	}
	raw := (hi - lo) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	for i := math.Ceil(lo / step * 2); i/2*step <= hi+1e-9*step; i++ {
		v := i / 2 * step
		t := plot.Tick{Value: v}
		if math.Mod(i, 2) == 0 {
			t.Label = strconv.FormatFloat(v, 'f', decimals, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// figure is a plot with its legend drawn beside it, on the right, outside the data area.
type figure struct {
	p         *plot.Plot
	leg       plot.Legend
	xFromZero bool // the x axis starts at 0 (time, steps)
}

func newFigure(title, x, y string) *figure {
	p := plot.New()
	p.Title.Text = wrap(title, 72)
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text, p.Y.Label.Text = x, y
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(12)
		a.Tick.Label.Font.Size = vg.Points(11)
	}
	p.X.Padding, p.Y.Padding = vg.Points(4), vg.Points(4)
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{}, niceTicks{}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{0xdd}
	grid.Horizontal.Color = color.Gray{0xdd}
	p.Add(grid)
	leg := plot.NewLegend()
	leg.TextStyle.Font = font.From(plot.DefaultFont, vg.Points(11))
	leg.Top, leg.Left = true, true
	leg.ThumbnailWidth = vg.Points(28)
	leg.Padding = vg.Points(4)
	return &figure{p: p, leg: leg}
}

// series draws points joined by a line in the label's style, with error bars, and adds a
// legend entry.
func (f *figure) series(label string, st Style, pts []errPoint, markers bool) {
	if len(pts) == 0 {
		return
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i].x < pts[j].x })
	xys := errPoints(pts)
	line, err := plotter.NewLine(xys)
	if err != nil {
		return // a NaN mean: nothing to draw
	}
	line.LineStyle = draw.LineStyle{Color: st.Color, Width: vg.Points(1.6), Dashes: st.Dashes}
	thumbs := []plot.Thumbnailer{line}
	f.p.Add(line)
	if hasErr(pts, func(p errPoint) float64 { return p.yerr }) {
		if eb, err := plotter.NewYErrorBars(xys); err == nil {
			eb.LineStyle = draw.LineStyle{Color: st.Color, Width: vg.Points(1.2)}
			eb.CapWidth = vg.Points(6)
			f.p.Add(eb)
		}
	}
	if hasErr(pts, func(p errPoint) float64 { return p.xerr }) {
		if eb, err := plotter.NewXErrorBars(xys); err == nil {
			eb.LineStyle = draw.LineStyle{Color: st.Color, Width: vg.Points(1.2)}
			eb.CapWidth = vg.Points(6)
			f.p.Add(eb)
		}
	}
	if markers {
		sc, err := plotter.NewScatter(xys)
		if err == nil {
			sc.GlyphStyle = draw.GlyphStyle{Color: st.Color, Radius: vg.Points(4), Shape: st.Shape}
			f.p.Add(sc)
			thumbs = append(thumbs, sc)
		}
	}
	f.leg.Add(label, thumbs...)
}

func hasErr(pts []errPoint, w func(errPoint) float64) bool {
	for _, p := range pts {
		if finite(w(p)) > 0 {
			return true
		}
	}
	return false
}

// paper draws published numbers as large open markers in the label's colour.
func (f *figure) paper(label string, st Style, pts []errPoint) {
	sc, err := plotter.NewScatter(errPoints(pts))
	if err != nil {
		return
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: st.Color, Radius: vg.Points(7), Shape: draw.RingGlyph{}}
	f.p.Add(sc)
	f.leg.Add(label, sc)
}

// hline draws a dashed grey horizontal reference line across the plot.
func (f *figure) hline(y float64, label string) {
	if math.IsNaN(y) {
		return
	}
	fn := plotter.NewFunction(func(float64) float64 { return y })
	fn.LineStyle = draw.LineStyle{Color: color.Gray{0x55}, Width: vg.Points(1.4), Dashes: []vg.Length{vg.Points(2), vg.Points(3)}}
	f.p.Add(fn)
	f.p.Y.Min, f.p.Y.Max = math.Min(f.p.Y.Min, y), math.Max(f.p.Y.Max, y)
	f.leg.Add(label, fn)
}

// zero draws the y = 0 line (no difference) and keeps it in range.
func (f *figure) zero() {
	fn := plotter.NewFunction(func(float64) float64 { return 0 })
	fn.LineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(1)}
	f.p.Add(fn)
	f.p.Y.Min, f.p.Y.Max = math.Min(f.p.Y.Min, 0), math.Max(f.p.Y.Max, 0)
}

// budgetTicks labels the x axis at the budgets present and widens it a little on both sides.
func (f *figure) budgetTicks(bs []float64) {
	var ticks []plot.Tick
	for _, b := range bs {
		ticks = append(ticks, plot.Tick{Value: b, Label: fmtBudget(b)})
	}
	f.p.X.Tick.Marker = plot.ConstantTicks(ticks)
	span := 0.5
	if len(bs) > 1 {
		span = bs[len(bs)-1] - bs[0]
	}
	if len(bs) > 0 {
		f.p.X.Min, f.p.X.Max = bs[0]-0.08*span, bs[len(bs)-1]+0.08*span
	}
}

// save renders the figure as a PNG of PlotPixels: the plot on the left, the legend in a
// column on the right as wide as its longest entry.
func (f *figure) save(path string) error {
	// Keep a little room above and below the data, so markers at the extremes stay inside.
	for _, a := range []*plot.Axis{&f.p.X, &f.p.Y} {
		if _, budget := a.Tick.Marker.(plot.ConstantTicks); budget {
			continue // budgetTicks set the range already
		}
		if pad := 0.04 * (a.Max - a.Min); pad > 0 {
			a.Min, a.Max = a.Min-pad, a.Max+pad
		} else if a.Min == a.Max {
			a.Min, a.Max = a.Min-1, a.Max+1
		}
	}
	if f.xFromZero {
		f.p.X.Min = 0
	}
	img := vgimg.NewWith(vgimg.UseWH(PlotWidth, PlotHeight), vgimg.UseDPI(PlotDPI))
	dc := draw.New(img)
	legW := f.leg.Rectangle(dc).Size().X + vg.Points(14)
	legW = min(legW, PlotWidth*0.45)
	f.p.Draw(draw.Crop(dc, 0, -legW, 0, 0))
	right := draw.Crop(dc, PlotWidth-legW+vg.Points(8), 0, 0, -vg.Points(44))
	f.leg.Draw(right)
	w, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(w); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
