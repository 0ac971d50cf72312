#!/usr/bin/env bash
# bin/budgetrain of a bundle (scripts/bundle.sh; docs/bundle.md): runs libexec/budgetrain against
# the PyTorch installed on this machine.
#   1. torch: $LIBTORCH (a torch folder or libtorch root), else the one `python3 -c 'import torch'`
#      finds ($BUDGETRAIN_PYTHON instead of python3 if set);
#   2. its version (without +local) and C++ ABI must be the ones in MANIFEST, and a CUDA bundle
#      needs its libtorch_cuda; otherwise one line says what differs, exit 3;
#   3. LD_LIBRARY_PATH starts with torch's lib/ (the binary's RUNPATH names the build machine's
#      folder; LD_LIBRARY_PATH is searched before a RUNPATH);
#   4. onnxruntime: $ONNXRUNTIME_LIB, else pip's onnxruntime >= onnxruntime_min
#      (onnxruntime/capi/libonnxruntime.so.<ver>), else lib/libonnxruntime.so.1 of the bundle.
# BUDGETRAIN_BUNDLE_VERBOSE=1 prints what was chosen to stderr.
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
die() { printf 'budgetrain: %s\n' "$*" >&2; exit 3; }
manifest() { sed -n "s/^$1=//p" "$here/MANIFEST"; }
want_torch=$(manifest torch) want_abi=$(manifest cxx11_abi) want_cuda=$(manifest cuda)
ort_min=$(manifest onnxruntime_min)
py=${BUDGETRAIN_PYTHON:-python3}
have_py() { command -v "$py" >/dev/null 2>&1; }

# ---- torch ------------------------------------------------------------------------------------
if [ -n "${LIBTORCH:-}" ]; then
	tdir=${LIBTORCH%/} from="LIBTORCH"
	[ -f "$tdir/lib/libc10.so" ] || die "LIBTORCH=$LIBTORCH has no lib/libc10.so (want the torch folder of a PyTorch install, or a libtorch root)"
	if [ -f "$tdir/version.py" ]; then
		tver=$(sed -n "s/^__version__ *= *'\([^']*\)'.*/\1/p" "$tdir/version.py")
	else
		tver=$(awk '/define TORCH_VERSION_(MAJOR|MINOR|PATCH) /{v=v (v==""?"":".") $3} END{print v}' \
			"$tdir"/include/torch/headeronly/version.h "$tdir"/include/torch/csrc/api/include/torch/version.h 2>/dev/null | head -n1)
	fi
	# The ABI as scripts/deps.sh reads it: how libc10 mangles torchCheckFail's std::string.
	if grep -qa '_ZN3c106detail14torchCheckFailEPKcS2_jRKNSt7__cxx11' "$tdir/lib/libc10.so"; then tabi=1; else tabi=0; fi
else
	have_py || die "no PyTorch found: $py is not on PATH (install torch==$want_torch, or set LIBTORCH to its torch folder)"
	# torch warns on stderr about unrelated things (NumPy versions); only the marked line counts.
	info=$("$py" -c 'import os, torch; print("BUDGETRAIN_TORCH", int(torch._C._GLIBCXX_USE_CXX11_ABI), torch.__version__, os.path.dirname(torch.__file__))' 2>/dev/null |
		sed -n 's/^BUDGETRAIN_TORCH //p') || true
	[ -n "$info" ] || die "no PyTorch found: $py cannot import torch (install torch==$want_torch, or set LIBTORCH to its torch folder)"
	read -r tabi tver tdir <<<"$info"
	from=$py
fi
if [ "${tver%%+*}" != "$want_torch" ] || [ "$tabi" != "$want_abi" ]; then
	die "this bundle was built for torch $want_torch (C++11 ABI $want_abi), but $from has torch ${tver:-of unknown version} (C++11 ABI $tabi) at $tdir: install torch==$want_torch, or use a bundle built for $tver"
fi
if [ "$want_cuda" = 1 ] && [ ! -f "$tdir/lib/libtorch_cuda.so" ]; then
	die "this bundle was built with CUDA, but the torch $tver at $tdir has no lib/libtorch_cuda.so (a CPU-only PyTorch): install a CUDA build of torch==$want_torch, or use the cpu bundle"
fi
export LD_LIBRARY_PATH=$tdir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

# ---- onnxruntime ------------------------------------------------------------------------------
# version_ge A B: A >= B for dotted versions.
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }
if [ -z "${ONNXRUNTIME_LIB:-}" ]; then
	ortdir=""
	if have_py; then
		ortdir=$("$py" -c 'import importlib.util as u; s = u.find_spec("onnxruntime"); print(s.submodule_search_locations[0] if s else "")' 2>/dev/null || true)
	fi
	if [ -n "$ortdir" ]; then
		for f in "$ortdir"/capi/libonnxruntime.so.*; do
			[ -f "$f" ] || continue
			v=${f##*/libonnxruntime.so.}
			if version_ge "$v" "$ort_min"; then export ONNXRUNTIME_LIB=$f; fi
			break
		done
	fi
	[ -n "${ONNXRUNTIME_LIB:-}" ] || export ONNXRUNTIME_LIB=$here/lib/libonnxruntime.so.1
fi

if [ "${BUDGETRAIN_BUNDLE_VERBOSE:-}" = 1 ]; then
	printf 'budgetrain bundle: torch %s (C++11 ABI %s) from %s at %s; onnxruntime %s\n' \
		"$tver" "$tabi" "$from" "$tdir" "$ONNXRUNTIME_LIB" >&2
fi
# The program takes every BUDGETRAIN_ variable for a config key and refuses unknown ones.
unset BUDGETRAIN_PYTHON BUDGETRAIN_BUNDLE_VERBOSE
# bin/<name> runs libexec/<name>: bin/budgetrain, and bin/pipeline.test (a link to this launcher)
# in a bundle made with BUNDLE_GPU_CHECK=1.
prog=$(basename "$0")
[ -x "$here/libexec/$prog" ] || prog=budgetrain
exec "$here/libexec/$prog" "$@"
