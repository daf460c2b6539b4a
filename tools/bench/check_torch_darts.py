#!/usr/bin/python3
"""Cheap correctness checks of torch_darts.py (a minute or two on one core):

1. parameter counts: the search network's weights (alphas excluded) for
   every preset, against `darts bench --json`'s params when --darts BIN is
   given (else just printed);
2. learning: a few steps on one fixed learnable synthetic batch lower the
   loss (search order 1, order 2, and retraining of a genotype);
3. second order with xi = 0 gives the first-order gradient, and the
   first-order gradient is the same with --arch-backward all;
4. the unrolled finite-difference hypergradient against the exact one
   (double back-propagation through the virtual step), in float64 on the
   tiny preset with a short step: this catches a wrong 1/(2R) scale.

Exit status 1 if any check fails.

    /usr/bin/python3 tools/bench/check_torch_darts.py --darts /tmp/darts-bench-bin
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_darts as td  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_GENOTYPE = os.path.normpath(os.path.join(HERE, "..", "..", "genotypes", "darts-v2.json"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--darts", default="", help="darts binary to compare parameter counts with")
    ap.add_argument("--genotype", default=DEFAULT_GENOTYPE, help="genotype for the retraining check")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    td.set_thread_env(a.threads)
    M = td.build_module()
    torch = M.torch
    torch.set_num_threads(a.threads)
    failed = []

    def report(name, ok, detail):
        print("%-4s %s: %s" % ("ok" if ok else "FAIL", name, detail))
        if not ok:
            failed.append(name)

    # 1. parameter counts
    for preset in ("mnist-small", "cifar-small", "tiny"):
        shape, classes, layers, C, _ = td.PRESETS[preset]
        net = M.SearchNetwork(shape[0], C, classes, layers)
        n = sum(p.numel() for p in net.parameters())
        if a.darts:
            out = subprocess.run([a.darts, "bench", "--preset", preset, "--steps", "1", "--warmup", "0",
                                  "--threads", str(a.threads), "--json"],
                                 capture_output=True, text=True, check=True).stdout
            want = json.loads(out.strip().splitlines()[-1])["params"]
            report("params " + preset, n == want, "torch %d, darts bench %d" % (n, want))
        else:
            print("     params %s: torch %d (no --darts to compare with)" % (preset, n))

    # 2. a few steps on one learnable batch lower the loss
    def fixed_batch(shape, classes, B, seed=5):
        gen = torch.Generator().manual_seed(seed)
        d = M.Synthetic(shape, classes, B, gen)
        return d.x, d.y

    for order in (1, 2):
        torch.manual_seed(3)
        shape, classes, layers, C, B = td.PRESETS["tiny"]
        B = 16
        net = M.SearchNetwork(shape[0], C, classes, layers)
        s = M.Search(net, order)
        x, y = fixed_batch(shape, classes, B)
        losses = [s.step(x, y, x, y) for _ in range(15)]
        report("search order %d learns" % order, losses[-1] < 0.8 * losses[0],
               "tiny, one batch of %d, loss %.3f -> %.3f in %d steps" % (B, losses[0], losses[-1], len(losses)))

    with open(a.genotype) as f:
        geno = td.parse_genotype(f.read())
    torch.manual_seed(3)
    shape, classes = (1, 28, 28), 10
    net = M.NetworkCIFAR(shape[0], shape[1], 8, classes, 5, True, geno)
    net.train()
    t = M.Retrain(net, 0.2)
    x, y = fixed_batch(shape, classes, 16)
    losses = [t.step(x, y) for _ in range(10)]
    report("retrain learns", losses[-1] < 0.8 * losses[0],
           "%s, 1x28x28, 5 layers, 8 channels, auxiliary, drop path 0.2, loss %.3f -> %.3f in %d steps"
           % (os.path.basename(a.genotype), losses[0], losses[-1], len(losses)))

    # 3. second order with xi = 0 is first order
    torch.manual_seed(4)
    shape, classes, layers, C, B = td.PRESETS["mnist-small"]
    B = 8
    net = M.SearchNetwork(shape[0], C, classes, layers)
    net.train()
    s = M.Search(net, 2)
    xt, yt = fixed_batch(shape, classes, B, seed=6)
    xv, yv = fixed_batch(shape, classes, B, seed=7)
    s.step(xt, yt, xv, yv)  # so that the momentum buffers are not zero
    w_before = [p.detach().clone() for p in s.weights]
    g2 = s.unrolled_grad(xt, yt, xv, yv, xi=0.0)
    restored = all(torch.equal(p, q) for p, q in zip(s.weights, w_before))
    g1 = s.first_order_grad(xv, yv)
    diff = max((u - v).abs().max().item() for u, v in zip(g1, g2))
    scale = max(u.abs().max().item() for u in g1)
    report("second order, xi=0 == first order", diff <= 1e-6 * scale,
           "mnist-small at batch %d: max |diff| %.3g (max |grad| %.3g); weights restored: %s"
           % (B, diff, scale, restored))
    if not restored:
        report("second order restores the weights", False, "weights changed")
    s.arch_backward = "all"
    g1all = s.first_order_grad(xv, yv)
    s.arch_backward = "alphas"
    diff = max((u - v).abs().max().item() for u, v in zip(g1, g1all))
    report("--arch-backward all == alphas", diff <= 1e-6 * scale,
           "first-order gradient by loss.backward() vs autograd.grad(alphas): max |diff| %.3g" % diff)

    # 4. finite-difference hypergradient against the exact one
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(8)
    shape, classes, layers, C, B = td.PRESETS["tiny"]
    net = M.SearchNetwork(shape[0], C, classes, layers).double()
    net.alphas_normal = net.alphas_normal.detach().double().requires_grad_(True)
    net.alphas_reduce = net.alphas_reduce.detach().double().requires_grad_(True)
    net.train()
    s = M.Search(net, 2)
    xt, yt = fixed_batch(shape, classes, B, seed=9)
    xv, yv = fixed_batch(shape, classes, B, seed=10)
    xt, xv = xt.double(), xv.double()
    s.step(xt, yt, xv, yv)
    s.step(xt, yt, xv, yv)
    xi = s.lr
    from torch.nn.utils import stateless
    names = [n for n, _ in net.named_parameters()]
    buffers0 = [b.detach().clone() for b in net.buffers()]
    g = torch.autograd.grad(s.loss(xt, yt), s.weights, create_graph=True)
    w1 = {}
    for n, p, gp in zip(names, s.weights, g):
        m = s.w_opt.state[p]["momentum_buffer"]
        w1[n] = p - xi * (td.MOMENTUM * m + gp + td.WEIGHT_DECAY * p)
    lv = s.criterion(stateless.functional_call(net, w1, (xv,)), yv)
    exact = torch.autograd.grad(lv, s.alphas)
    with torch.no_grad():
        for b, b0 in zip(net.buffers(), buffers0):
            b.copy_(b0)
    fd = s.unrolled_grad(xt, yt, xv, yv, r=1e-5)
    err = max((u - v).abs().max().item() for u, v in zip(exact, fd))
    size = max(u.abs().max().item() for u in exact)
    # The Hessian term's own size (exact minus the gradient at w' alone),
    # which the error must be far below for the check to mean anything.
    lv1 = s.criterion(stateless.functional_call(net, {n: v.detach() for n, v in w1.items()}, (xv,)), yv)
    g1 = torch.autograd.grad(lv1, s.alphas)
    with torch.no_grad():
        for b, b0 in zip(net.buffers(), buffers0):
            b.copy_(b0)
    hterm = max((u - v).abs().max().item() for u, v in zip(exact, g1))
    report("unrolled hypergradient vs exact (float64, tiny, r=1e-5)", err <= 1e-3 * hterm,
           "max |fd - exact| %.3g; Hessian term max %.3g; max |exact| %.3g" % (err, hterm, size))
    torch.set_default_dtype(torch.float32)

    if failed:
        print("%d check(s) failed: %s" % (len(failed), ", ".join(failed)))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
