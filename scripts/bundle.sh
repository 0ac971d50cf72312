#!/usr/bin/env bash
# bundle.sh BINARY: packs a built budgetrain (make bundle runs make build, then this) into
#   dist/budgetrain-<version>-torch<ver>-<cpu|cuXYZ>-linux-x86_64.tar.gz
# for a machine that has PyTorch installed and no Go (docs/gpu.md#bundle). The folder inside:
#   bin/budgetrain            launcher (scripts/bundle-launcher.sh): finds torch, checks it, runs
#   libexec/budgetrain        the binary, linked against the libtorch setup used (third_party/gotch)
#   lib/libonnxruntime.so.1   onnxruntime, used when neither ONNXRUNTIME_LIB nor pip's is there
#   MANIFEST                  commit, version, torch version, C++ ABI, CUDA, build date
#   README.md                 docs/bundle.md
# The libtorch facts come from third_party/gotch/.stamp, which scripts/deps.sh wrote for the
# libtorch this binary was linked against, so the bundle cannot describe another one.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:?usage: bundle.sh BINARY}
cache=${BUDGETRAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/budgetrain}
max_bytes=$((40 * 1024 * 1024))

die() { printf 'bundle: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'bundle: %s\n' "$*" >&2; }

[ -x "$bin" ] || die "$bin is not an executable (run make build first)"
stamp=$(cat "$repo/third_party/gotch/.stamp" 2>/dev/null) || die "no third_party/gotch/.stamp (run make deps first)"
libtorch="" abi="" cuda="" tver=""
for kv in $stamp; do
	case "$kv" in
	libtorch=*) libtorch=${kv#*=} ;;
	abi=*) abi=${kv#*=} ;;
	cuda=*) cuda=${kv#*=} ;;
	version=*) tver=${kv#*=} ;;
	esac
done
[ -n "$tver" ] || die "the libtorch in third_party/gotch/.stamp has no version ($stamp)"

# version.py of this libtorch: a pip torch folder has it; the libtorch setup unpacks from the
# torch wheel does not, so it is read from that wheel in the cache.
version_py() {
	if [ -f "$libtorch/version.py" ]; then
		cat "$libtorch/version.py"
	else
		local whl
		whl=$(ls "$cache"/dl/torch-"$tver"-*.whl 2>/dev/null | head -n1 || true)
		[ -n "$whl" ] && unzip -p "$whl" torch/version.py 2>/dev/null
	fi
}
tag=cpu cuda_version=""
if [ "$cuda" = 1 ]; then
	cuda_version=$(version_py | sed -n "s/^cuda[^=]*= *'\([0-9.]*\)'.*/\1/p")
	[ -n "$cuda_version" ] || die "a CUDA build, but the CUDA version of $libtorch is unknown (no torch/version.py)"
	tag=cu$(echo "$cuda_version" | tr -d .)
fi

commit=$(git -C "$repo" rev-parse HEAD)
version=$(git -C "$repo" describe --always --dirty)
name=budgetrain-$version-torch$tver-$tag-linux-x86_64
ort=${ONNXRUNTIME_LIB:-$cache/onnxruntime-1.30.0/libonnxruntime.so.1}
[ -f "$ort" ] || die "no onnxruntime library at $ort (run make deps)"
ort_from="1.30.0 (npm onnxruntime-node)"
[ -n "${ONNXRUNTIME_LIB:-}" ] && ort_from="$(basename "$ONNXRUNTIME_LIB") (ONNXRUNTIME_LIB)"

mkdir -p "$repo/dist"
work=$(mktemp -d "$repo/dist/.bundle.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/$name
mkdir -p "$root/bin" "$root/libexec" "$root/lib"
install -m 0755 "$repo/scripts/bundle-launcher.sh" "$root/bin/budgetrain"
install -m 0755 "$bin" "$root/libexec/budgetrain"
# Symbols and DWARF only; Go's tracebacks use pclntab, which strip keeps. 25 → 19 MB.
command -v strip >/dev/null 2>&1 && strip "$root/libexec/budgetrain"
# BUNDLE_GPU_CHECK=1 adds the GPU check's Go tests as a test binary (go test -c ./pipeline, linked
# like the program), run through the same launcher as bin/pipeline.test from the repository's
# pipeline/ folder, where its fixtures are: scripts/gpu-device-check.sh, on a GPU machine with
# PyTorch and no Go.
if [ "${BUNDLE_GPU_CHECK:-}" = 1 ]; then
	say "adding the GPU check's test binary (go test -c ./pipeline)"
	(cd "$repo" && go test -c -ldflags "$(make -s -C "$repo" print-vcs-ldflags)" -o "$root/libexec/pipeline.test" ./pipeline) || die "go test -c ./pipeline failed"
	command -v strip >/dev/null 2>&1 && strip "$root/libexec/pipeline.test"
	ln -s budgetrain "$root/bin/pipeline.test"
	max_bytes=$((60 * 1024 * 1024)) # two binaries; the device machine carries at most 64 MiB
fi
install -m 0644 "$ort" "$root/lib/libonnxruntime.so.1"
install -m 0644 "$repo/docs/bundle.md" "$root/README.md"
cat > "$root/MANIFEST" <<EOF
name=$name
version=$version
commit=$commit
torch=$tver
cxx11_abi=$abi
cuda=$cuda
cuda_version=$cuda_version
onnxruntime=$ort_from
onnxruntime_min=1.24
built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
out=$repo/dist/$name.tar.gz
tar -C "$work" --owner=0 --group=0 -czf "$out.tmp" "$name"
mv "$out.tmp" "$out"
size=$(stat -c %s "$out")
say "$out: $((size / 1024 / 1024)) MiB ($size bytes)"
[ "$size" -le "$max_bytes" ] || die "$out is $size bytes, more than $((max_bytes / 1024 / 1024)) MiB"
echo "$out"
