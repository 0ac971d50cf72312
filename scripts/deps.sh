#!/usr/bin/env bash
# deps.sh installs what budgetrain needs outside Go's module cache, idempotently:
#   libtorch 2.1.2   from the torch==2.1.2 wheel (only torch/lib and torch/include), or $LIBTORCH
#   gotch v0.9.1     a patched, git-ignored copy in third_party/gotch (lib.go for this libtorch,
#                    per-op malloc leak fixed, wrappers that another libtorch lacks stubbed);
#                    go.mod replaces the module with it
#   onnxruntime      libonnxruntime.so.1 from the npm package onnxruntime-node@1.30.0, or $ONNXRUNTIME_LIB
#   Fashion-MNIST    the Debian package dataset-fashion-mnist
# Everything downloaded lives in $BUDGETRAIN_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/budgetrain).
# A second run finds everything in place and finishes in well under a second.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${BUDGETRAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/budgetrain}
torch_version=2.1.2
gotch_version=v0.9.1
ort_version=1.30.0
mkdir -p "$cache/dl"

say() { printf 'deps: %s\n' "$*" >&2; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required ($2)"; }

# ---- libtorch ---------------------------------------------------------------------------------
libtorch_from_wheel() {
	local dest=$cache/libtorch-$torch_version
	if [ -f "$dest/.complete" ]; then echo "$dest"; return; fi
	need python3 "to download the torch wheel with pip"
	need unzip "to unpack the torch wheel (apt-get install unzip)"
	local whl
	whl=$(ls "$cache"/dl/torch-$torch_version-*.whl 2>/dev/null | head -n1 || true)
	if [ -z "$whl" ]; then
		say "downloading the torch==$torch_version wheel (about 670 MB) into $cache/dl"
		python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
			"torch==$torch_version" -d "$cache/dl" >&2 || return 1
		whl=$(ls "$cache"/dl/torch-$torch_version-*.whl | head -n1)
	fi
	say "unpacking torch/lib and torch/include from $(basename "$whl")"
	local tmp
	tmp=$(mktemp -d "$cache/libtorch.tmp.XXXXXX")
	unzip -q "$whl" 'torch/lib/*' 'torch/include/*' -d "$tmp" >&2
	# The wheel is the CUDA 12.1 build: libtorch_cpu itself needs libcudart.so.12 and libcupti.so.12,
	# which come from two small wheels it depends on. Its RPATH includes $ORIGIN, so they go in lib/.
	local dep f
	for dep in nvidia_cuda_runtime_cu12:cuda_runtime/lib/libcudart.so.12 nvidia_cuda_cupti_cu12:cuda_cupti/lib/libcupti.so.12; do
		f=$(ls "$cache"/dl/${dep%%:*}-12.1.105-*.whl 2>/dev/null | head -n1 || true)
		if [ -z "$f" ]; then
			python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
				"$(echo "${dep%%:*}" | tr _ -)==12.1.105" -d "$cache/dl" >&2 || return 1
			f=$(ls "$cache"/dl/${dep%%:*}-12.1.105-*.whl | head -n1)
		fi
		unzip -q -j "$f" "nvidia/${dep#*:}" -d "$tmp/torch/lib" >&2
	done
	rm -rf "$dest"
	mv "$tmp/torch" "$dest"
	rmdir "$tmp"
	touch "$dest/.complete"
	echo "$dest"
}

libtorch_from_debian() {
	# Fallback: Debian's libtorch-dev 1.13.1; gotch then needs stubs (scripts/libtorch-stubs/1.13.txt).
	if ! dpkg -s libtorch-dev >/dev/null 2>&1; then
		[ "$(id -u)" = 0 ] || die "libtorch-dev is missing: run 'sudo apt-get install -y libtorch-dev' or set LIBTORCH"
		say "installing Debian libtorch-dev (fallback)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q libtorch-dev >&2
	fi
	echo /usr
}

# libtorch_cuda_from_wheel prints a libtorch root for a CUDA build: a copy of the wheel's
# libtorch (hard links) whose lib/ also holds the shared libraries of the nvidia-* wheels that
# torch==$torch_version pins exactly (read from its METADATA: cuBLAS, cuDNN, cuFFT, cuRAND,
# cuSOLVER, cuSPARSE, NCCL, NVRTC, NVTX), plus what pip resolves for their own requirements
# (nvJitLink); about 2.7 GB to download. libtorch_cuda's RPATH includes $ORIGIN, so lib/ is where
# it looks. A separate copy, because libtorch_cpu dlopens libnvfuser_codegen at start, which
# pulls in libtorch_cuda and all of CUDA when they resolve: a CPU build must not find them.
libtorch_cuda_from_wheel() {
	local cpu=$1 dest=$cache/libtorch-$torch_version-cuda
	if [ -f "$dest/.complete" ]; then echo "$dest"; return; fi
	need python3 "to download the NVIDIA wheels with pip"
	local whl pins wdir f tmp
	whl=$(ls "$cache"/dl/torch-$torch_version-*.whl | head -n1)
	pins=$(unzip -p "$whl" "torch-$torch_version.dist-info/METADATA" |
		sed -n 's/^Requires-Dist: \(nvidia-[a-z0-9-]*\) (==\([0-9.]*\)).*/\1==\2/p')
	[ -n "$pins" ] || { say "no nvidia-* requirements in $(basename "$whl")"; return 1; }
	wdir=$cache/dl/cuda-$torch_version
	if [ ! -f "$wdir/.complete" ]; then
		say "downloading the NVIDIA wheels of torch==$torch_version: $(echo $pins)"
		python3 -m pip download --quiet --only-binary=:all: --python-version 3.11 --find-links "$cache/dl" \
			$pins -d "$wdir" >&2 || return 1
		touch "$wdir/.complete"
	fi
	tmp=$(mktemp -d "$cache/libtorch-cuda.tmp.XXXXXX")
	cp -al "$cpu/." "$tmp/" && rm -f "$tmp/.complete"
	for f in "$wdir"/nvidia_*.whl; do
		unzip -q -o -j "$f" 'nvidia/*/lib/*.so*' -d "$tmp/lib" >&2 || { rm -rf "$tmp"; return 1; }
	done
	rm -rf "$dest"
	mv "$tmp" "$dest"
	touch "$dest/.complete"
	say "libtorch $torch_version with the NVIDIA libraries it pins in $dest"
	echo "$dest"
}

if [ -n "${LIBTORCH:-}" ]; then
	libtorch=$LIBTORCH
	[ -d "$libtorch/include" ] || die "LIBTORCH=$libtorch has no include/ folder (expected a libtorch root with include/ and lib/)"
else
	libtorch=$(libtorch_from_wheel) || { say "torch==$torch_version wheel unavailable; falling back to Debian libtorch-dev 1.13.1"; libtorch=$(libtorch_from_debian); }
fi

if [ "$libtorch" = /usr ]; then
	libdir=$(dirname "$(ls /usr/lib/*/libtorch_cpu.so | head -n1)")
	incs="-I/usr/include -I/usr/include/torch/csrc/api/include"
else
	libdir=$libtorch/lib
	incs="-I$libtorch/include -I$libtorch/include/torch/csrc/api/include"
fi
[ -f "$libdir/libc10.so" ] || die "no libc10.so in $libdir (is $libtorch a libtorch root?)"

# ABI: decided by how libc10 mangles c10::detail::torchCheckFail's std::string parameter
# (std::__cxx11::basic_string with the cxx11 ABI, Ss without). Not "any __cxx11 symbol": the
# pre-cxx11 wheel also exports a few libstdc++ __cxx11 symbols. The whole nm output is read
# (grep -c, no -q), so that nm never dies of SIGPIPE under pipefail.
need nm "to read libtorch's C++ ABI (apt-get install binutils)"
check_fail=$(nm -D --defined-only "$libdir/libc10.so" | grep 'torchCheckFail' || true)
[ -n "$check_fail" ] || die "cannot tell the C++ ABI of $libdir/libc10.so: it defines no c10::detail::torchCheckFail"
if [ "$(grep -c '__cxx11' <<<"$check_fail" || true)" -gt 0 ]; then abi=1; else abi=0; fi

# CUDA: BUDGETRAIN_CUDA=1 links libtorch_cuda, 0 never; unset (auto) links it when nvidia-smi lists
# a GPU, or when $LIBTORCH's libtorch_cuda already finds all its libraries (a pip-installed torch
# with its nvidia-* packages). For the torch==$torch_version wheel, CUDA first installs the NVIDIA
# wheels that torch pins (libtorch_cuda_from_wheel above).
cuda=${BUDGETRAIN_CUDA:-auto}
case "$cuda" in 0|1|auto) ;; *) die "BUDGETRAIN_CUDA=$cuda: want 1 (link CUDA), 0 (CPU only) or unset (auto)" ;; esac
cuda_resolves() { [ -f "$libdir/libtorch_cuda.so" ] && ! ldd "$libdir/libtorch_cuda.so" 2>&1 | grep -q 'not found'; }
if [ "$cuda" = auto ]; then
	cuda=0
	if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
		say "nvidia-smi lists a GPU: building with CUDA (BUDGETRAIN_CUDA=0 builds for CPU only)"
		cuda=1
	elif [ -n "${LIBTORCH:-}" ] && cuda_resolves; then
		cuda=1
	fi
