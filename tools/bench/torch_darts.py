#!/usr/bin/python3
"""PyTorch counterpart of `darts bench`: times DARTS search steps (or
retraining steps of a genotype's evaluation network) on synthetic data.

Written from the definitions of the original DARTS code (quark0/darts, cnn/:
operations.py, model_search.py, architect.py, train_search.py, model.py,
train.py) as summarised in shared/ANCHORS.md section 2; see
tools/bench/README.md for exactly what a step is on each side.

Run with the interpreter that has PyTorch (/usr/bin/python3 here):

    /usr/bin/python3 tools/bench/torch_darts.py --preset mnist-small --order 1 --json

The thread count must be fixed before torch is imported (OpenMP reads
OMP_NUM_THREADS at start), so the arguments are parsed first.
"""

import argparse
import ast
import json
import os
import re
import resource
import sys
import time

PRESETS = {
    # name: (shape C,H,W, classes, layers, init channels, batch), as darts bench
    "mnist-small": ((1, 28, 28), 10, 5, 8, 32),
    "cifar-small": ((3, 32, 32), 10, 8, 16, 32),
    "tiny": ((1, 8, 8), 3, 3, 2, 4),  # darts bench's hidden test preset
}

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

# Hyperparameters of train_search.py (search) and train.py (retraining).
LR = 0.025
MOMENTUM = 0.9
WEIGHT_DECAY = 3e-4
GRAD_CLIP = 5.0
ARCH_LR = 3e-4
ARCH_BETAS = (0.5, 0.999)
ARCH_WEIGHT_DECAY = 1e-3
AUX_WEIGHT = 0.4


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Time DARTS search steps (or retraining steps) in PyTorch, mirroring `darts bench`.")
    p.add_argument("--preset", default="mnist-small", choices=sorted(PRESETS),
                   help="benchmark preset (shape, classes, layers, init channels, batch) as darts bench")
    p.add_argument("--mode", default="search", choices=["search", "train"],
                   help="search: a DARTS search step; train: a retraining step of --genotype's network")
    p.add_argument("--order", type=int, default=1, choices=[1, 2],
                   help="architecture gradient: 1 first order, 2 second order (unrolled)")
    p.add_argument("--steps", type=int, default=5, help="timed steps")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps before them")
    p.add_argument("--threads", type=int, default=0,
                   help="intra-op threads (torch.set_num_threads, OMP/MKL_NUM_THREADS); 0: all CPUs")
    p.add_argument("--seed", type=int, default=2, help="seed of the initialization and the synthetic data")
    p.add_argument("--layers", type=int, default=0, help="cells (0: the preset's)")
    p.add_argument("--init-channels", type=int, default=0, help="initial channels (0: the preset's)")
    p.add_argument("--batch-size", type=int, default=0, help="batch size (0: the preset's)")
    p.add_argument("--genotype", default="",
                   help="--mode train: genotype file, darts-go genotype.json or DARTS Genotype(...) text")
    p.add_argument("--drop-path", type=float, default=0.2,
                   help="--mode train: drop-path probability used in every timed step (train.py default 0.2)")
    p.add_argument("--no-auxiliary", action="store_true",
                   help="--mode train: no auxiliary head (default: auxiliary head, loss weight 0.4)")
    p.add_argument("--arch-backward", default="alphas", choices=["alphas", "all"],
                   help="first-order architecture step: 'alphas' computes only the alphas' gradient "
                        "(what darts-go does), 'all' calls loss.backward() as architect.py does, "
                        "computing and discarding the weights' gradients too")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    a = p.parse_args(argv)
    if a.steps < 1:
        p.error("--steps: need at least 1")
    if a.warmup < 0:
        p.error("--warmup: need 0 or more")
    if a.threads < 0:
        p.error("--threads: need 0 or more")
    if a.mode == "train" and not a.genotype:
        p.error("--mode train needs --genotype FILE")
    if not 0 <= a.drop_path < 1:
        p.error("--drop-path: need 0 <= p < 1")
    return a


def set_thread_env(threads):
    """Fixes the thread count in the environment, before torch is imported."""
    n = threads if threads > 0 else (os.cpu_count() or 1)
    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[k] = str(n)
    return n


