package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"budgetrain/pipeline/data"
	"budgetrain/pipeline/runfolder"
)

// pct renders a fraction as a percentage with two decimals ("—" when unknown).
func pct(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return fmt.Sprintf("%.2f", 100*f)
}

// pp renders a difference of fractions in percentage points with a sign.
func pp(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "—"
	}
	return fmt.Sprintf("%+.2f", 100*f)
}

func meanStd(s Stats) string {
	if s.N == 0 {
		return "—"
	}
	if s.N < 2 {
		return pct(s.Mean) + " ± —"
	}
	return pct(s.Mean) + " ± " + fmt.Sprintf("%.2f", 100*s.Std)
}

func interval(s Stats, f func(float64) string) string {
	if s.N < 2 {
		return "—"
	}
	return "[" + f(s.Lo) + ", " + f(s.Hi) + "]"
}

func seconds(s Stats) string {
	if s.N == 0 || math.IsNaN(s.Mean) {
		return "—"
	}
	return fmt.Sprintf("%.1f", s.Mean)
}

func seedList(s []uint64) string {
	if len(s) == 0 {
		return "—"
	}
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprint(v)
	}
	return strings.Join(out, ", ")
}

// esc keeps a value from breaking a Markdown table.
func esc(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// WriteMarkdown writes report.md: runs found, the cell table of each group (with the paper's
// numbers where they apply), the full-budget references, the paired differences to unif-sgd,
// the plots, and every missing or failed cell.
func (rep *Report) WriteMarkdown(w io.Writer, plots []Plot) error {
	b := &strings.Builder{}
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	n := rep.Counts()
	p("# Budgeted training report\n\n")
	p("Runs under %s: %d folders found, %d complete, %d incomplete, %d failed", "`"+strings.Join(rep.Dirs, "`, `")+"`",
		len(rep.Runs)-n[StatusMissing], n[StatusOK], n[StatusIncomplete], n[StatusFailed])
	if n[StatusMissing] > 0 {
		p("; %d cells of %s have no folder", n[StatusMissing], runfolder.RecordFile)
	}
	p(". ")
	p("Accuracy is the **%s** test accuracy (%%) of each run (`%s_test_acc` in summary.json). ", rep.Metric, rep.Metric)
	p("A cell is the runs of one configuration that differ only in their seed; mean ± sample standard deviation over its seeds, ")
	p("the 95%% confidence interval of the mean from Student's t with n−1 degrees of freedom (none for n = 1). ")
	p("Only complete runs (`completed: true`) are averaged.\n\n")
	if len(rep.Varying) > 0 {
		p("Config keys that vary among the runs: %s.\n\n", "`"+strings.Join(rep.Varying, "`, `")+"`")
	}
	rep.writeConstant(p)
	rep.writeOrigins(p)
	for _, g := range rep.Groups {
		rep.writeGroup(p, g, plots)
	}
	rep.writeDiffs(p)
	rep.writeProblems(p)
	_, err := io.WriteString(w, b.String())
	return err
}

func (rep *Report) writeConstant(p func(string, ...any)) {
	if len(rep.Constant) == 0 {
		return
	}
	keys := make([]string, 0, len(rep.Constant))
	for k, v := range rep.Constant {
		// A key added later that every run has at its old value (the feature unused) is left
		// out, so that runs saved before it existed report as they did.
		if old, later := runfolder.KeysAddedLater[k]; later && v == render(old) {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	p("<details><summary>Settings shared by every run (%d keys)</summary>\n\n| key | value |\n|---|---|\n", len(keys))
	for _, k := range keys {
		p("| `%s` | `%s` |\n", k, esc(rep.Constant[k]))
	}
	p("\n</details>\n\n")
}

func (rep *Report) writeGroup(p func(string, ...any), g *Group, plots []Plot) {
	p("## %s\n\n", g.Title())
	paper := g.Recipe
	if g.Recipe {
		p("These runs follow the paper's recipe (ResNet-18, 200 epochs, batch 128, linear LR 0.1 → 1e-6, momentum 0.9, weight decay 1e-4): ")
		p("the paper's numbers are those read off its figure (spec §5.1, ±0.15 pp).\n\n")
	} else if len(g.RecipeDiff) > 0 && isPaperDataset(g.Dataset) {
		p("Not the paper's recipe (%s), so the paper's numbers are not shown.\n\n", strings.Join(first(g.RecipeDiff, 3), "; "))
	}
	p("| budget | method | n | accuracy %% mean ± std | 95%% CI | best %% mean | train %% mean | Δ vs unif-sgd (pp) [95%% CI] | train s mean |")
	if paper {
		p(" paper %% | measured − paper (pp) |")
	}
	p("\n|---|---|---|---|---|---|---|---|---|")
	if paper {
		p("---|---|")
	}
	p("\n")
	diffs := map[*Cell]*Diff{}
	for _, d := range rep.Diffs {
		diffs[d.Cell] = d
	}
	for _, c := range g.Cells {
		delta := "—"
		switch d := diffs[c]; {
		case c.Method == Reference:
			delta = "reference"
		case d == nil && c.Method == FullData:
			delta = "—"
		case d == nil:
			delta = "no unif-sgd cell"
		case d.D.N == 0:
			delta = "no paired seed"
		default:
			delta = fmt.Sprintf("%s %s (%d pairs)", pp(d.D.Mean), interval(d.D, pp), d.D.N)
		}
		label := esc(c.Label)
		if c == g.FullBudget {
			label = "**" + label + "** (full budget)"
		}
		p("| %s | %s | %d | %s | %s | %s | %s | %s | %s |", fmtBudget(c.Budget), label, c.Acc.N, meanStd(c.Acc),
			interval(c.Acc, pct), pct(c.Best.Mean), pct(c.Train.Mean), delta, seconds(c.Seconds))
		if paper {
			if math.IsNaN(c.Paper) {
				p(" — | — |")
			} else {
				p(" %.2f | %+.2f |", c.Paper, 100*c.Acc.Mean-c.Paper)
			}
		}
		p("\n")
	}
	p("\n")
	if r := g.FullBudget; r != nil {
		p("Full-budget reference (b = 1, %s): %s %% (n = %d, 95%% CI %s).\n\n", esc(r.Label), meanStd(r.Acc), r.Acc.N, interval(r.Acc, pct))
	} else if r := g.StandardRef; r != nil {
		p("Full-budget reference: none in this group; with standard augmentation and the same other settings, %s at b = 1: %s %% (n = %d, 95%% CI %s).\n\n",
			esc(r.Label), meanStd(r.Acc), r.Acc.N, interval(r.Acc, pct))
	} else {
		p("Full-budget reference: none (no sgd or unif-sgd run at b = 1 in this group).\n\n")
	}
	if len(g.RefDiffs) > 0 {
		var parts []string
		for _, d := range g.RefDiffs {
			parts = append(parts, diffText(d))
		}
		p("Minus the full-budget reference, paired by seed (pp, 95%% CI): %s.\n\n", strings.Join(parts, "; "))
	}
	if len(g.AugDiffs) > 0 {
		var parts []string
		for _, d := range g.AugDiffs {
			parts = append(parts, diffText(d))
		}
		p("Minus standard augmentation with the same method, budget and other settings, paired by seed (pp, 95%% CI): %s.\n\n", strings.Join(parts, "; "))
	}
	if os := origins(groupRuns(g)); len(os) > 1 {
		p("The runs of this table come from %d builds or machines, so its comparisons are not all bit-exact: %s.\n\n", len(os), originText(os))
	}
	for _, pl := range plots {
		if pl.Group == g {
			alt := strings.ReplaceAll(strings.Replace(pl.Title, "\n", ": ", 1), "\n", " ")
			p("![%s](%s)\n\n", alt, pl.File)
		}
	}
}

// diffText is one paired difference in a sentence: "p-sgd at b = 0.3 +0.12 [-0.3, +0.5] (3 pairs)".
func diffText(d *Diff) string {
	return fmt.Sprintf("%s at b = %s %s %s (%d pairs%s)", esc(d.Cell.Label), fmtBudget(d.Cell.Budget), pp(d.D.Mean), interval(d.D, pp), d.D.N, crossNote(d))
}

// writeOrigins says which builds and machines produced the runs, and which runs were resumed
// on another one.
func (rep *Report) writeOrigins(p func(string, ...any)) {
	os := origins(rep.Runs)
	if len(os) == 0 {
		return
	}
	p("Provenance (summary.json): %s. ", originText(os))
	p("Results are bit-exact only between runs with the same libtorch, device, thread count and CPU model.\n\n")
	if mixed := mixedRuns(rep.Runs); len(mixed) > 0 {
		var names []string
		for _, r := range mixed {
			names = append(names, "`"+esc(r.Dir)+"`")
		}
		p("Trained in part by another build or machine (summary.json `resumed_from`): %s.\n\n", strings.Join(names, ", "))
	}
}

// isPaperDataset reports whether the paper reports on dataset d with its recipe (data.Info.Paper).
func isPaperDataset(d string) bool {
	info, err := data.Lookup(d)
	return err == nil && info.Paper
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], "…")
	}
	return s
}