fi
if [ "$cuda" = 1 ]; then
	[ -f "$libdir/libtorch_cuda.so" ] || die "BUDGETRAIN_CUDA=1, but $libdir has no libtorch_cuda.so (a CPU-only libtorch)"
	if [ -z "${LIBTORCH:-}" ] && [ "$libtorch" != /usr ]; then
		libtorch=$(libtorch_cuda_from_wheel "$libtorch") || die "could not install the NVIDIA libraries torch==$torch_version needs"
		libdir=$libtorch/lib incs="-I$libtorch/include -I$libtorch/include/torch/csrc/api/include"
	fi
	if ! cuda_resolves; then
		die "BUDGETRAIN_CUDA=1, but libtorch_cuda.so cannot find: $(ldd "$libdir/libtorch_cuda.so" 2>&1 | awk '/not found/{printf "%s ", $1}')(install the nvidia-* packages of this torch, or BUDGETRAIN_CUDA=0)"
	fi
fi

# libtorch version, for stubbing when it is not 2.1.x (torch >= 2.9 keeps the numbers in
# torch/headeronly/version.h)
vh=""
for f in "$libtorch"/include/torch/headeronly/version.h "$libtorch"/include/torch/csrc/api/include/torch/version.h \
	/usr/include/torch/csrc/api/include/torch/version.h; do
	if [ -f "$f" ] && grep -q 'define TORCH_VERSION_MAJOR ' "$f"; then vh=$f; break; fi
