#!/usr/bin/env python3
"""Exact (mpmath, 40 digits) values of KL(Dir(c) || Dir(1,...,1)) and its
gradient in c, for internal/dist's tests:
  - 'golden': DrNAS's regulariser reg_scale * sum_rows KL(Dir(elu(a)+1) || Dir(1))
    and its gradient in alpha, for the alpha tensors of the drnas_kl cases in
    mixing_cases.json (whose gradients come from PyTorch 1.13, whose trigamma
    is accurate to only ~3e-10 relative);
  - 'kl': KL and dKL/dc for a few concentration vectors.
KL = lgamma(c0) - sum lgamma(c_i) - lgamma(K) + sum (c_i - 1)(psi(c_i) - psi(c0)).
Run from the repository root:
    /usr/bin/python3 internal/dist/testdata/gen_kl_ref.py > internal/dist/testdata/kl_ref.json
"""
import json
import mpmath as mp

mp.mp.dps = 40


def kl(c):
    c = [mp.mpf(x) for x in c]
    c0, k = sum(c), len(c)
    v = mp.loggamma(c0) - sum(mp.loggamma(x) for x in c) - mp.loggamma(k)
    v += sum((x - 1) * (mp.psi(0, x) - mp.psi(0, c0)) for x in c)
    g = [(x - 1) * mp.psi(1, x) - (c0 - k) * mp.psi(1, c0) for x in c]
    return v, g


def conc(a):
    a = mp.mpf(a)
    return (a + 1, mp.mpf(1)) if a > 0 else (mp.exp(a), mp.exp(a))


out = {"about": __doc__, "golden": [], "kl": []}
cases = json.load(open("internal/dist/testdata/mixing_cases.json"))["cases"]
for case in cases:
    if case["method"] != "drnas_kl":
        continue
    for t in case["inputs"]:
        cols = t["shape"][1]
        a = t["data"]
        total, grad = mp.mpf(0), []
        for r in range(len(a) // cols):
            row = a[r * cols:(r + 1) * cols]
            cd = [conc(x) for x in row]
            v, g = kl([c for c, _ in cd])
            total += v
            grad += [gi * d for gi, (_, d) in zip(g, cd)]
        s = case["reg_scale"]
        out["golden"].append({"case": case["name"], "cols": cols,
                              "reg_scale": s, "alpha": a,
                              "value": float(s * total),
                              "grad": [float(s * x) for x in grad]})

for c in [[1, 1, 1], [0.5, 2, 3.5, 1], [1e-3, 2e-3, 0.5], [0.01] * 8,
          [500, 20, 7.5], [1e4, 1e4], [1.4616321449683622, 1, 1, 2]]:
    v, g = kl(c)
    out["kl"].append({"c": c, "value": float(v), "grad": [float(x) for x in g]})

print(json.dumps(out))