func (rep *Report) writeDiffs(p func(string, ...any)) {
	if len(rep.Diffs) == 0 && len(rep.NoRef) == 0 {
		return
	}
	p("## Difference to unif-sgd, paired by seed\n\n")
	p("For each seed run by both a cell and the unif-sgd cell with the same dataset, augmentation, budget and other settings: ")
	p("the cell's accuracy minus unif-sgd's, in percentage points; mean, sample std and the 95%% t-interval over the pairs. ")
	p("Seeds that only one side has are excluded and listed.\n\n")
	p("| group | budget | method | pairs | Δ mean (pp) | std | 95%% CI | seeds excluded |\n|---|---|---|---|---|---|---|---|\n")
	for _, d := range rep.Diffs {
		var ex []string
		if len(d.OnlyCell) > 0 {
			ex = append(ex, "only "+esc(d.Cell.Label)+": "+seedList(d.OnlyCell))
		}
		if len(d.OnlyRef) > 0 {
			ex = append(ex, "only unif-sgd: "+seedList(d.OnlyRef))
		}
		if len(ex) == 0 {
			ex = []string{"none"}
		}
		if d.CrossMachine > 0 {
			ex = append(ex, fmt.Sprintf("%d pairs across machines (kept)", d.CrossMachine))
		}
		std := "—"
		if d.D.N > 1 {
			std = fmt.Sprintf("%.2f", 100*d.D.Std)
		}
		p("| %s | %s | %s | %d | %s | %s | %s | %s |\n", esc(d.Cell.Group.Title()), fmtBudget(d.Cell.Budget), esc(d.Cell.Label),
			d.D.N, pp(d.D.Mean), std, interval(d.D, pp), strings.Join(ex, "; "))
	}
	for _, c := range rep.NoRef {
		p("| %s | %s | %s | 0 | — | — | — | no unif-sgd cell with these settings |\n", esc(c.Group.Title()), fmtBudget(c.Budget), esc(c.Label))
	}
	p("\n")
}