done
tver=""
[ -n "$vh" ] && tver=$(awk '/define TORCH_VERSION_(MAJOR|MINOR|PATCH) /{v=v (v==""?"":".") $3} END{print v}' "$vh")
# C++ standard: C++17, or C++20 where the headers demand it (torch 2.15 does; 2.11 does not).
cxxstd=c++17
for f in "$libtorch"/include/torch/csrc/api/include/torch/all.h /usr/include/torch/csrc/api/include/torch/all.h; do
	if [ -f "$f" ] && grep -q 'C++20 or later' "$f"; then cxxstd=c++20; fi
	[ -f "$f" ] && break
done

# ---- gotch --------------------------------------------------------------------------------------
gdir=$repo/third_party/gotch
shim=$repo/internal/torchx/csrc/budgetrain_shim.cpp
stamp="gotch=$gotch_version libtorch=$libtorch libdir=$libdir abi=$abi cuda=$cuda version=$tver std=$cxxstd patch=6 shim=$(cksum < "$shim" | cut -d" " -f1)"
if [ "$(cat "$gdir/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
	need go "to fetch gotch"
	say "preparing patched gotch $gotch_version in third_party/gotch ($stamp)"
	src=$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "github.com/sugarme/gotch@$gotch_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -d "$src" ] || die "go mod download github.com/sugarme/gotch@$gotch_version failed"
	tmp=$(mktemp -d "$repo/third_party/.gotch.XXXXXX" 2>/dev/null || { mkdir -p "$repo/third_party"; mktemp -d "$repo/third_party/.gotch.XXXXXX"; })
	cp -r "$src"/*.go "$src"/go.mod "$src"/go.sum "$src"/libtch "$src"/ts "$src"/nn "$src"/dutil "$src"/pickle "$src"/half "$tmp"/
	chmod -R u+w "$tmp"
	ldcuda=""
	[ "$cuda" = 1 ] && ldcuda="-Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed"
	cat > "$tmp/libtch/lib.go" <<GO
package libtch

// Generated by budgetrain scripts/deps.sh for $libtorch (cxx11 ABI=$abi, CUDA=$cuda). Do not edit.

// #cgo CXXFLAGS: -std=$cxxstd -I\${SRCDIR} -O1 -g0 -D_GLIBCXX_USE_CXX11_ABI=$abi $incs
// #cgo CFLAGS: -I\${SRCDIR} -O1 -g0
// #cgo LDFLAGS: -lstdc++ -L$libdir -Wl,-rpath,$libdir $ldcuda -ltorch_cpu -lc10
import "C"
GO
	# Per-op leak: every generated op allocates C.malloc(0) and never frees it (gotch issues 102/115/132).
	# 64 bytes also fits the up-to-7 output pointers of multi-output ops.
	sed -i -E 's/^([[:space:]]*)(ptr|ctensorPtr0) := \(\*lib\.Ctensor\)\(unsafe\.Pointer\(C\.malloc\(0\)\)\)$/\1\2 := (*lib.Ctensor)(unsafe.Pointer(C.malloc(64)))\n\1defer C.free(unsafe.Pointer(\2))/' "$tmp/ts/tensor-generated.go"
	grep -q 'C.malloc(0)' "$tmp/ts/tensor-generated.go" && say "warning: some C.malloc(0) sites were not patched"
	# Path.Sub appends to its parent's slice, so two sub-paths of one parent can share a backing
	# array and the second overwrites the first's name (seen: shortcut.0.weight saved as
	# shortcut.1.weight__28). Copy the slice instead.
	sed -i 's/^\tpath = append(path, str)$/\tpath = append(append(make([]string, 0, len(path)+1), path...), str)/' "$tmp/nn/varstore.go"
	grep -q 'make(\[\]string, 0, len(path)+1)' "$tmp/nn/varstore.go" || die "could not patch nn.Path.Sub in gotch"
	# In-place ops (relu_, add_, ...) get a new torch::Tensor handle from C and overwrite
	# ts.ctensor without deleting the old handle. The leaked handle keeps the tensor and its
	# autograd graph alive: about 35 MB per ResNet-8 training step (measured). Free it.
	sed -i -E 's/^(  )ts\.ctensor = \*ptr$/\1lib.AtFree(ts.ctensor)\n\1ts.ctensor = *ptr/' "$tmp/ts/tensor-generated.go"
	[ "$(grep -c 'lib.AtFree(ts.ctensor)' "$tmp/ts/tensor-generated.go")" -ge 200 ] || die "could not patch gotch's in-place ops"
	# Every tensor wrapper allocated a 100 KB Go struct so that the Go GC would run finalizers of
	# tensors nobody dropped: about 66 per ResNet-18 step, megabytes of garbage per step and GC
	# work in the hot loop. budgetrain drops every tensor it makes (the memory tests check), so the
	# allocation goes; the finalizer stays as a safety net.
	sed -i 's/^\tx\.d = new(bigStruct)$/\t\/\/ budgetrain: no 100 KB bigStruct per wrapper (scripts\/deps.sh)/' "$tmp/ts/tensor.go"
	grep -q 'x.d = new(bigStruct)' "$tmp/ts/tensor.go" && die "could not patch gotch's per-tensor allocation"
	# budgetrain's own entry points (in-memory serialization, SGD with readable momentum buffers),
	# compiled with libtorch's flags as part of libtch.
	cp "$shim" "$tmp/libtch/budgetrain_shim.cpp"
	case "$tver" in
	2.1.*) ;;
	*)
		# Another libtorch: stub every generated wrapper that does not compile against it (a
		# syntax-only compile per pass, about 35 s each); a call to one fails naming the op.
		# scripts/libtorch-stubs/<major.minor>.txt records the lists of the versions tested.
		say "libtorch ${tver:-of unknown version} is not 2.1.x: finding the gotch wrappers that do not compile against it"
		need g++ "to compile gotch against libtorch"
		python3 "$repo/scripts/stub_gotch.py" --discover "$tmp/libtch" "$tmp/stubs.txt" -- \
			g++ -std=$cxxstd -I. -D_GLIBCXX_USE_CXX11_ABI=$abi $incs || die "gotch does not compile against libtorch $tver (see above)"
		rec=$repo/scripts/libtorch-stubs/${tver%.*}.txt
		if [ -f "$rec" ] && ! diff -q <(grep -v '^#' "$rec") <(grep -v '^#' "$tmp/stubs.txt") >/dev/null; then
			say "warning: the stubbed wrappers differ from $rec: see third_party/gotch/stubs.txt"
		fi
		;;
	esac
	echo "$stamp" > "$tmp/.stamp"
	rm -rf "$gdir"
	mv "$tmp" "$gdir"
fi

# ---- onnxruntime ----------------------------------------------------------------------------------
if [ -n "${ONNXRUNTIME_LIB:-}" ]; then
	[ -f "$ONNXRUNTIME_LIB" ] || die "ONNXRUNTIME_LIB=$ONNXRUNTIME_LIB does not exist"
else
	ortdir=$cache/onnxruntime-$ort_version
	if [ ! -f "$ortdir/libonnxruntime.so.1" ]; then
		need npm "to fetch onnxruntime-node@$ort_version"
		tgz=$cache/dl/onnxruntime-node-$ort_version.tgz
		if [ ! -f "$tgz" ]; then
			say "downloading onnxruntime-node@$ort_version (about 110 MB)"
			(cd "$cache/dl" && npm pack --silent "onnxruntime-node@$ort_version" >/dev/null)
		fi
		tmp=$(mktemp -d "$cache/ort.tmp.XXXXXX")
		tar -xzf "$tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
		mkdir -p "$ortdir"
		mv "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$ortdir/libonnxruntime.so.1"
		rm -rf "$tmp"
		say "onnxruntime $ort_version in $ortdir"
	fi
fi

# ---- Fashion-MNIST ---------------------------------------------------------------------------------
fm=/usr/share/datasets/fashion-mnist
if [ ! -f "$fm/t10k-labels-idx1-ubyte.gz" ]; then
	if [ "$(id -u)" = 0 ]; then
		say "installing the Debian package dataset-fashion-mnist"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist >&2 ||
			{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist >&2; }
	else
		die "Fashion-MNIST is missing from $fm: run 'sudo apt-get install -y dataset-fashion-mnist'"
	fi
fi
say "ready: libtorch $libtorch (ABI $abi, CUDA $cuda), gotch third_party/gotch, onnxruntime ${ONNXRUNTIME_LIB:-$cache/onnxruntime-$ort_version/libonnxruntime.so.1}, data $fm"
