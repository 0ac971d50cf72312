#!/usr/bin/env bash
# test-bundle.sh [BUNDLE.tar.gz]: checks that a bundle (make bundle) trains and evaluates from
# another folder with only a pip-installed PyTorch providing libtorch (make test-bundle).
# Default bundle: the newest dist/budgetrain-*.tar.gz. Needs a python whose torch has the
# bundle's version: BUNDLE_TEST_PYTHON, else python3; without one it says SKIP and exits 0.
# BUNDLE_TEST_LIBTORCH=DIR tests with the launcher given LIBTORCH=DIR instead (no python).
#
#   1. unpacks the bundle into a fresh folder under /tmp and copies the Fashion-MNIST fixture
#      (testdata/fashion-mnist) beside it;
#   2. runs bin/budgetrain there with a clean environment (env -i): PATH is the python's folder,
#      /usr/bin and /bin; HOME and BUDGETRAIN_CACHE point at empty folders. As root each run is in
#      its own mount namespace where the project's cache, the repository and Go are covered by
#      empty folders (the rest of the machine sees no change);
#   3. the launcher refuses a torch of another version (a fake python), with one line, exit 3;
#   4. trains resnet8 for one epoch on the fixture and evaluates the exported model with eval
#      (its accuracy must equal the test_acc train printed);
#   5. reads the dynamic loader's log (LD_DEBUG=libs) of both runs: libtorch_cpu and libc10 must
#      come from the pip torch's lib/, onnxruntime from the bundle, and nothing from the
#      folder the binary was linked against (its RUNPATH) or the project's cache.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'test-bundle: %s\n' "$*"; }
fail() { printf 'test-bundle: FAIL: %s\n' "$*" >&2; exit 1; }

start=$(date +%s)
tarball=${1:-$(ls -t "$repo"/dist/budgetrain-*.tar.gz 2>/dev/null | head -n1 || true)}
[ -f "$tarball" ] || fail "no bundle in dist/ (run make bundle first)"
want=$(tar -xzOf "$tarball" --wildcards '*/MANIFEST' | sed -n 's/^torch=//p')

if [ -n "${BUNDLE_TEST_LIBTORCH:-}" ]; then
	# A torch folder without its python (torch/lib, torch/include, torch/version.py and the
	# nvidia/ packages beside it, as pip lays them out): the launcher is given LIBTORCH.
	tdir=${BUNDLE_TEST_LIBTORCH%/}
	tver=$(sed -n "s/^__version__ *= *'\([^']*\)'.*/\1/p" "$tdir/version.py" 2>/dev/null || true)
	[ "${tver%%+*}" = "$want" ] || fail "BUNDLE_TEST_LIBTORCH=$tdir has torch ${tver:-of unknown version}, the bundle wants $want"
	tlib=$(readlink -f "$tdir/lib")
	py="" from="LIBTORCH=$tdir"