func (rep *Report) writeProblems(p func(string, ...any)) {
	bad := rep.NotOK()
	p("## Missing or failed cells\n\n")
	if len(bad) == 0 && len(rep.Missing) == 0 && len(rep.Duplicates) == 0 {
		p("None: every run folder found is complete, and every cell has the seeds of its group.\n")
		return
	}
	if len(bad) > 0 {
		p("Run folders that are not averaged:\n\n| run | status | dataset | augmentation | budget | method | seed | reason |\n|---|---|---|---|---|---|---|---|\n")
		for _, r := range bad {
			p("| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", esc(r.Dir), r.Status, orDash(r.Get(KeyDataset)), esc(orDash(r.Get(KeyAugment))),
				orDash(r.Get(KeyBudget)), orDash(r.Get(KeyMethod)), orDash(r.Get(KeySeed)), esc(r.Reason))
		}
		p("\n")
	}
	if len(rep.Missing) > 0 {
		p("Cells without a run folder for seeds that other cells of their group have:\n\n| group | budget | method | missing seeds |\n|---|---|---|---|\n")
		for _, m := range rep.Missing {
			p("| %s | %s | %s | %s |\n", esc(m.Group.Title()), fmtBudget(m.Budget), esc(m.Label), seedList(m.Seeds))
		}
		p("\n")
	}
	if len(rep.Duplicates) > 0 {
		p("Complete runs left out because another run of the same cell has their seed (the first folder by name is used):\n\n")
		for _, r := range rep.Duplicates {
			p("- `%s` (seed %s)\n", esc(r.Dir), r.Get(KeySeed))
		}
		p("\n")
	}
	var notes []string
	for _, r := range rep.Runs {
		if r.Note != "" {
			notes = append(notes, fmt.Sprintf("- `%s`: %s", esc(r.Dir), r.Note))
		}
	}
	if len(notes) > 0 {
		p("Notes:\n\n%s\n", strings.Join(notes, "\n"))
	}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