# The network code below needs torch; it is defined inside build_module() so
# that the environment is set before the import, and so that the checks
# (check_torch_darts.py) can import it with a thread count of their own.
def build_module():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    # ---- operations.py ----------------------------------------------------

    class ReLUConvBN(nn.Module):
        def __init__(self, C_in, C_out, k, stride, padding, affine=True):
            super().__init__()
            self.op = nn.Sequential(
                nn.ReLU(inplace=False),
                nn.Conv2d(C_in, C_out, k, stride=stride, padding=padding, bias=False),
                nn.BatchNorm2d(C_out, affine=affine))

        def forward(self, x):
            return self.op(x)

    class DilConv(nn.Module):
        def __init__(self, C_in, C_out, k, stride, padding, dilation, affine=True):
            super().__init__()
            self.op = nn.Sequential(
                nn.ReLU(inplace=False),
                nn.Conv2d(C_in, C_in, k, stride=stride, padding=padding, dilation=dilation,
                          groups=C_in, bias=False),
                nn.Conv2d(C_in, C_out, 1, padding=0, bias=False),
                nn.BatchNorm2d(C_out, affine=affine))

        def forward(self, x):
            return self.op(x)

    class SepConv(nn.Module):
        def __init__(self, C_in, C_out, k, stride, padding, affine=True):
            super().__init__()
            self.op = nn.Sequential(
                nn.ReLU(inplace=False),
                nn.Conv2d(C_in, C_in, k, stride=stride, padding=padding, groups=C_in, bias=False),
                nn.Conv2d(C_in, C_in, 1, padding=0, bias=False),
                nn.BatchNorm2d(C_in, affine=affine),
                nn.ReLU(inplace=False),
                nn.Conv2d(C_in, C_in, k, stride=1, padding=padding, groups=C_in, bias=False),
                nn.Conv2d(C_in, C_out, 1, padding=0, bias=False),
                nn.BatchNorm2d(C_out, affine=affine))

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
                return x.mul(0.)
            return x[:, :, ::self.stride, ::self.stride].mul(0.)

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

    OPS = {
        "none": lambda C, s, affine: Zero(s),
        "avg_pool_3x3": lambda C, s, affine: nn.AvgPool2d(3, stride=s, padding=1, count_include_pad=False),
        "max_pool_3x3": lambda C, s, affine: nn.MaxPool2d(3, stride=s, padding=1),
        "skip_connect": lambda C, s, affine: Identity() if s == 1 else FactorizedReduce(C, C, affine=affine),
        "sep_conv_3x3": lambda C, s, affine: SepConv(C, C, 3, s, 1, affine=affine),
        "sep_conv_5x5": lambda C, s, affine: SepConv(C, C, 5, s, 2, affine=affine),
        "dil_conv_3x3": lambda C, s, affine: DilConv(C, C, 3, s, 2, 2, affine=affine),
        "dil_conv_5x5": lambda C, s, affine: DilConv(C, C, 5, s, 4, 2, affine=affine),
    }

    # ---- model_search.py ----------------------------------------------------

    class MixedOp(nn.Module):
        def __init__(self, C, stride):
            super().__init__()
            self._ops = nn.ModuleList()
            for prim in PRIMITIVES:
                op = OPS[prim](C, stride, False)
                if "pool" in prim:
                    op = nn.Sequential(op, nn.BatchNorm2d(C, affine=False))
                self._ops.append(op)

        def forward(self, x, weights):
            return sum(w * op(x) for w, op in zip(weights, self._ops))

    class SearchCell(nn.Module):
        def __init__(self, steps, multiplier, C_pp, C_p, C, reduction, reduction_prev):
            super().__init__()
            self.reduction = reduction
            if reduction_prev:
                self.preprocess0 = FactorizedReduce(C_pp, C, affine=False)
            else:
                self.preprocess0 = ReLUConvBN(C_pp, C, 1, 1, 0, affine=False)
            self.preprocess1 = ReLUConvBN(C_p, C, 1, 1, 0, affine=False)
            self._steps = steps
            self._multiplier = multiplier
            self._ops = nn.ModuleList()
            for i in range(steps):
                for j in range(2 + i):
                    stride = 2 if reduction and j < 2 else 1
                    self._ops.append(MixedOp(C, stride))

        def forward(self, s0, s1, weights):
            s0 = self.preprocess0(s0)
            s1 = self.preprocess1(s1)
            states = [s0, s1]
            offset = 0
            for _ in range(self._steps):
                s = sum(self._ops[offset + j](h, weights[offset + j]) for j, h in enumerate(states))
                offset += len(states)
                states.append(s)
            return torch.cat(states[-self._multiplier:], dim=1)

    class SearchNetwork(nn.Module):
        """model_search.py's Network, with the input channels a parameter
        (1 for MNIST-shaped presets) and the alphas kept apart from the
        module's parameters, as the original's bare Variables are."""

        def __init__(self, C_in, C, num_classes, layers, steps=4, multiplier=4, stem_multiplier=3):
            super().__init__()
            self._layers = layers
            self._steps = steps
            C_curr = stem_multiplier * C
            self.stem = nn.Sequential(
                nn.Conv2d(C_in, C_curr, 3, padding=1, bias=False),
                nn.BatchNorm2d(C_curr))
            C_pp, C_p, C_curr = C_curr, C_curr, C
            self.cells = nn.ModuleList()
            reduction_prev = False
            for i in range(layers):
                reduction = i in (layers // 3, 2 * layers // 3)
                if reduction:
                    C_curr *= 2
                cell = SearchCell(steps, multiplier, C_pp, C_p, C_curr, reduction, reduction_prev)
                reduction_prev = reduction
                self.cells.append(cell)
                C_pp, C_p = C_p, multiplier * C_curr
            self.global_pooling = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Linear(C_p, num_classes)
            k = sum(2 + i for i in range(steps))
            self.alphas_normal = (1e-3 * torch.randn(k, len(PRIMITIVES))).requires_grad_(True)
            self.alphas_reduce = (1e-3 * torch.randn(k, len(PRIMITIVES))).requires_grad_(True)

        def arch_parameters(self):
            return [self.alphas_normal, self.alphas_reduce]

        def forward(self, x):
            s0 = s1 = self.stem(x)
            wn = F.softmax(self.alphas_normal, dim=-1)
            wr = F.softmax(self.alphas_reduce, dim=-1)
            for cell in self.cells:
                s0, s1 = s1, cell(s0, s1, wr if cell.reduction else wn)
            out = self.global_pooling(s1)
            return self.classifier(out.view(out.size(0), -1))

    # ---- model.py -------------------------------------------------------------

    def drop_path(x, drop_prob):
        if drop_prob > 0.:
            keep = 1. - drop_prob
            mask = torch.empty(x.size(0), 1, 1, 1, dtype=x.dtype).bernoulli_(keep)
            x.div_(keep)
            x.mul_(mask)
        return x

    class EvalCell(nn.Module):
        def __init__(self, genes, concat, C_pp, C_p, C, reduction, reduction_prev):
            super().__init__()
            if reduction_prev:
                self.preprocess0 = FactorizedReduce(C_pp, C)
            else:
                self.preprocess0 = ReLUConvBN(C_pp, C, 1, 1, 0)
            self.preprocess1 = ReLUConvBN(C_p, C, 1, 1, 0)
            self.reduction = reduction
            self._steps = len(genes) // 2
            self._concat = list(concat)
            self.multiplier = len(concat)
            self._ops = nn.ModuleList()
            self._indices = []
            for name, index in genes:
                stride = 2 if reduction and index < 2 else 1
                self._ops.append(OPS[name](C, stride, True))
                self._indices.append(index)

        def forward(self, s0, s1, drop_prob):
            states = [self.preprocess0(s0), self.preprocess1(s1)]
            for i in range(self._steps):
                op1, op2 = self._ops[2 * i], self._ops[2 * i + 1]
                h1 = op1(states[self._indices[2 * i]])
                h2 = op2(states[self._indices[2 * i + 1]])
                if self.training and drop_prob > 0.:
                    if not isinstance(op1, Identity):
                        h1 = drop_path(h1, drop_prob)
                    if not isinstance(op2, Identity):
                        h2 = drop_path(h2, drop_prob)
                states.append(h1 + h2)
            return torch.cat([states[i] for i in self._concat], dim=1)

    class AuxiliaryHead(nn.Module):
        """AuxiliaryHeadCIFAR. The original's second conv is 2x2, the pooled
        size of CIFAR's 8x8 map; like darts-go, its window is the pooled
        size here (1x1 for a 7x7 map), which is the original on CIFAR."""

        def __init__(self, C, H, num_classes):
            super().__init__()
            if H < 5:
                raise ValueError("auxiliary head: map %dx%d smaller than the 5x5 pooling" % (H, H))
            ph = (H - 5) // 3 + 1
            self.features = nn.Sequential(
                nn.ReLU(inplace=True),
                nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),
                nn.Conv2d(C, 128, 1, bias=False),
                nn.BatchNorm2d(128),
                nn.ReLU(inplace=True),
                nn.Conv2d(128, 768, ph, bias=False),
                nn.BatchNorm2d(768),
                nn.ReLU(inplace=True))
            self.classifier = nn.Linear(768, num_classes)

        def forward(self, x):
            x = self.features(x)
            return self.classifier(x.view(x.size(0), -1))

    class NetworkCIFAR(nn.Module):
        def __init__(self, C_in, H, C, num_classes, layers, auxiliary, genotype, stem_multiplier=3):
            super().__init__()
            self._layers = layers
            self._auxiliary = auxiliary
            self.drop_path_prob = 0.
            C_curr = stem_multiplier * C
            self.stem = nn.Sequential(
                nn.Conv2d(C_in, C_curr, 3, padding=1, bias=False),
                nn.BatchNorm2d(C_curr))
            C_pp, C_p, C_curr = C_curr, C_curr, C
            self.cells = nn.ModuleList()
            reduction_prev = False
            h = H
            C_aux = H_aux = None
            for i in range(layers):
                reduction = i in (layers // 3, 2 * layers // 3)
                if reduction:
                    C_curr *= 2
                    h //= 2
                    genes, concat = genotype["reduce"], genotype["reduce_concat"]
                else:
                    genes, concat = genotype["normal"], genotype["normal_concat"]
                cell = EvalCell(genes, concat, C_pp, C_p, C_curr, reduction, reduction_prev)
                reduction_prev = reduction
                self.cells.append(cell)
                C_pp, C_p = C_p, cell.multiplier * C_curr
                if i == 2 * layers // 3:
                    C_aux, H_aux = C_p, h
            if auxiliary:
                self.auxiliary_head = AuxiliaryHead(C_aux, H_aux, num_classes)
            self.global_pooling = nn.AdaptiveAvgPool2d(1)
            self.classifier = nn.Linear(C_p, num_classes)

        def forward(self, x):
            logits_aux = None
            s0 = s1 = self.stem(x)
            for i, cell in enumerate(self.cells):
                s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
                if i == 2 * self._layers // 3 and self._auxiliary and self.training:
                    logits_aux = self.auxiliary_head(s1)
            out = self.global_pooling(s1)
            return self.classifier(out.view(out.size(0), -1)), logits_aux

        def model_parameters(self):
            """count_parameters_in_MB's set: everything but the auxiliary head."""
            return [p for n, p in self.named_parameters() if "auxiliary" not in n]

    # ---- data -----------------------------------------------------------------

    class Synthetic:
        """Learnable synthetic images of a preset's shape, in the spirit of
        darts-go's synthetic set (not the same bytes): per class a coarse 4x4
        grid of intensities per channel, each example that prototype shifted
        by up to 2 pixels, with a brightness offset and per-pixel noise,
        scaled to [0, 1] and normalised with mean 0.5, std 0.25. Batches for
        the whole run are drawn up front, as darts bench loads its set before
        timing; crop/flip augmentation (3-channel presets, as darts-go's
        search and train.py do) happens per batch, inside the timed step."""

        def __init__(self, shape, classes, n, gen):
            c, h, w = shape
            gh, gw = min(4, h), min(4, w)
            protos = 48 + 160 * torch.rand(classes, c, gh, gw, generator=gen)
            protos = F.interpolate(protos, size=(h, w), mode="nearest")
            labels = torch.randint(0, classes, (n,), generator=gen)
            s = min(2, h // 4, w // 4)
            x = protos[labels]
            if s > 0:
                x = F.pad(x, (s, s, s, s), mode="replicate")
                dy = torch.randint(0, 2 * s + 1, (n,), generator=gen)
                dx = torch.randint(0, 2 * s + 1, (n,), generator=gen)
                x = torch.stack([x[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])
            x = x + (torch.randint(-20, 21, (n, 1, 1, 1), generator=gen)).float()
            x = x + 32 * torch.randn(n, c, h, w, generator=gen)
            x = x.clamp(0, 255) / 255.
            self.x = ((x - 0.5) / 0.25).contiguous()
            self.y = labels

    def augment(x, gen):
        """Random crop with 4-pixel zero padding and horizontal flip."""
        n, _, h, w = x.shape
        p = F.pad(x, (4, 4, 4, 4))
        dy = torch.randint(0, 9, (n,), generator=gen).tolist()
        dx = torch.randint(0, 9, (n,), generator=gen).tolist()
        flip = (torch.rand(n, generator=gen) < 0.5).tolist()
        out = torch.empty_like(x)
        for i in range(n):
            v = p[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w]
            out[i] = v.flip(-1) if flip[i] else v
        return out

    # ---- train_search.py / architect.py --------------------------------------

    class Search:
        """The search loop's state: the network, SGD on the weights, Adam on
        the alphas, as train_search.py builds them."""

        def __init__(self, net, order, lr=LR, arch_backward="alphas"):
            self.net = net
            self.order = order
            self.lr = lr  # the cosine schedule's value in the first epoch
            self.arch_backward = arch_backward
            self.weights = list(net.parameters())
            self.alphas = net.arch_parameters()
            self.w_opt = torch.optim.SGD(self.weights, lr, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
            self.a_opt = torch.optim.Adam(self.alphas, lr=ARCH_LR, betas=ARCH_BETAS,
                                          weight_decay=ARCH_WEIGHT_DECAY)
            self.criterion = nn.CrossEntropyLoss()

        def loss(self, x, y):
            return self.criterion(self.net(x), y)

        def first_order_grad(self, xv, yv):
            """dL_val/dalpha at the current weights."""
            loss = self.loss(xv, yv)
            if self.arch_backward == "all":
                for p in self.weights + self.alphas:
                    p.grad = None  # architect.step's zero_grad, and the weights' too
                loss.backward()
                return [a.grad.clone() for a in self.alphas]
            return list(torch.autograd.grad(loss, self.alphas))

        def unrolled_grad(self, xt, yt, xv, yv, xi=None, r=1e-2):
            """architect.py's _backward_step_unrolled: the gradient of
            L_val(w - xi*(mu*m + dL_train/dw + wd*w), alpha) with the
            Hessian-vector product by central differences at w +- R*v,
            R = r/||v||. Weights and BatchNorm running statistics are
            restored afterwards (the original builds a fresh copy of the
            model instead; darts-go snapshots and restores, as here)."""
            if xi is None:
                xi = self.lr
            w0 = [p.detach().clone() for p in self.weights]
            bufs0 = [b.detach().clone() for b in self.net.buffers()]
            try:
                # virtual step w' = w - xi*(mu*m + g + wd*w)
                g = torch.autograd.grad(self.loss(xt, yt), self.weights)
                with torch.no_grad():
                    for p, gp in zip(self.weights, g):
                        m = self.w_opt.state.get(p, {}).get("momentum_buffer")
                        d = gp + WEIGHT_DECAY * p
                        if m is not None:
                            d = d + MOMENTUM * m
                        p.sub_(xi * d)
                # g1 = dL_val/dalpha and v = dL_val/dw at w'
                grads = torch.autograd.grad(self.loss(xv, yv), self.alphas + self.weights)
                g1, v = grads[:len(self.alphas)], grads[len(self.alphas):]
                norm = torch.cat([t.reshape(-1) for t in v]).norm()
                if not (norm > 0) or not torch.isfinite(norm):
                    return [t.clone() for t in g1]
                R = r / norm
                with torch.no_grad():
                    for p, p0, vi in zip(self.weights, w0, v):
                        p.copy_(p0 + R * vi)
                gp = torch.autograd.grad(self.loss(xt, yt), self.alphas)
                with torch.no_grad():
                    for p, p0, vi in zip(self.weights, w0, v):
                        p.copy_(p0 - R * vi)
                gn = torch.autograd.grad(self.loss(xt, yt), self.alphas)
                return [a - xi * (b - c) / (2 * R) for a, b, c in zip(g1, gp, gn)]
            finally:
                with torch.no_grad():
                    for p, p0 in zip(self.weights, w0):
                        p.copy_(p0)
                    for b, b0 in zip(self.net.buffers(), bufs0):
                        b.copy_(b0)

        def arch_step(self, xt, yt, xv, yv):
            if self.order == 2:
                g = self.unrolled_grad(xt, yt, xv, yv)
            else:
                g = self.first_order_grad(xv, yv)
            for a, ga in zip(self.alphas, g):
                a.grad = ga
            self.a_opt.step()

        def weight_step(self, xt, yt):
            self.w_opt.zero_grad(set_to_none=True)
            loss = self.loss(xt, yt)
            loss.backward()
            nn.utils.clip_grad_norm_(self.weights, GRAD_CLIP)
            self.w_opt.step()
            return loss.item()

        def step(self, xt, yt, xv, yv):
            self.arch_step(xt, yt, xv, yv)
            return self.weight_step(xt, yt)

    # ---- train.py ---------------------------------------------------------------

    class Retrain:
        def __init__(self, net, drop_prob, lr=LR):
            self.net = net
            self.net.drop_path_prob = drop_prob
            self.params = list(net.parameters())  # auxiliary head included, as train.py
            self.opt = torch.optim.SGD(self.params, lr, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
            self.criterion = nn.CrossEntropyLoss()

        def step(self, x, y):
            self.opt.zero_grad(set_to_none=True)
            logits, logits_aux = self.net(x)
            loss = self.criterion(logits, y)
            if logits_aux is not None:
                loss = loss + AUX_WEIGHT * self.criterion(logits_aux, y)
            loss.backward()
            nn.utils.clip_grad_norm_(self.params, GRAD_CLIP)
            self.opt.step()
            return loss.item()

    import types
    return types.SimpleNamespace(**{k: v for k, v in locals().items() if k != "types"})


# ---- genotypes ------------------------------------------------------------------

def parse_genotype(text):
    """A genotype as a dict normal/normal_concat/reduce/reduce_concat, from
    darts-go's genotype.json or the original's Genotype(...) text (flat or
    per-node nested pairs, concat as a list or range(a, b)), optionally as
    `NAME = Genotype(...)`."""
    s = text.strip()
    if s.startswith("{"):
        d = json.loads(s)
        g = {k: d[k] for k in ("normal", "normal_concat", "reduce", "reduce_concat")}
    else:
        m = re.search(r"Genotype\s*\((.*)\)\s*$", s, re.S)
        if not m:
            raise ValueError("not a genotype: want darts-go JSON or Genotype(...)")
        body = re.sub(r"range\(\s*(\d+)\s*,\s*(\d+)\s*\)",
                      lambda r: repr(list(range(int(r.group(1)), int(r.group(2))))), m.group(1))
        g = {}
        for field in re.finditer(r"(\w+)\s*=\s*", body):
            start = field.end()
            depth, i = 0, start
            while i < len(body):
                ch = body[i]
                if ch in "[(":
                    depth += 1
                elif ch in "])":
                    depth -= 1
                elif ch == "," and depth == 0:
                    break
                i += 1
            g[field.group(1)] = ast.literal_eval(body[start:i].strip())
    out = {}
    for cell in ("normal", "reduce"):
        genes = g[cell]
        if genes and isinstance(genes[0], list) and genes[0] and isinstance(genes[0][0], (list, tuple)):
            genes = [pair for node in genes for pair in node]  # nested per node
        out[cell] = [(str(op), int(i)) for op, i in genes]
        out[cell + "_concat"] = [int(i) for i in g[cell + "_concat"]]
        for op, _ in out[cell]:
            if op not in PRIMITIVES or op == "none":
                raise ValueError("genotype: op %r is not a DARTS op of a derived cell" % op)
    return out


# ---- the benchmark -----------------------------------------------------------------

def median(v):
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def build(args, M):
    """The network and a step function step(k) for batch k, plus params."""
    torch = M.torch
    shape, classes, layers, C, B = PRESETS[args.preset]
    layers = args.layers or layers
    C = args.init_channels or C
    B = args.batch_size or B
    total = args.warmup + args.steps
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed + 1)
    aug = shape[0] == 3
    if args.mode == "search":
        net = M.SearchNetwork(shape[0], C, classes, layers)
        net.train()
        s = M.Search(net, args.order, arch_backward=args.arch_backward)
        train = M.Synthetic(shape, classes, total * B, gen)
        val = M.Synthetic(shape, classes, total * B, gen)
        params = sum(p.numel() for p in s.weights)

        def step(k):
            xt, yt = train.x[k * B:(k + 1) * B], train.y[k * B:(k + 1) * B]
            xv, yv = val.x[k * B:(k + 1) * B], val.y[k * B:(k + 1) * B]
            if aug:
                xt, xv = M.augment(xt, gen), M.augment(xv, gen)
            return s.step(xt, yt, xv, yv)
    else:
        with open(args.genotype) as f:
            geno = parse_genotype(f.read())
        net = M.NetworkCIFAR(shape[0], shape[1], C, classes, layers, not args.no_auxiliary, geno)
        net.train()
        t = M.Retrain(net, args.drop_path)
        data = M.Synthetic(shape, classes, total * B, gen)
        params = sum(p.numel() for p in net.model_parameters())

        def step(k):
            x, y = data.x[k * B:(k + 1) * B], data.y[k * B:(k + 1) * B]
            if aug:
                x = M.augment(x, gen)
            return t.step(x, y)
    return step, params, dict(layers=layers, init_channels=C, batch=B, shape=shape, classes=classes)


def main(argv=None):
    args = parse_args(argv)
    threads = set_thread_env(args.threads)
    M = build_module()
    torch = M.torch
    torch.set_num_threads(threads)
    step, params, info = build(args, M)
    B = info["batch"]
    total = args.warmup + args.steps
    times, losses = [], []
    cpu0 = time.process_time() if args.warmup == 0 else None
    for k in range(total):
        t0 = time.perf_counter()
        losses.append(step(k))
        dt = time.perf_counter() - t0
        if k >= args.warmup:
            times.append(dt)
        if k == args.warmup - 1:
            cpu0 = time.process_time()
        if not args.json:
            print("step %d/%d  %.3f s  loss %.4f%s" % (k + 1, total, dt, losses[-1],
                  "" if k >= args.warmup else "  (warm-up)"), file=sys.stderr)
    cpu = (time.process_time() - cpu0) / args.steps
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    med = median(times)
    res = {
        "impl": "pytorch",
        "mode": args.mode,
        "preset": args.preset,
        "order": args.order if args.mode == "search" else 0,
        "steps": args.steps,
        "warmup": args.warmup,
        "batch": B,
        "layers": info["layers"],
        "init_channels": info["init_channels"],
        "median_step_s": med,
        "min_step_s": min(times),
        "step_s": times,
        "images_per_s": B / med,
        "peak_rss_mib": rss_kib / 1024.,
        "params": params,
        "threads": torch.get_num_threads(),
        "cpu_s_per_step": cpu,
        "allocs_per_step": None,  # darts bench's Go heap counters; no equivalent here
        "alloc_bytes_per_step": None,
        "loss_first": losses[0],
        "loss_last": losses[-1],
        "torch_version": torch.__version__,
        "mkldnn": bool(torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled),
        "arch_backward": args.arch_backward if args.mode == "search" else None,
    }
    if args.mode == "train":
        res.update(genotype=args.genotype, drop_path=args.drop_path, auxiliary=not args.no_auxiliary)
    if args.json:
        print(json.dumps(res))
        return 0
    shape = info["shape"]
    what = ("search, order %d" % args.order) if args.mode == "search" else \
        ("train %s, drop path %g, auxiliary %s" % (args.genotype, args.drop_path, not args.no_auxiliary))
    print("preset         %s (%dx%dx%d, %d classes, %d layers, %d init channels, batch %d)" % (
        args.preset, shape[0], shape[1], shape[2], info["classes"], info["layers"], info["init_channels"], B))
    print("mode           %s" % what)
    print("median step    %.3f s" % med)
    print("min step       %.3f s" % min(times))
    print("steps          %s s" % " ".join("%.3f" % t for t in times))
    print("images/s       %.1f" % (B / med))
    print("peak RSS       %.1f MiB" % (rss_kib / 1024.))
    print("params         %d" % params)
    print("threads        %d (torch %s, oneDNN %s)" % (torch.get_num_threads(), torch.__version__, res["mkldnn"]))
    print("CPU/step       %.3f s (user+system, all threads)" % cpu)
    return 0


if __name__ == "__main__":
    sys.exit(main())
