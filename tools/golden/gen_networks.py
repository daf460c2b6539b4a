#!/usr/bin/python3
"""Golden vectors for whole DARTS networks, from a float64 PyTorch
re-implementation of quark0/darts with its module structure:

* eval_network: model.py's NetworkCIFAR with AuxiliaryHeadCIFAR for a
  genotype (DARTS_V2 by default), a train-mode forward with the auxiliary
  logits, the loss CE + 0.4*CE_aux, its gradient w.r.t. every parameter and
  the BatchNorm running statistics after that forward, plus eval-mode
  forwards;
* search_step_order1 / search_step_order2: two consecutive steps of
  train_search.py's loop on a tiny model_search.py Network (architect.py's
  step, first order or unrolled, then the weight step with clipping and SGD),
  with every intermediate recorded.

The modules of the search space (operations.py, MixedOp, the search Cell)
are the ones of gen_darts_ops.py. The optimizers follow PyTorch 0.3.1 (the
version DARTS ran; tools/golden/PYTORCH031.md): Adam and clip_grad_norm are
the 0.3.1 transcriptions of gen_optim.py, SGD is torch.optim.SGD (arithmetic
identical to 0.3.1's).

Writes testdata/darts_networks.json (format: its "about" field and
tools/golden/README.md). Parameter and buffer names are darts-go's.

Run with Debian's interpreter (python3-torch): /usr/bin/python3 gen_networks.py -o FILE
"""

import argparse
import copy
import gzip
import json
import math
import os
import sys
import zlib
from collections import namedtuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_darts_ops as ops  # noqa: E402  (operations.py and model_search.py's MixedOp/Cell)
from gen_optim import adam_step_031, clip_031  # noqa: E402

DECIMALS = 12
PRIMITIVES = ops.PRIMITIVES

# quark0/darts cnn/genotypes.py
Genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")
DARTS_V2 = Genotype(normal=[("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
                            ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2)],
                    normal_concat=[2, 3, 4, 5],
                    reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
                            ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)],
                    reduce_concat=[2, 3, 4, 5])


# ---------------------------------------------------------------------------
# quark0/darts cnn/model_search.py Network (the search network). The cells are
# gen_darts_ops.Cell (model_search.py's Cell with the primitives as a
# parameter). As in the original, the alphas are plain tensors with
# requires_grad, not registered parameters, so model.parameters() are the
# weights only.