else
	py=${BUNDLE_TEST_PYTHON:-python3}
	py=$(command -v "$py" || true)
	tver=""
	[ -n "$py" ] && tver=$("$py" -c 'import torch; print("BUNDLE_TEST", torch.__version__)' 2>/dev/null | sed -n 's/^BUNDLE_TEST //p' || true)
	if [ -z "$py" ] || [ "${tver%%+*}" != "$want" ]; then
		say "SKIP: no pip torch $want here (${py:-python3} has torch ${tver:-none}); set BUNDLE_TEST_PYTHON to a python with torch==$want"
		exit 0
	fi
	tlib=$("$py" -c 'import os, torch; print("BUNDLE_TEST", os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null | sed -n 's/^BUNDLE_TEST //p')
	tlib=$(readlink -f "$tlib")
	from=$py
fi

tmp=$(mktemp -d /tmp/budgetrain-relocate.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$tarball" -C "$tmp"
b=$(ls -d "$tmp"/budgetrain-*/)
b=${b%/}
mkdir -p "$tmp/data" "$tmp/home" "$tmp/ld" "$tmp/fake"
cp "$repo"/testdata/fashion-mnist/*.gz "$tmp/data/"
say "bundle $(basename "$tarball") ($(($(stat -c %s "$tarball") / 1024 / 1024)) MiB) unpacked in $tmp; torch $tver from $from"

# The folders the test must not load anything from.
linked=$(readelf -d "$b/libexec/budgetrain" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
cache=${BUDGETRAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/budgetrain}
forbidden=("$cache" "$repo")
[ -n "$linked" ] && [ "$(readlink -f "$linked")" != "$tlib" ] && forbidden+=("$linked")

# Where python3 is found: the python's own folder (a virtualenv's bin/ must stay on PATH, a
# symlink elsewhere would lose the virtualenv).
pathdir=/nonexistent pyenv=()
if [ -n "$py" ]; then
	pathdir=$(dirname "$py")
	[ "$(basename "$py")" = python3 ] || pyenv=(BUDGETRAIN_PYTHON="$py")
else
	pyenv=(LIBTORCH="$tdir")
fi
# As root, each run gets its own mount namespace in which an empty, read-only tmpfs covers the
# folder the binary was linked against, the project's cache, the repository and Go's root: they
# are out of reach, as on a machine without them, and nothing outside the test sees a change.
hide=()
if [ "$(id -u)" = 0 ] && unshare --mount --propagation private true 2>/dev/null; then
	goroot=$(command -v go >/dev/null 2>&1 && go env GOROOT || true)
	for d in "$linked" "$cache" "$repo" "$goroot"; do
		# not the torch under test (a LIBTORCH bundle test may use the folder it was built with)
		[ -n "$d" ] && [ -d "$d" ] && [ "${tlib#"$(readlink -f "$d")"/}" = "$tlib" ] && [ "$(readlink -f "$d")" != "$tlib" ] && hide+=("$d")
	done
	say "each run in its own mount namespace, with ${hide[*]} covered by empty folders"
else
	say "not root or no unshare: the project's cache stays reachable; the loader log below is the check"
fi
# run NAME ARGS...: the launcher in a clean environment, its loader log in $tmp/ld/NAME.<pid>
run() {
	local name=$1
	shift
	local cmd=(env -i HOME="$tmp/home" PATH="$pathdir:/usr/bin:/bin" BUDGETRAIN_CACHE="$tmp/nowhere"
		"${pyenv[@]}" BUDGETRAIN_BUNDLE_VERBOSE=1 LD_DEBUG=libs LD_DEBUG_OUTPUT="$tmp/ld/$name" "$b/bin/budgetrain" "$@")
	if [ ${#hide[@]} -gt 0 ]; then
		(cd "$tmp" && unshare --mount --propagation private bash -c '
			n=$1; shift
			for ((i = 0; i < n; i++)); do
				[ -d "$1" ] && { mount -t tmpfs -o ro,size=4k none "$1" || exit 1; }
				shift
			done
			exec "$@"' _ "${#hide[@]}" "${hide[@]}" "${cmd[@]}")
	else
		(cd "$tmp" && "${cmd[@]}")
	fi
}

# 3. the version check, with a python that claims another torch
cat > "$tmp/fake/python3" <<'EOF'
#!/bin/sh
echo "BUDGETRAIN_TORCH 1 9.9.9+cu999 /opt/torch"
EOF
chmod 755 "$tmp/fake/python3"
set +e
msg=$(cd "$tmp" && env -i HOME="$tmp/home" PATH="$tmp/fake:/usr/bin:/bin" "$b/bin/budgetrain" --help 2>&1)
rc=$?
set -e
[ "$rc" = 3 ] && [ "$(wc -l <<<"$msg")" = 1 ] && grep -q "built for torch $want" <<<"$msg" ||
	fail "a torch of another version: want one line and exit 3, got exit $rc: $msg"
say "torch 9.9.9 refused (exit 3): $msg"

# 4. train and evaluate
run train train --model resnet8 --epochs 1 --budget 1 --set train.batch_size=16 \
	--set dataset.dir="$tmp/data" --out "$tmp/run" >"$tmp/train.log" 2>&1 || { cat "$tmp/train.log"; fail "train failed"; }
grep '^budgetrain bundle:' "$tmp/train.log" | head -n1 | sed 's/^/test-bundle: /'
grep '^epoch' "$tmp/train.log" | tail -n1 | sed 's/^/  train: /'
[ -f "$tmp/run/model.onnx" ] || fail "train wrote no $tmp/run/model.onnx"
run eval eval --onnx "$tmp/run/model.onnx" --dataset fashion-mnist --data-dir "$tmp/data" >"$tmp/eval.log" 2>&1 ||
	{ cat "$tmp/eval.log"; fail "eval failed"; }
grep 'accuracy .* with onnxruntime' "$tmp/eval.log" | sed 's/^/  eval: /'
# train evaluates its exported model with onnxruntime too: the same number
train_acc=$(grep '^epoch' "$tmp/train.log" | tail -n1 | sed -n 's/.* test_acc \([0-9.]*\).*/\1/p')
eval_acc=$(sed -n 's/.*: accuracy \([0-9.]*\) .*/\1/p' "$tmp/eval.log" | head -n1)
[ -n "$eval_acc" ] && [ "$train_acc" = "$eval_acc" ] || fail "eval accuracy ${eval_acc:-missing} differs from train's test_acc ${train_acc:-missing}"

# 5. what the loader loaded, in the processes of the bundle's binary
for name in train eval; do
	logs=$(grep -l 'libexec/budgetrain' "$tmp"/ld/"$name".* || true)
	[ -n "$logs" ] || fail "no loader log of libexec/budgetrain for $name"
	loaded=$(cat $logs | sed -n 's/.*calling init: //p' | sort -u)
	for lib in libtorch_cpu.so libc10.so; do
		got=$(grep "/$lib\$" <<<"$loaded" | head -n1)
		[ "$(readlink -f "$got")" = "$tlib/$lib" ] || fail "$name loaded $lib from ${got:-nowhere}, want $tlib/$lib"
	done
	for f in "${forbidden[@]}"; do
		! grep -qF "$f/" <<<"$loaded" || fail "$name loaded from $f: $(grep -F "$f/" <<<"$loaded" | head -n3 | tr '\n' ' ')"
	done
	say "$name: $(wc -l <<<"$loaded") libraries loaded, libtorch_cpu.so and libc10.so from $tlib, none from ${forbidden[*]}"
done
ort=$(sed -n 's/^budgetrain bundle: .*; onnxruntime //p' "$tmp/eval.log" | head -n1)
grep -qF "calling init: $ort" $(grep -l 'libexec/budgetrain' "$tmp"/ld/eval.*) ||
	fail "eval did not load the onnxruntime the launcher chose (${ort:-none})"
say "eval loaded the onnxruntime the launcher chose: $ort"
say "PASS in $(($(date +%s) - start)) s"
