#!/usr/bin/python3
"""Golden vectors for the cells found by reinforcement learning and by
evolution, as the original DARTS code writes and builds them (quark0/darts
cnn/genotypes.py NASNet and AmoebaNet, cnn/operations.py, cnn/model.py):

* candidate cases (the format of testdata/darts_ops.json) of the two ops
  those cells add to the DARTS primitives, sep_conv_7x7 and conv_7x1_1x7,
  at stride 1 and 2, with BatchNorm affine (the retrained network's) and
  not (the search network's), on odd and even input sizes;
* network cases: model.py's NetworkCIFAR of NASNet and AmoebaNet (5
  intermediate nodes, concat lists that leave nodes out), a train-mode
  forward with its loss and the gradient of every parameter, the running
  statistics after it, and eval-mode forwards before and after;
* parameter counts of NetworkCIFAR for NASNet, AmoebaNet, DARTS_V1 and
  DARTS_V2 at several sizes, counted as utils.count_parameters_in_MB does
  (every parameter whose name has no "auxiliary"), and the auxiliary head's.

The modules are built here from the definitions of operations.py and
model.py (the two new ops transcribed below; the rest from gen_darts_ops.py
and gen_networks.py, which transcribe the same files). Everything random is
rounded before use, so the stored inputs are exactly those the outputs were
computed from. Parameter and buffer names are darts-go's.

Run with Debian's interpreter (python3-torch):
  /usr/bin/python3 tools/golden/gen_nasnet.py -o testdata/nasnet_amoebanet.json
"""

import argparse
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_darts_ops as ops  # noqa: E402
import gen_networks as nets  # noqa: E402

Genotype = nets.Genotype

# quark0/darts cnn/genotypes.py, transcribed.
NASNet = Genotype(
    normal=[("sep_conv_5x5", 1), ("sep_conv_3x3", 0), ("sep_conv_5x5", 0), ("sep_conv_3x3", 0),
            ("avg_pool_3x3", 1), ("skip_connect", 0), ("avg_pool_3x3", 0), ("avg_pool_3x3", 0),
            ("sep_conv_3x3", 1), ("skip_connect", 1)],
    normal_concat=[2, 3, 4, 5, 6],
    reduce=[("sep_conv_5x5", 1), ("sep_conv_7x7", 0), ("max_pool_3x3", 1), ("sep_conv_7x7", 0),
            ("avg_pool_3x3", 1), ("sep_conv_5x5", 0), ("skip_connect", 3), ("avg_pool_3x3", 2),
            ("sep_conv_3x3", 2), ("max_pool_3x3", 1)],
    reduce_concat=[4, 5, 6],
)
AmoebaNet = Genotype(
    normal=[("avg_pool_3x3", 0), ("max_pool_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_5x5", 2),
            ("sep_conv_3x3", 0), ("avg_pool_3x3", 3), ("sep_conv_3x3", 1), ("skip_connect", 1),
            ("skip_connect", 0), ("avg_pool_3x3", 1)],
    normal_concat=[4, 5, 6],
    reduce=[("avg_pool_3x3", 0), ("sep_conv_3x3", 1), ("max_pool_3x3", 0), ("sep_conv_7x7", 2),
            ("sep_conv_7x7", 0), ("avg_pool_3x3", 1), ("max_pool_3x3", 0), ("max_pool_3x3", 1),
            ("conv_7x1_1x7", 0), ("sep_conv_3x3", 5)],
    reduce_concat=[3, 4, 6],
)
DARTS_V1 = Genotype(
    normal=[("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("skip_connect", 0), ("sep_conv_3x3", 1),
            ("skip_connect", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("skip_connect", 2)],
    normal_concat=[2, 3, 4, 5],
    reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 0),
            ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("avg_pool_3x3", 0)],
    reduce_concat=[2, 3, 4, 5])
DARTS_V2 = nets.DARTS_V2
GENOTYPES = {"NASNet": NASNet, "AmoebaNet": AmoebaNet, "DARTS_V1": DARTS_V1, "DARTS_V2": DARTS_V2}

