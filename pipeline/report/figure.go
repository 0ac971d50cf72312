package report

import (
	"image/color"
	"math"
	"os"
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

// errPoint is a point with a symmetric error half-width in y; a NaN width draws no bar.
type errPoint struct{ x, y, yerr float64 }

type errPoints []errPoint

func (e errPoints) Len() int                    { return len(e) }
func (e errPoints) XY(i int) (float64, float64) { return e[i].x, e[i].y }
func (e errPoints) YError(i int) (float64, float64) {
	w := finite(e[i].yerr)
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
	if hasErr(pts) {
		if eb, err := plotter.NewYErrorBars(xys); err == nil {
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

func hasErr(pts []errPoint) bool {
	for _, p := range pts {
		if finite(p.yerr) > 0 {
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