class Network(nn.Module):
    def __init__(self, C, num_classes, layers, criterion, steps=4, multiplier=4, stem_multiplier=3,
                 primitives=PRIMITIVES):
        super().__init__()
        self._C = C
        self._num_classes = num_classes
        self._layers = layers
        self._criterion = criterion
        self._steps = steps
        self._multiplier = multiplier
        self._primitives = list(primitives)

        C_curr = stem_multiplier * C
        self.stem = nn.Sequential(
            nn.Conv2d(3, C_curr, 3, padding=1, bias=False),
            nn.BatchNorm2d(C_curr)
        )

        C_prev_prev, C_prev, C_curr = C_curr, C_curr, C
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            if i in [layers // 3, 2 * layers // 3]:
                C_curr *= 2
                reduction = True
            else:
                reduction = False
            cell = ops.Cell(steps, multiplier, C_prev_prev, C_prev, C_curr, reduction, reduction_prev, primitives)
            reduction_prev = reduction
            self.cells += [cell]
            C_prev_prev, C_prev = C_prev, multiplier * C_curr

        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(C_prev, num_classes)

        self._initialize_alphas()

    def new(self):
        # The original calls Network(self._C, self._num_classes, self._layers,
        # self._criterion).cuda(), i.e. with the default steps and multiplier:
        # the cases here use those defaults (4, 4).
        model_new = Network(self._C, self._num_classes, self._layers, self._criterion,
                            primitives=self._primitives).to(self.classifier.weight.dtype)
        for x, y in zip(model_new.arch_parameters(), self.arch_parameters()):
            x.data.copy_(y.data)
        return model_new

    def forward(self, input):
        s0 = s1 = self.stem(input)
        for i, cell in enumerate(self.cells):
            if cell.reduction:
                weights = F.softmax(self.alphas_reduce, dim=-1)
            else:
                weights = F.softmax(self.alphas_normal, dim=-1)
            s0, s1 = s1, cell(s0, s1, weights)
        out = self.global_pooling(s1)
        logits = self.classifier(out.view(out.size(0), -1))
        return logits

    def _loss(self, input, target):
        logits = self(input)
        return self._criterion(logits, target)

    def _initialize_alphas(self):
        k = sum(1 for i in range(self._steps) for n in range(2 + i))
        num_ops = len(self._primitives)
        dtype = self.classifier.weight.dtype
        self.alphas_normal = (1e-3 * torch.randn(k, num_ops, dtype=dtype)).requires_grad_(True)
        self.alphas_reduce = (1e-3 * torch.randn(k, num_ops, dtype=dtype)).requires_grad_(True)
        self._arch_parameters = [
            self.alphas_normal,
            self.alphas_reduce,
        ]

    def _apply(self, fn):
        # Module.to() does not reach plain tensor attributes; convert the
        # alphas along with the parameters (the original does this with .cuda()).
        super()._apply(fn)
        an = fn(self.alphas_normal.detach()).requires_grad_(True)
        ar = fn(self.alphas_reduce.detach()).requires_grad_(True)
        self.alphas_normal, self.alphas_reduce = an, ar
        self._arch_parameters = [an, ar]
        return self

    def arch_parameters(self):
        return self._arch_parameters


# ---------------------------------------------------------------------------
# quark0/darts cnn/architect.py, transcribed (0.3.1 calls written in 1.13
# form; `theta.sub(eta, x)` is theta - eta*x, `p.data.add_(R, v)` is
# p + R*v). The Adam step on the alphas is the 0.3.1 transcription.


def _concat(xs):
    return torch.cat([x.view(-1) for x in xs])


class Adam031:
    """torch.optim.Adam(arch_parameters, lr, betas, weight_decay) with the
    0.3.1 step (gen_optim.adam_step_031)."""

    def __init__(self, params, lr, betas, eps, weight_decay):
        self.params = list(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.state = [{} for _ in self.params]

    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                p.grad.detach_()
                p.grad.zero_()

    def step(self):
        with torch.no_grad():
            for p, st in zip(self.params, self.state):
                if p.grad is None:
                    continue
                adam_step_031(p, p.grad, st, self.lr, self.betas, self.eps, self.weight_decay)


class Architect(object):

    def __init__(self, model, args):
        self.network_momentum = args.momentum
        self.network_weight_decay = args.weight_decay
        self.model = model
        self.optimizer = Adam031(self.model.arch_parameters(), lr=args.arch_learning_rate, betas=(0.5, 0.999),
                                 eps=1e-8, weight_decay=args.arch_weight_decay)
        self.log = {}  # intermediates recorded for the golden file (not in the original)

    def _compute_unrolled_model(self, input, target, eta, network_optimizer):
        loss = self.model._loss(input, target)
        theta = _concat(self.model.parameters()).data
        try:
            moment = _concat(network_optimizer.state[v]['momentum_buffer']
                             for v in self.model.parameters()).mul_(self.network_momentum)
        except KeyError:  # the original has a bare except: no buffer before the first SGD step
            moment = torch.zeros_like(theta)
        dtheta = _concat(torch.autograd.grad(loss, self.model.parameters())).data + self.network_weight_decay * theta
        unrolled_model = self._construct_model_from_theta(theta.sub(moment + dtheta, alpha=eta))
        self.log.update(train_loss_at_w=loss.item(), moment=moment, dtheta=dtheta)
        return unrolled_model

    def step(self, input_train, target_train, input_valid, target_valid, eta, network_optimizer, unrolled):
        self.optimizer.zero_grad()
        if unrolled:
            self._backward_step_unrolled(input_train, target_train, input_valid, target_valid, eta, network_optimizer)
        else:
            self._backward_step(input_valid, target_valid)
        self.log["arch_grad"] = [v.grad.detach().clone() for v in self.model.arch_parameters()]
        self.optimizer.step()

    def _backward_step(self, input_valid, target_valid):
        loss = self.model._loss(input_valid, target_valid)
        loss.backward()
        self.log["val_loss"] = loss.item()

    def _backward_step_unrolled(self, input_train, target_train, input_valid, target_valid, eta, network_optimizer):
        unrolled_model = self._compute_unrolled_model(input_train, target_train, eta, network_optimizer)
        unrolled_loss = unrolled_model._loss(input_valid, target_valid)

        unrolled_loss.backward()
        dalpha = [v.grad for v in unrolled_model.arch_parameters()]
        vector = [v.grad.data for v in unrolled_model.parameters()]
        self.log.update(val_loss=unrolled_loss.item(), unrolled_params=[p.detach().clone() for p in
                                                                        unrolled_model.parameters()],
                        dalpha_unrolled=[g.detach().clone() for g in dalpha], vector=[v.clone() for v in vector])
        implicit_grads = self._hessian_vector_product(vector, input_train, target_train)
        self.log["implicit_grads"] = [g.detach().clone() for g in implicit_grads]

        for g, ig in zip(dalpha, implicit_grads):
            g.data.sub_(ig.data, alpha=eta)

        for v, g in zip(self.model.arch_parameters(), dalpha):
            if v.grad is None:
                v.grad = g.data.clone()
            else:
                v.grad.data.copy_(g.data)

    def _construct_model_from_theta(self, theta):
        model_new = self.model.new()
        model_dict = self.model.state_dict()

        params, offset = {}, 0
        for k, v in self.model.named_parameters():
            v_length = np.prod(v.size())
            params[k] = theta[offset: offset + v_length].view(v.size())
            offset += v_length

        assert offset == len(theta)
        model_dict.update(params)
        model_new.load_state_dict(model_dict)
        return model_new

    def _hessian_vector_product(self, vector, input, target, r=1e-2):
        # 0.3.1: _concat(vector).norm() of a tensor is a Python number.
        R = r / float(_concat(vector).norm())
        for p, v in zip(self.model.parameters(), vector):
            p.data.add_(v, alpha=R)
        loss = self.model._loss(input, target)
        grads_p = torch.autograd.grad(loss, self.model.arch_parameters())

        for p, v in zip(self.model.parameters(), vector):
            p.data.sub_(v, alpha=2 * R)
        loss_n = self.model._loss(input, target)
        grads_n = torch.autograd.grad(loss_n, self.model.arch_parameters())

        for p, v in zip(self.model.parameters(), vector):
            p.data.add_(v, alpha=R)

        self.log.update(R=R, vector_norm=float(_concat(vector).norm()), train_loss_at_w_plus=loss.item(),
                        train_loss_at_w_minus=loss_n.item(), grads_p=[g.clone() for g in grads_p],
                        grads_n=[g.clone() for g in grads_n])
        return [(x - y).div_(2 * R) for x, y in zip(grads_p, grads_n)]


# ---------------------------------------------------------------------------
# quark0/darts cnn/model.py: the evaluation network.


def drop_path(x, drop_prob):  # utils.drop_path; never called with drop_prob > 0 here
    if drop_prob > 0.:
        raise SystemExit("gen_networks: drop path is not reproduced (its mask is random)")
    return x


class EvalCell(nn.Module):

    def __init__(self, genotype, C_prev_prev, C_prev, C, reduction, reduction_prev):
        super().__init__()
        if reduction_prev:
            self.preprocess0 = ops.FactorizedReduce(C_prev_prev, C)
        else:
            self.preprocess0 = ops.ReLUConvBN(C_prev_prev, C, 1, 1, 0)
        self.preprocess1 = ops.ReLUConvBN(C_prev, C, 1, 1, 0)

        if reduction:
            op_names, indices = zip(*genotype.reduce)
            concat = genotype.reduce_concat
        else:
            op_names, indices = zip(*genotype.normal)
            concat = genotype.normal_concat
        self.op_names = op_names  # only for naming the parameters
        self._compile(C, op_names, indices, concat, reduction)

    def _compile(self, C, op_names, indices, concat, reduction):
        assert len(op_names) == len(indices)
        self._steps = len(op_names) // 2
        self._concat = concat
        self.multiplier = len(concat)

        self._ops = nn.ModuleList()
        for name, index in zip(op_names, indices):
            stride = 2 if reduction and index < 2 else 1
            op = ops.OPS[name](C, stride, True)
            self._ops += [op]
        self._indices = indices

    def forward(self, s0, s1, drop_prob):
        s0 = self.preprocess0(s0)
        s1 = self.preprocess1(s1)

        states = [s0, s1]
        for i in range(self._steps):
            h1 = states[self._indices[2 * i]]
            h2 = states[self._indices[2 * i + 1]]
            op1 = self._ops[2 * i]
            op2 = self._ops[2 * i + 1]
            h1 = op1(h1)
            h2 = op2(h2)
            if self.training and drop_prob > 0.:
                if not isinstance(op1, ops.Identity):
                    h1 = drop_path(h1, drop_prob)
                if not isinstance(op2, ops.Identity):
                    h2 = drop_path(h2, drop_prob)
            s = h1 + h2
            states += [s]
        return torch.cat([states[i] for i in self._concat], dim=1)


class AuxiliaryHeadCIFAR(nn.Module):

    def __init__(self, C, num_classes):
        """assuming input size 8x8"""
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=True),
            nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),  # image size = 2 x 2
            nn.Conv2d(C, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False),
            nn.BatchNorm2d(768),
            nn.ReLU(inplace=True)
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = self.classifier(x.view(x.size(0), -1))
        return x


