#!/usr/bin/python3
"""Golden vectors for whole NAS-Bench-201 search steps as AutoDL-Projects runs
them: two consecutive iterations of search_func of
exps/NAS-Bench-201-algos/DARTS-V1.py (first order, weight step first) and of
DARTS-V2.py (unrolled second order, architecture step first), on a tiny
TinyNetworkDarts, for both settings of the search cells' BatchNorm
track_running_stats, with every intermediate recorded.

The network is a float64 re-implementation of AutoDL's module structure
(xautodl/models/cell_operations.py: ReLUConvBN, POOLING, Identity, Zero,
FactorizedReduce, ResNetBasicblock; cell_searchs/search_cells.py:
NAS201SearchCell; cell_searchs/search_model_darts.py: TinyNetworkDarts),
written from those definitions; --verify holds its search cell and residual
block to testdata/wave2.json's nb201_cell and nb201_resblock cases. The
optimizers are PyTorch 1.13's own (torch.optim.SGD with nesterov, as
xautodl/procedures/optimizers.py get_optim_scheduler builds it from
configs/nas-benchmark/algos/DARTS.config; torch.optim.Adam; clip_grad_norm_),
the versions AutoDL-Projects runs with.

Writes testdata/nb201_steps.json.gz (format: its "about" field and
tools/golden/README.md). Parameter and buffer names are darts-go's.

Run with Debian's interpreter (python3-torch):
    /usr/bin/python3 tools/golden/gen_nb201_steps.py -o testdata/nb201_steps.json.gz
"""

import argparse
import copy
import gzip
import json
import math
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn as nn

DECIMALS = 12

# xautodl/models/cell_operations.py NAS_BENCH_201, this column order.
NAS_BENCH_201 = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


# ---------------------------------------------------------------------------
# xautodl/models/cell_operations.py (the modules NAS_BENCH_201 uses).


class ReLUConvBN(nn.Module):
    def __init__(self, C_in, C_out, kernel_size, stride, padding, dilation, affine, track_running_stats=True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(C_in, C_out, kernel_size, stride=stride, padding=padding, dilation=dilation, bias=not affine),
            nn.BatchNorm2d(C_out, affine=affine, track_running_stats=track_running_stats),
        )

    def forward(self, x):
        return self.op(x)


class ResNetBasicblock(nn.Module):
    def __init__(self, inplanes, planes, stride, affine=True, track_running_stats=True):
        super().__init__()
        assert stride == 1 or stride == 2, "invalid stride {:}".format(stride)
        self.conv_a = ReLUConvBN(inplanes, planes, 3, stride, 1, 1, affine, track_running_stats)
        self.conv_b = ReLUConvBN(planes, planes, 3, 1, 1, 1, affine, track_running_stats)
        if stride == 2:
            self.downsample = nn.Sequential(
                nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
                nn.Conv2d(inplanes, planes, kernel_size=1, stride=1, padding=0, bias=False),
            )
        elif inplanes != planes:
            self.downsample = ReLUConvBN(inplanes, planes, 1, 1, 0, 1, affine, track_running_stats)
        else:
            self.downsample = None
        self.in_dim = inplanes
        self.out_dim = planes
        self.stride = stride
        self.num_conv = 2

    def forward(self, inputs):
        basicblock = self.conv_a(inputs)
        basicblock = self.conv_b(basicblock)
        if self.downsample is not None:
            residual = self.downsample(inputs)
        else:
            residual = inputs
        return residual + basicblock


class POOLING(nn.Module):
    def __init__(self, C_in, C_out, stride, mode, affine=True, track_running_stats=True):
        super().__init__()
        if C_in == C_out:
            self.preprocess = None
        else:
            self.preprocess = ReLUConvBN(C_in, C_out, 1, 1, 0, 1, affine, track_running_stats)
        if mode == "avg":
            self.op = nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
        elif mode == "max":
            self.op = nn.MaxPool2d(3, stride=stride, padding=1)
        else:
            raise ValueError("Invalid mode={:} in POOLING".format(mode))

    def forward(self, inputs):
        if self.preprocess:
            x = self.preprocess(inputs)
        else:
            x = inputs
        return self.op(x)


class Identity(nn.Module):
    def forward(self, x):
        return x


class Zero(nn.Module):
    def __init__(self, C_in, C_out, stride):
        super().__init__()
        self.C_in = C_in
        self.C_out = C_out
        self.stride = stride
        self.is_zero = True

    def forward(self, x):
        if self.C_in == self.C_out:
            if self.stride == 1:
                return x.mul(0.0)
            else:
                return x[:, :, :: self.stride, :: self.stride].mul(0.0)
        else:
            shape = list(x.shape)
            shape[1] = self.C_out
            return x.new_zeros(shape, dtype=x.dtype, device=x.device)


