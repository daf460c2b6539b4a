#!/usr/bin/python3
"""Reference genotypes of AutoDL-Projects' DARTS-space GDAS derivation.

Runs the text of NASNetworkGDAS.genotype() itself, read from
xautodl/models/cell_searchs/search_model_gdas_nasnet.py of an AutoDL-Projects
checkout (--autodl FILE, e.g. the output of
`git show f46486e:xautodl/models/cell_searchs/search_model_gdas_nasnet.py`),
on an object holding the attributes it reads (op_names, _steps, _multiplier,
edge2index, arch_normal_parameters, arch_reduce_parameters): for each node
it ranks every (op, input, weight) triple of its incoming edges but 'none'
by softmax weight, stable, and keeps two. Cases: random alphas, exact ties,
AutoDL's op order and quark0's, 3 and 4 steps.

Writes testdata/derive_pairs.json: about, cases[] of name, primitives,
steps, multiplier, weights_normal, weights_reduce (edges × ops, the float32
softmax the original computed, as exact float64 values; rows in DARTS edge
order, which is AutoDL's sorted "i<-j" order for fewer than 10 nodes),
normal, reduce ([op, input] pairs node by node, two per node, in the
original's order), normal_concat, reduce_concat.

Run with Debian's interpreter (python3-torch):
  /usr/bin/python3 gen_pairs.py --autodl search_model_gdas_nasnet.py -o ../../testdata/derive_pairs.json
"""

import argparse
import ast
import json
import os
import textwrap

import torch
import torch.nn as nn

AUTODL_OPS = ["none", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5",
              "avg_pool_3x3", "max_pool_3x3"]
QUARK0_OPS = ["none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
              "dil_conv_3x3", "dil_conv_5x5"]


def load_genotype(path):
    src = open(path).read()
    tree = ast.parse(src)
    for cls in tree.body:
        if isinstance(cls, ast.ClassDef) and cls.name == "NASNetworkGDAS":
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef) and fn.name == "genotype":
                    code = textwrap.dedent(ast.get_source_segment(src, fn))
                    env = {"torch": torch, "nn": nn}
                    exec(code, env)
                    return env["genotype"]
    raise SystemExit("no NASNetworkGDAS.genotype in " + path)


class Fake:
    pass


def edge_keys(steps):
    keys = ["{:}<-{:}".format(i, j) for i in range(steps) for j in range(2 + i)]
    return {k: n for n, k in enumerate(sorted(keys))}


def case(genotype, name, ops, steps, multiplier, normal, reduce):
    f = Fake()
    f.op_names, f._steps, f._multiplier = ops, steps, multiplier
    f.edge2index = edge_keys(steps)
    f.arch_normal_parameters = normal
    f.arch_reduce_parameters = reduce
    g = genotype(f)
    out = {"name": name, "primitives": ops, "steps": steps, "multiplier": multiplier}
    for cell, a in (("normal", normal), ("reduce", reduce)):
        w = torch.softmax(a, dim=-1).numpy()
        # DARTS edge order: node i = 0.., input j = 0..i+1.
        rows = [f.edge2index["{:}<-{:}".format(i, j)] for i in range(steps) for j in range(2 + i)]
        out["weights_" + cell] = [[float(v) for v in w[r]] for r in rows]
        out[cell] = [[[op, j] for (op, j, _) in node] for node in g[cell]]
        out[cell + "_concat"] = list(g[cell + "_concat"])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--autodl", required=True)
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args()
    genotype = load_genotype(args.autodl)
    cases = []
    for seed in range(4):
        gen = torch.Generator().manual_seed(100 + seed)
        for ops in (AUTODL_OPS, QUARK0_OPS):
            steps = 4 if seed < 3 else 3
            e = steps * (steps + 3) // 2
            n = torch.randn(e, len(ops), generator=gen) * (0.5 + seed)
            r = torch.randn(e, len(ops), generator=gen) * (0.5 + seed)
            order = "autodl" if ops is AUTODL_OPS else "quark0"
            cases.append(case(genotype, "random/%s/%d" % (order, seed), ops, steps, steps, n, r))
    # Exact ties: few distinct values, so equal softmax weights within and
    # across edges (the stable sort's order decides).
    gen = torch.Generator().manual_seed(7)
    for k in range(3):
        n = torch.randint(0, 2 + k, (14, 8), generator=gen).float()
        r = torch.randint(0, 2, (14, 8), generator=gen).float()
        cases.append(case(genotype, "ties/%d" % k, AUTODL_OPS, 4, 4, n, r))
    # One edge holding both of a node's strongest ops.
    n = torch.zeros(14, 8)
    n[0, 2], n[0, 3] = 3.0, 2.5
    cases.append(case(genotype, "two-ops-one-edge", AUTODL_OPS, 4, 4, n, torch.zeros(14, 8)))
    about = ("Reference genotypes of AutoDL-Projects' DARTS-space GDAS derivation, made by tools/golden/gen_pairs.py "
             "(torch %s) running the text of NASNetworkGDAS.genotype() from AutoDL-Projects @f46486e "
             "xautodl/models/cell_searchs/search_model_gdas_nasnet.py (%s). Fields: name, primitives (column order), "
             "steps, multiplier, weights_normal/weights_reduce (edges x ops: the float32 softmax the original computed, "
             "rows in DARTS edge order: node i = 0..steps-1, input j = 0..i+1), normal/reduce ([op, input] pairs, two "
             "per node, in the original's order), normal_concat/reduce_concat." % (torch.__version__, os.path.basename(args.autodl)))
    with open(args.out, "w") as fh:
        json.dump({"about": about, "cases": cases}, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
