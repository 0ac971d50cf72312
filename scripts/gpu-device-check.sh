#!/usr/bin/env bash
# gpu-device-check.sh BUNDLE.tar.gz: the GPU check on a machine with an NVIDIA GPU, PyTorch and no
# Go (issue 15 part 5; docs/gpu.md "On a GPU machine without Go"). Run from the repository root;
# everything it prints also goes to $OUT/gpu-device-check.txt (OUT defaults to runs/gpu-device-check).
#
# The bundle must be built for the torch installed there, with the GPU check's test binary:
#   python3 -m venv /tmp/t && /tmp/t/bin/pip install torch==2.11.0        # CUDA 13 wheels
#   LIBTORCH=$(echo /tmp/t/lib/python3*/site-packages/torch) BUDGETRAIN_CUDA=1 BUNDLE_GPU_CHECK=1 make bundle
#
# Steps, each under its own time limit so that the whole stays under 8 minutes:
#   1. the card (nvidia-smi) and the torch beside it;
#   2. the GPU check's Go tests (the test binary, BUDGETRAIN_GPU_CHECK_DEVICE=cuda, CI=1 so that a
#      skip fails), from pipeline/ where their fixtures are;
#   3. budgetrain bench and scripts/bench-reference.py for resnet8 and resnet18 in fp32 and bf16;
#   4. a short run of every sampler on random CIFAR-shaped data (CIFAR-10's binary format).
# DEVICE=cpu runs all of it with the CPU standing in (to try the script where there is no GPU);
# BENCH_MODELS (resnet8 resnet18), ITERS (50) and RUN_MODEL (resnet18) make it fit a CPU.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bundle=${1:?usage: gpu-device-check.sh BUNDLE.tar.gz (see the header)}
dev=${DEVICE:-cuda}
py=${PYTHON:-python3}
out=${OUT:-runs/gpu-device-check}
mkdir -p "$out"
out=$(cd "$out" && pwd)
log=$out/gpu-device-check.txt
: > "$log"
say() { printf '%s\n' "$*" | tee -a "$log"; }
step() { say ""; say "== $* ($(date -u +%H:%M:%S))"; }
# run LIMIT CMD...: runs CMD with a time limit, output to the log, and says how it ended.
run() {
	local limit=$1
	shift
	timeout "$limit" "$@" 2>&1 | tee -a "$log"
	local rc=${PIPESTATUS[0]}
	local why=""
	[ "$rc" = 124 ] && why=" (time limit ${limit}s)"
	[ "$rc" = 0 ] || say "!! exit $rc$why: $*"
	return 0
}
t0=$(date +%s)

step "1. the machine"
run 20 nvidia-smi -L
run 30 "$py" -c 'import torch, platform; print("torch", torch.__version__, "CUDA", torch.version.cuda, "cuda available", torch.cuda.is_available(), "device", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-", "python", platform.python_version())'
run 20 "$py" -c 'import onnxruntime; print("onnxruntime", onnxruntime.__version__)'

step "unpack $bundle"
b=$(mktemp -d)
tar -C "$b" -xzf "$bundle" || { say "!! cannot unpack $bundle"; exit 1; }
root=$(echo "$b"/*)
cat "$root/MANIFEST" | tee -a "$log"
bt=$root/bin/budgetrain
run 60 env BUDGETRAIN_BUNDLE_VERBOSE=1 "$bt" config --set device="$dev" --set name=check

step "2. the GPU check's Go tests on $dev"
if [ -x "$root/libexec/pipeline.test" ]; then
	(cd "$repo/pipeline" && run 240 env BUDGETRAIN_GPU_CHECK_DEVICE="$dev" CI=1 "$root/bin/pipeline.test" \
		-test.run 'GPUCheck|TestDeviceSelection|TestUploaderDoubleBuffers|TestNewModelChannelsLastWeights' -test.v -test.count=1)
else
	say "!! the bundle has no libexec/pipeline.test: build it with BUNDLE_GPU_CHECK=1 (see the header)"
fi

step "3. budgetrain bench and the PyTorch reference on $dev (batch 128, CIFAR-10's shape)"
for m in ${BENCH_MODELS:-resnet8 resnet18}; do
	for p in fp32 bf16; do
		a=(--model "$m" --device "$dev" --precision "$p" --warmup 10 --iters "${ITERS:-50}")
		say "-- $m $p"
		run 90 "$bt" bench "${a[@]}"
		run 90 "$py" scripts/bench-reference.py "${a[@]}"
	done
done

rmodel=${RUN_MODEL:-resnet18}
step "4. every sampler, 3 epochs at b = 0.3 of 10,000 random CIFAR-shaped images, $rmodel, on $dev"
data=$(mktemp -d)
"$py" - "$data" <<'EOF'
import os, random, sys
d = sys.argv[1]
rng = random.Random(0)
def write(name, n):
    with open(os.path.join(d, name), "wb") as f:
        for _ in range(n):
            f.write(bytes([rng.randrange(10)]) + rng.randbytes(3072))
for i in range(1, 6):
    write(f"data_batch_{i}.bin", 2000)
write("test_batch.bin", 2000)
EOF
# The sampler registry, as the error for an unknown method lists it.
methods=$("$bt" config --set sampler.method=? 2>&1 | sed -n 's/.*must be one of \(.*\): unknown sampler method.*/\1/p' | tr -d ,)
[ -n "$methods" ] || { say "!! could not list the samplers"; methods="sgd unif-sgd"; }
for m in $methods; do
	left=$((450 - ($(date +%s) - t0)))
	if [ "$left" -lt 20 ]; then
		say "!! stopping before $m: the script's 8 minutes are nearly spent"
		break
	fi
	say "-- $m"
	run "$((left < 60 ? left : 60))" "$bt" train --device "$dev" --name "gpu-$m" --out "$out/runs/$m" --force \
		--set dataset.name=cifar10 --set dataset.dir="$data" --set dataset.test_limit=2000 --set model.name="$rmodel" \
		--set sampler.method="$m" --set train.budget=0.3 --epochs 3 --set train.eval_backend=torch
	[ -f "$out/runs/$m/summary.json" ] && "$py" -c 'import json,sys; s=json.load(open(sys.argv[1])); print("summary:", dict({k: s.get(k) for k in ("method", "final_test_acc", "torch_test_acc", "onnx_test_acc", "train_seconds")}, device=s.get("provenance", {}).get("device")))' "$out/runs/$m/summary.json" | tee -a "$log"
done
rm -rf "$data" "$b"
step "done in $(($(date +%s) - t0)) s; log: $log"
