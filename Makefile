# budgetrain: `make demo` and `make test` install what is missing (scripts/deps.sh), then run.
SHELL := /bin/bash
# Idle OpenMP workers sleep instead of spinning (see cmd/budgetrain/main.go).
export OMP_WAIT_POLICY ?= PASSIVE
GO ?= go
BIN := bin/budgetrain

.PHONY: deps build print-vcs-ldflags bundle test-bundle demo test test-short bench lint clean gpu-check reproduce

deps:
	@bash scripts/deps.sh

# The git commit and whether a file that goes into the binary has uncommitted changes, for
# summary.json's provenance (Go's own stamping misses git worktrees and GOFLAGS=-buildvcs=false).
GIT_COMMIT := $(shell git rev-parse HEAD 2>/dev/null)
GIT_DIRTY := $(shell git status --porcelain -- '*.go' '*.cpp' 'pipeline/sweep/presets/*.yaml' go.mod go.sum 2>/dev/null | grep -q . && echo true)
VCS_LDFLAGS := -X budgetrain/pipeline.buildCommit=$(GIT_COMMIT) -X budgetrain/pipeline.buildDirty=$(GIT_DIRTY)
build: deps
	$(GO) build -ldflags '$(VCS_LDFLAGS)' -o $(BIN) ./cmd/budgetrain

# The -ldflags of build, for scripts that link other binaries the same way (scripts/bundle.sh).
print-vcs-ldflags:
	@echo '$(VCS_LDFLAGS)'

# dist/budgetrain-<version>-torch<ver>-<cpu|cuXYZ>-linux-x86_64.tar.gz: the binary built against
# the libtorch setup uses (LIBTORCH, BUDGETRAIN_CUDA as for build) with a launcher that runs it
# against the PyTorch installed where it is unpacked (docs/gpu.md#bundle).
bundle: build
	@bash scripts/bundle.sh $(BIN)

# Unpacks the newest dist/ bundle elsewhere and trains and evaluates with only a pip torch of
# its version (python3, or BUNDLE_TEST_PYTHON) providing libtorch; SKIP without one.
test-bundle:
	@bash scripts/test-bundle.sh

# The main job: Fashion-MNIST, resnet8, unif-sgd at budget 0.3, standard augmentation; 10
# epochs with the settings chosen in docs/training.md ("The demo run").
DEMO_SETTINGS := --epochs 10 --set train.lr=0.2 --set train.weight_decay=5e-4 --set train.label_smoothing=0.1 --set train.eval_async=true
demo: build
	./$(BIN) train --name demo --out runs/demo --force $(DEMO_SETTINGS)
	./$(BIN) eval --onnx runs/demo/model.onnx --dataset fashion-mnist

# The paper's three claims on Fashion-MNIST with its pass structure (docs/reproduction.md): the
# paper-fmnist-e200 grid, two cells at a time, then its report in runs/paper-fmnist-e200/report.
# Rerunning continues where it stopped. About 6 hours on 2 cores (measured: docs/reproduction.md).
reproduce: build
	./$(BIN) sweep --preset paper-fmnist-e200 --out runs/paper-fmnist-e200 --jobs 2
	./$(BIN) report runs/paper-fmnist-e200

# Every test, including the real-data end-to-end runs, then the rest of the GPU check (its Go
# tests ran in go test, on the CPU standing in for the GPU where there is none; docs/gpu.md).
test: deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...
	@bash scripts/gpu-check.sh --no-go-tests

test-short: deps
	$(GO) test -short ./...

bench: deps
	$(GO) test -run '^$$' -bench . -benchtime 20x ./pipeline
	$(GO) test -run '^$$' -bench . ./sampler ./augment ./onnx/...

lint: deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

# The GPU check (scripts/gpu-check.sh, docs/gpu.md): the device against the CPU from the same
# weights, device img/s, a run on the device evaluated by onnxruntime. On the GPU where nvidia-smi
# lists one, else with the CPU standing in (BUDGETRAIN_GPU_CHECK_DEVICE=cuda|cpu chooses).
gpu-check:
	@bash scripts/gpu-check.sh

clean:
	rm -rf bin third_party dist
