#!/usr/bin/env bash
# The CPU (or GPU) training step of budgetrain against PyTorch's, in one command (issue 15,
# docs/gpu.md "Compare with PyTorch"): for each model, ROUNDS rounds that run `budgetrain bench`
# and scripts/bench-reference.py one after the other (alternating which goes first), then the
# median over rounds of each side's median img/s and their ratio. Running the two sides
# interleaved in one command keeps a noisy machine's drift out of the ratio.
#
#   scripts/bench-vs-pytorch.sh                      # resnet8 and resnet18 on the CPU, 5 rounds
#   MODELS=resnet8 ROUNDS=3 DEVICE=cuda PRECISION=bf16 scripts/bench-vs-pytorch.sh
#
# Settings (environment): MODELS (resnet8 resnet18), ROUNDS (5), DEVICE (cpu), PRECISION (fp32),
# THREADS (2; 0 = each side's default), WARMUP (5), ITERS (20), BATCH (128), DATASET (cifar10),
# BUDGETRAIN (bin/budgetrain), PYTHON (python3, needs torch). The per-round numbers and the
# summary go to stdout; OUT=file.json also writes them as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
models=${MODELS:-resnet8 resnet18}
rounds=${ROUNDS:-5}
device=${DEVICE:-cpu}
precision=${PRECISION:-fp32}
threads=${THREADS:-2}
warmup=${WARMUP:-5}
iters=${ITERS:-20}
batch=${BATCH:-128}
dataset=${DATASET:-cifar10}
bt=${BUDGETRAIN:-bin/budgetrain}
py=${PYTHON:-python3}

[ -x "$bt" ] || { echo "bench-vs-pytorch: $bt not found or not executable: run make build (or set BUDGETRAIN)" >&2; exit 2; }
"$py" -c 'import torch' 2>/dev/null || { echo "bench-vs-pytorch: $py cannot import torch: set PYTHON to a Python with PyTorch" >&2; exit 2; }
case $rounds in '' | *[!0-9]* | 0) echo "bench-vs-pytorch: ROUNDS ($rounds) must be a whole number > 0" >&2; exit 2 ;; esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for m in $models; do
  args=(--model "$m" --device "$device" --precision "$precision" --dataset "$dataset" --batch "$batch" --warmup "$warmup" --iters "$iters" --threads "$threads" --json)
  for r in $(seq 1 "$rounds"); do
    # Alternate which side runs first, so that a trend in the machine's load hits both alike.
    order="budgetrain pytorch"
    [ $((r % 2)) -eq 0 ] && order="pytorch budgetrain"
    for side in $order; do
      f="$tmp/$m.$r.$side.json"
      if [ "$side" = budgetrain ]; then
        "$bt" bench "${args[@]}" > "$f"
      else
        "$py" scripts/bench-reference.py "${args[@]}" > "$f"
      fi
    done
    echo "bench-vs-pytorch: $m round $r/$rounds done" >&2
  done
done

"$py" - "$tmp" "$rounds" "${OUT:-}" $models <<'EOF'
import json, statistics, sys
tmp, rounds, out, models = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
res = {}
for m in models:
    per = {"budgetrain": [], "pytorch": []}
    for r in range(1, rounds + 1):
        for side in per:
            per[side].append(json.load(open(f"{tmp}/{m}.{r}.{side}.json"))["train"]["median"])
    b, p = statistics.median(per["budgetrain"]), statistics.median(per["pytorch"])
    ratios = [x / y for x, y in zip(per["budgetrain"], per["pytorch"])]
    res[m] = {"budgetrain_img_s": per["budgetrain"], "pytorch_img_s": per["pytorch"],
              "budgetrain_median": b, "pytorch_median": p, "ratio": b / p,
              "round_ratio_min": min(ratios), "round_ratio_max": max(ratios)}
d = json.load(open(f"{tmp}/{models[0]}.1.budgetrain.json"))
r = json.load(open(f"{tmp}/{models[0]}.1.pytorch.json"))
print(f"train step, {d['precision']}, batch {d['batch']}, {d['dataset']} shape, device {d['device']}, "
      f"{d['threads']} threads; CPU {d['cpu']}")
print(f"budgetrain {d['budgetrain']} (libtorch {d['libtorch']}) against PyTorch {r['libtorch']} channels-last")
print(f"{rounds} rounds of {d['warmup']} warm-up + {d['iters']} timed steps each side; img/s per round (median step):")
for m, v in res.items():
    print(f"  {m:<10} budgetrain {' '.join(f'{x:6.0f}' for x in v['budgetrain_img_s'])}")
    print(f"  {'':<10} pytorch    {' '.join(f'{x:6.0f}' for x in v['pytorch_img_s'])}")
    print(f"  {m:<10} median {v['budgetrain_median']:.0f} vs {v['pytorch_median']:.0f} img/s: "
          f"{v['ratio']:.2f}x PyTorch (rounds {v['round_ratio_min']:.2f}-{v['round_ratio_max']:.2f}x)")
if out:
    with open(out, "w") as f:
        json.dump({"budgetrain": d, "pytorch": r, "models": res}, f, indent=2)
EOF
