#!/usr/bin/python3
"""PyTorch modules with the structure, and so the state_dict keys, of the
two networks darts-go exports, written for darts-go's checks from the
definitions of the papers and their reference code (not copied from it):

  NetworkCIFAR  DARTS (Liu, Simonyan, Yang, ICLR 2019), the evaluation
                network of quark0/darts cnn/model.py: a 3x3 conv stem of
                3C channels, `layers` cells (reductions at L/3 and 2L/3),
                an auxiliary head after cell 2L/3, global pooling, linear;
  TinyNetwork   NAS-Bench-201 (Dong, Yang, ICLR 2020), AutoDL-Projects'
                xautodl/models/cell_infers/tiny_network.py: a 3x3 conv stem,
                3 stages of N cells joined by ResNet basic blocks, BN+ReLU,
                global pooling, linear.

Both take `in_channels` (the original stems hard-code 3).

    torchref.py check WEIGHTS.safetensors IMAGES.npy LOGITS.npy
        strict-loads the export into the module its metadata describes and
        requires the eval-mode logits on the images (pixels in [0, 1],
        normalized with the metadata's mean and std) to equal LOGITS.npy
        (darts eval --logits) within 1e-4, relative to max(1, |logit|).
    torchref.py keys
        prints the keys and shapes of the modules of a few configurations,
        as JSON, for export/network/testdata/pytorch_keys.json.

For Debian's /usr/bin/python3 with python3-torch and python3-numpy.
"""
import json
import os
import struct
import sys
from collections import namedtuple

import numpy as np
import torch
import torch.nn as nn

Genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")


# ------------------------------------------------------------------ DARTS
# Operations of the DARTS search space (paper, section 3 and appendix A.1):
# separable convolutions applied twice, dilated separable convolutions,
# 3x3 pools, identity (a factorized reduction at stride 2), zero; every
# convolution ReLU-Conv-BN, without bias.

class ReLUConvBN(nn.Module):
    def __init__(self, c_in, c_out, k, stride, pad):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False),
                                nn.Conv2d(c_in, c_out, k, stride=stride, padding=pad, bias=False),
                                nn.BatchNorm2d(c_out))

    def forward(self, x):
        return self.op(x)


class SepConv(nn.Module):
    def __init__(self, c, k, stride):
        super().__init__()
        p = k // 2
        self.op = nn.Sequential(
            nn.ReLU(inplace=False), nn.Conv2d(c, c, k, stride, p, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c),
            nn.ReLU(inplace=False), nn.Conv2d(c, c, k, 1, p, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return self.op(x)


class DilConv(nn.Module):
    def __init__(self, c, k, stride):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False), nn.Conv2d(c, c, k, stride, k - 1, dilation=2, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return self.op(x)


class FactorizedReduce(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x):
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


class Zero(nn.Module):
    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        return x[:, :, ::self.stride, ::self.stride] * 0.0


def darts_op(name, c, stride):
    if name == "none":
        return Zero(stride)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c)
    kind, k = name.rsplit("_", 1)
    k = int(k.split("x")[0])
    if kind == "sep_conv":
        return SepConv(c, k, stride)
    if kind == "dil_conv":
        return DilConv(c, k, stride)
    raise ValueError("op %s is not a DARTS op" % name)


class Cell(nn.Module):
    """A DARTS cell: two preprocessed inputs, nodes summing two ops each, the
    concatenation of the concat states."""

    def __init__(self, genotype, c_pp, c_p, c, reduction, reduction_prev):
        super().__init__()
        self.preprocess0 = FactorizedReduce(c_pp, c) if reduction_prev else ReLUConvBN(c_pp, c, 1, 1, 0)
        self.preprocess1 = ReLUConvBN(c_p, c, 1, 1, 0)
        pairs, self.concat = (genotype.reduce, genotype.reduce_concat) if reduction else (genotype.normal, genotype.normal_concat)
        self._ops = nn.ModuleList()
        self.inputs = []
        for op, j in pairs:
            self._ops.append(darts_op(op, c, 2 if reduction and j < 2 else 1))
            self.inputs.append(j)
        self.multiplier = len(self.concat)

    def forward(self, s0, s1):
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for i in range(len(self._ops) // 2):
            states.append(sum(self._ops[2 * i + k](states[self.inputs[2 * i + k]]) for k in range(2)))
        return torch.cat([states[i] for i in self.concat], dim=1)


class AuxiliaryHead(nn.Module):
    """The auxiliary classifier after cell 2L/3 (8x8 maps on CIFAR)."""

    def __init__(self, c, num_classes):
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=True), nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),
            nn.Conv2d(c, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False), nn.BatchNorm2d(768), nn.ReLU(inplace=True))
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


