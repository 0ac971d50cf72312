#!/usr/bin/env bash
# gpu-check.sh: the GPU check (make gpu-check; docs/gpu.md). It runs on the device named by
# BUDGETRAIN_GPU_CHECK_DEVICE: cuda, cpu (the CPU standing in for the GPU, as CI and make test
# run it), or unset: cuda where nvidia-smi lists a GPU, else the cpu stand-in.
#
#   1. builds (with BUDGETRAIN_CUDA=1 for cuda; without CUDA, BUDGETRAIN_CUDA=0, for the stand-in,
#      unless BUDGETRAIN_CUDA is set);
#   2. the Go tests of the check (pipeline: TestGPUCheck*, device selection; torchx: the TF32
#      switch): the device against the CPU from the same weights, for every sampler, mixer, label
#      smoothing, resume, export to onnxruntime, and memory over an epoch; on cuda a skipped test
#      fails the check (it means libtorch saw no GPU);
#   3. BenchmarkTrainStepDevice: training images/s for resnet18 and resnet8 on CIFAR-shaped
#      3x32x32 batches of 128, 50 steps each on cuda; the stand-in runs 2 steps of resnet8 only,
#      to check that it runs (a resnet18 step takes seconds on a busy 2-core CPU);
#   4. a one-epoch Fashion-MNIST run (the first 6000 training images, all 10000 test images) with
#      --device set to the device, exported to ONNX and evaluated by onnxruntime alone (budgetrain eval); its accuracy
#      must equal libtorch's.
# --no-go-tests skips step 2 (make test passes it: its go test ./... has just run those tests).
# Everything it prints also goes to runs/gpu-check/gpu-check.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
go_tests=1
case "${1:-}" in
--no-go-tests) go_tests=0 ;;
"") ;;
*) echo "usage: scripts/gpu-check.sh [--no-go-tests]" >&2; exit 2 ;;
esac
has_gpu() { command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU'; }
dev=${BUDGETRAIN_GPU_CHECK_DEVICE:-}
if [ -z "$dev" ]; then
	dev=cpu
	if has_gpu; then dev=cuda; fi
fi
case "$dev" in
cuda)
	if ! has_gpu; then
		echo "gpu-check: BUDGETRAIN_GPU_CHECK_DEVICE=cuda, but nvidia-smi lists no GPU here (BUDGETRAIN_GPU_CHECK_DEVICE=cpu runs the check with the CPU standing in)"
		if [ -n "${CI:-}" ]; then exit 1; fi
		exit 0
	fi
	export BUDGETRAIN_CUDA=1 ;;
cpu) export BUDGETRAIN_CUDA=${BUDGETRAIN_CUDA:-0} ;;
*) echo "gpu-check: BUDGETRAIN_GPU_CHECK_DEVICE=$dev: want cuda, cpu or unset" >&2; exit 2 ;;
esac
export BUDGETRAIN_GPU_CHECK_DEVICE=$dev OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
out=runs/gpu-check
mkdir -p "$out"
exec > >(tee "$out/gpu-check.txt") 2>&1
start=$SECONDS
echo "== gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), device $dev"
if [ "$dev" = cuda ]; then nvidia-smi -L; else echo "(the CPU stands in for the GPU: nothing here measures a GPU)"; fi
make build
if [ "$go_tests" = 1 ]; then
	echo "== 1. the device against the CPU from the same weights"
	log=$out/go-test.txt
	rc=0
	go test -count=1 -v -run 'TestGPUCheck|TestToleranceIs|TestDeviceSelection' ./pipeline >"$log" 2>&1 || rc=$?
	go test -count=1 -v -run 'TestSetAllowTF32' ./internal/torchx >>"$log" 2>&1 || rc=$?
	grep -E '^\s*(--- |ok|FAIL|PASS)|gpucheck_test' "$log" || true
	if [ "$rc" != 0 ]; then echo "gpu-check: FAILED: Go tests (full output in $log)"; exit 1; fi
	if [ "$dev" = cuda ] && grep -q -- '--- SKIP' "$log"; then
		echo "gpu-check: FAILED: tests skipped on a GPU machine (libtorch sees no CUDA device?)"
		exit 1
	fi
fi
echo "== 2. training throughput on $dev"
bench=TrainStepDevice steps=50
if [ "$dev" = cpu ]; then bench=TrainStepDevice/cpu/resnet8 steps=2; fi
go test -count=1 -run '^$' -bench "$bench" -benchtime "${steps}x" ./pipeline | grep -E 'Benchmark|ok|FAIL'
echo "== 3. a run on $dev, evaluated by onnxruntime"
./bin/budgetrain train --device "$dev" --name gpu-check --out "$out/run" --force --epochs 1 --budget 0.3 \
	--set dataset.train_limit=6000
./bin/budgetrain eval --onnx "$out/run/model.onnx" --dataset fashion-mnist --json >"$out/eval.json"
torch_acc=$(sed -n 's/^ *"torch_test_acc": \([0-9.]*\).*/\1/p' "$out/run/summary.json")
onnx_acc=$(sed -n 's/^ *"accuracy": \([0-9.]*\).*/\1/p' "$out/eval.json" | head -n1)
echo "libtorch ($dev) test accuracy $torch_acc, onnxruntime $onnx_acc"
if [ -z "$onnx_acc" ] || [ "$torch_acc" != "$onnx_acc" ]; then
	echo "gpu-check: FAILED: onnxruntime's accuracy differs from libtorch's on $dev"
	exit 1
fi
echo "gpu-check: passed on $dev in $((SECONDS - start)) s (results in $out/gpu-check.txt)"
