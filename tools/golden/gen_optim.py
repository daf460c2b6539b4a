#!/usr/bin/python3
"""Reference values for darts-go's optimizers: SGD, Adam (PyTorch 0.3.1 and
1.13 arithmetic), gradient clipping and the per-epoch cosine schedule of
quark0/darts train_search.py.

Writes testdata/optim_torch.json (format: the file's "about" field and
tools/golden/README.md). The 0.3.1 facts it transcribes are pinned, with
sources, in tools/golden/PYTORCH031.md.

Run with Debian's interpreter (python3-torch): /usr/bin/python3 gen_optim.py -o FILE
"""

import argparse
import json
import math
import sys
import warnings
import zlib

import torch

DTYPES = {"float32": torch.float32, "float64": torch.float64}

# Parameter tensors of every optimizer case: name, shape, scale of the random
# gradients. "tiny" has gradients near Adam's eps, where the 0.3.1 and 1.13
# eps placements differ visibly; "alphas" has the size and gradient scale of
# a DARTS architecture parameter.
TENSORS = [("w", (3, 4), 1.0), ("alphas", (14, 8), 1e-3), ("conv", (2, 1, 3, 3), 0.1), ("tiny", (5,), 1e-8)]


class Rand:
    def __init__(self, seed, name):
        self.g = torch.Generator().manual_seed((seed * 1000003 + zlib.crc32(name.encode())) % (1 << 63))

    def normal(self, shape, std=1.0):
        return torch.randn(*shape, generator=self.g, dtype=torch.float64) * std


def num(x):
    """A tensor element or Python number as an exact JSON number: repr of the
    float64 value (a float32 value is exactly representable as float64, so
    converting the parsed float64 back to float32 is exact)."""
    return float(x)


def tj(t, name=None):
    d = {}
    if name is not None:
        d["name"] = name
    d["shape"] = list(t.shape)
    d["data"] = [num(v) for v in t.detach().reshape(-1).tolist()]
    return d


def tlist(names, ts):
    return [tj(t, n) for n, t in zip(names, ts)]


# ---------------------------------------------------------------------------
# 0.3.1 transcriptions: the steps of tools/golden/PYTORCH031.md, line by
# line, with 1.13 tensor ops in the 0.3.1 order.


def sgd_step_031(p, grad, state, lr, momentum, dampening, weight_decay, nesterov=False):
    d_p = grad.clone()  # 0.3.1 works in place on p.grad.data; here on a copy
    if weight_decay != 0:
        d_p.add_(p, alpha=weight_decay)  # d_p.add_(weight_decay, p.data)
    if momentum != 0:
        if "momentum_buffer" not in state:
            buf = state["momentum_buffer"] = torch.zeros_like(p)
            buf.mul_(momentum).add_(d_p)
        else:
            buf = state["momentum_buffer"]
            buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
        if nesterov:
            d_p = d_p.add(buf, alpha=momentum)  # d_p = d_p.add(momentum, buf)
        else:
            d_p = buf
    p.add_(d_p, alpha=-lr)  # p.data.add_(-group['lr'], d_p)


def adam_step_031(p, grad, state, lr, betas, eps, weight_decay):
    if len(state) == 0:
        state["step"] = 0
        state["exp_avg"] = torch.zeros_like(p)
        state["exp_avg_sq"] = torch.zeros_like(p)
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    beta1, beta2 = betas
    state["step"] += 1
    if weight_decay != 0:
        grad = grad.add(p, alpha=weight_decay)  # grad.add(group['weight_decay'], p.data)
    exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)  # .add_(1 - beta1, grad)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)  # .addcmul_(1 - beta2, grad, grad)
    denom = exp_avg_sq.sqrt().add_(eps)
    bias_correction1 = 1 - beta1 ** state["step"]
    bias_correction2 = 1 - beta2 ** state["step"]
    step_size = lr * math.sqrt(bias_correction2) / bias_correction1
    p.addcdiv_(exp_avg, denom, value=-step_size)  # p.data.addcdiv_(-step_size, exp_avg, denom)


def clip_031(grads, max_norm):
    """0.3.1 clip_grad_norm on a list of gradients (in place). Each
    p.grad.data.norm(2) is a Python number there; it is taken here as the
    float64 norm of the values (how TH accumulated a float32 norm is not
    pinned). Returns the total norm (a Python float)."""
    total = 0
    for g in grads:
        pn = float(torch.linalg.vector_norm(g.double(), 2))
        total += pn ** 2.0
    total = total ** (1.0 / 2.0)
    coef = float(max_norm) / (total + 1e-6)
    if coef < 1:
        for g in grads:
            g.mul_(coef)
    return total