class NetworkCIFAR(nn.Module):
    def __init__(self, C, num_classes, layers, auxiliary, genotype, in_channels=3):
        super().__init__()
        self._layers = layers
        self._auxiliary = auxiliary
        c_curr = 3 * C
        self.stem = nn.Sequential(nn.Conv2d(in_channels, c_curr, 3, padding=1, bias=False), nn.BatchNorm2d(c_curr))
        c_pp, c_p, c_curr = c_curr, c_curr, C
        self.cells = nn.ModuleList()
        reduction_prev = False
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            cell = Cell(genotype, c_pp, c_p, c_curr, reduction, reduction_prev)
            reduction_prev = reduction
            self.cells.append(cell)
            c_pp, c_p = c_p, cell.multiplier * c_curr
            if i == 2 * layers // 3:
                c_aux = c_p
        if auxiliary:
            self.auxiliary_head = AuxiliaryHead(c_aux, num_classes)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def forward(self, x):
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(self.global_pooling(s1).flatten(1))


# ---------------------------------------------------------- NAS-Bench-201
# The cell is a DAG of 4 nodes, each edge one of none, skip_connect,
# nor_conv_1x1, nor_conv_3x3, avg_pool_3x3 (ReLU-Conv-BN for the convs);
# stages are joined by a residual block with a 2x2 average pooling and a
# 1x1 conv on its shortcut.

class NB201ReLUConvBN(nn.Module):
    def __init__(self, c_in, c_out, k, stride, pad):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False),
                                nn.Conv2d(c_in, c_out, k, stride=stride, padding=pad, bias=False),
                                nn.BatchNorm2d(c_out))

    def forward(self, x):
        return self.op(x)


class Pool(nn.Module):
    def __init__(self, mode):
        super().__init__()
        self.op = (nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False) if mode == "avg"
                   else nn.MaxPool2d(3, stride=1, padding=1))

    def forward(self, x):
        return self.op(x)


def nb201_op(name, c):
    if name == "none":
        return Zero(1)
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return NB201ReLUConvBN(c, c, 1, 1, 0)
    if name == "nor_conv_3x3":
        return NB201ReLUConvBN(c, c, 3, 1, 1)
    if name in ("avg_pool_3x3", "max_pool_3x3"):
        return Pool(name[:3])
    raise ValueError("op %s is not a NAS-Bench-201 op" % name)


class InferCell(nn.Module):
    def __init__(self, nodes, c):
        super().__init__()
        self.layers = nn.ModuleList()
        self.reads = []
        for node in nodes:
            ids = []
            for op, j in node:
                ids.append((len(self.layers), j))
                self.layers.append(nb201_op(op, c))
            self.reads.append(ids)

    def forward(self, x):
        states = [x]
        for ids in self.reads:
            states.append(sum(self.layers[l](states[j]) for l, j in ids))
        return states[-1]


class ResNetBasicblock(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv_a = NB201ReLUConvBN(c_in, c_out, 3, 2, 1)
        self.conv_b = NB201ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.downsample = nn.Sequential(nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
                                        nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x):
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class TinyNetwork(nn.Module):
    def __init__(self, C, N, nodes, num_classes, in_channels=3):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        self.cells = nn.ModuleList()
        c_prev = C
        for stage, c in enumerate((C, 2 * C, 4 * C)):
            if stage > 0:
                self.cells.append(ResNetBasicblock(c_prev, c))
            for _ in range(N):
                self.cells.append(InferCell(nodes, c))
            c_prev = c
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x):
        h = self.stem(x)
        for cell in self.cells:
            h = cell(h)
        return self.classifier(self.global_pooling(self.lastact(h)).flatten(1))


