#!/usr/bin/env bash
# End-to-end check of what darts-go hands to other tools, with the tools
# themselves, on real images (outside the Go tests, which need neither
# Python nor Node):
#
#   1. trains small networks with the darts command: DARTS_V2, a
#      NAS-Bench-201 cell and a general DAG cell (ONNX only) on MNIST; a
#      DARTS search on scikit-learn's 8x8
#      digits as a --dataset folder, and its cell retrained on the digits
#      resized to 32x32 RGB with the auxiliary head; a NAS-Bench-201 search
#      on the digits and its cell retrained on them as RGB; all with
#      --tensorboard;
#   2. for each trained run: darts eval --logits --images on the first test
#      images, darts export --format onnx, then onnx.checker (full_check) and
#      strict shape inference (tools/onnxcheck/check.py structure), and
#      onnxruntime-node (CPU, with and without graph optimizations) on the
#      images, whose logits must equal darts eval's within 1e-4;
#   3. darts export --format pytorch, strict-loaded into the PyTorch module
#      of tools/iocheck/torchref.py (NetworkCIFAR / TinyNetwork), whose
#      eval-mode logits must equal darts eval's within 1e-4;
#   4. every run's RUN/tb event files, with tools/iocheck/check.py tb
#      (crcmod, protoc, the protobuf runtime, numpy);
#   5. negative controls: logits off by 1e-3, a renamed state_dict key and a
#      flipped event-file byte must each fail their check.
#
# Usage: tools/iocheck/verify.sh   (from any directory)
# On a fresh Debian machine, run as root: it installs python3-onnx,
# python3-numpy, python3-torch, python3-crcmod, python3-protobuf,
# protobuf-compiler, nodejs and npm (apt-get), onnxruntime-node (npm ci in
# tools/onnxcheck, ONNXRUNTIME_NODE_INSTALL=skip) and fetches the digits
# with tools/digits/fetch.sh (DARTS_SKLEARN_DIGITS, if set, names
# digits.csv.gz instead). Exit status 0 means every check passed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
py=/usr/bin/python3
export DEBIAN_FRONTEND=noninteractive

# Whatever stops the script (a failed command, a missing tool) ends it with a
# FAIL line naming the step and "iocheck: FAIL".
work=
current=setup
done_ok=
section() { current=$*; echo "== $*"; }
finish() {
	local rc=$?
	[ -n "$work" ] && rm -rf "$work"
	if [ "$rc" -ne 0 ] && [ -z "$done_ok" ]; then
		echo "FAIL iocheck stopped in step \"$current\" (exit status $rc)"
		echo "iocheck: FAIL"
	fi
}
trap finish EXIT

