#!/usr/bin/env bash
# Verifies darts-go's .npy, safetensors and TensorBoard writers with
# independent tools: go run ./tools/exportcheck/mkfiles writes sample files,
# then check.py (Debian's /usr/bin/python3) checks them with numpy.load and
# np.save's bytes, a stdlib safetensors reader, torch.frombuffer and
# load_state_dict(strict=True) plus a forward pass, python3-crcmod's CRC-32C,
# protoc --decode_raw and the protobuf runtime. Negative controls corrupt the
# files and require check.py to fail.
#
# Usage: tools/exportcheck/verify.sh   (from any directory; as root on a fresh
# Debian machine it apt-get installs python3-numpy, python3-torch,
# python3-crcmod, python3-protobuf and protobuf-compiler). Exit status 0 means
# every check passed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
py=/usr/bin/python3
export DEBIAN_FRONTEND=noninteractive

# Whatever stops the script (a failed command, a missing tool) ends it with a
# FAIL line naming the step and "exportcheck: FAIL".
work=
current=setup
done_ok=
section() { current=$*; echo "== $*"; }
finish() {
	local rc=$?
	[ -n "$work" ] && rm -rf "$work"
	if [ "$rc" -ne 0 ] && [ -z "$done_ok" ]; then
		echo "FAIL exportcheck stopped in step \"$current\" (exit status $rc)"
		echo "exportcheck: FAIL"
	fi
}
trap finish EXIT

pkgs=()
$py -c 'import numpy' 2>/dev/null || pkgs+=(python3-numpy)
$py -c 'import torch' 2>/dev/null || pkgs+=(python3-torch)
$py -c 'import crcmod' 2>/dev/null || pkgs+=(python3-crcmod)
$py -c 'import google.protobuf' 2>/dev/null || pkgs+=(python3-protobuf)
command -v protoc >/dev/null || pkgs+=(protobuf-compiler)
if [ ${#pkgs[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "FAIL verify.sh: missing ${pkgs[*]}; run as root or install them"
		exit 1
	fi
	section "apt-get install ${pkgs[*]}"
	apt-get update -qq
	apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

work=$(mktemp -d)
section "go run ./tools/exportcheck/mkfiles"
(cd "$root" && go run ./tools/exportcheck/mkfiles "$work/files")
echo "== numpy $($py -c 'import numpy; print(numpy.__version__)'), torch $($py -c 'import torch; print(torch.__version__)'), $(protoc --version)"

status=0
$py "$here/check.py" "$work/files" | tee "$work/check.log" || status=1

section "negative controls"
neg_pass=0
neg_fail=0
negative() { # name, python snippet corrupting the copy in $1
	local name=$1 snippet=$2
	rm -rf "$work/neg" && cp -r "$work/files" "$work/neg"
	$py -c "$snippet" "$work/neg"
	if $py "$here/check.py" "$work/neg" >"$work/neg.log" 2>&1; then
		echo "FAIL negative control $name: check.py passed"
		neg_fail=$((neg_fail + 1))
	else
		echo "PASS negative control $name: $(grep -m1 '^FAIL' "$work/neg.log" || true)"
		neg_pass=$((neg_pass + 1))
	fi
}
negative "event record byte flipped" '
import glob, sys
f = glob.glob(sys.argv[1] + "/tb/events.out.tfevents.*")[0]
b = bytearray(open(f, "rb").read()); b[60] ^= 1; open(f, "wb").write(b)'
negative "safetensors offset moved" '
import sys
f = sys.argv[1] + "/model.safetensors"
b = open(f, "rb").read(); open(f, "wb").write(b.replace(b"\"data_offsets\":[8,", b"\"data_offsets\":[4,", 1))'
negative "npy value changed" '
import sys
f = sys.argv[1] + "/npy/a0.npy"
b = bytearray(open(f, "rb").read()); b[-1] ^= 0x40; open(f, "wb").write(b)'

passed=$(grep -c '^PASS' "$work/check.log" || true)
failed=$(grep -c '^FAIL' "$work/check.log" || true)
passed=$((passed + neg_pass))
failed=$((failed + neg_fail))
echo "exportcheck: $passed passed, $failed failed"
done_ok=1
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
	echo "exportcheck: FAIL"
	exit 1
fi
echo "exportcheck: PASS"
