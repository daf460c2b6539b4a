#!/usr/bin/python3
"""Reference genotypes for darts-go's derivation rules.

Two rules are transcribed from the original code:

* DARTS, quark0/darts cnn/model_search.py Network.genotype() (its _parse,
  PRIMITIVES, steps, multiplier, concat = range(2+steps-multiplier,
  steps+2)), run on softmax weights of random alphas, on weights with exact
  ties, for several steps/multipliers and op subsets;
* NAS-Bench-201, D-X-Y/AutoDL-Projects xautodl/models/cell_searchs/
  search_model_darts.py TinyNetworkDarts.genotype() (argmax over each edge's
  row, 'none' included, rows in edge2index order) and genotypes.py
  Structure.tostr().

Writes testdata/derive_reference.json (format: its "about" field and
tools/golden/README.md).

Run with Debian's interpreter (python3-torch): /usr/bin/python3 gen_derive.py -o FILE
"""

import argparse
import json
import sys
import zlib
from collections import namedtuple
from copy import deepcopy

import numpy as np
import torch
import torch.nn.functional as F

DARTS_PRIMITIVES = ["none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
                    "dil_conv_3x3", "dil_conv_5x5"]
NB201_PRIMITIVES = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]

# quark0/darts cnn/genotypes.py
Genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")


# ---------------------------------------------------------------------------
# quark0/darts cnn/model_search.py, Network.genotype(), transcribed. The only
# change: PRIMITIVES, steps and multiplier are arguments instead of the module
# global and self._steps / self._multiplier. `none_index` is
# PRIMITIVES.index('none'); the original raises ValueError when 'none' is not
# in PRIMITIVES, and here none_index=None then stands for "exclude no op".


def darts_genotype(weights_normal, weights_reduce, PRIMITIVES, steps, multiplier):
    none_index = PRIMITIVES.index("none") if "none" in PRIMITIVES else None

    def _parse(weights):
        gene = []
        n = 2
        start = 0
        for i in range(steps):
            end = start + n
            W = weights[start:end].copy()
            edges = sorted(range(i + 2), key=lambda x: -max(W[x][k] for k in range(len(W[x])) if k != none_index))[:2]
            for j in edges:
                k_best = None
                for k in range(len(W[j])):
                    if k != none_index:
                        if k_best is None or W[j][k] > W[j][k_best]:
                            k_best = k
                gene.append((PRIMITIVES[k_best], j))
            start = end
            n += 1
        return gene

    gene_normal = _parse(weights_normal)
    gene_reduce = _parse(weights_reduce)

    concat = range(2 + steps - multiplier, steps + 2)
    genotype = Genotype(
        normal=gene_normal, normal_concat=concat,
        reduce=gene_reduce, reduce_concat=concat
    )
    return genotype


# ---------------------------------------------------------------------------
# D-X-Y/AutoDL-Projects@f46486e xautodl/models/cell_searchs: the edge order of
# NAS201SearchCell.__init__ (search_cells.py), TinyNetworkDarts.genotype()
# (search_model_darts.py) and Structure.tostr() (genotypes.py), transcribed.


def nb201_edge2index(max_nodes):
    keys = []
    for i in range(1, max_nodes):
        for j in range(i):
            keys.append("{:}<-{:}".format(i, j))
    edge_keys = sorted(keys)
    return {key: i for i, key in enumerate(edge_keys)}


def nb201_genotype(arch_parameters, op_names, max_nodes):
    edge2index = nb201_edge2index(max_nodes)
    genotypes = []
    for i in range(1, max_nodes):
        xlist = []
        for j in range(i):
            node_str = "{:}<-{:}".format(i, j)
            with torch.no_grad():
                weights = arch_parameters[edge2index[node_str]]
                op_name = op_names[weights.argmax().item()]
            xlist.append((op_name, j))
        genotypes.append(tuple(xlist))
    return genotypes


def nb201_tostr(nodes):
    strings = []
    for node_info in nodes:
        string = "|".join([x[0] + "~{:}".format(x[1]) for x in node_info])
        string = "|{:}|".format(string)
        strings.append(string)
    return "+".join(strings)


# ---------------------------------------------------------------------------


class Rand:
    def __init__(self, seed, name):
        self.g = torch.Generator().manual_seed((seed * 1000003 + zlib.crc32(name.encode())) % (1 << 63))

    def normal(self, shape, std=1.0):
        return (torch.randn(*shape, generator=self.g, dtype=torch.float64) * std).to(torch.float32)

    def choice(self, shape, values):
        idx = torch.randint(len(values), shape, generator=self.g)
        return torch.tensor(values, dtype=torch.float32)[idx]


def mat(a):
    """A float32 matrix as lists of exact float64 numbers."""
    return [[float(v) for v in row] for row in np.asarray(a, dtype=np.float32).tolist()]


def edges_of(steps):
    return sum(2 + i for i in range(steps))


def pairs(gene):
    return [[op, j] for op, j in gene]


