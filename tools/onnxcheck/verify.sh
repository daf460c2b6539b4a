#!/usr/bin/env bash
# Verifies darts-go's ONNX writer end to end, independently of its Go tests:
#
#   1. go run ./tools/onnxcheck/mkmodels builds the test models of
#      export/onnx/onnxtest, their inputs, and the outputs that the Go
#      reference evaluator (export/onnx/onnxref) computes;
#   2. check.py structure: onnx.checker (full_check) and strict shape inference
#      (Debian python3-onnx) accept every model;
#   3. run.js runs every model in onnxruntime-node (CPU), with and without
#      graph optimizations, and check.py compare requires its outputs to equal
#      the Go ones within 1e-5;
#   4. check.py torch compares the pooling semantics with PyTorch's
#      (python3-torch; skip with SKIP_TORCH=1);
#   5. negative controls: a model with a wrong declared output shape must fail
#      step 2, and outputs off by 1e-4 must fail step 3.
#
# Usage: tools/onnxcheck/verify.sh   (from any directory)
# On a fresh Debian machine, run as root: it installs python3-onnx,
# python3-numpy, python3-torch (apt-get) and onnxruntime-node (npm ci, with
# ONNXRUNTIME_NODE_INSTALL=skip so that its postinstall step downloads no CUDA
# libraries; the CPU runtime is inside the npm package). Exit status 0 means
# every check passed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
py=/usr/bin/python3
export DEBIAN_FRONTEND=noninteractive

# Whatever stops the script (a failed command, a missing tool) ends it with a
# FAIL line naming the step and "onnxcheck: FAIL".
work=
current=setup
done_ok=
section() { current=$*; echo "== $*"; }
finish() {
	local rc=$?
	[ -n "$work" ] && rm -rf "$work"
	if [ "$rc" -ne 0 ] && [ -z "$done_ok" ]; then
		echo "FAIL onnxcheck stopped in step \"$current\" (exit status $rc)"
		echo "onnxcheck: FAIL"
	fi
}
trap finish EXIT

apt_pkgs=()
$py -c 'import onnx' 2>/dev/null || apt_pkgs+=(python3-onnx)
$py -c 'import numpy' 2>/dev/null || apt_pkgs+=(python3-numpy)
if [ "${SKIP_TORCH:-0}" != 1 ]; then
	$py -c 'import torch' 2>/dev/null || apt_pkgs+=(python3-torch)
fi
command -v node >/dev/null || apt_pkgs+=(nodejs)
command -v npm >/dev/null || apt_pkgs+=(npm)
if [ ${#apt_pkgs[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "FAIL verify.sh: missing ${apt_pkgs[*]}; run as root or install them"
		exit 1
	fi
	section "apt-get install ${apt_pkgs[*]}"
	apt-get update -qq
	apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null
fi
if [ ! -d "$here/node_modules/onnxruntime-node" ]; then
	section "npm ci (onnxruntime-node)"
	(cd "$here" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error)
fi

work=$(mktemp -d)
pass=0
fail=0
tally() { # reads check output, echoes it, counts PASS/FAIL lines
	local line
	while IFS= read -r line; do
		echo "$line"
		case "$line" in
		PASS*) pass=$((pass + 1)) ;;
		FAIL*) fail=$((fail + 1)) ;;
		esac
	done
}
expect_fail() { # name, command...: the command must fail
	local name=$1
	shift
	if "$@" >"$work/neg.log" 2>&1; then
		echo "FAIL negative control $name: the check passed"
		cat "$work/neg.log"
	else
		echo "PASS negative control $name: the check failed, as it must"
	fi
}

section "go run ./tools/onnxcheck/mkmodels"
(cd "$root" && go run ./tools/onnxcheck/mkmodels "$work")
echo "== onnx $($py -c 'import onnx; print(onnx.__version__)'), onnxruntime-node $(node -p "require('$here/node_modules/onnxruntime-node/package.json').version"), node $(node --version)"

section "structure (onnx.checker, strict shape inference)"
tally < <($py "$here/check.py" structure "$work"/*.onnx || true)

section "onnxruntime"
for case in $($py -c 'import json,sys; print(" ".join(c["name"] for c in json.load(open(sys.argv[1]))))' "$work/manifest.json"); do
	node "$here/run.js" "$work/$case.onnx" "$work/$case.input.npy" "$work/$case.ort" >/dev/null
	node "$here/run.js" "$work/$case.onnx" "$work/$case.input.npy" "$work/$case.ort-noopt" --no-opt >/dev/null
done
tally < <($py "$here/check.py" compare "$work" ort || true)
tally < <($py "$here/check.py" compare "$work" ort-noopt || true)

if [ "${SKIP_TORCH:-0}" != 1 ]; then
	section "PyTorch pooling semantics"
	tally < <($py "$here/check.py" torch "$work" || true)
fi

section "negative controls"
# A copy of chain.onnx whose declared output has 11 classes instead of 10.
$py - "$work/chain.onnx" "$work/bad_shape.onnx" <<'PY'
import sys, onnx
m = onnx.load(sys.argv[1])
m.graph.output[0].type.tensor_type.shape.dim[1].dim_value = 11
onnx.save(m, sys.argv[2])
PY
tally < <(expect_fail "wrong output shape" $py "$here/check.py" structure "$work/bad_shape.onnx")
# onnxruntime's chain output with one element moved by 1e-4.
mkdir -p "$work/neg" && cp "$work/manifest.json" "$work/neg/"
for case in $($py -c 'import json,sys; print(" ".join(c["name"] for c in json.load(open(sys.argv[1]))))' "$work/manifest.json"); do
	cp -r "$work/$case.expected" "$work/$case.ort" "$work/neg/"
done
$py - "$work/neg/chain.ort" <<'PY'
import glob, sys, numpy as np
f = glob.glob(sys.argv[1] + "/*.npy")[0]
a = np.load(f); a.flat[3] += np.float32(1e-4); np.save(f, a)
PY
tally < <(expect_fail "output off by 1e-4" $py "$here/check.py" compare "$work/neg" ort)

echo "onnxcheck: $pass passed, $fail failed"
done_ok=1
if [ "$fail" -ne 0 ] || [ "$pass" -eq 0 ]; then
	echo "onnxcheck: FAIL"
	exit 1
fi
echo "onnxcheck: PASS"
