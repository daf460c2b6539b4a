#!/usr/bin/python3
"""Generate golden vectors for darts-go from a PyTorch re-implementation of
the original DARTS CNN search space (quark0/darts, cnn/operations.py and
cnn/model_search.py).

The output has the format of testdata/darts_ops.json (loader:
internal/golden/golden.go): one case per candidate op and stride, a mixed op
at stride 1 and 2, and three search cells. For every case the script draws
inputs, parameters and an upstream tensor u, computes L = sum(output * u) in
float64 and records the output and dL/d(every input and parameter).

Everything random is rounded to 12 decimals BEFORE the forward pass, so the
stored inputs are exactly the ones the reference outputs were computed from.

Run with Debian's interpreter (python3-torch): /usr/bin/python3 gen_darts_ops.py -h
"""

import argparse
import json
import sys
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F

PRIMITIVES = [
    "none",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
]

DECIMALS = 12

# ---------------------------------------------------------------------------
# DARTS operations (cnn/operations.py), same module structure as the original
# so that the computation is the original one; only what the search space
# uses is here.

OPS = {
    "none": lambda C, stride, affine: Zero(stride),
    "avg_pool_3x3": lambda C, stride, affine: nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False),
    "max_pool_3x3": lambda C, stride, affine: nn.MaxPool2d(3, stride=stride, padding=1),
    "skip_connect": lambda C, stride, affine: Identity() if stride == 1 else FactorizedReduce(C, C, affine=affine),
    "sep_conv_3x3": lambda C, stride, affine: SepConv(C, C, 3, stride, 1, affine=affine),
    "sep_conv_5x5": lambda C, stride, affine: SepConv(C, C, 5, stride, 2, affine=affine),
    "dil_conv_3x3": lambda C, stride, affine: DilConv(C, C, 3, stride, 2, 2, affine=affine),
    "dil_conv_5x5": lambda C, stride, affine: DilConv(C, C, 5, stride, 4, 2, affine=affine),
}


class ReLUConvBN(nn.Module):
    def __init__(self, C_in, C_out, kernel_size, stride, padding, affine=True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_out, kernel_size, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(C_out, affine=affine),
        )

    def forward(self, x):
        return self.op(x)


class DilConv(nn.Module):
    def __init__(self, C_in, C_out, kernel_size, stride, padding, dilation, affine=True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_in, kernel_size=kernel_size, stride=stride, padding=padding,
                      dilation=dilation, groups=C_in, bias=False),
            nn.Conv2d(C_in, C_out, kernel_size=1, padding=0, bias=False),
            nn.BatchNorm2d(C_out, affine=affine),
        )

    def forward(self, x):
        return self.op(x)


class SepConv(nn.Module):
    def __init__(self, C_in, C_out, kernel_size, stride, padding, affine=True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_in, kernel_size=kernel_size, stride=stride, padding=padding,
                      groups=C_in, bias=False),
            nn.Conv2d(C_in, C_in, kernel_size=1, padding=0, bias=False),
            nn.BatchNorm2d(C_in, affine=affine),
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_in, kernel_size=kernel_size, stride=1, padding=padding,
                      groups=C_in, bias=False),
            nn.Conv2d(C_in, C_out, kernel_size=1, padding=0, bias=False),
            nn.BatchNorm2d(C_out, affine=affine),
        )

    def forward(self, x):
        return self.op(x)


class Identity(nn.Module):
    def forward(self, x):
        return x


class Zero(nn.Module):
    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        if self.stride == 1:
            return x.mul(0.0)
        return x[:, :, :: self.stride, :: self.stride].mul(0.0)


