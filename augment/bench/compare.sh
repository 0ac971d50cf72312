#!/usr/bin/env bash
# compare.sh: augment's Go pipelines against torchvision + Pillow, on this
# machine, in one command so that both sides share the machine's conditions.
#
#   augment/bench/compare.sh                     # from anywhere in the repo
#   PYTHON=/path/to/venv/bin/python ROUNDS=5 OUT=/tmp/cmp augment/bench/compare.sh
#
# PYTHON   interpreter with torch, torchvision, Pillow, numpy (default /tmp/tvvenv/bin/python)
# ROUNDS   rounds (default 5); each round runs every BenchmarkCompare* of
#          augment/compare_bench_test.go once
#          (-test.cpu 1 -test.count 1) and then every torchvision row once
#          (--repeats 1), so both sides are sampled alternately through the run
# OUT      directory for the raw outputs (default: a new temporary directory)
#
# Prints a header (date, CPU, Go and Python versions, load average), the
# per-round load averages and CPU shares, and the Markdown table of
# augment/bench/table.py (medians over the rounds and ratios Go/torchvision).
# Run it under `nice -n 19` on a shared machine and say so with the numbers.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
py=${PYTHON:-/tmp/tvvenv/bin/python}
rounds=${ROUNDS:-5}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
: >"$out/go.txt"
: >"$out/tv.jsonl"
: >"$out/rounds.txt"

cd "$root"
go test -c -o "$out/augment.test" ./augment
bench='^BenchmarkCompare(Standard|RandAugment|Full)(32|84)$'

echo "date:        $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu:         $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
echo "go:          $(go version)"
echo "python:      $("$py" -c 'import sys; print(sys.version.split()[0])')"
echo "nice:        $(nice)"
echo "loadavg:     $(cut -d' ' -f1-3 /proc/loadavg) (start)"
echo "out:         $out"

# cpu_share FILE CMD... runs CMD with its stdout appended to FILE and prints
# its (user+sys)/elapsed: below 1 means the single-threaded benchmark did not
# get a whole core.
cpu_share() {
	local f=$1 t
	shift
	t=$(mktemp)
	/usr/bin/time -f '%e %U %S' -o "$t" "$@" >>"$f"
	awk '{ printf "%.2f", ($2 + $3) / $1 }' "$t"
	rm -f "$t"
}

for r in $(seq 1 "$rounds"); do
	load=$(cut -d' ' -f1 /proc/loadavg)
	gs=$(cd augment && cpu_share "$out/go.txt" "$out/augment.test" -test.run '^$' \
		-test.bench "$bench" -test.cpu 1 -test.count 1 -test.benchmem)
	ts=$(cpu_share "$out/tv.jsonl" "$py" augment/bench/bench_torchvision.py --repeats 1 \
		2>>"$out/tv.log")
	echo "round $r:     loadavg(1m) $load, CPU share go $gs, torchvision $ts" | tee -a "$out/rounds.txt"
done
echo "loadavg:     $(cut -d' ' -f1-3 /proc/loadavg) (end)"
echo
"$py" augment/bench/table.py "$out/go.txt" "$out/tv.jsonl"