# ---------------------------------------------------------------------------


def init_tensors(rand, dtype):
    params = [rand.normal(shape).to(dtype) for _, shape, _ in TENSORS]
    return params


def draw_grads(rand, dtype):
    return [rand.normal(shape, scale).to(dtype) for _, shape, scale in TENSORS]


def sgd_case(seed, dtype_name, settings, steps):
    dtype = DTYPES[dtype_name]
    nesterov = settings.get("nesterov", False)
    tag = "mom%g_wd%g" % (settings["momentum"], settings["weight_decay"])
    if nesterov:
        tag += "_nesterov"
    name = "sgd/%s/%s" % (tag, dtype_name)
    rand = Rand(seed, "sgd/" + tag)  # float32 and float64 see the same draws
    names = [n for n, _, _ in TENSORS]
    p0 = init_tensors(rand, dtype)
    grads = [draw_grads(rand, dtype) for _ in range(steps)]

    # PyTorch 1.13 torch.optim.SGD.
    ps = [torch.nn.Parameter(t.clone()) for t in p0]
    opt = torch.optim.SGD(ps, lr=settings["lr"], momentum=settings["momentum"], dampening=settings["dampening"],
                          weight_decay=settings["weight_decay"], nesterov=nesterov, foreach=False)
    # The 0.3.1 transcription, run alongside as a check.
    qs = [t.clone() for t in p0]
    qstate = [{} for _ in qs]
    out_steps = []
    for gs in grads:
        for p, g in zip(ps, gs):
            p.grad = g.clone()
        opt.step()
        for q, g, st in zip(qs, gs, qstate):
            sgd_step_031(q, g, st, settings["lr"], settings["momentum"], settings["dampening"], settings["weight_decay"],
                         nesterov)
        step = {"grads": tlist(names, gs), "params": tlist(names, [p.detach() for p in ps])}
        if settings["momentum"] != 0:
            step["momentum_buffer"] = tlist(names, [opt.state[p]["momentum_buffer"] for p in ps])
        out_steps.append(step)
        for p, q, st in zip(ps, qs, qstate):
            if not torch.equal(p.detach(), q):
                raise SystemExit("gen_optim: %s: the 0.3.1 SGD transcription differs from torch.optim.SGD "
                                 "(max %g); store both" % (name, (p.detach() - q).abs().max()))
            if settings["momentum"] != 0 and not torch.equal(opt.state[p]["momentum_buffer"], st["momentum_buffer"]):
                raise SystemExit("gen_optim: %s: momentum buffers differ between 0.3.1 and 1.13" % name)
    return {"name": name, "kind": "sgd", "dtype": dtype_name,
            "semantics": "torch 1.13 torch.optim.SGD (foreach=False); bit-identical here to the 0.3.1 "
                         "transcription (checked by the generator)",
            "settings": dict(settings, nesterov=nesterov), "params": tlist(names, p0), "steps": out_steps}