# operations.py's two ops the DARTS primitives lack.
ops.OPS["sep_conv_7x7"] = lambda C, stride, affine: ops.SepConv(C, C, 7, stride, 3, affine=affine)
ops.OPS["conv_7x1_1x7"] = lambda C, stride, affine: nn.Sequential(
    nn.ReLU(inplace=False),
    nn.Conv2d(C, C, (1, 7), stride=(1, stride), padding=(0, 3), bias=False),
    nn.Conv2d(C, C, (7, 1), stride=(stride, 1), padding=(3, 0), bias=False),
    nn.BatchNorm2d(C, affine=affine),
)

_module_entries = nets.module_entries


def module_entries(m, prefix):
    """gen_networks' darts-go names, plus conv_7x1_1x7's: conv_1x7,
    conv_7x1, bn."""
    if (isinstance(m, nn.Sequential) and len(m) == 4 and isinstance(m[1], nn.Conv2d)
            and m[1].kernel_size == (1, 7) and m[2].kernel_size == (7, 1)):
        return (nets.conv_entry(m[1], prefix + ".conv_1x7") + nets.conv_entry(m[2], prefix + ".conv_7x1")
                + nets.bn_entries(m[3], prefix + ".bn"))
    return _module_entries(m, prefix)


nets.module_entries = module_entries  # candidate_entries and eval_entries look it up there


def candidate_case(args, name, stride, affine, shape):
    """One op on a random input: output and dL/d(input, every parameter) of
    L = sum(output * upstream), BatchNorm in training mode."""
    rand = nets.Rand(args.seed, name)
    n, c, h, w = shape
    torch.manual_seed(0)
    op = ops.OPS[name.split("/")[0]](c, stride, affine).double()
    op.train()
    entries = module_entries(op, "op") if not isinstance(op, ops.SepConv) else nets.module_entries(op, "op")
    params = [(nm, t) for nm, t, k in entries if k == "param"]
    with torch.no_grad():
        for nm, t in params:
            if nm.endswith(".weight"):  # affine BatchNorm scale
                t.copy_(rand.uniform(t.shape, 0.5, 1.5))
            elif nm.endswith(".bias"):
                t.copy_(rand.uniform(t.shape, -0.2, 0.2))
            else:
                t.copy_(rand.normal(t.shape, args.param_std))
    x = rand.normal(shape).requires_grad_(True)
    out = op(x)
    u = rand.normal(out.shape)
    loss = (out * u).sum()
    grads = torch.autograd.grad(loss, [x] + [t for _, t in params])
    return {
        "name": name, "kind": "candidate", "op": name.split("/")[0], "stride": stride, "channels": c,
        "affine": affine,
        "inputs": [nets.tj(x, "x")],
        "params": [nets.tj(t, nm) for nm, t in params],
        "upstream": nets.tj(u),
        "output": nets.tj(out),
        "grad_inputs": [nets.tj(grads[0], "x")],
        "grad_params": [nets.tj(g, nm) for (nm, _), g in zip(params, grads[1:])],
    }


def network_case(args, gname):
    """NetworkCIFAR of a genotype, no auxiliary head, drop path 0."""
    name = "network/" + gname
    g = GENOTYPES[gname]
    rand = nets.Rand(args.seed, name)
    torch.manual_seed(0)
    net = nets.NetworkCIFAR(args.net_c, args.classes, args.net_layers, False, g).double()
    net.drop_path_prob = 0.0
    entries = nets.eval_entries(net)
    nets.init_values(rand, entries, 12)
    init_buffers = {n: t.detach().clone() for n, t, k in entries if k == "buffer"}
    x = rand.normal_f32((args.net_n, 3, args.net_hw, args.net_hw))
    y = rand.labels(args.net_n, args.classes)
    criterion = nn.CrossEntropyLoss()

    net.eval()
    with torch.no_grad():
        logits_eval, _ = net(x)
    loss_eval = criterion(logits_eval, y)

    net.train()
    logits, _ = net(x)
    loss = criterion(logits, y)
    params = [t for _, t, k in entries if k == "param"]
    grads = torch.autograd.grad(loss, params)
    gmap = {n: gr for (n, _, k), gr in zip([e for e in entries if e[2] == "param"], grads)}

    net.eval()
    with torch.no_grad():
        logits_eval2, _ = net(x)
    return {
        "name": name, "kind": "eval_network",
        "config": {"input_c": 3, "input_h": args.net_hw, "input_w": args.net_hw, "classes": args.classes,
                   "init_channels": args.net_c, "layers": args.net_layers, "stem_multiplier": 3, "auxiliary": False,
                   "genotype_name": gname, "genotype": nets.genotype_json(g), "repr": str(g)},
        "input": nets.tj(x, exact=True), "target": y.tolist(),
        "params": nets.named(entries, "param"),
        "buffers": [nets.tj(init_buffers[n], n) for n, _, k in entries if k == "buffer"],
        "train": {"logits": nets.tj(logits), "loss_main": nets.r(loss), "loss": nets.r(loss),
                  "grads": [nets.tj(gmap[n], n) for n, _, k in entries if k == "param"],
                  "buffers_after": nets.named(entries, "buffer")},
        "eval": {"logits": nets.tj(logits_eval), "loss": nets.r(loss_eval)},
        "eval_after_train": {"logits": nets.tj(logits_eval2)},
    }


