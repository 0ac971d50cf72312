package report

import (
	"strings"
	"testing"

	"budgetrain/pipeline/runfolder"
)

// TestAugmentationPairedWithStandard: a cell of another augmentation is paired by seed with
// the cell of standard augmentation with the same method, budget and other settings; a
// method that standard augmentation lacks gets no pair.
func TestAugmentationPairedWithStandard(t *testing.T) {
	mix := []string{"augment.policy=standard+mixup-a0.3", "augment.ops=[]"}
	root := writeRuns(t,
		fakeRun{method: "sgd", budget: 1, seed: 1, acc: 0.90},
		fakeRun{method: "sgd", budget: 1, seed: 2, acc: 0.91},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.86},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 2, acc: 0.88},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.89, set: mix},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 2, acc: 0.90, set: mix},
		fakeRun{method: "p-sgd", budget: 0.3, seed: 1, acc: 0.80, set: mix},
	)
	rep := build(t, root, MetricFinal)
	var g *Group
	for _, h := range rep.Groups {
		if h.Augment == "standard+mixup-a0.3" {
			g = h
		}
	}
	if g == nil || len(g.AugDiffs) != 1 {
		t.Fatalf("mixup group %+v: want one paired difference to standard augmentation", g)
	}
	d := g.AugDiffs[0]
	if d.Cell.Method != "unif-sgd" || d.Ref.Group.Augment != "standard" || d.Ref.Budget != 0.3 || d.Ref.Method != "unif-sgd" {
		t.Errorf("paired %s at %v with %s/%s at %v", d.Cell.Method, d.Cell.Budget, d.Ref.Group.Augment, d.Ref.Method, d.Ref.Budget)
	}
	// 0.89 − 0.86 and 0.90 − 0.88: mean +2.50 pp, std 0.71, half-width 12.706 · 0.7071 / √2 = 6.35.
	md := markdown(t, rep)
	if want := "Minus standard augmentation with the same method, budget and other settings, paired by seed (pp, 95% CI): unif-sgd at b = 0.3 +2.50 [-3.85, +8.85] (2 pairs)."; !strings.Contains(md, want) {
		t.Errorf("report.md lacks %q\n%s", want, md)
	}
	for _, h := range rep.Groups {
		if h.Augment == "standard" && len(h.AugDiffs) > 0 {
			t.Errorf("standard augmentation paired with itself: %+v", h.AugDiffs)
		}
	}
}

// TestProvenanceAcrossMachines: report.md names the builds and machines of the runs, warns
// under a table whose runs come from more than one, counts the pairs across machines, and
// lists runs resumed on another machine; runs of one machine get no warning.
func TestProvenanceAcrossMachines(t *testing.T) {
	amd := runfolder.Provenance{Commit: "aaaaaaaaaaaa", Libtorch: "2.1.2", Device: "cpu", Threads: 1, CPU: "AMD EPYC 7B13 (AuthenticAMD, avx2)"}
	intel := amd
	intel.CPU = "Intel(R) Xeon(R) Processor (GenuineIntel, family 6, model 167, stepping 1, avx512f)"
	same := writeRuns(t,
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.86, prov: amd},
		fakeRun{method: "p-sgd", budget: 0.3, seed: 1, acc: 0.87, prov: amd},
	)
	md := markdown(t, build(t, same, MetricFinal))
	if want := "Provenance (summary.json): 2 runs from build `aaaaaaaaaa` on libtorch 2.1.2, cpu, 1 thread, AMD EPYC 7B13 (AuthenticAMD, avx2)."; !strings.Contains(md, want) {
		t.Errorf("report.md lacks %q\n%s", want, md)
	}
	if strings.Contains(md, "not all bit-exact") || strings.Contains(md, "across machines") {
		t.Errorf("runs of one machine got a warning:\n%s", md)
	}

	mixed := writeRuns(t,
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 1, acc: 0.86, prov: amd},
		fakeRun{method: "unif-sgd", budget: 0.3, seed: 2, acc: 0.87, prov: intel, from: []runfolder.Provenance{amd}},
		fakeRun{method: "p-sgd", budget: 0.3, seed: 1, acc: 0.87, prov: intel},
		fakeRun{method: "p-sgd", budget: 0.3, seed: 2, acc: 0.88, prov: intel},
	)
	rep := build(t, mixed, MetricFinal)
	md = markdown(t, rep)
	for _, want := range []string{
		"The runs of this table come from 2 builds or machines, so its comparisons are not all bit-exact: 3 runs from build `aaaaaaaaaa` on libtorch 2.1.2, cpu, 1 thread, Intel",
		"1 pairs across machines (kept)",
		"Trained in part by another build or machine (summary.json `resumed_from`): `",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q\n%s", want, md)
		}
	}
	if len(rep.Diffs) != 1 || rep.Diffs[0].CrossMachine != 1 {
		t.Errorf("diffs %+v: want one with 1 pair across machines (seed 1: AMD vs Intel)", rep.Diffs)
	}
}