def adam_case(seed, dtype_name, semantics, settings, steps):
    dtype = DTYPES[dtype_name]
    name = "adam/%s/%s" % (semantics, dtype_name)
    rand = Rand(seed, "adam")  # both semantics and both dtypes see the same draws
    names = [n for n, _, _ in TENSORS]
    p0 = init_tensors(rand, dtype)
    grads = [draw_grads(rand, dtype) for _ in range(steps)]
    out_steps = []
    if semantics == "v0.3.1":
        qs = [t.clone() for t in p0]
        states = [{} for _ in qs]
        for gs in grads:
            for q, g, st in zip(qs, gs, states):
                adam_step_031(q, g, st, settings["lr"], tuple(settings["betas"]), settings["eps"],
                              settings["weight_decay"])
            out_steps.append({"grads": tlist(names, gs), "params": tlist(names, qs),
                              "exp_avg": tlist(names, [s["exp_avg"] for s in states]),
                              "exp_avg_sq": tlist(names, [s["exp_avg_sq"] for s in states]),
                              "step": states[0]["step"]})
        sem = ("PyTorch 0.3.1 Adam.step transcribed (PYTORCH031.md section 4): g = grad + wd*p; "
               "m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g; denom = sqrt(v) + eps; "
               "step_size = lr*sqrt(1-b2^t)/(1-b1^t); p -= step_size*m/denom")
    else:
        ps = [torch.nn.Parameter(t.clone()) for t in p0]
        opt = torch.optim.Adam(ps, lr=settings["lr"], betas=tuple(settings["betas"]), eps=settings["eps"],
                               weight_decay=settings["weight_decay"], amsgrad=False, foreach=False)
        for gs in grads:
            for p, g in zip(ps, gs):
                p.grad = g.clone()
            opt.step()
            st = [opt.state[p] for p in ps]
            out_steps.append({"grads": tlist(names, gs), "params": tlist(names, [p.detach() for p in ps]),
                              "exp_avg": tlist(names, [s["exp_avg"] for s in st]),
                              "exp_avg_sq": tlist(names, [s["exp_avg_sq"] for s in st]),
                              "step": int(st[0]["step"])})
        sem = ("torch 1.13 torch.optim.Adam (foreach=False): g = grad + wd*p; m, v as 0.3.1; "
               "denom = sqrt(v)/sqrt(1-b2^t) + eps; p -= (lr/(1-b1^t))*m/denom")
    return {"name": name, "kind": "adam", "dtype": dtype_name, "semantics": sem, "settings": settings,
            "params": tlist(names, p0), "steps": out_steps}


def clip_case(seed, dtype_name, semantics, target_norm, max_norm):
    dtype = DTYPES[dtype_name]
    name = "clip/%s/norm%g/%s" % (semantics, target_norm, dtype_name)
    rand = Rand(seed, "clip/norm%g" % target_norm)  # both semantics and dtypes see the same gradients
    names = [n for n, _, _ in TENSORS[:3]]
    gs = [rand.normal(shape) for _, shape, _ in TENSORS[:3]]
    norm = math.sqrt(sum(float((g * g).sum()) for g in gs))
    gs = [(g * (target_norm / norm)).to(dtype) for g in gs]
    before = [g.clone() for g in gs]
    if semantics == "v1.13":
        ps = [torch.nn.Parameter(torch.zeros_like(g)) for g in gs]
        for p, g in zip(ps, gs):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm)
        after = [p.grad for p in ps]
        total = float(total)
        sem = ("torch 1.13 torch.nn.utils.clip_grad_norm_(params, max_norm): total = norm of the stacked "
               "per-tensor 2-norms (in the gradients' dtype); grads *= clamp(max_norm/(total+1e-6), max=1)")
    else:
        after = [g.clone() for g in gs]
        total = clip_031(after, max_norm)
        sem = ("PyTorch 0.3.1 clip_grad_norm transcribed (PYTORCH031.md section 7): total = (sum of squared "
               "per-tensor norms)^(1/2) in float64; coef = max_norm/(total+1e-6); grads *= coef only if coef < 1")
    return {"name": name, "kind": "clip", "dtype": dtype_name, "semantics": sem, "max_norm": max_norm,
            "grads": tlist(names, before), "total_norm": total, "clipped": tlist(names, after),
            "scaled": bool(max_norm / (total + 1e-6) < 1)}