def darts_case(name, primitives, steps, multiplier, wn, wr, alphas=None, how=""):
    """wn, wr: float32 numpy weight matrices (edges x ops)."""
    g = darts_genotype(wn, wr, primitives, steps, multiplier)
    case = {"name": name, "rule": "darts", "primitives": list(primitives), "steps": steps, "multiplier": multiplier,
            "how": how}
    if alphas is not None:
        case["alphas_normal"], case["alphas_reduce"] = mat(alphas[0]), mat(alphas[1])
    case.update({
        "weights_normal": mat(wn), "weights_reduce": mat(wr),
        "normal": pairs(g.normal), "normal_concat": list(g.normal_concat),
        "reduce": pairs(g.reduce), "reduce_concat": list(g.reduce_concat),
        "repr": str(g),
        "original_raises": None if "none" in primitives else
        "ValueError: 'none' is not in list (PRIMITIVES.index('none')); the expected genotype is the "
        "generalization that excludes no op",
    })
    return case


def softmax_weights(alpha):
    # model_search.py: F.softmax(self.alphas_normal, dim=-1).data.cpu().numpy(), float32
    return F.softmax(alpha, dim=-1).numpy()


def darts_cases(seed, n_random):
    cases = []
    subsets = [
        ("darts", DARTS_PRIMITIVES),
        ("no_none", DARTS_PRIMITIVES[1:]),
        ("none_middle", ["max_pool_3x3", "skip_connect", "none", "sep_conv_3x3", "dil_conv_3x3"]),
        ("none_last", ["sep_conv_3x3", "skip_connect", "avg_pool_3x3", "none"]),
        ("two_ops", ["none", "sep_conv_3x3"]),
    ]
    shapes = [(4, 4), (4, 3), (4, 2), (2, 2), (3, 3), (3, 1), (5, 5), (5, 4), (1, 1)]
    # Random alphas (std 1 and the search's initial 1e-3), softmax in float32.
    for sname, prims in subsets:
        for steps, mult in shapes:
            count = n_random if (sname == "darts" and (steps, mult) == (4, 4)) else 2
            for r in range(count):
                for std in (1.0, 1e-3):
                    name = "darts/%s/steps%d_mult%d/std%g/%d" % (sname, steps, mult, std, r)
                    rand = Rand(seed, name)
                    an = rand.normal((edges_of(steps), len(prims)), std)
                    ar = rand.normal((edges_of(steps), len(prims)), std)
                    cases.append(darts_case(name, prims, steps, mult, softmax_weights(an), softmax_weights(ar),
                                            alphas=(an, ar), how="softmax(alphas, dim=-1) in float32; alphas ~ "
                                                                  "N(0, %g^2)" % std))
    # Exact ties: weights (not softmaxed) drawn from a few exact binary values,
    # so edge strengths and ops tie often.
    for sname, prims in subsets:
        for steps, mult in ((4, 4), (3, 2), (5, 5)):
            for r in range(6 if sname == "darts" else 2):
                for vals in ((0.125, 0.25, 0.5), (0.25, 0.5)):
                    name = "darts/%s/steps%d_mult%d/ties%d/%d" % (sname, steps, mult, len(vals), r)
                    rand = Rand(seed, name)
                    wn = rand.choice((edges_of(steps), len(prims)), vals).numpy()
                    wr = rand.choice((edges_of(steps), len(prims)), vals).numpy()
                    cases.append(darts_case(name, prims, steps, mult, wn, wr,
                                            how="weights drawn from %s (exact ties), no softmax" % (vals,)))
    # Hand-made ties: everything equal; 'none' the largest everywhere; all
    # edges of a node equally strong but with different best ops; an edge
    # whose strongest op ties with a weaker-looking edge's.
    steps, prims = 4, DARTS_PRIMITIVES
    e, k = edges_of(steps), len(prims)
    uniform = np.full((e, k), 1.0 / k, dtype=np.float32)
    cases.append(darts_case("darts/ties/uniform", prims, steps, 4, uniform, uniform,
                            how="every weight 1/8 (float32): all edges and ops tie"))
    none_big = np.full((e, k), 0.05, dtype=np.float32)
    none_big[:, 0] = 0.65
    none_big[:, 5] = 0.1
    cases.append(darts_case("darts/ties/none_largest", prims, steps, 4, none_big, uniform,
                            how="'none' largest in every row, one non-none op (5) above the rest"))
    rot = np.full((e, k), 0.1, dtype=np.float32)
    for r in range(e):
        rot[r, 1 + r % (k - 1)] = 0.3
    cases.append(darts_case("darts/ties/equal_strength_other_ops", prims, steps, 4, rot, rot[::-1].copy(),
                            how="each row's best non-none weight is 0.3, on a different op per row"))
    last_wins = np.full((e, k), 0.1, dtype=np.float32)
    last_wins[:, k - 1] = 0.2
    last_wins[:, 2] = 0.2
    cases.append(darts_case("darts/ties/two_ops_tie", prims, steps, 4, last_wins, uniform,
                            how="ops 2 and 7 tie for the max in every row (the lower index must win)"))
    return cases