class FactorizedReduce(nn.Module):
    # Never built in TinyNetworkDarts (its cells are stride 1 with C_in ==
    # C_out, so skip_connect is Identity); kept so that OPS is complete.
    def __init__(self, C_in, C_out, stride, affine, track_running_stats):
        super().__init__()
        self.stride = stride
        self.C_in = C_in
        self.C_out = C_out
        self.relu = nn.ReLU(inplace=False)
        if stride == 2:
            C_outs = [C_out // 2, C_out - C_out // 2]
            self.convs = nn.ModuleList()
            for i in range(2):
                self.convs.append(nn.Conv2d(C_in, C_outs[i], 1, stride=stride, padding=0, bias=not affine))
            self.pad = nn.ConstantPad2d((0, 1, 0, 1), 0)
        elif stride == 1:
            self.conv = nn.Conv2d(C_in, C_out, 1, stride=stride, padding=0, bias=not affine)
        else:
            raise ValueError("Invalid stride : {:}".format(stride))
        self.bn = nn.BatchNorm2d(C_out, affine=affine, track_running_stats=track_running_stats)

    def forward(self, x):
        if self.stride == 2:
            x = self.relu(x)
            y = self.pad(x)
            out = torch.cat([self.convs[0](x), self.convs[1](y[:, :, 1:, 1:])], dim=1)
        else:
            out = self.conv(x)
        return self.bn(out)


OPS = {
    "none": lambda C_in, C_out, stride, affine, trs: Zero(C_in, C_out, stride),
    "avg_pool_3x3": lambda C_in, C_out, stride, affine, trs: POOLING(C_in, C_out, stride, "avg", affine, trs),
    "nor_conv_3x3": lambda C_in, C_out, stride, affine, trs: ReLUConvBN(C_in, C_out, (3, 3), (stride, stride),
                                                                        (1, 1), (1, 1), affine, trs),
    "nor_conv_1x1": lambda C_in, C_out, stride, affine, trs: ReLUConvBN(C_in, C_out, (1, 1), (stride, stride),
                                                                        (0, 0), (1, 1), affine, trs),
    "skip_connect": lambda C_in, C_out, stride, affine, trs: Identity()
    if stride == 1 and C_in == C_out else FactorizedReduce(C_in, C_out, stride, affine, trs),
}


# ---------------------------------------------------------------------------
# xautodl/models/cell_searchs/search_cells.py NAS201SearchCell (DARTS forward).


class NAS201SearchCell(nn.Module):
    def __init__(self, C_in, C_out, stride, max_nodes, op_names, affine=False, track_running_stats=True):
        super().__init__()
        self.op_names = copy.deepcopy(op_names)
        self.edges = nn.ModuleDict()
        self.max_nodes = max_nodes
        self.in_dim = C_in
        self.out_dim = C_out
        for i in range(1, max_nodes):
            for j in range(i):
                node_str = "{:}<-{:}".format(i, j)
                if j == 0:
                    xlists = [OPS[op_name](C_in, C_out, stride, affine, track_running_stats) for op_name in op_names]
                else:
                    xlists = [OPS[op_name](C_in, C_out, 1, affine, track_running_stats) for op_name in op_names]
                self.edges[node_str] = nn.ModuleList(xlists)
        self.edge_keys = sorted(list(self.edges.keys()))
        self.edge2index = {key: i for i, key in enumerate(self.edge_keys)}
        self.num_edges = len(self.edges)

    def forward(self, inputs, weightss):
        nodes = [inputs]
        for i in range(1, self.max_nodes):
            inter_nodes = []
            for j in range(i):
                node_str = "{:}<-{:}".format(i, j)
                weights = weightss[self.edge2index[node_str]]
                inter_nodes.append(sum(layer(nodes[j]) * w for layer, w in zip(self.edges[node_str], weights)))
            nodes.append(sum(inter_nodes))
        return nodes[-1]


# ---------------------------------------------------------------------------
# xautodl/models/cell_searchs/search_model_darts.py TinyNetworkDarts.


class TinyNetworkDarts(nn.Module):
    def __init__(self, C, N, max_nodes, num_classes, search_space, affine, track_running_stats):
        super().__init__()
        self._C = C
        self._layerN = N
        self.max_nodes = max_nodes
        self.stem = nn.Sequential(nn.Conv2d(3, C, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(C))

        layer_channels = [C] * N + [C * 2] + [C * 2] * N + [C * 4] + [C * 4] * N
        layer_reductions = [False] * N + [True] + [False] * N + [True] + [False] * N

        C_prev, num_edge, edge2index = C, None, None
        self.cells = nn.ModuleList()
        for index, (C_curr, reduction) in enumerate(zip(layer_channels, layer_reductions)):
            if reduction:
                cell = ResNetBasicblock(C_prev, C_curr, 2)
            else:
                cell = NAS201SearchCell(C_prev, C_curr, 1, max_nodes, search_space, affine, track_running_stats)
                if num_edge is None:
                    num_edge, edge2index = cell.num_edges, cell.edge2index
                else:
                    assert num_edge == cell.num_edges and edge2index == cell.edge2index
            self.cells.append(cell)
            C_prev = cell.out_dim
        self.op_names = copy.deepcopy(search_space)
        self._Layer = len(self.cells)
        self.edge2index = edge2index
        self.lastact = nn.Sequential(nn.BatchNorm2d(C_prev), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(C_prev, num_classes)
        self.arch_parameters = nn.Parameter(1e-3 * torch.randn(num_edge, len(search_space)))

    def get_weights(self):
        xlist = list(self.stem.parameters()) + list(self.cells.parameters())
        xlist += list(self.lastact.parameters()) + list(self.global_pooling.parameters())
        xlist += list(self.classifier.parameters())
        return xlist

    def get_alphas(self):
        return [self.arch_parameters]

    def forward(self, inputs):
        alphas = nn.functional.softmax(self.arch_parameters, dim=-1)
        feature = self.stem(inputs)
        for i, cell in enumerate(self.cells):
            if isinstance(cell, NAS201SearchCell):
                feature = cell(feature, alphas)
            else:
                feature = cell(feature)
        out = self.lastact(feature)
        out = self.global_pooling(out)
        out = out.view(out.size(0), -1)
        logits = self.classifier(out)
        return out, logits


# ---------------------------------------------------------------------------
# xautodl/procedures/optimizers.py: the cosine schedule's lr (get_lr of
# CosineAnnealingLR; search_func's update(None, step/len) changes only
# current_iter, which matters in warm-up epochs only).


def cosine_lr(base_lr, eta_min, warmup, epochs, epoch, it):
    T_max = epochs
    if warmup <= epoch < epochs:
        last_epoch = epoch - warmup
        return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * last_epoch / T_max)) / 2
    elif epoch >= epochs:
        return eta_min
    return (epoch / warmup + it / warmup) * base_lr


# ---------------------------------------------------------------------------
# exps/NAS-Bench-201-algos/DARTS-V2.py, transcribed (the deprecated calls
# written in 1.13 form: `theta.sub(LR, x)` is theta - LR*x, `p.data.add_(R,
# v)` is p + R*v). `network` is the search model itself (the script's
# DataParallel wrapper, network.module, adds nothing on one device). log
# collects intermediates for the golden file.


def _concat(xs):
    return torch.cat([x.view(-1) for x in xs])


def _hessian_vector_product(vector, network, criterion, base_inputs, base_targets, log, r=1e-2):
    R = r / _concat(vector).norm()
    for p, v in zip(network.get_weights(), vector):
        p.data.add_(v, alpha=R)
    _, logits = network(base_inputs)
    loss = criterion(logits, base_targets)
    grads_p = torch.autograd.grad(loss, network.get_alphas())

    for p, v in zip(network.get_weights(), vector):
        p.data.sub_(v, alpha=2 * R)
    _, logits = network(base_inputs)
    loss_n = criterion(logits, base_targets)
    grads_n = torch.autograd.grad(loss_n, network.get_alphas())

    for p, v in zip(network.get_weights(), vector):
        p.data.add_(v, alpha=R)
    log.update(R=float(R), vector_norm=float(_concat(vector).norm()), train_loss_at_w_plus=loss.item(),
               train_loss_at_w_minus=loss_n.item(), grads_w_plus=grads_p[0].detach().clone(),
               grads_w_minus=grads_n[0].detach().clone())
    return [(x - y).div_(2 * R) for x, y in zip(grads_p, grads_n)]


def backward_step_unrolled(network, criterion, base_inputs, base_targets, w_optimizer, arch_inputs, arch_targets,
                           log):
    # _compute_unrolled_model
    _, logits = network(base_inputs)
    loss = criterion(logits, base_targets)
    LR, WD, momentum = (w_optimizer.param_groups[0]["lr"], w_optimizer.param_groups[0]["weight_decay"],
                        w_optimizer.param_groups[0]["momentum"])
    with torch.no_grad():
        theta = _concat(network.get_weights())
        try:
            moment = _concat(w_optimizer.state[v]["momentum_buffer"] for v in network.get_weights())
            moment = moment.mul_(momentum)
            momentum_used = True
        except KeyError:  # the script has a bare except: no buffer before the first SGD step
            moment = torch.zeros_like(theta)
            momentum_used = False
        dtheta = _concat(torch.autograd.grad(loss, network.get_weights())) + WD * theta
        params = theta.sub(moment + dtheta, alpha=LR)
    unrolled_model = copy.deepcopy(network)
    model_dict = unrolled_model.state_dict()
    new_params, offset = {}, 0
    for k, v in network.named_parameters():
        if "arch_parameters" in k:
            continue
        v_length = np.prod(v.size())
        new_params[k] = params[offset: offset + v_length].view(v.size())
        offset += v_length
    assert offset == len(params)
    model_dict.update(new_params)
    unrolled_model.load_state_dict(model_dict)

    unrolled_model.zero_grad()
    _, unrolled_logits = unrolled_model(arch_inputs)
    unrolled_loss = criterion(unrolled_logits, arch_targets)
    unrolled_loss.backward()

    dalpha = unrolled_model.arch_parameters.grad
    vector = [v.grad.data for v in unrolled_model.get_weights()]
    log.update(train_loss_at_w=loss.item(), val_loss=unrolled_loss.item(), momentum_used=momentum_used,
               dalpha_unrolled=dalpha.detach().clone())
    [implicit_grads] = _hessian_vector_product(vector, network, criterion, base_inputs, base_targets, log)
    log["implicit_grads"] = implicit_grads.detach().clone()

    dalpha.data.sub_(implicit_grads.data, alpha=LR)

    if network.arch_parameters.grad is None:
        network.arch_parameters.grad = copy.deepcopy(dalpha)
    else:
        network.arch_parameters.grad.data.copy_(dalpha.data)
    return unrolled_loss.detach(), unrolled_logits.detach()


# ---------------------------------------------------------------------------
# darts-go names: every parameter and BatchNorm buffer of the network, as
# (name, tensor, "param" | "buffer" | "alpha").


def bn_entries(bn, prefix):
    out = []
    if bn.affine:
        out += [(prefix + ".weight", bn.weight, "param"), (prefix + ".bias", bn.bias, "param")]
    if bn.track_running_stats:
        out += [(prefix + ".running_mean", bn.running_mean, "buffer"),
                (prefix + ".running_var", bn.running_var, "buffer")]
    return out


def conv_entries(conv, name):
    out = [(name, conv.weight, "param")]
    if conv.bias is not None:
        out.append((name + "_bias", conv.bias, "param"))
    return out


def relu_conv_bn_entries(m, prefix):
    return conv_entries(m.op[1], prefix + ".conv") + bn_entries(m.op[2], prefix + ".bn")


def network_entries(net):
    out = conv_entries(net.stem[0], "stem.conv") + bn_entries(net.stem[1], "stem.bn")
    for i, cell in enumerate(net.cells):
        p = "cells.%d" % i
        if isinstance(cell, ResNetBasicblock):
            out += relu_conv_bn_entries(cell.conv_a, p + ".conv_a") + relu_conv_bn_entries(cell.conv_b, p + ".conv_b")
            assert isinstance(cell.downsample, nn.Sequential)
            out += conv_entries(cell.downsample[1], p + ".downsample.conv")
            continue
        for key in cell.edge_keys:
            e = cell.edge2index[key]
            for prim, op in zip(cell.op_names, cell.edges[key]):
                q = "%s.edge%d.%s" % (p, e, prim)
                if isinstance(op, ReLUConvBN):
                    out += relu_conv_bn_entries(op, q)
                elif isinstance(op, (Zero, Identity)) or (isinstance(op, POOLING) and op.preprocess is None):
                    pass
                else:
                    raise SystemExit("gen_nb201_steps: internal error: no darts-go names for %s" % type(op).__name__)
    out += bn_entries(net.lastact[0], "lastact.bn")
    out += [("classifier.weight", net.classifier.weight, "param"), ("classifier.bias", net.classifier.bias, "param")]
    out += [("alphas_cell", net.arch_parameters, "alpha")]
    # Every parameter and running statistic exactly once.
    params = [t for _, t, k in out if k != "buffer"]
    bufs = [t for _, t, k in out if k == "buffer"]
    want_b = [b for n, b in net.named_buffers() if not n.endswith("num_batches_tracked")]
    if {id(t) for t in params} != {id(t) for t in net.parameters()} or len(params) != len(list(net.parameters())):
        raise SystemExit("gen_nb201_steps: internal error: the names do not cover the parameters")
    if {id(t) for t in bufs} != {id(t) for t in want_b} or len(bufs) != len(want_b):
        raise SystemExit("gen_nb201_steps: internal error: the names do not cover the buffers")
    if len({n for n, _, _ in out}) != len(out):
        raise SystemExit("gen_nb201_steps: internal error: duplicate names")
    return out


# ---------------------------------------------------------------------------


class Rand:
    def __init__(self, seed, name):
        self.g = torch.Generator().manual_seed((seed * 1000003 + zlib.crc32(name.encode())) % (1 << 63))

    def normal(self, shape, std=1.0):
        return torch.round(torch.randn(*shape, generator=self.g, dtype=torch.float64) * std, decimals=DECIMALS)

    def uniform(self, shape, lo, hi):
        u = torch.rand(*shape, generator=self.g, dtype=torch.float64)
        return torch.round(lo + (hi - lo) * u, decimals=DECIMALS)

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


def init_values(rand, entries, args):
    """Draws every parameter, buffer and alpha (rounded to 12 decimals before
    use) into the network: conv weights and biases U(+-1/sqrt(fan_in)) (fan_in
    = in_channels*k*k, PyTorch 1.x's bound), the classifier
    U(+-classifier_scale/sqrt(in_features)), affine BatchNorm weight
    U(0.5, 1.5) and bias U(-0.2, 0.2), running_mean N(0, 0.1^2), running_var
    U(0.5, 1.5), alpha N(0, alpha_std^2)."""
    with torch.no_grad():
        convs = {}
        for name, t, kind in entries:
            if kind == "param" and t.dim() == 4:
                convs[name] = t
        for name, t, kind in entries:
            if kind == "buffer":
                v = rand.normal(t.shape, 0.1) if name.endswith("running_mean") else rand.uniform(t.shape, 0.5, 1.5)
            elif kind == "alpha":
                v = rand.normal(t.shape, args.alpha_std)
            elif t.dim() == 4:
                b = 1.0 / math.sqrt(t.shape[1] * t.shape[2] * t.shape[3])
                v = rand.uniform(t.shape, -b, b)
            elif name.endswith("_bias"):  # a conv's bias
                w = convs[name[:-len("_bias")]]
                b = 1.0 / math.sqrt(w.shape[1] * w.shape[2] * w.shape[3])
                v = rand.uniform(t.shape, -b, b)
            elif name.startswith("classifier."):  # weight and bias: the bound of in_features
                fan_in = dict((n, x) for n, x, _ in entries)["classifier.weight"].shape[1]
                b = args.classifier_scale / math.sqrt(fan_in)
                v = rand.uniform(t.shape, -b, b)
            elif name.endswith(".weight"):  # affine BatchNorm
                v = rand.uniform(t.shape, 0.5, 1.5)
            elif name.endswith(".bias"):
                v = rand.uniform(t.shape, -0.2, 0.2)
            else:
                raise SystemExit("gen_nb201_steps: internal error: no init for %s" % name)
            t.copy_(v)


def named(entries, kind, values=None):
    return [tj(t if values is None else values[name], name) for name, t, k in entries if k == kind]


def grads_of(entries, kind):
    out = []
    for name, t, k in entries:
        if k == kind:
            if t.grad is None:
                raise SystemExit("gen_nb201_steps: internal error: %s has no gradient" % name)
            out.append(tj(t.grad, name))
    return out


def momentum_buffers(entries, w_optimizer):
    return [tj(w_optimizer.state[t]["momentum_buffer"], name) for name, t, k in entries if k == "param"]


def adam_state(a_optimizer, alpha):
    st = a_optimizer.state[alpha]
    return {"exp_avg": [tj(st["exp_avg"], "alphas_cell")], "exp_avg_sq": [tj(st["exp_avg_sq"], "alphas_cell")],
            "step": int(st["step"])}


def weight_step(network, criterion, w_optimizer, base_inputs, base_targets, entries, gradient_clip):
    """The weight half of either script's search_func iteration, recording
    what it computes."""
    alpha = network.arch_parameters
    arch_grad_before = None if alpha.grad is None else alpha.grad.detach().clone()
    w_optimizer.zero_grad()
    _, logits = network(base_inputs)
    base_loss = criterion(logits, base_targets)
    base_loss.backward()
    arch_unclipped = tj(alpha.grad, "alphas_cell")
    total = torch.nn.utils.clip_grad_norm_(network.parameters(), gradient_clip)
    rec = {"train_loss": r(base_loss),
           "arch_grad_before": None if arch_grad_before is None else [tj(arch_grad_before, "alphas_cell")],
           "arch_grad_unclipped": [arch_unclipped],
           "grad_norm": r(total), "clip_coef": r(min(gradient_clip / (float(total) + 1e-6), 1.0)),
           "clipped": bool(gradient_clip / (float(total) + 1e-6) < 1),
           "grads": grads_of(entries, "param"), "arch_grad_clipped": [tj(alpha.grad, "alphas_cell")]}
    w_optimizer.step()
    rec.update(params_after=named(entries, "param"), momentum_buffers=momentum_buffers(entries, w_optimizer),
               buffers_after=named(entries, "buffer"))
    return rec


def arch_record(network, a_optimizer, entries, loss):
    alpha = network.arch_parameters
    rec = {"val_loss": r(loss), "alphas_after": [tj(alpha, "alphas_cell")]}
    st = adam_state(a_optimizer, alpha)
    rec.update(adam_exp_avg=st["exp_avg"], adam_exp_avg_sq=st["exp_avg_sq"], adam_step=st["step"],
               buffers_after=named(entries, "buffer"))
    return rec


def search_case(args, script, track):
    order = 1 if script == "DARTS-V1" else 2
    name = "%s/%s" % (script, "track" if track else "no_track")
    # Both scripts start from the same state and batches for one setting.
    rand = Rand(args.seed, "nb201_steps/track=%d" % track)
    torch.manual_seed(0)  # module construction draws; everything is overwritten below
    criterion = nn.CrossEntropyLoss()
    network = TinyNetworkDarts(args.c, args.n, 4, args.classes, list(NAS_BENCH_201), False, track).double()
    entries = network_entries(network)
    init_values(rand, entries, args)
    init = {"params": named(entries, "param"), "buffers": named(entries, "buffer"),
            "alphas": named(entries, "alpha")}
    batches = []
    for _ in range(args.steps):
        batches.append([rand.normal_f32((args.batch, 3, args.hw, args.hw)), rand.labels(args.batch, args.classes),
                        rand.normal_f32((args.batch, 3, args.hw, args.hw)), rand.labels(args.batch, args.classes)])

    # configs/nas-benchmark/algos/DARTS.config and the scripts' arguments.
    cfg = dict(LR=0.025, eta_min=0.001, epochs=50, warmup=0, decay=0.0005, momentum=0.9, nesterov=True)
    arch_lr, arch_wd, gradient_clip = 3e-4, 1e-3, 5.0
    # get_optim_scheduler(search_model.get_weights(), config)
    w_optimizer = torch.optim.SGD(network.get_weights(), cfg["LR"], momentum=cfg["momentum"],
                                  weight_decay=cfg["decay"], nesterov=cfg["nesterov"])
    a_optimizer = torch.optim.Adam(network.get_alphas(), lr=arch_lr, betas=(0.5, 0.999), weight_decay=arch_wd)
    # main(): w_scheduler.update(epoch, 0.0) at epoch 0.
    epoch = 0
    for g in w_optimizer.param_groups:
        g["lr"] = cosine_lr(cfg["LR"], cfg["eta_min"], cfg["warmup"], cfg["epochs"], epoch, 0.0)

    network.train()
    steps = []
    for step, (base_inputs, base_targets, arch_inputs, arch_targets) in enumerate(batches):
        # scheduler.update(None, 1.0 * step / len(xloader))
        for g in w_optimizer.param_groups:
            g["lr"] = cosine_lr(cfg["LR"], cfg["eta_min"], cfg["warmup"], cfg["epochs"], epoch,
                                1.0 * step / len(batches))
        lr = w_optimizer.param_groups[0]["lr"]
        rec = {"train_input": tj(base_inputs, exact=True), "train_target": base_targets.tolist(),
               "val_input": tj(arch_inputs, exact=True), "val_target": arch_targets.tolist(), "lr": lr}
        if order == 1:
            # DARTS-V1 search_func: update the weights, then the architecture.
            rec["phases"] = ["weights", "arch"]
            rec["weights"] = weight_step(network, criterion, w_optimizer, base_inputs, base_targets, entries,
                                         gradient_clip)
            a_optimizer.zero_grad()
            _, logits = network(arch_inputs)
            arch_loss = criterion(logits, arch_targets)
            arch_loss.backward()
            arch_grad = tj(network.arch_parameters.grad, "alphas_cell")
            a_optimizer.step()
            rec["arch"] = arch_record(network, a_optimizer, entries, arch_loss)
            rec["arch"]["grad"] = [arch_grad]
        else:
            # DARTS-V2 search_func: the architecture (unrolled), then the weights.
            rec["phases"] = ["arch", "weights"]
            log = {}
            a_optimizer.zero_grad()
            arch_loss, _ = backward_step_unrolled(network, criterion, base_inputs, base_targets, w_optimizer,
                                                  arch_inputs, arch_targets, log)
            arch_grad = tj(network.arch_parameters.grad, "alphas_cell")
            a_optimizer.step()
            rec["arch"] = arch_record(network, a_optimizer, entries, arch_loss)
            rec["arch"].update({
                "grad": [arch_grad],
                "train_loss_at_w": r(log["train_loss_at_w"]),
                "momentum_used": log["momentum_used"],
                "dalpha_unrolled": [tj(log["dalpha_unrolled"], "alphas_cell")],
                "vector_norm": r(log["vector_norm"]), "R": log["R"],
                "train_loss_at_w_plus": r(log["train_loss_at_w_plus"]),
                "train_loss_at_w_minus": r(log["train_loss_at_w_minus"]),
                "grads_w_plus": [tj(log["grads_w_plus"], "alphas_cell")],
                "grads_w_minus": [tj(log["grads_w_minus"], "alphas_cell")],
                "implicit_grads": [tj(log["implicit_grads"], "alphas_cell")],
            })
            rec["weights"] = weight_step(network, criterion, w_optimizer, base_inputs, base_targets, entries,
                                         gradient_clip)
        steps.append(rec)

    return {
        "name": name, "script": script, "order": order, "track_running_stats": track,
        "config": {"space": "nas-bench-201", "input_c": 3, "input_h": args.hw, "input_w": args.hw,
                   "classes": args.classes, "init_channels": args.c, "cells_per_stage": args.n, "max_nodes": 4,
                   "primitives": list(NAS_BENCH_201), "affine": False,
                   "no_track_running_stats": not track,
                   "edges": list(network.edge2index.keys())},
        "settings": {"epochs": cfg["epochs"], "epoch": epoch, "batch_size": args.batch, "lr": cfg["LR"],
                     "lr_min": cfg["eta_min"], "momentum": cfg["momentum"], "nesterov": cfg["nesterov"],
                     "weight_decay": cfg["decay"], "grad_clip": gradient_clip, "clip_with_arch": True,
                     "weight_first": order == 1, "arch_lr": arch_lr, "arch_betas": [0.5, 0.999], "arch_eps": 1e-8,
                     "arch_weight_decay": arch_wd, "arch_adam": "1.x", "order": order, "hessian_r": 1e-2},
        "params": init["params"], "buffers": init["buffers"], "alphas": init["alphas"],
        "steps": steps,
    }


# ---------------------------------------------------------------------------
# --verify: the cell and the residual block against testdata/wave2.json.


def verify_wave2(path):
    with open(path) as f:
        doc = json.load(f)
    worst = 0.0
    seen = 0
    for c in doc["cases"]:
        if c["kind"] not in ("nb201_cell", "nb201_resblock"):
            continue
        seen += 1
        x = torch.tensor(c["inputs"][0]["data"], dtype=torch.float64).view(c["inputs"][0]["shape"]).requires_grad_()
        if c["kind"] == "nb201_cell":
            ch = c["channels"]
            m = NAS201SearchCell(ch, ch, 1, c["max_nodes"], c["primitives"], False, False).double()
            assert m.edge_keys == c["edges"], (m.edge_keys, c["edges"])
            names = {}
            for key in m.edge_keys:
                for prim, op in zip(m.op_names, m.edges[key]):
                    if isinstance(op, ReLUConvBN):
                        q = "edge%d.%s" % (m.edge2index[key], prim)
                        names[q + ".conv"], names[q + ".conv_bias"] = op.op[1].weight, op.op[1].bias
            alpha = torch.tensor(c["inputs"][1]["data"], dtype=torch.float64).view(
                c["inputs"][1]["shape"]).requires_grad_()
            leaves = [x, alpha]
        else:
            m = ResNetBasicblock(c["in_channels"], c["out_channels"], c["stride"]).double()
            names = {}
            for part in ("conv_a", "conv_b"):
                rcb = getattr(m, part)
                names[part + ".conv"] = rcb.op[1].weight
                names[part + ".bn_weight"], names[part + ".bn_bias"] = rcb.op[2].weight, rcb.op[2].bias
            names["downsample.conv"] = m.downsample[1].weight
            leaves = [x]
        m.train()
        with torch.no_grad():
            for p in c["params"]:
                names[p["name"]].copy_(torch.tensor(p["data"], dtype=torch.float64).view(p["shape"]))
        if len(names) != len(c["params"]) or len(list(m.parameters())) != len(c["params"]):
            raise SystemExit("verify: %s: parameters do not match" % c["name"])
        out = m(x, torch.softmax(leaves[1], dim=-1)) if c["kind"] == "nb201_cell" else m(x)
        up = torch.tensor(c["upstream"]["data"], dtype=torch.float64).view(c["upstream"]["shape"])
        pn = [p["name"] for p in c["params"]]
        gs = torch.autograd.grad((out * up).sum(), leaves + [names[n] for n in pn])
        pairs = [(out, c["output"])] + list(zip(gs[:len(leaves)], c["grad_inputs"])) + \
            list(zip(gs[len(leaves):], c["grad_params"]))
        for got, want in pairs:
            d = (got.detach().reshape(-1) - torch.tensor(want["data"], dtype=torch.float64)).abs().max().item()
            worst = max(worst, d)
    if seen != 2:
        raise SystemExit("verify: %s: want one nb201_cell and one nb201_resblock case, found %d" % (path, seen))
    print("verify: nb201_cell and nb201_resblock of %s reproduced to %.3g" % (path, worst))
    if worst > 1e-9:
        raise SystemExit("verify: mismatch")
    return worst


ABOUT = (
    "NAS-Bench-201 whole-search-step golden vectors (float64, torch %s), generated by tools/golden/gen_nb201_steps.py "
    "with %s. WHAT: two consecutive iterations of search_func of AutoDL-Projects exps/NAS-Bench-201-algos/DARTS-V1.py "
    "(order 1) and DARTS-V2.py (order 2) in epoch 0, on a tiny TinyNetworkDarts (xautodl/models/cell_searchs/"
    "search_model_darts.py: stem conv3x3 (no bias) + BN; N search cells at C, ResNetBasicblock(C, 2C, 2), N cells at "
    "2C, ResNetBasicblock(2C, 4C, 2), N cells at 4C; lastact BN + ReLU; global average pool; Linear), for both "
    "values of the search cells' BatchNorm track_running_stats (cases <script>/track and <script>/no_track). The "
    "search cells (NAS201SearchCell, 4 nodes, 6 edges 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2 = alpha rows 0..5, ops "
    "none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3 = alpha columns) are built with affine=False, so "
    "their ReLUConvBN convolutions have a bias and their BN no weight or bias; stem, residual blocks and lastact BN "
    "are affine and always track statistics (module defaults). One alpha (6x5, nn.Parameter 'arch_parameters', "
    "softmax over the last axis) is shared by every cell. BatchNorm: eps 1e-5, momentum 0.1, training mode "
    "normalizes with the biased batch variance and updates running_var with the unbiased one; with "
    "track_running_stats=False the cells' BN keep no statistics. Loss: mean cross-entropy. OPTIMIZERS (PyTorch "
    "1.13's own): weights torch.optim.SGD(get_weights(), lr, momentum 0.9, weight_decay 5e-4, nesterov=True) "
    "(get_optim_scheduler with configs/nas-benchmark/algos/DARTS.config), lr = the cosine schedule's epoch-0 value "
    "0.025 (CosineAnnealingLR get_lr, eta_min 0.001, 50 epochs, warm-up 0); alpha torch.optim.Adam(lr 3e-4, betas "
    "(0.5, 0.999), eps 1e-8, weight_decay 1e-3) (PyTorch 1.x arithmetic: denom = sqrt(v)/sqrt(1-b2^t) + eps, "
    "step lr/(1-b1^t)); torch.nn.utils.clip_grad_norm_(network.parameters(), 5), which includes alpha: its .grad at "
    "that point is whatever it held plus the weight step's own dL_train/dalpha (no zero_grad in between; "
    "Optimizer.zero_grad sets to zero, not None, in 1.13). DARTS-V1 iteration: w_optimizer.zero_grad(); "
    "CE(network(train batch)).backward(); clip; w_optimizer.step(); a_optimizer.zero_grad(); CE(network(val "
    "batch)).backward(); a_optimizer.step() (so in step 1 alpha.grad in the clip is dL_train/dalpha, in step 2 it is "
    "step 1's dL_val/dalpha plus step 2's dL_train/dalpha). DARTS-V2 iteration: a_optimizer.zero_grad(); "
    "backward_step_unrolled (transcribed: a training-mode forward on the train batch at w, which updates the running "
    "statistics; w' = w - lr*(0.9*momentum_buffer + dL_train/dw + 5e-4*w), the buffer taken as 0 before the first "
    "SGD step, no Nesterov term; a deepcopy of the network loads w' and runs the val batch (its statistics are "
    "discarded); g1 = dL_val(w')/dalpha, v = dL_val(w')/dw'; R = 0.01/||v||; on the network w+R*v, forward on the "
    "train batch (updates statistics), dL/dalpha; w-R*v (as w+R*v - 2R*v), forward (updates statistics), dL/dalpha; "
    "w restored as w-R*v + R*v; alpha.grad = g1 - lr*(grads_w_plus - grads_w_minus)/(2R)); a_optimizer.step(); then "
    "the weight step as in V1 (zero_grad, backward, clip over network.parameters() with alpha.grad = that "
    "architecture gradient plus dL_train/dalpha, SGD step). CONVENTIONS. Tensors {name, shape, data}, NCHW, "
    "row-major. Every leaf (parameter, buffer, alpha) is rounded to 12 decimals BEFORE use; the network inputs "
    "(train_input, val_input) are float32 values (darts-go's runners take float32) stored exactly; computed values "
    "are stored rounded to 12 decimals. Labels are integer lists. NAMES are darts-go's: stem.conv, "
    "stem.bn.{weight,bias,running_mean,running_var}; cells.<i>.edge<e>.nor_conv_{1x1,3x3}.{conv,conv_bias} and "
    ".bn.{running_mean,running_var} (e = alpha row; i = index in TinyNetworkDarts.cells); residual blocks "
    "cells.<i>.conv_a.conv, cells.<i>.conv_a.bn.{weight,bias,running_mean,running_var}, likewise conv_b, "
    "cells.<i>.downsample.conv; lastact.bn.*; classifier.{weight,bias}; alphas_cell. params lists the weights in "
    "get_weights() order, buffers every running_mean/running_var (num_batches_tracked is not stored: momentum 0.1 "
    "does not read it). INITIAL VALUES (stored; drawn so that they test loading, not AutoDL's initialization): conv "
    "weights and biases U(+-1/sqrt(fan_in)), classifier U(+-classifier_scale/sqrt(in_features)), affine BN weight "
    "U(0.5,1.5) and bias U(-0.2,0.2), running_mean N(0,0.1^2), running_var U(0.5,1.5), alpha N(0, alpha_std^2), "
    "inputs N(0,1). FIELDS per case: name, script, order, track_running_stats, config (darts-go supernet.Config-like), "
    "settings (the scripts' hyperparameters), params/buffers/alphas (initial), steps[]: train_input, train_target, "
    "val_input, val_target, lr, phases (the order the iteration runs them: V1 [weights, arch], V2 [arch, weights]), "
    "arch {grad (alpha.grad fed to Adam, before its weight decay), val_loss (V1: at the weights after the weight "
    "step; V2: the unrolled val loss at w'), alphas_after, adam_exp_avg, adam_exp_avg_sq, adam_step, buffers_after "
    "(running statistics after the architecture half); V2 also train_loss_at_w, momentum_used (whether a momentum "
    "buffer entered w'), dalpha_unrolled (g1), vector_norm, R, train_loss_at_w_plus/minus, "
    "grads_w_plus/minus, implicit_grads}, weights {train_loss, arch_grad_before (alpha.grad before the "
    "backward, null if None), arch_grad_unclipped (alpha.grad after the backward: the accumulated "
    "value the clip sees), grad_norm (clip_grad_norm_'s total norm over weights and alpha, before clipping), "
    "clip_coef (min(5/(norm+1e-6), 1)), clipped, grads (weights' gradients after clipping, before SGD's weight "
    "decay), arch_grad_clipped (alpha.grad after clipping), params_after, momentum_buffers (SGD's momentum_buffer "
    "per weight after the step), buffers_after (running statistics after the weight half)}. CHECKED: the modules are "
    "written from AutoDL-Projects' definitions (read with the search tool); --verify reproduces "
    "testdata/wave2.json's nb201_cell and nb201_resblock cases (%s)."
)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--seed", type=int, default=3, help="seed of every random draw")
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--c", type=int, default=4, help="init channels C")
    ap.add_argument("--n", type=int, default=1, help="search cells per stage N")
    ap.add_argument("--hw", type=int, default=8, help="input height and width (divisible by 4)")
    ap.add_argument("--batch", type=int, default=4, help="batch size (train and val)")
    ap.add_argument("--steps", type=int, default=2, help="search iterations")
    ap.add_argument("--alpha-std", type=float, default=0.5, help="spread of the initial alphas")
    ap.add_argument("--classifier-scale", type=float, default=1.0,
                    help="classifier init bound times sqrt(in_features) (1: PyTorch's bound; every step clips with the defaults)")
    ap.add_argument("--wave2", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                    "testdata", "wave2.json"),
                    help="wave2.json whose nb201_cell and nb201_resblock cases --verify reproduces")
    ap.add_argument("--verify", action="store_true", help="only check the modules against --wave2")
    ap.add_argument("-o", "--out", help="output JSON file ('-' = stdout; a name ending in .gz is written gzip-compressed)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    torch.set_grad_enabled(True)

    if args.verify:
        verify_wave2(args.wave2)
        return
    if not args.out:
        ap.error("-o/--out is required (or --verify)")
    worst = verify_wave2(args.wave2)
    cases = [search_case(args, script, track) for script in ("DARTS-V1", "DARTS-V2") for track in (True, False)]
    settings = ", ".join("%s=%s" % (k, v) for k, v in sorted(vars(args).items())
                         if k not in ("out", "verify", "wave2"))
    doc = {"about": ABOUT % (torch.__version__, settings, "max error %.1g" % worst), "primitives": list(NAS_BENCH_201),
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
