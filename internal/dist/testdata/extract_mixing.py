#!/usr/bin/env python3
"""Copy the few 'mixing' cases of the shared golden file wave2.json that
internal/dist tests against into testdata/mixing_cases.json (the whole file
is 3 MB; these cases are a few kB). The cases are copied unchanged, with the
golden file's 'about' text and its SHA-256.

Run from the repository root:
    /usr/bin/python3 internal/dist/testdata/extract_mixing.py \\
        /work/shared/golden/wave2.json > internal/dist/testdata/mixing_cases.json
"""
import hashlib
import json
import sys

WANT = ["mixing/drnas_concentration", "mixing/drnas_kl/nb201",
        "mixing/drnas_kl/darts", "mixing/snas", "mixing/gdas"]

path = sys.argv[1]
raw = open(path, "rb").read()
d = json.loads(raw)
cases = {c["name"]: c for c in d["cases"]}
out = {
    "source": "wave2.json",
    "source_sha256": hashlib.sha256(raw).hexdigest(),
    "about": d["about"],
    "cases": [cases[n] for n in WANT],
}
json.dump(out, sys.stdout, separators=(",", ":"))
print()
