#!/usr/bin/env bash
# experiment.sh runs a grid of budgetrain training runs and tabulates their summaries.
#
#   scripts/experiment.sh OUTDIR "METHODS" "BUDGETS" "SEEDS" "POLICIES" [extra train args...]
#
# Every run goes to OUTDIR/<method>-b<budget>-<policy>-s<seed>; a run whose summary.json
# exists is skipped, so an interrupted grid resumes. At the end OUTDIR/results.tsv holds one line
# per run (method, budget, policy, seed, final and best test accuracy, onnx accuracy, forward and
# backward samples, train seconds), and OUTDIR/table.md the mean ± std over seeds.
set -euo pipefail
out=$1 methods=$2 budgets=$3 seeds=$4 policies=$5
shift 5
bin=${BUDGETRAIN_BIN:-bin/budgetrain}
mkdir -p "$out"
for policy in $policies; do
	for b in $budgets; do
		for m in $methods; do
			for s in $seeds; do
				dir=$out/$m-b$b-$policy-s$s
				[ -f "$dir/summary.json" ] && continue
				echo "== $dir" >&2
				"$bin" train --out "$dir" --name "$m-b$b-$policy-s$s" --method "$m" --budget "$b" \
					--augment "$policy" --seed "$s" "$@" > "$dir.log" 2>&1 || { echo "failed: see $dir.log" >&2; exit 1; }
			done
		done
	done
done
printf 'method\tbudget\tpolicy\tseed\tfinal_test_acc\tbest_test_acc\tonnx_test_acc\tsamples_forward\tsamples_backward\titerations\ttrain_seconds\tvisit_entropy\n' > "$out/results.tsv"
for f in "$out"/*/summary.json; do
	jq -r '[.method, .budget, .augmentation, .seed, .final_test_acc, .best_test_acc, .onnx_test_acc, .samples_forward, .samples_backward, .iterations, .train_seconds, .visit_entropy] | @tsv' "$f" >> "$out/results.tsv"
done
python3 - "$out/results.tsv" > "$out/table.md" <<'PY'
import sys, statistics, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
g = collections.OrderedDict()
for r in rows:
    g.setdefault((r[2], r[1], r[0]), []).append(r)
print("| policy | budget | method | seeds | final acc (mean ± std) | best acc | images forwarded | images back-propagated | steps | train s |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (pol, b, m), rs in sorted(g.items(), key=lambda kv: (kv[0][0], float(kv[0][1]), kv[0][2])):
    acc = [float(r[4]) for r in rs]; best = [float(r[5]) for r in rs]
    sd = statistics.stdev(acc) if len(acc) > 1 else 0.0
    fwd = statistics.mean(float(r[7]) for r in rs); bwd = statistics.mean(float(r[8]) for r in rs)
    print(f"| {pol} | {b} | {m} | {len(rs)} | {100*statistics.mean(acc):.2f} ± {100*sd:.2f} | {100*statistics.mean(best):.2f} | {fwd:.0f} | {bwd:.0f} | {rs[0][9]} | {statistics.mean(float(r[10]) for r in rs):.0f} |")
PY
cat "$out/table.md"