class NetworkCIFAR(nn.Module):

    def __init__(self, C, num_classes, layers, auxiliary, genotype):
        super().__init__()
        self._layers = layers
        self._auxiliary = auxiliary

        stem_multiplier = 3
        C_curr = stem_multiplier * C
        self.stem = nn.Sequential(
            nn.Conv2d(3, C_curr, 3, padding=1, bias=False),
            nn.BatchNorm2d(C_curr)
        )

        C_prev_prev, C_prev, C_curr = C_curr, C_curr, C
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            if i in [layers // 3, 2 * layers // 3]:
                C_curr *= 2
                reduction = True
            else:
                reduction = False
            cell = EvalCell(genotype, C_prev_prev, C_prev, C_curr, reduction, reduction_prev)
            reduction_prev = reduction
            self.cells += [cell]
            C_prev_prev, C_prev = C_prev, cell.multiplier * C_curr
            if i == 2 * layers // 3:
                C_to_auxiliary = C_prev

        if auxiliary:
            self.auxiliary_head = AuxiliaryHeadCIFAR(C_to_auxiliary, num_classes)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(C_prev, num_classes)

    def forward(self, input):
        logits_aux = None
        s0 = s1 = self.stem(input)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if i == 2 * self._layers // 3:
                if self._auxiliary and self.training:
                    logits_aux = self.auxiliary_head(s1)
        out = self.global_pooling(s1)
        logits = self.classifier(out.view(out.size(0), -1))
        return logits, logits_aux


# ---------------------------------------------------------------------------
# darts-go names: every parameter and BatchNorm buffer of a network, as
# (name, tensor, "param" | "buffer"), parameters in model.parameters() order.


def bn_entries(bn, prefix):
    out = []
    if bn.affine:
        out += [(prefix + ".weight", bn.weight, "param"), (prefix + ".bias", bn.bias, "param")]
    out += [(prefix + ".running_mean", bn.running_mean, "buffer"), (prefix + ".running_var", bn.running_var, "buffer")]
    return out


def conv_entry(conv, name):
    assert conv.bias is None
    return [(name, conv.weight, "param")]


def module_entries(m, prefix):
    """Entries of one building block of operations.py (or a pool + BN)."""
    if isinstance(m, ops.ReLUConvBN):
        return conv_entry(m.op[1], prefix + ".conv") + bn_entries(m.op[2], prefix + ".bn")
    if isinstance(m, ops.FactorizedReduce):
        return (conv_entry(m.conv_1, prefix + ".conv1") + conv_entry(m.conv_2, prefix + ".conv2")
                + bn_entries(m.bn, prefix + ".bn"))
    if isinstance(m, ops.SepConv):
        o = m.op
        return (conv_entry(o[1], prefix + ".dw1") + conv_entry(o[2], prefix + ".pw1") + bn_entries(o[3], prefix + ".bn1")
                + conv_entry(o[5], prefix + ".dw2") + conv_entry(o[6], prefix + ".pw2") + bn_entries(o[7], prefix + ".bn2"))
    if isinstance(m, ops.DilConv):
        o = m.op
        return conv_entry(o[1], prefix + ".dw") + conv_entry(o[2], prefix + ".pw") + bn_entries(o[3], prefix + ".bn")
    if isinstance(m, nn.Sequential) and len(m) == 2 and isinstance(m[1], nn.BatchNorm2d):  # MixedOp's pool + BN
        return bn_entries(m[1], prefix + ".bn")
    if isinstance(m, (ops.Zero, ops.Identity, nn.MaxPool2d, nn.AvgPool2d)):
        return []
    raise SystemExit("gen_networks: internal error: no darts-go names for %s" % type(m).__name__)


def candidate_entries(op, prefix):
    if isinstance(op, ops.FactorizedReduce):  # skip_connect at stride 2: darts-go scope "fr"
        return module_entries(op, prefix + ".fr")
    return module_entries(op, prefix)


def stem_entries(stem):
    return conv_entry(stem[0], "stem.conv") + bn_entries(stem[1], "stem.bn")


def search_entries(net):
    out = stem_entries(net.stem)
    for i, cell in enumerate(net.cells):
        p = "cells.%d" % i
        out += module_entries(cell.preprocess0, p + ".pre0") + module_entries(cell.preprocess1, p + ".pre1")
        for e, mixed in enumerate(cell._ops):
            for prim, op in zip(mixed.primitives, mixed._ops):
                out += candidate_entries(op, "%s.edge%d.%s" % (p, e, prim))
    out += [("classifier.weight", net.classifier.weight, "param"), ("classifier.bias", net.classifier.bias, "param")]
    return checked(net, out)


def eval_entries(net):
    out = stem_entries(net.stem)
    for i, cell in enumerate(net.cells):
        p = "cells.%d" % i
        out += module_entries(cell.preprocess0, p + ".pre0") + module_entries(cell.preprocess1, p + ".pre1")
        for j, op in enumerate(cell._ops):
            out += candidate_entries(op, "%s.ops.%d" % (p, j))
    if net._auxiliary:  # registered before the classifier in NetworkCIFAR.__init__
        f = net.auxiliary_head.features
        out += conv_entry(f[2], "aux.conv1.conv") + bn_entries(f[3], "aux.conv1.bn")
        out += conv_entry(f[5], "aux.conv2.conv") + bn_entries(f[6], "aux.conv2.bn")
        out += [("aux.classifier.weight", net.auxiliary_head.classifier.weight, "param"),
                ("aux.classifier.bias", net.auxiliary_head.classifier.bias, "param")]
    out += [("classifier.weight", net.classifier.weight, "param"), ("classifier.bias", net.classifier.bias, "param")]
    return checked(net, out)


def checked(net, entries):
    """Fails unless entries name every parameter and running statistic of
    net exactly once, parameters in model.parameters() order."""
    params = [t for _, t, k in entries if k == "param"]
    bufs = [t for _, t, k in entries if k == "buffer"]
    want_b = [b for n, b in net.named_buffers() if not n.endswith("num_batches_tracked")]
    if {id(t) for t in params} != {id(t) for t in net.parameters()} or len(params) != len(list(net.parameters())):
        raise SystemExit("gen_networks: internal error: the names do not cover the parameters")
    if {id(t) for t in bufs} != {id(t) for t in want_b} or len(bufs) != len(want_b):
        raise SystemExit("gen_networks: internal error: the names do not cover the buffers")
    if len({n for n, _, _ in entries}) != len(entries):
        raise SystemExit("gen_networks: internal error: duplicate names")
    # Keep the parameters in model.parameters() order (what the architect's
    # _concat uses); buffers follow, in module order.
    order = {id(t): i for i, t in enumerate(net.parameters())}
    ps = sorted([e for e in entries if e[2] == "param"], key=lambda e: order[id(e[1])])
    if [id(e[1]) for e in ps] != [id(e[1]) for e in entries if e[2] == "param"]:
        raise SystemExit("gen_networks: internal error: parameter order differs from model.parameters()")
    return entries


# ---------------------------------------------------------------------------


class Rand:
    def __init__(self, seed, name):
        self.g = torch.Generator().manual_seed((seed * 1000003 + zlib.crc32(name.encode())) % (1 << 63))

    def normal(self, shape, std=1.0, decimals=DECIMALS):
        return torch.round(torch.randn(*shape, generator=self.g, dtype=torch.float64) * std, decimals=decimals)

    def uniform(self, shape, lo, hi, decimals=DECIMALS):
        u = torch.rand(*shape, generator=self.g, dtype=torch.float64)
        return torch.round(lo + (hi - lo) * u, decimals=decimals)

    def normal_f32(self, shape):
        """N(0,1) values representable in float32 (darts-go's runners take
        float32 input), as float64."""
        return torch.randn(*shape, generator=self.g, dtype=torch.float64).float().double()

    def labels(self, n, k):
        return torch.randint(k, (n,), generator=self.g)


def r(x):
    return round(float(x), DECIMALS)


def tj(t, name=None, exact=False):
    d = {}
    if name is not None:
        d["name"] = name
    d["shape"] = list(t.shape)
    vals = t.detach().reshape(-1).tolist()
    d["data"] = [float(v) for v in vals] if exact else [round(v, DECIMALS) for v in vals]
    return d


def init_values(rand, entries, large_decimals):
    """Draws every parameter and buffer (rounded before use) and writes them
    into the network. Conv and linear weights U(+-1/sqrt(fan_in)) with
    PyTorch 0.3.1's fan_in (in_channels*k*k, whatever the groups; linear
    in_features), linear biases likewise; affine BatchNorm weight U(0.5, 1.5)
    and bias U(-0.2, 0.2); running_mean N(0, 0.1^2), running_var U(0.5, 1.5).
    Tensors of more than 100k elements are rounded to large_decimals
    decimals instead of 12 (file size; still exact)."""
    with torch.no_grad():
        for name, t, kind in entries:
            dec = DECIMALS if t.numel() <= 100000 else large_decimals
            if kind == "buffer":
                v = rand.normal(t.shape, 0.1, dec) if name.endswith("running_mean") else rand.uniform(t.shape, 0.5, 1.5, dec)
            elif t.dim() == 4:
                b = 1.0 / math.sqrt(t.shape[1] * t.shape[2] * t.shape[3]) if not name.endswith((".dw", ".dw1", ".dw2")) \
                    else None
                if b is None:  # depthwise (C,1,k,k): 0.3.1's n = in_channels*k*k with in_channels = C
                    b = 1.0 / math.sqrt(t.shape[0] * t.shape[2] * t.shape[3])
                v = rand.uniform(t.shape, -b, b, dec)
            elif name.endswith("classifier.weight"):
                b = 1.0 / math.sqrt(t.shape[1])
                v = rand.uniform(t.shape, -b, b, dec)
            elif name.endswith("classifier.bias"):
                fan_in = dict((n, x) for n, x, _ in entries)[name[:-len("bias")] + "weight"].shape[1]
                b = 1.0 / math.sqrt(fan_in)
                v = rand.uniform(t.shape, -b, b, dec)
            elif name.endswith(".weight"):  # affine BatchNorm
                v = rand.uniform(t.shape, 0.5, 1.5, dec)
            elif name.endswith(".bias"):
                v = rand.uniform(t.shape, -0.2, 0.2, dec)
            else:
                raise SystemExit("gen_networks: internal error: no init for %s" % name)
            t.copy_(v)


def named(entries, kind, values=None):
    out = []
    for name, t, k in entries:
        if k == kind:
            out.append(tj(t if values is None else values[name], name))
    return out


def genotype_json(g):
    return {"normal": [[op, j] for op, j in g.normal], "normal_concat": list(g.normal_concat),
            "reduce": [[op, j] for op, j in g.reduce], "reduce_concat": list(g.reduce_concat)}


# ---------------------------------------------------------------------------


def eval_case(args):
    name = "eval_network"
    rand = Rand(args.seed, name)
    torch.manual_seed(0)  # module construction draws; everything is overwritten below
    net = NetworkCIFAR(args.eval_c, args.classes, args.eval_layers, True, DARTS_V2).double()
    net.drop_path_prob = 0.0
    entries = eval_entries(net)
    init_values(rand, entries, args.large_decimals)
    init_buffers = {n: t.detach().clone() for n, t, k in entries if k == "buffer"}
    x = rand.normal_f32((args.eval_n, 3, args.eval_hw, args.eval_hw))
    y = rand.labels(args.eval_n, args.classes)
    criterion = nn.CrossEntropyLoss()

    # Eval mode on the initial running statistics.
    net.eval()
    with torch.no_grad():
        logits_eval, aux_eval = net(x)
    assert aux_eval is None
    loss_eval = criterion(logits_eval, y)

    # Train mode, as train.py: loss = CE(logits) + auxiliary_weight * CE(logits_aux).
    net.train()
    logits, logits_aux = net(x)
    loss_main = criterion(logits, y)
    loss_aux = criterion(logits_aux, y)
    loss = loss_main + args.auxiliary_weight * loss_aux
    params = [t for _, t, k in entries if k == "param"]
    grads = torch.autograd.grad(loss, params)
    gmap = {n: g for (n, _, k), g in zip([e for e in entries if e[2] == "param"], grads)}

    # Eval mode again, now on the statistics the train-mode forward left.
    net.eval()
    with torch.no_grad():
        logits_eval2, _ = net(x)

    red = [i for i in range(args.eval_layers) if i in (args.eval_layers // 3, 2 * args.eval_layers // 3)]
    return {
        "name": name, "kind": "eval_network",
        "config": {"input_c": 3, "input_h": args.eval_hw, "input_w": args.eval_hw, "classes": args.classes,
                   "init_channels": args.eval_c, "layers": args.eval_layers, "stem_multiplier": 3, "auxiliary": True,
                   "auxiliary_weight": args.auxiliary_weight, "drop_path_prob": 0.0, "reduction_cells": red,
                   "aux_cell": 2 * args.eval_layers // 3, "genotype_name": "DARTS_V2",
                   "genotype": genotype_json(DARTS_V2)},
        "input": tj(x, exact=True), "target": y.tolist(),
        "params": named(entries, "param"),
        "buffers": [tj(init_buffers[n], n) for n, _, k in entries if k == "buffer"],
        "train": {"logits": tj(logits), "logits_aux": tj(logits_aux), "loss_main": r(loss_main),
                  "loss_aux": r(loss_aux), "loss": r(loss),
                  "grads": [tj(gmap[n], n) for n, _, k in entries if k == "param"],
                  "buffers_after": named(entries, "buffer")},
        "eval": {"logits": tj(logits_eval), "loss": r(loss_eval)},
        "eval_after_train": {"logits": tj(logits_eval2)},
    }


def snapshot_model(model):
    """A copy of the search network (weights, buffers, alphas) as it is now."""
    m = copy.deepcopy(model)
    m.alphas_normal = model.alphas_normal.detach().clone().requires_grad_(True)
    m.alphas_reduce = model.alphas_reduce.detach().clone().requires_grad_(True)
    m._arch_parameters = [m.alphas_normal, m.alphas_reduce]
    return m


def exact_hvp(m, vector, input, target):
    """d/dalpha (dL_train/dw . v) at the snapshot's w, by double backward: the
    exact value that _hessian_vector_product's finite difference
    approximates (not part of DARTS; recorded to show the finite-difference
    error)."""
    m.train()
    loss = m._loss(input, target)
    gw = torch.autograd.grad(loss, list(m.parameters()), create_graph=True)
    dot = sum((g * v).sum() for g, v in zip(gw, vector))
    return [g.detach() for g in torch.autograd.grad(dot, m.arch_parameters())]


def search_case(args, order):
    name = "search_step_order%d" % order
    rand = Rand(args.seed, "search_step")  # both orders start from the same state and batches
    torch.manual_seed(0)
    criterion = nn.CrossEntropyLoss()
    model = Network(args.search_c, args.classes, args.search_layers, criterion).double()
    entries = search_entries(model)
    init_values(rand, entries, args.large_decimals)
    with torch.no_grad():
        for a in model.arch_parameters():
            a.copy_(rand.normal(a.shape, 1e-3))
    init = {"params": named(entries, "param"), "buffers": named(entries, "buffer"),
            "alphas": [tj(model.alphas_normal, "alphas_normal"), tj(model.alphas_reduce, "alphas_reduce")]}
    batches = []
    for _ in range(args.steps):
        batches.append([rand.normal_f32((args.search_n, 3, args.search_hw, args.search_hw)),
                        rand.labels(args.search_n, args.classes),
                        rand.normal_f32((args.search_n, 3, args.search_hw, args.search_hw)),
                        rand.labels(args.search_n, args.classes)])

    hp = argparse.Namespace(momentum=0.9, weight_decay=3e-4, arch_learning_rate=3e-4, arch_weight_decay=1e-3,
                            learning_rate=0.025, grad_clip=5.0)
    optimizer = torch.optim.SGD(model.parameters(), hp.learning_rate, momentum=hp.momentum,
                                weight_decay=hp.weight_decay, foreach=False)
    architect = Architect(model, hp)
    lr = hp.learning_rate  # epoch 0 under 0.3.1: scheduler.get_lr()[0] = the initial lr
    pnames = [n for n, _, k in entries if k == "param"]

    steps = []
    for step, (xt, yt, xv, yv) in enumerate(batches):
        # train_search.py train(), one iteration.
        model.train()
        architect.log = {}
        snapshot = snapshot_model(model) if order == 2 else None
        architect.step(xt, yt, xv, yv, lr, optimizer, unrolled=(order == 2))
        alog = architect.log
        arch = {"val_loss": r(alog["val_loss"]),
                "grad": [tj(g, n) for g, n in zip(alog["arch_grad"], ("alphas_normal", "alphas_reduce"))],
                "alphas_after": [tj(model.alphas_normal, "alphas_normal"), tj(model.alphas_reduce, "alphas_reduce")],
                "adam_exp_avg": [tj(s["exp_avg"], n) for s, n in zip(architect.optimizer.state,
                                                                      ("alphas_normal", "alphas_reduce"))],
                "adam_exp_avg_sq": [tj(s["exp_avg_sq"], n) for s, n in zip(architect.optimizer.state,
                                                                            ("alphas_normal", "alphas_reduce"))],
                "adam_step": architect.optimizer.state[0]["step"]}
        if order == 2:
            an = ("alphas_normal", "alphas_reduce")
            arch.update({
                "train_loss_at_w": r(alog["train_loss_at_w"]),
                "unrolled_params": [tj(t, n) for t, n in zip(alog["unrolled_params"], pnames)],
                "dalpha_unrolled": [tj(g, n) for g, n in zip(alog["dalpha_unrolled"], an)],
                "vector_norm": r(alog["vector_norm"]), "R": alog["R"],
                "train_loss_at_w_plus": r(alog["train_loss_at_w_plus"]),
                "train_loss_at_w_minus": r(alog["train_loss_at_w_minus"]),
                "grads_w_plus": [tj(g, n) for g, n in zip(alog["grads_p"], an)],
                "grads_w_minus": [tj(g, n) for g, n in zip(alog["grads_n"], an)],
                "implicit_grads": [tj(g, n) for g, n in zip(alog["implicit_grads"], an)],
                "implicit_grads_exact": [tj(g, n) for g, n in zip(exact_hvp(snapshot, alog["vector"], xt, yt), an)],
                "momentum_used": r(alog["moment"].abs().max()) != 0,
            })
        buffers_after_arch = named(entries, "buffer")

        optimizer.zero_grad()
        logits = model(xt)
        loss = criterion(logits, yt)
        loss.backward()
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        total = clip_031(grads, hp.grad_clip)  # nn.utils.clip_grad_norm(model.parameters(), args.grad_clip), 0.3.1
        clipped_grads = [p.grad.detach().clone() for p in model.parameters()]
        optimizer.step()
        steps.append({
            "train_input": tj(xt, exact=True), "train_target": yt.tolist(), "val_input": tj(xv, exact=True),
            "val_target": yv.tolist(),
            "eta": lr, "lr": lr,
            "arch": arch,
            "buffers_after_arch": buffers_after_arch,
            "weights": {"train_loss": r(loss), "logits": tj(logits), "grad_norm": r(total),
                        "clipped": bool(hp.grad_clip / (total + 1e-6) < 1),
                        "grads": [tj(g, n) for g, n in zip(clipped_grads, pnames)],
                        "params_after": named(entries, "param")},
            "buffers_after": named(entries, "buffer"),
        })
    return {
        "name": name, "kind": "search_step", "order": order,
        "config": {"input_c": 3, "input_h": args.search_hw, "input_w": args.search_hw, "classes": args.classes,
                   "init_channels": args.search_c, "layers": args.search_layers, "steps": 4, "multiplier": 4,
                   "stem_multiplier": 3, "primitives": list(PRIMITIVES),
                   "reduction_cells": [i for i in range(args.search_layers)
                                       if i in (args.search_layers // 3, 2 * args.search_layers // 3)]},
        "settings": {"lr": lr, "momentum": hp.momentum, "weight_decay": hp.weight_decay, "grad_clip": hp.grad_clip,
                     "arch_lr": hp.arch_learning_rate, "arch_betas": [0.5, 0.999], "arch_eps": 1e-8,
                     "arch_weight_decay": hp.arch_weight_decay, "unrolled_eta": lr, "hessian_r": 1e-2,
                     "adam": "PyTorch 0.3.1 (denom = sqrt(v) + eps, step_size = lr*sqrt(1-b2^t)/(1-b1^t))",
                     "sgd": "torch.optim.SGD (= 0.3.1 arithmetic)", "clip": "0.3.1 clip_grad_norm"},
        "params": init["params"], "buffers": init["buffers"], "alphas": init["alphas"],
        "steps": steps,
    }


ABOUT = (
    "Whole-network DARTS golden vectors (float64, torch %s), generated by tools/golden/gen_networks.py with %s. "
    "CONVENTIONS. Tensors are {name, shape, data}, NCHW, row-major. Every leaf (input, parameter, buffer, alpha) "
    "is rounded (12 decimals; tensors over 100k elements, i.e. aux.conv2.conv, to %d) BEFORE use, so stored "
    "leaves are exactly what was computed with, except the network inputs (input, train_input, val_input), which "
    "are float32 values (darts-go's runners take float32 input) stored exactly as the float64 equal to them; "
    "computed values are stored rounded to 12 decimals. Labels are "
    "integer lists. Losses are mean cross-entropy. BatchNorm: eps 1e-5, momentum 0.1, training mode normalizes "
    "with the biased batch variance and updates running_var with the unbiased one (torch 1.13 F.batch_norm). "
    "NAMES are darts-go's: stem.conv, stem.bn.{weight,bias,running_mean,running_var}; search network "
    "cells.<i>.pre0.conv (ReLUConvBN) or cells.<i>.pre0.{conv1,conv2} (FactorizedReduce after a reduction cell), "
    "cells.<i>.pre0.bn.*, cells.<i>.pre1.conv, cells.<i>.pre1.bn.*, cells.<i>.edge<e>.<primitive>.<role> with "
    "roles dw1/pw1/bn1/dw2/pw2/bn2 (sep_conv), dw/pw/bn (dil_conv), fr.conv1/fr.conv2/fr.bn (skip_connect at "
    "stride 2), bn (pools: BN without affine after the pool), classifier.{weight,bias}, alphas_normal, "
    "alphas_reduce; evaluation network cells.<i>.ops.<j>.<role> (j = genotype edge index, same roles, affine BN), "
    "aux.conv1.conv, aux.conv1.bn.*, aux.conv2.conv, aux.conv2.bn.*, aux.classifier.{weight,bias}. params lists "
    "every parameter in model.parameters() order (the order architect.py concatenates), buffers every "
    "running_mean/running_var (num_batches_tracked is not stored: it does not change any value). "
    "INITIAL VALUES (stored; drawn so that they test loading): conv/linear weights and linear biases "
    "U(+-1/sqrt(fan_in)) with 0.3.1's fan_in (depthwise: C*k*k), affine BN weight U(0.5,1.5) and bias "
    "U(-0.2,0.2), running_mean N(0,0.1^2), running_var U(0.5,1.5), alphas 1e-3*N(0,1), inputs N(0,1). "
    "CASE eval_network (kind eval_network): quark0/darts cnn/model.py NetworkCIFAR(C, classes, layers, "
    "auxiliary=True, DARTS_V2) with drop_path_prob 0 and AuxiliaryHeadCIFAR on the 8x8 output of cell 2L/3 "
    "(the original head applies unchanged: 5x5/3 average pool to 2x2, 2x2 conv to 1x1; it starts with an "
    "in-place ReLU on that cell's output, which changes nothing downstream for L >= 4 since every consumer "
    "starts with a ReLU). Fields: config (darts-go DiscreteConfig-like, genotype in genotype.json form), input, "
    "target, params, buffers (initial), eval {logits, loss}: model.eval() forward on the initial buffers; train: "
    "model.train() forward: logits, logits_aux, loss_main = CE(logits), loss_aux = CE(logits_aux), loss = "
    "loss_main + 0.4*loss_aux, grads = d loss / d every param (auxiliary head included), buffers_after = running "
    "stats after this one forward; eval_after_train {logits}: model.eval() forward on buffers_after. "
    "CASES search_step_order1 / search_step_order2 (kind search_step): quark0/darts model_search.py "
    "Network(C, classes, layers, CE, steps 4, multiplier 4) and two consecutive iterations of train_search.py's "
    "train() loop in epoch 0 (lr = eta = 0.025, the 0.3.1 schedule's epoch-0 value): architect.step(train batch, "
    "val batch, eta, optimizer, unrolled = order==2) then optimizer.zero_grad(); loss = CE(model(train batch)); "
    "backward; clip_grad_norm(model.parameters(), 5) (0.3.1: coef = 5/(norm+1e-6), applied only if < 1); "
    "SGD(lr 0.025, momentum 0.9, weight_decay 3e-4) step. The alphas' optimizer is Adam(lr 3e-4, betas (0.5, "
    "0.999), eps 1e-8, weight_decay 1e-3) with PyTorch 0.3.1's arithmetic: g = grad + 1e-3*alpha; m = 0.5 m + "
    "0.5 g; v = 0.999 v + 0.001 g^2; alpha -= 3e-4*sqrt(1-0.999^t)/(1-0.5^t) * m/(sqrt(v)+1e-8). Order 1: the "
    "architecture gradient is d CE(model(val batch)) / d alphas at the current weights (that forward runs in "
    "training mode on the real model and updates its running stats). Order 2 (architect.py, transcribed): a "
    "training-mode forward on the train batch at w (updates the real model's running stats), w' = w - eta*(0.9*"
    "momentum_buffer + dL_train/dw + 3e-4*w) (buffer taken as 0 when SGD has none, i.e. at the first step; the "
    "gradient is unclipped), a COPY of the model (model.new() + load_state_dict, so it starts with the real "
    "model's current running stats) runs the val batch at w' (its stats are discarded), g1 = dL_val(w')/dalpha, "
    "v = dL_val(w')/dw', R = 0.01/||v||, then on the REAL model w+ = w + R*v, forward on the train batch (updates "
    "running stats), grads_w_plus = dL_train(w+)/dalpha, w- = w+ - 2R*v, forward (updates running stats), "
    "grads_w_minus, w restored as w- + R*v (PyTorch's arithmetic, not a copy: float64 rounding only), "
    "implicit = (grads_w_plus - grads_w_minus)/(2R), arch grad = g1 - eta*implicit. So under order 2 the real "
    "model's running stats are updated three times in the architecture step and once in the weight step. "
    "Fields: config, settings, params/buffers/alphas (initial), steps[2]: train_input, train_target, val_input, "
    "val_target, eta, lr; arch {val_loss (order 1: at w; order 2: the unrolled val loss at w'), grad (the "
    "architecture gradient fed to Adam, before weight decay), alphas_after, adam_exp_avg, adam_exp_avg_sq, "
    "adam_step; order 2 also train_loss_at_w, unrolled_params (w'), dalpha_unrolled (g1), vector_norm (||v||), R, "
    "train_loss_at_w_plus/minus, grads_w_plus/minus, implicit_grads, implicit_grads_exact (NOT computed by DARTS: "
    "the exact d/dalpha(dL_train/dw . v) at w by double backward, to show the finite difference's error, which is "
    "large here: with r = 1e-6 instead of 1e-2 the finite difference agrees with it to 5e-10, but not with r = 1e-3 "
    "to 1e-5, as when the perturbation crosses ReLU/max-pool kinks), momentum_used (whether a momentum "
    "buffer entered w')}; buffers_after_arch (running "
    "stats after the architecture step); weights {train_loss, logits, grad_norm (the 0.3.1 total norm before "
    "clipping), clipped, grads (after clipping, before SGD's weight decay), params_after}; buffers_after (running "
    "stats after the weight step). The SGD momentum buffer after a step is (params_before - params_after)/lr. "
    "CHECKED against quark0/darts@f276dd3 (read with the search tool, fetched): the module structure of "
    "operations.py/model_search.py/model.py, architect.py and train_search.py's loop are transcribed line by line; "
    "the search-space modules are those of gen_darts_ops.py, whose --verify reproduces the original "
    "testdata/darts_ops.json to 3.3e-10. PyTorch 0.3.1 semantics: tools/golden/PYTORCH031.md."
)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--seed", type=int, default=2, help="seed of every random draw")
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--eval-c", type=int, default=4, help="eval network init channels")
    ap.add_argument("--eval-layers", type=int, default=4, help="eval network layers (>= 4 keeps the aux ReLU harmless)")
    ap.add_argument("--eval-hw", type=int, default=32, help="eval input size (32: the aux head sees 8x8)")
    ap.add_argument("--eval-n", type=int, default=4, help="eval batch size")
    ap.add_argument("--auxiliary-weight", type=float, default=0.4)
    ap.add_argument("--search-c", type=int, default=2, help="search network init channels")
    ap.add_argument("--search-layers", type=int, default=3)
    ap.add_argument("--search-hw", type=int, default=16, help="search input size")
    ap.add_argument("--search-n", type=int, default=4, help="search batch size (train and val)")
    ap.add_argument("--steps", type=int, default=2, help="search iterations")
    ap.add_argument("--large-decimals", type=int, default=6,
                    help="decimals of the leaves of tensors over 100k elements (file size)")
    ap.add_argument("-o", "--out", required=True,
                    help="output JSON file ('-' = stdout; a name ending in .gz is written gzip-compressed)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    torch.set_grad_enabled(True)

    cases = [eval_case(args), search_case(args, 1), search_case(args, 2)]
    settings = ", ".join("%s=%s" % (k, v) for k, v in sorted(vars(args).items()) if k != "out")
    doc = {"about": ABOUT % (torch.__version__, settings, args.large_decimals), "primitives": list(PRIMITIVES),
           "cases": cases}
    text = json.dumps(doc, separators=(",", ":"))
    if args.out == "-":
        sys.stdout.write(text)
    elif args.out.endswith(".gz"):
        # mtime 0 and no file name in the header: reruns give identical bytes.
        with open(args.out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                        compresslevel=9) as f:
            f.write(text.encode())
    else:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
