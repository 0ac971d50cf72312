package report

import (
	"fmt"
	"sort"
	"strings"
)

// Origin is a build and machine (runfolder.Provenance's Build and Machine) and the runs that
// came from it.
type Origin struct {
	Build, Machine string
	Runs           []*Run
}

// origins groups the runs that have a summary by build and machine, the largest group first
// (then by build and machine). A run resumed from another machine counts under the one that
// finished it; MixedRuns lists those runs.
func origins(runs []*Run) []Origin {
	idx := map[[2]string]int{}
	var out []Origin
	for _, r := range runs {
		if r.Summary == nil {
			continue
		}
		p := r.Provenance()
		k := [2]string{p.Build(), p.Machine()}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Origin{Build: k[0], Machine: k[1]})
		}
		out[i].Runs = append(out[i].Runs, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if len(a.Runs) != len(b.Runs) {
			return len(a.Runs) > len(b.Runs)
		}
		if a.Build != b.Build {
			return a.Build < b.Build
		}
		return a.Machine < b.Machine
	})
	return out
}

// mixedRuns returns the runs with a summary that another build or machine trained part of.
func mixedRuns(runs []*Run) []*Run {
	var out []*Run
	for _, r := range runs {
		if r.Summary != nil && len(r.Summary.ResumedFrom) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// originText describes origins in one sentence part: "48 runs: build abc on <machine>; ...".
func originText(os []Origin) string {
	parts := make([]string, len(os))
	for i, o := range os {
		if !o.Runs[0].Provenance().Recorded() {
			parts[i] = fmt.Sprintf("%d run%s without a record (made before budgetrain recorded provenance)", len(o.Runs), plural(len(o.Runs)))
			continue
		}
		parts[i] = fmt.Sprintf("%d run%s from build `%s` on %s", len(o.Runs), plural(len(o.Runs)), o.Build, o.Machine)
	}
	return strings.Join(parts, "; ")
}

// groupRuns returns the runs averaged in g's cells.
func groupRuns(g *Group) []*Run {
	var out []*Run
	for _, c := range g.Cells {
		out = append(out, c.Runs...)
	}
	return out
}

// crossNote says how many of d's pairs cross machines ("" for none).
func crossNote(d *Diff) string {
	if d.CrossMachine == 0 {
		return ""
	}
	return fmt.Sprintf(", %d across machines", d.CrossMachine)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