def nb201_case(name, alphas, op_names, max_nodes, how):
    nodes = nb201_genotype(alphas, op_names, max_nodes)
    e2i = nb201_edge2index(max_nodes)
    return {"name": name, "rule": "nas-bench-201", "primitives": list(op_names), "max_nodes": max_nodes,
            "edges": sorted(e2i, key=lambda s: e2i[s]), "how": how, "alphas": mat(alphas.numpy()),
            "genotype": [[[op, j] for op, j in node] for node in nodes], "tostr": nb201_tostr(nodes)}


def nb201_cases(seed, n_random):
    cases = []
    for max_nodes, count in ((4, n_random), (3, 3), (5, 3)):
        e = max_nodes * (max_nodes - 1) // 2
        for r in range(count):
            for std in (1.0, 1e-3):
                name = "nb201/nodes%d/std%g/%d" % (max_nodes, std, r)
                rand = Rand(seed, name)
                cases.append(nb201_case(name, rand.normal((e, len(NB201_PRIMITIVES)), std), NB201_PRIMITIVES,
                                        max_nodes, "alphas ~ N(0, %g^2), float32; argmax of the raw alphas "
                                                   "(as the original; softmax would not change it)" % std))
    for r in range(8):
        name = "nb201/nodes4/ties/%d" % r
        rand = Rand(seed, name)
        cases.append(nb201_case(name, rand.choice((6, len(NB201_PRIMITIVES)), (0.0, 1.0)), NB201_PRIMITIVES, 4,
                                "alphas drawn from {0, 1}: exact ties; torch.argmax returns the first maximum"))
    cases.append(nb201_case("nb201/nodes4/ties/zeros", torch.zeros(6, len(NB201_PRIMITIVES)), NB201_PRIMITIVES, 4,
                            "all alphas 0: every edge is 'none' (index 0)"))
    return cases


ABOUT = (
    "Reference genotypes for darts-go's derivation, generated by tools/golden/gen_derive.py (torch %s, numpy %s). "
    "Numbers are exact (the repr of the float64 equal to a float32 value). cases[] has two rules. "
    "rule darts: a transcription of quark0/darts@f276dd3 cnn/model_search.py Network.genotype() (its _parse) with "
    "PRIMITIVES, steps and multiplier as parameters; fields name, primitives (alpha-column order), steps, "
    "multiplier, how (how the weights were made), alphas_normal/alphas_reduce (only for softmax cases: the float32 "
    "alphas), weights_normal/weights_reduce (edges x ops, the float32 matrices _parse read; rows are edges in DARTS "
    "order: node i = 0..steps-1, input j = 0..i+1), normal/reduce (the gene: [op, input] pairs, two per node, in "
    "the order the original appends them: strongest edge first, by a stable sort on -max over non-'none' weights; "
    "op = first strict maximum over non-'none' ops), normal_concat/reduce_concat (list(range(2+steps-multiplier, "
    "steps+2))), repr (str() of the original Genotype namedtuple; concat prints as range(a, b)), original_raises "
    "(null, or why the original code fails: with no 'none' in PRIMITIVES, PRIMITIVES.index('none') raises, and the "
    "expected genotype is then the generalization that excludes no op). Derivation must be tested on "
    "weights_*, not on a softmax recomputed from alphas_* (float rounding can move near-ties). Tie cases draw "
    "weights from a few exact binary values or are hand-made (names darts/ties/*). rule nas-bench-201: a "
    "transcription of D-X-Y/AutoDL-Projects@f46486e xautodl/models/cell_searchs/search_model_darts.py "
    "TinyNetworkDarts.genotype() and genotypes.py Structure.tostr(); fields primitives, max_nodes, edges (row "
    "order: NAS201SearchCell's edge2index, the sorted 'i<-j' keys), alphas (float32, rows in that order), "
    "genotype (per node i = 1..max_nodes-1 the list of [op, j] for j = 0..i-1, op = the argmax of the edge's row "
    "INCLUDING 'none', first index on ties as torch.argmax), tostr (e.g. |nor_conv_3x3~0|+|none~0|skip_connect~1|+...). "
    "CHECKED: when this file was made, the original genotype() method text of model_search.py was executed "
    "(PRIMITIVES and steps/multiplier supplied, F.softmax replaced by a lookup of weights_*) on every darts case "
    "whose primitives contain 'none' (256 cases; for the softmax cases F.softmax(alphas_*) was also checked to give "
    "weights_* bit for bit), and AutoDL's genotype() method text with the original Structure class on every "
    "nas-bench-201 case (61): all outputs equal. The no-'none' cases cannot be run by the original."
)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=7, help="seed of every random draw")
    ap.add_argument("--n", type=int, default=20, help="random cases of the main shapes (DARTS 14x8, NB201 6x5)")
    ap.add_argument("-o", "--out", required=True, help="output JSON file ('-' = stdout)")
    args = ap.parse_args(argv)
    cases = darts_cases(args.seed, args.n) + nb201_cases(args.seed, args.n)
    names = [c["name"] for c in cases]
    if len(set(names)) != len(names):
        raise SystemExit("gen_derive: internal error: duplicate case names")
    doc = {"about": ABOUT % (torch.__version__, np.__version__), "cases": cases}
    text = json.dumps(doc, separators=(",", ":"))
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