class FactorizedReduce(nn.Module):
    def __init__(self, C_in, C_out, affine=True):
        super().__init__()
        assert C_out % 2 == 0
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(C_in, C_out // 2, 1, stride=2, padding=0, bias=False)
        self.conv_2 = nn.Conv2d(C_in, C_out // 2, 1, stride=2, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(C_out, affine=affine)

    def forward(self, x):
        x = self.relu(x)
        out = torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1)
        return self.bn(out)


# ---------------------------------------------------------------------------
# DARTS search cell pieces (cnn/model_search.py).


class MixedOp(nn.Module):
    def __init__(self, C, stride, primitives):
        super().__init__()
        self.primitives = list(primitives)  # only for naming the parameters
        self._ops = nn.ModuleList()
        for primitive in primitives:
            op = OPS[primitive](C, stride, False)
            if "pool" in primitive:
                op = nn.Sequential(op, nn.BatchNorm2d(C, affine=False))
            self._ops.append(op)

    def forward(self, x, weights):
        return sum(w * op(x) for w, op in zip(weights, self._ops))


class Cell(nn.Module):
    def __init__(self, steps, multiplier, C_prev_prev, C_prev, C, reduction, reduction_prev, primitives):
        super().__init__()
        self.reduction = reduction
        if reduction_prev:
            self.preprocess0 = FactorizedReduce(C_prev_prev, C, affine=False)
        else:
            self.preprocess0 = ReLUConvBN(C_prev_prev, C, 1, 1, 0, affine=False)
        self.preprocess1 = ReLUConvBN(C_prev, C, 1, 1, 0, affine=False)
        self._steps = steps
        self._multiplier = multiplier
        self._ops = nn.ModuleList()
        for i in range(self._steps):
            for j in range(2 + i):
                stride = 2 if reduction and j < 2 else 1
                self._ops.append(MixedOp(C, stride, primitives))

    def forward(self, s0, s1, weights):
        s0 = self.preprocess0(s0)
        s1 = self.preprocess1(s1)
        states = [s0, s1]
        offset = 0
        for i in range(self._steps):
            s = sum(self._ops[offset + j](h, weights[offset + j]) for j, h in enumerate(states))
            offset += len(states)
            states.append(s)
        return torch.cat(states[-self._multiplier:], dim=1)


# ---------------------------------------------------------------------------
# darts-go parameter names: <scope>.<role>.


def named_params(m, prefix):
    """Parameters of m under their darts-go names, in registration order."""
    if isinstance(m, ReLUConvBN):
        return [(prefix + ".conv", m.op[1].weight)]
    if isinstance(m, FactorizedReduce):
        return [(prefix + ".conv1", m.conv_1.weight), (prefix + ".conv2", m.conv_2.weight)]
    if isinstance(m, SepConv):
        return [(prefix + ".dw1", m.op[1].weight), (prefix + ".pw1", m.op[2].weight),
                (prefix + ".dw2", m.op[5].weight), (prefix + ".pw2", m.op[6].weight)]
    if isinstance(m, DilConv):
        return [(prefix + ".dw", m.op[1].weight), (prefix + ".pw", m.op[2].weight)]
    if isinstance(m, MixedOp):
        out = []
        for prim, op in zip(m.primitives, m._ops):
            out += candidate_params(op, prefix + "." + prim)
        return out
    if isinstance(m, Cell):
        out = named_params(m.preprocess0, "pre0") + named_params(m.preprocess1, "pre1")
        for e, op in enumerate(m._ops):
            out += named_params(op, "edge%d" % e)
        return out
    return []  # pools, BatchNorm(affine=False), Identity, Zero


def candidate_params(op, prefix):
    # skip_connect at stride 2 is a FactorizedReduce; darts-go scopes it "fr".
    if isinstance(op, FactorizedReduce):
        return named_params(op, prefix + ".fr")
    return named_params(op, prefix)


def checked_params(m, named):
    """Fails unless named covers exactly the parameters of m."""
    if {id(p) for _, p in named} != {id(p) for p in m.parameters()} or len(named) != len(list(m.parameters())):
        raise SystemExit("gen_darts_ops: internal error: parameter naming does not cover %s" % type(m).__name__)
    if len({n for n, _ in named}) != len(named):
        raise SystemExit("gen_darts_ops: internal error: duplicate parameter names in %s" % type(m).__name__)
    return named


# ---------------------------------------------------------------------------


class Rand:
    """Deterministic draws for one case: its own generator, seeded from the
    run's seed and the case name, so cases do not depend on each other."""

    def __init__(self, seed, name):
        self.g = torch.Generator().manual_seed((seed * 1000003 + zlib.crc32(name.encode())) % (1 << 63))

    def normal(self, shape, std=1.0):
        t = torch.randn(*shape, generator=self.g, dtype=torch.float64) * std
        return torch.round(t, decimals=DECIMALS)


def tensor_json(t, name=None):
    d = {}
    if name is not None:
        d["name"] = name
    d["shape"] = list(t.shape)
    d["data"] = [round(v, DECIMALS) for v in t.detach().reshape(-1).tolist()]
    return d


def run_case(rand, module, named, inputs, forward, param_std):
    """Loads random parameters, runs L = sum(out * u) and returns the case's
    tensor fields."""
    with torch.no_grad():
        for _, p in named:
            p.copy_(rand.normal(p.shape, param_std))
    module.train()  # BatchNorm uses batch statistics, as in the search
    for x in inputs:
        x.requires_grad_(True)
    out = forward(*inputs)
    up = rand.normal(out.shape)
    loss = (out * up).sum()
    params = [p for _, p in named]
    grads = torch.autograd.grad(loss, inputs + params, allow_unused=True)
    grads = [torch.zeros_like(t) if g is None else g for t, g in zip(inputs + params, grads)]
    gin, gpar = grads[: len(inputs)], grads[len(inputs):]
    return {
        "inputs": [tensor_json(x) for x in inputs],
        "params": [tensor_json(p, n) for n, p in named],
        "upstream": tensor_json(up),
        "output": tensor_json(out),
        "grad_inputs": [tensor_json(g) for g in gin],
        "grad_params": [tensor_json(g, n) for (n, _), g in zip(named, gpar)],
    }


def build(kind, c, stride=1, op=None, primitives=PRIMITIVES, steps=4, multiplier=4, cpp=None, cp=None,
          reduction=False, reduction_prev=False):
    """Module, darts-go-named parameters and forward function of a case."""
    if kind == "candidate":
        m = OPS[op](c, stride, False)
        if "pool" in op:  # as in MixedOp: pools are followed by BatchNorm(affine=False)
            m = nn.Sequential(m, nn.BatchNorm2d(c, affine=False))
        m = m.double()
        return m, checked_params(m, candidate_params(m, "op")), m
    if kind == "mixed":
        m = MixedOp(c, stride, primitives).double()
        return m, checked_params(m, named_params(m, "mixed")), lambda x, a: m(x, F.softmax(a, dim=-1))
    if kind == "cell":
        m = Cell(steps, multiplier, cpp, cp, c, reduction, reduction_prev, primitives).double()
        named = checked_params(m, named_params(m, None))  # cells have prefix-less names
        return m, named, lambda s0, s1, a: m(s0, s1, F.softmax(a, dim=-1))
    raise SystemExit("gen_darts_ops: unknown case kind %r" % kind)


def fr_size(h, w, what):
    if h % 2 or w % 2:
        raise SystemExit("gen_darts_ops: %s needs an even input size for FactorizedReduce, got %dx%d "
                         "(the original DARTS fails there too: its two convolutions disagree in size); "
                         "set --fr-h/--fr-w" % (what, h, w))
    return h, w


def candidate_case(args, prim, stride):
    name = "%s/stride%d" % (prim, stride)
    h, w = args.h, args.w
    if prim == "skip_connect" and stride == 2:
        h, w = fr_size(args.fr_h, args.fr_w, name)
    op, named, fwd = build("candidate", args.c, stride, op=prim)
    rand = Rand(args.seed, name)
    x = rand.normal((args.n, args.c, h, w))
    case = {"name": name, "kind": "candidate"}
    case.update(run_case(rand, op, named, [x], fwd, args.param_std))
    case.update({"op": prim, "stride": stride, "channels": args.c})
    return case


def mixed_case(args, stride):
    name = "mixed/stride%d" % stride
    h, w = args.h, args.w
    if stride == 2 and "skip_connect" in args.primitives:
        h, w = fr_size(args.fr_h, args.fr_w, name)
    m, named, fwd = build("mixed", args.c, stride, primitives=args.primitives)
    rand = Rand(args.seed, name)
    x = rand.normal((args.n, args.c, h, w))
    alpha = rand.normal((len(args.primitives),), args.mixed_alpha_std)
    case = {"name": name, "kind": "mixed"}
    case.update(run_case(rand, m, named, [x, alpha], fwd, args.param_std))
    case.update({"stride": stride, "channels": args.c, "primitives": list(args.primitives),
                 "note": "inputs are [x, alpha]; edge weights are softmax(alpha)"})
    return case


def cell_case(args, reduction, reduction_prev):
    name = "cell/reduction=%s/reduction_prev=%s" % (reduction, reduction_prev)
    h, w = args.h, args.w
    if reduction and "skip_connect" in args.primitives:
        h, w = fr_size(args.fr_h, args.fr_w, name)
    h0, w0 = (2 * h, 2 * w) if reduction_prev else (h, w)
    cell, named, fwd = build("cell", args.c, primitives=args.primitives, steps=args.steps,
                             multiplier=args.multiplier, cpp=args.cpp, cp=args.cp, reduction=reduction,
                             reduction_prev=reduction_prev)
    rand = Rand(args.seed, name)
    s0 = rand.normal((args.n, args.cpp, h0, w0))
    s1 = rand.normal((args.n, args.cp, h, w))
    edges = sum(2 + i for i in range(args.steps))
    alpha = rand.normal((edges, len(args.primitives)), args.cell_alpha_std)
    case = {"name": name, "kind": "cell"}
    case.update(run_case(rand, cell, named, [s0, s1, alpha], fwd, args.param_std))
    case.update({"channels": args.c, "reduction": reduction, "reduction_prev": reduction_prev,
                 "primitives": list(args.primitives), "steps": args.steps, "multiplier": args.multiplier,
                 "note": "inputs are [s0, s1, alpha(%dx%d)]; edge e is (node i, input j) in order i=0..%d, j=0..i+1"
                         % (edges, len(args.primitives), args.steps - 1)})
    return case


def verify(path):
    """Recomputes every case of a golden file from its own inputs, parameters
    and upstream with this script's modules; returns the number of tensors
    that differ by more than 1e-9."""
    with open(path) as f:
        doc = json.load(f)
    bad = 0
    for c in doc["cases"]:
        kind = c["kind"]
        ins = [torch.tensor(t["data"], dtype=torch.float64).reshape(t["shape"]).requires_grad_(True)
               for t in c["inputs"]]
        if kind == "cell":
            m, named, fwd = build("cell", c["channels"], primitives=c["primitives"], steps=c["steps"],
                                  multiplier=c["multiplier"], cpp=c["inputs"][0]["shape"][1],
                                  cp=c["inputs"][1]["shape"][1], reduction=c["reduction"],
                                  reduction_prev=c["reduction_prev"])
        else:
            m, named, fwd = build(kind, c["channels"], c["stride"], op=c.get("op"),
                                  primitives=c.get("primitives", PRIMITIVES))
        want = {t["name"]: t for t in c["params"]}
        if sorted(want) != sorted(n for n, _ in named):
            print("%s: parameter names differ: file %s, script %s" % (c["name"], sorted(want), sorted(n for n, _ in named)))
            bad += 1
            continue
        with torch.no_grad():
            for n, p in named:
                p.copy_(torch.tensor(want[n]["data"], dtype=torch.float64).reshape(want[n]["shape"]))
        m.train()
        out = fwd(*ins)
        up = torch.tensor(c["upstream"]["data"], dtype=torch.float64).reshape(c["upstream"]["shape"])
        params = [p for _, p in named]
        grads = torch.autograd.grad((out * up).sum(), ins + params, allow_unused=True)
        pairs = [("output", out, c["output"])]
        pairs += [("d/d input%d" % i, g, t) for i, (g, t) in enumerate(zip(grads, c["grad_inputs"]))]
        gp = {t["name"]: t for t in c["grad_params"]}
        pairs += [("d/d " + n, g, gp[n]) for (n, _), g in zip(named, grads[len(ins):])]
        worst = 0.0
        for what, got, t in pairs:
            got = torch.zeros(t["shape"], dtype=torch.float64) if got is None else got.detach()
            ref = torch.tensor(t["data"], dtype=torch.float64).reshape(t["shape"])
            if list(got.shape) != list(ref.shape):
                print("%s: %s: shape %s, file %s" % (c["name"], what, list(got.shape), t["shape"]))
                bad += 1
                continue
            err = (got - ref).abs().max().item() if ref.numel() else 0.0
            worst = max(worst, err)
            if not err <= 1e-9:
                print("%s: %s: max abs error %.3g" % (c["name"], what, err))
                bad += 1
        print("%-45s max abs error %.3g" % (c["name"], worst))
    return bad


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--seed", type=int, default=1234, help="seed of every random draw")
    ap.add_argument("--n", type=int, default=2, help="batch size")
    ap.add_argument("--c", type=int, default=4, help="channels C of ops and cells (even: FactorizedReduce)")
    ap.add_argument("--h", type=int, default=8, help="input height (cells: height of s1)")
    ap.add_argument("--w", type=int, default=8, help="input width (cells: width of s1)")
    ap.add_argument("--fr-h", type=int, default=None,
                    help="height for cases with a FactorizedReduce on the input (skip_connect/stride2, "
                         "mixed/stride2, reduction cell); default --h")
    ap.add_argument("--fr-w", type=int, default=None, help="width for those cases; default --w")
    ap.add_argument("--cpp", type=int, default=None, help="cell input channels of s0 (default C+2)")
    ap.add_argument("--cp", type=int, default=None, help="cell input channels of s1 (default C+1)")
    ap.add_argument("--steps", type=int, default=4, help="cell intermediate nodes")
    ap.add_argument("--multiplier", type=int, default=4, help="cell output nodes concatenated")
    ap.add_argument("--param-std", type=float, default=0.3, help="std of the normal conv weights")
    ap.add_argument("--mixed-alpha-std", type=float, default=1.0, help="std of the mixed op's alpha")
    ap.add_argument("--cell-alpha-std", type=float, default=0.5, help="std of the cells' alpha")
    ap.add_argument("--primitives", default=",".join(PRIMITIVES), help="comma-separated primitives")
    ap.add_argument("-o", "--out", help="output JSON file ('-' = stdout)")
    ap.add_argument("--verify", metavar="FILE",
                    help="instead of generating, recompute every case of FILE from its inputs and compare")
    args = ap.parse_args(argv)
    if args.verify:
        bad = verify(args.verify)
        print("%s: %s" % (args.verify, "OK" if bad == 0 else "%d tensors differ" % bad))
        sys.exit(1 if bad else 0)
    if not args.out:
        ap.error("-o/--out is required unless --verify is given")
    args.fr_h = args.h if args.fr_h is None else args.fr_h
    args.fr_w = args.w if args.fr_w is None else args.fr_w
    args.cpp = args.c + 2 if args.cpp is None else args.cpp
    args.cp = args.c + 1 if args.cp is None else args.cp
    args.primitives = [p for p in args.primitives.split(",") if p]
    for p in args.primitives:
        if p not in OPS:
            ap.error("unknown primitive %r (known: %s)" % (p, ", ".join(OPS)))
    if args.c % 2:
        ap.error("--c must be even (FactorizedReduce splits C into two halves), got %d" % args.c)
    for k in ("n", "c", "h", "w", "fr_h", "fr_w", "cpp", "cp", "steps", "multiplier"):
        if getattr(args, k) < 1:
            ap.error("--%s must be positive" % k.replace("_", "-"))
    if args.multiplier > args.steps:
        ap.error("--multiplier %d exceeds --steps %d" % (args.multiplier, args.steps))

    settings = ", ".join("%s=%s" % (k, getattr(args, k)) for k in
                         ("seed", "n", "c", "h", "w", "fr_h", "fr_w", "cpp", "cp", "steps", "multiplier",
                          "param_std", "mixed_alpha_std", "cell_alpha_std"))
    torch.set_grad_enabled(True)
    cases = []
    for prim in args.primitives:
        for stride in (1, 2):
            cases.append(candidate_case(args, prim, stride))
    for stride in (1, 2):
        cases.append(mixed_case(args, stride))
    for red, red_prev in ((False, False), (False, True), (True, False)):
        cases.append(cell_case(args, red, red_prev))

    about = ("DARTS CNN search-space golden vectors (float64, PyTorch %s). L = sum(output * upstream); "
             "grads are dL/d*. BatchNorm: training mode, batch statistics, biased variance, eps 1e-5, no affine. "
             "Parameter names: <scope>.<role>; roles: conv (1x1 of ReLUConvBN), conv1/conv2 (FactorizedReduce, "
             "second one on x[:, :, 1:, 1:]), dw1/pw1/dw2/pw2 (SepConv), dw/pw (DilConv). Depthwise weights are "
             "(C,1,k,k), groups=C. Tensors are NCHW, row-major. Generated by tools/golden/gen_darts_ops.py with %s."
             % (torch.__version__, settings))
    doc = {"about": about, "primitives": list(args.primitives), "cases": cases}
    text = json.dumps(doc, separators=(",", ":"))
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