def schedule(epochs, lr, lr_min):
    """The lr of each epoch of train_search.py (scheduler.step() at the start
    of every epoch, then lr = scheduler.get_lr()[0])."""
    T = float(epochs)  # train_search.py passes float(args.epochs)
    v031 = [lr_min + (lr - lr_min) * (1 + math.cos(math.pi * e / T)) / 2 for e in range(epochs)]

    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr)
    sch = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T, eta_min=lr_min)
    group, get_lr, last = [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(epochs):
            sch.step()
            get_lr.append(sch.get_lr()[0])
            last.append(sch.get_last_lr()[0])
            group.append(opt.param_groups[0]["lr"])
            opt.step()  # the epoch's training (p has no grad: nothing changes)
    return {"kind": "schedule", "T_max": T, "epochs": epochs, "eta_max": lr, "eta_min": lr_min,
            "v0_3_1": v031, "v1_13_group_lr": group, "v1_13_get_lr": get_lr, "v1_13_get_last_lr": last,
            "note": "lr of epoch e = 0..epochs-1 in train_search.py's loop (scheduler.step() first). v0_3_1 is "
                    "the 0.3.1 formula eta_min + (eta_max-eta_min)*(1+cos(pi*e/T_max))/2 (PYTORCH031.md section 6), "
                    "which both the SGD lr and get_lr()[0] (the architect's eta) follow. Under torch 1.13, "
                    "v1_13_group_lr is what SGD uses (one epoch ahead: the constructor already steps), "
                    "v1_13_get_lr is what train_search.py's lr = scheduler.get_lr()[0] would be (chainable formula "
                    "evaluated once more on the already-updated group lr), v1_13_get_last_lr is get_last_lr()[0]."}


ABOUT = (
    "Optimizer reference values for darts-go, generated by tools/golden/gen_optim.py with torch %s. "
    "Numbers are exact: each is the repr of a float64 value (float32 values are stored as the float64 equal "
    "to them, so a float32 test converts exactly). Tensors are {name, shape, data}, row-major. Every optimizer "
    "case updates the same four tensors: w (3,4) with N(0,1) gradients, alphas (14,8) with 1e-3*N(0,1), "
    "conv (2,1,3,3) with 0.1*N(0,1), tiny (5,) with 1e-8*N(0,1) (near Adam's eps); params start N(0,1) "
    "(float32 cases use the float64 draws of the float64 case cast to float32). Fields: name, kind (sgd|adam|clip), dtype (float32|float64), semantics (which "
    "PyTorch arithmetic), settings, params (initial values), steps (one entry per optimizer step: grads = the "
    "gradient fed to that step, params = values after it, plus the optimizer state after it: momentum_buffer "
    "for SGD with momentum; exp_avg, exp_avg_sq and step for Adam). SGD: torch 1.13 torch.optim.SGD, whose "
    "arithmetic equals 0.3.1's (d = g + wd*w; buf = d on the first step, then momentum*buf + d; w -= lr*buf); "
    "the generator checks the 0.3.1 transcription gives identical bits. Adam: two semantics on the same draws, "
    "v0.3.1 (transcribed, denom = sqrt(v) + eps, step_size = lr*sqrt(1-b2^t)/(1-b1^t), what DARTS ran) and "
    "v1.13 (torch.optim.Adam, denom = sqrt(v)/sqrt(1-b2^t) + eps, step lr/(1-b1^t)); settings lr 3e-4, betas "
    "(0.5, 0.999), eps 1e-8, weight_decay 1e-3 (train_search.py's architect). Clip cases (max_norm 5): "
    "grads before, total_norm returned, clipped grads after, scaled = whether max_norm/(total+1e-6) < 1; "
    "semantics v1.13 (clip_grad_norm_) and v0.3.1 (clip_grad_norm transcribed; norm accumulated in float64); "
    "the same gradients for both, one set with norm 12 and one with norm 3. schedule: learning rate per epoch "
    "of CosineAnnealingLR(optimizer, 50.0, eta_min=0.001) from 0.025 as train_search.py drives it (see its "
    "note). 0.3.1 sources: tools/golden/PYTORCH031.md."
)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=31, help="seed of every random draw")
    ap.add_argument("--steps", type=int, default=5, help="optimizer steps per case")
    ap.add_argument("-o", "--out", required=True, help="output JSON file ('-' = stdout)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)

    cases = []
    for mom, wd in ((0.9, 3e-4), (0.0, 3e-4), (0.9, 0.0), (0.0, 0.0)):
        for dt in DTYPES:
            cases.append(sgd_case(args.seed, dt, {"lr": 0.025, "momentum": mom, "dampening": 0.0,
                                                  "weight_decay": wd}, args.steps))
    # AutoDL-Projects' NAS-Bench-201 searches: SGD(nesterov=True), momentum 0.9, weight decay 5e-4.
    for dt in DTYPES:
        cases.append(sgd_case(args.seed, dt, {"lr": 0.025, "momentum": 0.9, "dampening": 0.0,
                                              "weight_decay": 5e-4, "nesterov": True}, args.steps))
    adam_settings = {"lr": 3e-4, "betas": [0.5, 0.999], "eps": 1e-8, "weight_decay": 1e-3}
    for sem in ("v0.3.1", "v1.13"):
        for dt in DTYPES:
            cases.append(adam_case(args.seed, dt, sem, adam_settings, args.steps))
    for target in (12.0, 3.0):
        for sem in ("v1.13", "v0.3.1"):
            for dt in DTYPES:
                cases.append(clip_case(args.seed, dt, sem, target, 5.0))
    doc = {"about": ABOUT % torch.__version__, "cases": cases, "schedule": schedule(50, 0.025, 0.001)}
    text = json.dumps(doc, separators=(",", ":"))
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