def parse_nb201(s):
    """'|op~0|+|op~0|op~1|+|...|' -> [[(op, 0)], [(op, 0), (op, 1)], ...]"""
    nodes = []
    for part in s.split("+"):
        node = []
        for item in part.strip("|").split("|"):
            op, j = item.split("~")
            node.append((op, int(j)))
        nodes.append(node)
    return nodes


def parse_darts(s):
    """Genotype(normal=[('op', j), ...], normal_concat=[...], reduce=..., reduce_concat=...)"""
    s = s.strip()
    assert s.startswith("Genotype(") and s.endswith(")"), s
    body = s[len("Genotype("):-1]
    # A literal of tuples, lists and strings only: safe to read as JSON once quoted.
    fields = {}
    for name in ("normal_concat", "reduce_concat", "normal", "reduce"):
        key = name + "="
        i = body.index(key) if body.startswith(key) else body.index(", " + key) + 2
        j = body.index("]", i) + 1
        fields[name] = json.loads(body[i + len(key):j].replace("(", "[").replace(")", "]").replace("'", '"'))
    return Genotype(normal=[tuple(p) for p in fields["normal"]], normal_concat=fields["normal_concat"],
                    reduce=[tuple(p) for p in fields["reduce"]], reduce_concat=fields["reduce_concat"])


def build(meta):
    """The module darts-go's safetensors metadata describes."""
    c, h, w = (int(v) for v in meta["input_shape"].split("x"))
    classes = int(meta["classes"])
    if meta["space"] == "nas-bench-201":
        return TinyNetwork(int(meta["init_channels"]), int(meta["cells_per_stage"]), parse_nb201(meta["genotype"]), classes, in_channels=c)
    return NetworkCIFAR(int(meta["init_channels"]), classes, int(meta["layers"]), meta["auxiliary"] == "true",
                        parse_darts(meta["genotype"]), in_channels=c)


# ------------------------------------------------------------------ checks
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "exportcheck"))


def load_safetensors(path):
    # tools/exportcheck's reader, written from the format description.
    from check import read_safetensors
    meta, tensors, _, data, _ = read_safetensors(path)
    sd = {}
    for k, t in tensors.items():
        s, e = t["data_offsets"]
        dt = np.dtype("<f4") if t["dtype"] == "F32" else np.dtype("<i8")
        a = np.frombuffer(data[s:e], dtype=dt).reshape(t["shape"])
        sd[k] = torch.from_numpy(a.copy())
    return meta, sd


