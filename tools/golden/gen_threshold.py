#!/usr/bin/python3
"""Reference genotypes for darts-go's FairDARTS threshold rule.

A transcription of xiaomi-automl/FairDARTS fairdarts/utils.py parse() with
parse_method 'threshold_sparse' (the default of train_search.py), run on
sigmoid weights of random float32 alphas, on weights with exact ties and
on weights exactly at the threshold, for several steps, thresholds and op
sets. With --reference FILE (the original utils.py, e.g. from
`git show 270cfc9:fairdarts/utils.py`), the original parse() text is
executed on every case as well and must give the same gene.

For each case it also records what FairDARTS's evaluation cell (model.py
DCOCell) makes of the gene: the nodes it concatenates (every node some
triple feeds) and whether it fails (a cell without triples, which
zip(*genotype.normal) cannot unpack, or a node whose every triple reads a
state no triple produced, whose output is then the int 0 that torch.cat
rejects).

Writes testdata/threshold_reference.json. Run with Debian's interpreter
(python3-torch): /usr/bin/python3 gen_threshold.py [--reference utils.py] -o FILE
"""

import argparse
import ast
import json
import zlib

import numpy as np
import torch

FAIR_PRIMITIVES = ["max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
                   "dil_conv_3x3", "dil_conv_5x5"]
DARTS_PRIMITIVES = ["none"] + FAIR_PRIMITIVES


# ---------------------------------------------------------------------------
# FairDARTS fairdarts/utils.py parse(), the 'threshold_sparse' branch,
# transcribed (the other branches dropped).
def parse_threshold_sparse(weights, operation_set, op_threshold, steps):
    gene = []
    n = 2
    start = 0
    for i in range(steps):
        end = start + n
        W = weights[start:end].copy()
        edges = sorted(range(i + 2), key=lambda x: -max(W[x][k] for k in range(len(W[x]))))[:2]
        for j in edges:
            k_best = None
            for k in range(len(W[j])):
                if k_best is None or W[j][k] > W[j][k_best]:
                    k_best = k
            if W[j][k_best] >= op_threshold:
                gene.append((operation_set[k_best], i + 2, j))
        start = end
        n += 1
    return gene


def dco_cell(gene):
    """What DCOCell does with a gene: the nodes it concatenates, or why it fails."""
    if not gene:
        return None, "no triples: zip(*genotype.normal) cannot unpack an empty gene"
    ops = {}
    for _, to_i, from_i in gene:
        ops.setdefault(str(to_i), {}).setdefault(str(from_i), []).append(1)
    states = {"0": 1, "1": 1}
    for to_i, froms in ops.items():
        if not any(f in states for f in froms):
            return None, "node %s reads only states no triple produced: its output is the int 0" % to_i
        states[to_i] = 1
    return [int(k) for k in list(states)[2:]], None


def load_reference(path):
    src = open(path).read()
    tree = ast.parse(src)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "parse":
            ns = {}
            exec(compile(ast.Module(body=[node], type_ignores=[]), path, "exec"), ns)
            return ns["parse"]
    raise SystemExit("%s: no parse() function" % path)