pkgs=()
$py -c 'import onnx' 2>/dev/null || pkgs+=(python3-onnx)
$py -c 'import numpy' 2>/dev/null || pkgs+=(python3-numpy)
$py -c 'import torch' 2>/dev/null || pkgs+=(python3-torch)
$py -c 'import crcmod' 2>/dev/null || pkgs+=(python3-crcmod)
$py -c 'import google.protobuf' 2>/dev/null || pkgs+=(python3-protobuf)
command -v protoc >/dev/null || pkgs+=(protobuf-compiler)
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)
if [ ${#pkgs[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "FAIL verify.sh: missing ${pkgs[*]}; run as root or install them"
		exit 1
	fi
	section "apt-get install ${pkgs[*]}"
	apt-get update -qq
	apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi
onnxcheck=$root/tools/onnxcheck
if [ ! -d "$onnxcheck/node_modules/onnxruntime-node" ]; then
	section "npm ci (onnxruntime-node)"
	(cd "$onnxcheck" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error)
fi

work=$(mktemp -d)
pass=0
fail=0
tally() { # echoes check output and counts its PASS/FAIL lines
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
		echo "PASS negative control $name: $(grep -m1 '^FAIL' "$work/neg.log" || tail -1 "$work/neg.log")"
	fi
}
run() { # N, command...: runs the command and shows the last N lines of its
	# output (less the genotype lines); if it fails, its last 30 lines and a
	# FAIL line, and the script stops
	local n=$1 rc=0
	shift
	"$@" >"$work/step.log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 30 "$work/step.log"
		echo "FAIL $current: $(basename "$1") ${2:-} exited with status $rc"
		exit 1
	fi
	if [ "$n" -gt 0 ]; then
		grep -v -e '^  Genotype' -e '^  |' "$work/step.log" | tail -n "$n" || true
	fi
}

section "go build ./cmd/darts"
(cd "$root" && run 0 go build -o "$work/darts" ./cmd/darts)
darts=$work/darts
"$darts" version
echo "== onnx $($py -c 'import onnx; print(onnx.__version__)'), torch $($py -c 'import torch; print(torch.__version__)'), onnxruntime-node $(node -p "require('$onnxcheck/node_modules/onnxruntime-node/package.json').version"), node $(node --version), $(protoc --version)"

digits_csv=${DARTS_SKLEARN_DIGITS:-}
if [ -z "$digits_csv" ]; then
	digits_csv=$(bash "$root/tools/digits/fetch.sh")
fi
section "the digits as a folder"
[ -s "$digits_csv" ] || { echo "FAIL digits: no file $digits_csv"; exit 1; }
(cd "$root" && run 1 go run ./datasets/internal/digits/mkfolder "$digits_csv" "$work/digits")

start=$(date +%s)
section "darts train: DARTS_V2 on MNIST"
run 2 "$darts" train --genotype "$root/genotypes/darts-v2.json" --dataset mnist --limit 1000 --epochs 1 --layers 3 --init-channels 4 \
	--batch-size 32 --tensorboard --out "$work/mnist-darts"
section "darts train: a NAS-Bench-201 cell on MNIST"
echo '|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|' >"$work/nb201.txt"
run 2 "$darts" train --genotype "$work/nb201.txt" --dataset mnist --limit 1000 --epochs 1 --init-channels 4 \
	--batch-size 32 --tensorboard --out "$work/mnist-nb201"
section "darts train: a general DAG cell (three pairs, a dropped node, 'none' at stride 2) on MNIST"
cat >"$work/dag.json" <<'EOF'
{"space": "darts", "cells": [
 {"name": "normal", "inputs": 2, "nodes": [[["sep_conv_3x3", 0], ["skip_connect", 1], ["avg_pool_3x3", 1]], [],
  [["dil_conv_3x3", 2], ["max_pool_3x3", 3]]], "concat": [2, 4]},
 {"name": "reduce", "inputs": 2, "nodes": [[["none", 0], ["skip_connect", 1]], [["none", 0]]], "concat": [2, 3]}]}
EOF
run 1 "$darts" train --genotype "$work/dag.json" --dataset mnist --limit 500 --epochs 1 --layers 3 --init-channels 4 \
	--batch-size 32 --out "$work/mnist-dag"
section "darts search: scikit-learn's digits (--dataset folder, 8x8 gray)"
run 3 "$darts" search --dataset folder --data-dir "$work/digits" --limit 0 --epochs 2 --layers 3 --init-channels 4 \
	--batch-size 32 --tensorboard --out "$work/digits-search"
section "darts train: its cell on the digits at 32x32 RGB, with the auxiliary head"
run 2 "$darts" train --run "$work/digits-search" --dataset folder --data-dir "$work/digits" --image-size 32x32 --channels 3 \
	--auxiliary --epochs 1 --layers 3 --init-channels 4 --batch-size 32 --tensorboard --out "$work/digits-train"
section "darts search --space nas-bench-201 on the digits, and its cell retrained on them as RGB"
run 2 "$darts" search --space nas-bench-201 --dataset folder --data-dir "$work/digits" --limit 400 --epochs 1 \
	--tensorboard --out "$work/nb201-search"
run 2 "$darts" train --run "$work/nb201-search" --dataset folder --data-dir "$work/digits" --channels 3 --epochs 1 \
	--init-channels 4 --cells-per-stage 2 --batch-size 32 --tensorboard --out "$work/nb201-train"
echo "== runs took $(($(date +%s) - start)) s"

for name in mnist-darts mnist-nb201 mnist-dag digits-train nb201-train; do
	d=$work/$name
	section "$name: eval, ONNX, PyTorch"
	run 9 "$darts" eval --run "$d" --limit 200 --logits "$d/logits.npy" --images "$d/images.npy"
	run 9 "$darts" export --run "$d" --format onnx -o "$d/model.onnx"
	tally < <($py "$onnxcheck/check.py" structure "$d/model.onnx" || true)
	run 0 node "$onnxcheck/run.js" "$d/model.onnx" "$d/images.npy" "$d/ort"
	run 0 node "$onnxcheck/run.js" "$d/model.onnx" "$d/images.npy" "$d/ort-noopt" --no-opt
	tally < <($py "$here/check.py" compare "$d/ort/logits.npy" "$d/logits.npy" || true)
	tally < <($py "$here/check.py" compare "$d/ort-noopt/logits.npy" "$d/logits.npy" || true)
	if [ "$name" = mnist-dag ]; then
		continue # model.py's Cell cannot hold it: darts export --format pytorch refuses
	fi
	run 9 "$darts" export --run "$d" --format pytorch -o "$d/weights.safetensors"
	tally < <($py "$here/torchref.py" check "$d/weights.safetensors" "$d/images.npy" "$d/logits.npy" || true)
done
for name in mnist-darts mnist-nb201 digits-search digits-train nb201-search nb201-train; do
	section "$name: TensorBoard events"
	tally < <($py "$here/check.py" tb "$work/$name" || true)
done

section "negative controls"
d=$work/digits-train
$py - "$d/ort/logits.npy" "$work/off.npy" <<'PY'
import sys, numpy as np
a = np.load(sys.argv[1]); a.flat[7] += np.float32(1e-3 * max(1.0, float(np.abs(a).max()))); np.save(sys.argv[2], a)
PY
tally < <(expect_fail "ONNX logits off by 1e-3" $py "$here/check.py" compare "$work/off.npy" "$d/logits.npy")
$py - "$d/weights.safetensors" "$work/renamed.safetensors" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
# Same length, so that the offsets stay valid: a key the module does not have.
open(sys.argv[2], "wb").write(b.replace(b'"classifier.weight"', b'"classifier.weighs"', 1))
PY
tally < <(expect_fail "renamed state_dict key" $py "$here/torchref.py" check "$work/renamed.safetensors" "$d/images.npy" "$d/logits.npy")
cp -r "$work/digits-search" "$work/neg-search"
$py - "$work/neg-search" <<'PY'
import glob, sys
f = glob.glob(sys.argv[1] + "/tb/events.out.tfevents.*")[0]
b = bytearray(open(f, "rb").read()); b[len(b) // 2] ^= 1; open(f, "wb").write(b)
PY
tally < <(expect_fail "event file byte flipped" $py "$here/check.py" tb "$work/neg-search")

echo "iocheck: $pass passed, $fail failed"
done_ok=1
if [ "$fail" -ne 0 ] || [ "$pass" -eq 0 ]; then
	echo "iocheck: FAIL"
	exit 1
fi
echo "iocheck: PASS"
