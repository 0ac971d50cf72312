#!/usr/bin/env bash
# gpu-check.sh: one short check of the CUDA build, for a machine with an NVIDIA GPU (make gpu-check).
# Without a GPU it says so and exits 0 (CI has none and skips it this way).
#
#   1. builds with BUDGETRAIN_CUDA=1 (setup installs the NVIDIA wheels torch 2.1.2 pins);
#   2. TestCUDAMatchesCPU: resnet8 from the same weights on the same five batches on CUDA and on
#      the CPU; training logits, losses and evaluation logits must agree to 1e-3;
#   3. BenchmarkTrainStepCUDA: training images/s on CUDA for resnet18 (and resnet8) on
#      CIFAR-shaped 3x32x32 batches of 128;
#   4. a one-epoch Fashion-MNIST run with --device cuda, exported to ONNX and evaluated by
#      onnxruntime alone (budgetrain eval); its accuracy must equal libtorch's.
# Everything it prints also goes to runs/gpu-check/gpu-check.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
	echo "gpu-check: no NVIDIA GPU here (nvidia-smi lists none): nothing to check"
	exit 0
fi
out=runs/gpu-check
mkdir -p "$out"
exec > >(tee "$out/gpu-check.txt") 2>&1
export BUDGETRAIN_CUDA=1 OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
echo "== gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
nvidia-smi -L
make build
echo "== 1. CUDA against the CPU from the same weights and batches"
go test -count=1 -run 'TestCUDAMatchesCPU|TestDeviceSelection' -v ./pipeline | grep -E '^(=== RUN|--- |ok|FAIL|PASS)|cuda_test'
echo "== 2. training throughput on CUDA"
go test -count=1 -run '^$' -bench 'TrainStepCUDA' -benchtime 50x ./pipeline | grep -E 'Benchmark|ok|FAIL'
echo "== 3. a run on CUDA, evaluated by onnxruntime"
./bin/budgetrain train --device cuda --name gpu-check --out "$out/run" --force --epochs 1 --budget 0.3
./bin/budgetrain eval --onnx "$out/run/model.onnx" --dataset fashion-mnist --json > "$out/eval.json"
torch_acc=$(sed -n 's/^ *"torch_test_acc": \([0-9.]*\).*/\1/p' "$out/run/summary.json")
onnx_acc=$(sed -n 's/^ *"accuracy": \([0-9.]*\).*/\1/p' "$out/eval.json" | head -n1)
echo "libtorch (CUDA) test accuracy $torch_acc, onnxruntime $onnx_acc"
if [ -z "$onnx_acc" ] || [ "$torch_acc" != "$onnx_acc" ]; then
	echo "gpu-check: FAILED: onnxruntime's accuracy differs from libtorch's on CUDA"
	exit 1
fi
echo "gpu-check: passed (results in $out/gpu-check.txt)"