def rng_for(seed, name):
    g = torch.Generator()
    g.manual_seed(seed * 1000003 + zlib.crc32(name.encode()))
    return g


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reference", help="FairDARTS fairdarts/utils.py to check the transcription against")
    args = ap.parse_args()
    ref = load_reference(args.reference) if args.reference else None

    cases = []

    def add(name, prims, steps, thr, wn, wr, how, alphas=None):
        wn = np.asarray(wn, dtype=np.float32)
        wr = np.asarray(wr, dtype=np.float32)
        normal = parse_threshold_sparse(wn, prims, thr, steps)
        reduce = parse_threshold_sparse(wr, prims, thr, steps)
        if ref is not None:
            for w, g in ((wn, normal), (wr, reduce)):
                got = ref(w, prims, thr, "threshold_sparse", steps)
                assert got == g, (name, got, g)
        c = {"name": name, "primitives": prims, "steps": steps, "threshold": thr, "how": how}
        if alphas is not None:
            c["alphas_normal"] = [[float(v) for v in row] for row in alphas[0]]
            c["alphas_reduce"] = [[float(v) for v in row] for row in alphas[1]]
        c["weights_normal"] = [[float(v) for v in row] for row in wn]
        c["weights_reduce"] = [[float(v) for v in row] for row in wr]
        c["normal"] = [[op, to, fr] for op, to, fr in normal]
        c["reduce"] = [[op, to, fr] for op, to, fr in reduce]
        for cell, gene in (("normal", normal), ("reduce", reduce)):
            nodes, fails = dco_cell(gene)
            c[cell + "_dco_concat"] = nodes
            c[cell + "_dco_fails"] = fails
        cases.append(c)

    def edges(steps):
        return steps * (steps + 3) // 2

    # Sigmoid of random float32 alphas, as FairDARTS's genotype() computes
    # F.sigmoid(alphas).data.cpu().numpy().
    for steps in (4, 3, 5):
        for scale in (1.0, 1.5, 2.0, 3.0):
            for rep in range(4):
                name = "threshold/random/steps%d/scale%g/%d" % (steps, scale, rep)
                g = rng_for(args.seed, name)
                a = [scale * torch.randn(edges(steps), len(FAIR_PRIMITIVES), generator=g, dtype=torch.float32)
                     for _ in range(2)]
                w = [torch.sigmoid(x).numpy() for x in a]
                add(name, FAIR_PRIMITIVES, steps, 0.85, w[0], w[1], "sigmoid(scale*randn float32)",
                    alphas=[x.numpy() for x in a])
    # Other thresholds, and the 8 DARTS ops ('none' is not excluded).
    for thr in (0.6, 0.7, 0.9, 0.95):
        for prims, tag in ((FAIR_PRIMITIVES, "fair"), (DARTS_PRIMITIVES, "darts")):
            name = "threshold/t%g/%s" % (thr, tag)
            g = rng_for(args.seed, name)
            a = [2 * torch.randn(14, len(prims), generator=g, dtype=torch.float32) for _ in range(2)]
            w = [torch.sigmoid(x).numpy() for x in a]
            add(name, prims, 4, thr, w[0], w[1], "sigmoid(2*randn float32)", alphas=[x.numpy() for x in a])
    # The start of a search: alpha = 0, sigma = 1/2 everywhere.
    half = np.full((14, 7), 0.5, dtype=np.float32)
    add("threshold/init", FAIR_PRIMITIVES, 4, 0.85, half, half, "alpha = 0")
    # Exact ties among a few binary values around the threshold.
    vals = np.array([0.5, 0.75, 0.84375, 0.875, 0.9375], dtype=np.float32)
    for rep in range(12):
        name = "threshold/ties/%d" % rep
        g = rng_for(args.seed, name)
        idx = torch.randint(0, len(vals), (2, 14, 7), generator=g).numpy()
        add(name, FAIR_PRIMITIVES, 4, 0.85, vals[idx[0]], vals[idx[1]], "entries drawn from %s" % vals.tolist())
    # Weights exactly float32(0.85), which is above the float64 0.85.
    at = np.full((14, 7), 0.5, dtype=np.float32)
    at[0, 3] = np.float32(0.85)
    at[5, 2] = np.float32(0.85)
    at[9, 6] = np.nextafter(np.float32(0.85), np.float32(0))
    add("threshold/at-threshold", FAIR_PRIMITIVES, 4, 0.85, at, half, "float32(0.85) entries and one just below")
    # A node whose only kept input reads a node with none: DCOCell fails.
    dead = np.full((14, 7), 0.5, dtype=np.float32)
    dead[0, 3] = 0.9    # state 2 <- state 0
    dead[8, 4] = 0.95   # state 4 <- state 3 (row 8; state 3 keeps nothing)
    add("threshold/dead-input", FAIR_PRIMITIVES, 4, 0.85, dead, at, "a node reading a node without inputs")

    about = ("Reference genotypes for darts-go's FairDARTS threshold rule, generated by tools/golden/gen_threshold.py "
             "(torch %s, numpy %s). cases[]: name, primitives (column order), steps, threshold, how, alphas_normal/"
             "alphas_reduce (float32 alphas, random cases only), weights_normal/weights_reduce (edges x ops, the float32 "
             "matrices parse() read, rows in DARTS order: node i = 0..steps-1, input j = 0..i+1; numbers are the "
             "float64 equal to each float32), normal/reduce (the gene of xiaomi-automl/FairDARTS@270cfc9 fairdarts/"
             "utils.py parse() with parse_method 'threshold_sparse': [op, to, from] triples, to = i+2; per node the two "
             "incoming edges of largest max weight over all ops by a stable sort, on each the first strict maximum op, "
             "kept if its weight >= threshold), <cell>_dco_concat (the nodes DCOCell concatenates: every node some "
             "triple feeds, in order of first appearance) and <cell>_dco_fails (null, or why DCOCell cannot build or run "
             "the cell). %s" % (torch.__version__, np.__version__,
                                "CHECKED: the original parse() text was executed on every case and gave the same genes."
                                if ref is not None else "NOT CHECKED against the original parse()."))
    with open(args.out, "w") as f:
        json.dump({"about": about, "cases": cases}, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