def param_counts(sizes):
    out = []
    for gname, g in GENOTYPES.items():
        for c, layers, classes in sizes:
            torch.manual_seed(0)
            net = nets.NetworkCIFAR(c, classes, layers, True, g)
            main = sum(p.numel() for n, p in net.named_parameters() if "auxiliary" not in n)
            aux = sum(p.numel() for n, p in net.named_parameters() if "auxiliary" in n)
            out.append({"genotype": gname, "init_channels": c, "layers": layers, "classes": classes,
                        "params": main, "aux_params": aux})
    return out


ABOUT = (
    "NASNet and AmoebaNet (quark0/darts cnn/genotypes.py) as the original DARTS code builds them, float64 "
    "PyTorch %s, made by tools/golden/gen_nasnet.py (%s). kind candidate: the ops sep_conv_7x7 and conv_7x1_1x7 "
    "(operations.py) alone, BatchNorm in training mode (affine as the case says), L = sum(output * upstream), "
    "grads are dL/d*; parameter names op.<role> (SepConv dw1/pw1/bn1/dw2/pw2/bn2, conv_7x1_1x7 conv_1x7 (the "
    "(1,7) conv, stride (1,s), padding (0,3)), conv_7x1 (the (7,1) conv, stride (s,1), padding (3,0)), bn). "
    "kind eval_network: model.py NetworkCIFAR without the auxiliary head, drop path 0: eval-mode logits on the "
    "initial running statistics, a train-mode forward (loss = CE) with the gradient of every parameter and the "
    "running statistics after it, eval-mode logits again; names as testdata/darts_networks.json.gz. "
    "param_counts: NetworkCIFAR(C, classes, layers, auxiliary=True, genotype) on 3-channel input, params = "
    "every parameter whose name lacks 'auxiliary' (utils.count_parameters_in_MB), aux_params = the others."
)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--param-std", type=float, default=0.3, help="std of the op cases' conv weights")
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--net-c", type=int, default=4)
    ap.add_argument("--net-layers", type=int, default=4)
    ap.add_argument("--net-hw", type=int, default=16)
    ap.add_argument("--net-n", type=int, default=3)
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)

    cases = []
    for op in ["sep_conv_7x7", "conv_7x1_1x7"]:
        for stride in [1, 2]:
            for affine in [False, True]:
                for shape in [(2, 4, 8, 8), (3, 3, 7, 9)]:
                    nm = "%s/stride%d/%s/%dx%d" % (op, stride, "affine" if affine else "search", shape[2], shape[3])
                    cases.append(candidate_case(args, nm, stride, affine, shape))
    networks = [network_case(args, g) for g in ["NASNet", "AmoebaNet"]]
    counts = param_counts([(36, 20, 10), (16, 8, 10), (8, 5, 10), (24, 14, 100)])
    settings = ", ".join("%s=%s" % (k, v) for k, v in sorted(vars(args).items()) if k != "out")
    doc = {"about": ABOUT % (torch.__version__, settings), "cases": cases, "networks": networks,
           "param_counts": counts}
    with open(args.out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