def check(weights, images, logits):
    ok = True

    def report(passed, what):
        nonlocal ok
        ok &= bool(passed)
        print("%s %s" % ("PASS" if passed else "FAIL", what))

    meta, sd = load_safetensors(weights)
    net = build(meta)
    own = net.state_dict()
    report(sorted(own) == sorted(sd), "%s: %d keys, the module's %d%s" % (
        os.path.basename(weights), len(sd), len(own),
        "" if sorted(own) == sorted(sd) else "; missing %s; unexpected %s" % (
            sorted(set(own) - set(sd))[:5], sorted(set(sd) - set(own))[:5])))
    nbt = [k for k in sd if k.endswith("num_batches_tracked")]
    report(nbt and all(sd[k].dtype == torch.int64 and sd[k].dim() == 0 for k in nbt),
           "%d num_batches_tracked, 0-dim int64 (value %d)" % (len(nbt), int(sd[nbt[0]]) if nbt else -1))
    try:
        net.load_state_dict(sd, strict=True)
        report(True, "%s.load_state_dict(strict=True)" % type(net).__name__)
    except Exception as ex:  # noqa: BLE001
        report(False, "load_state_dict(strict=True): %s" % ex)
        return ok
    net.eval()
    x = np.load(images)
    mean = np.array([float(v) for v in meta["mean"].split(",")], dtype=np.float64)
    std = np.array([float(v) for v in meta["std"].split(",")], dtype=np.float64)
    std[std == 0] = 1
    xn = ((x.astype(np.float64) - mean[None, :, None, None]) / std[None, :, None, None]).astype(np.float32)
    with torch.no_grad():
        y = net(torch.from_numpy(xn)).numpy()
    want = np.load(logits)
    if y.shape != want.shape:
        report(False, "PyTorch eval() logits %s, darts eval's %s: shapes differ" % (list(y.shape), list(want.shape)))
        return ok
    diff = float(np.max(np.abs(y.astype(np.float64) - want))) / max(1.0, float(np.max(np.abs(want))))
    report(y.shape == want.shape and diff <= 1e-4,
           "PyTorch eval() logits of %d images equal darts eval's: max |diff| / max(1, |logit|) = %.3g" % (len(x), diff))
    agree = float(np.mean(np.argmax(y, 1) == np.argmax(want, 1)))
    report(agree == 1.0, "arg-max classes agree on %.1f%% of the images" % (100 * agree))
    return ok


def keys():
    """Keys and shapes of the configurations export/network's test builds."""
    v2 = parse_darts("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
                     "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
                     "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
                     "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])")
    mixed = parse_darts("Genotype(normal=[('sep_conv_5x5', 0), ('dil_conv_5x5', 1), ('avg_pool_3x3', 0), ('sep_conv_7x7', 2), "
                        "('skip_connect', 1), ('max_pool_3x3', 3), ('dil_conv_3x3', 0), ('none', 4)], normal_concat=[2, 4, 5], "
                        "reduce=[('skip_connect', 0), ('max_pool_3x3', 1), ('avg_pool_3x3', 0), ('skip_connect', 2), ('sep_conv_3x3', 1), "
                        "('dil_conv_3x3', 3), ('skip_connect', 1), ('sep_conv_5x5', 4)], reduce_concat=[3, 4, 5])")
    nb = "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
    cases = [
        ("darts_v2_c4_l5_aux", dict(space="darts", input_shape="3x32x32", classes=10, init_channels=4, layers=5, auxiliary=True,
                                    genotype=v2), NetworkCIFAR(4, 10, 5, True, v2)),
        ("mixed_c6_l4_gray", dict(space="darts", input_shape="1x16x16", classes=7, init_channels=6, layers=4, auxiliary=False,
                                  genotype=mixed), NetworkCIFAR(6, 7, 4, False, mixed, in_channels=1)),
        ("nb201_c4_n2", dict(space="nas-bench-201", input_shape="3x8x8", classes=5, init_channels=4, cells_per_stage=2,
                             genotype=nb), TinyNetwork(4, 2, parse_nb201(nb), 5)),
    ]
    out = []
    for name, conf, net in cases:
        g = conf["genotype"]
        if isinstance(g, Genotype):
            conf["genotype"] = {"normal": [list(p) for p in g.normal], "normal_concat": g.normal_concat,
                                "reduce": [list(p) for p in g.reduce], "reduce_concat": g.reduce_concat}
        sd = net.state_dict()
        out.append({"name": name, "config": conf,
                    "keys": [{"key": k, "shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", "")} for k, v in sd.items()]})
    return {"generator": "tools/iocheck/torchref.py keys", "torch": torch.__version__, "cases": out}


def main(argv):
    if argv[:1] == ["check"] and len(argv) == 4:
        try:
            return 0 if check(*argv[1:]) else 1
        except Exception as ex:  # a missing or malformed file is a failed check, said in one line
            print("FAIL torchref.py check %s: %s: %s" % (" ".join(argv[1:]), type(ex).__name__, ex))
            return 1
    if argv == ["keys"]:
        json.dump(keys(), sys.stdout, indent=1)
        print()
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
