#!/usr/bin/env bash
# Fetches scikit-learn's 8x8 handwritten digits (digits.csv.gz: 1,797
# images, 10 classes) from Debian's python3-sklearn package, without
# installing the package or its dependencies, and prints the file's path.
#
# Usage: tools/digits/fetch.sh [DIR]
#   DIR defaults to ${TMPDIR:-/tmp}/darts-sklearn-digits; the .deb and its
#   extracted tree stay there, and a second run only prints the path.
#
# For the datasets tests (CI):
#   export DARTS_SKLEARN_DIGITS="$(bash tools/digits/fetch.sh)"
#   go test ./datasets -run SklearnDigits
#
# Needs apt-get and dpkg-deb (any Debian or Ubuntu). Run as root, it first
# runs apt-get update; otherwise the package lists must be there already.
# Only the path goes to standard output; progress goes to standard error.
set -euo pipefail

dir=${1:-${TMPDIR:-/tmp}/darts-sklearn-digits}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
rel=usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz

if [ ! -s "$dir/root/$rel" ]; then
	cd "$dir" # apt-get download writes into the current directory
	apt=(apt-get)
	if [ "$(id -u)" = 0 ]; then
		# The download sandbox user cannot write into an arbitrary DIR.
		apt+=(-o APT::Sandbox::User=root)
		"${apt[@]}" update -qq >&2
	fi
	rm -f python3-sklearn_*.deb
	"${apt[@]}" download python3-sklearn >&2
	rm -rf root
	dpkg-deb -x python3-sklearn_*.deb root
fi

path=$(find "$dir/root" -name digits.csv.gz -path '*/sklearn/datasets/data/*' -print -quit)
if [ -z "$path" ]; then
	echo "fetch.sh: digits.csv.gz not found in $(ls "$dir"/python3-sklearn_*.deb 2>/dev/null || echo the package)" >&2
	exit 1
fi
echo "$path"
