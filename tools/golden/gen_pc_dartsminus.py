#!/usr/bin/python3
"""Reference values for darts-go's PC-DARTS derivation and DARTS-'s
auxiliary-skip schedule, computed by the reference code itself:

* PC-DARTS (yuhuixu1993/PC-DARTS @ b74702f8, model_search.py):
  Network.genotype() is called on a Network whose alphas_normal,
  alphas_reduce, betas_normal and betas_reduce are set to random values
  (the network is created without running its __init__, which needs CUDA;
  genotype() reads only _steps, _multiplier and the four tensors);
* DARTS- (Meituan-AutoML/DARTS- @ adb81a83, src/utils.py): a
  DecayScheduler is stepped once per epoch, as train_search.py's
  train_epochs() does (beta_decay_scheduler.step(epoch) at the start of
  each epoch), and its decay_rate recorded; torchvision, which src/utils.py
  imports but DecayScheduler does not use, is stubbed, and the class is
  taken from under its @singleton decorator so that every case gets a
  fresh scheduler.

Writes testdata/pc_dartsminus_ref.json (its "about" field says the format).

Usage (Debian's interpreter with python3-torch):
  /usr/bin/python3 tools/golden/gen_pc_dartsminus.py --pcdarts PC-DARTS-CHECKOUT \
      --dartsminus DARTS-MINUS-CHECKOUT -o testdata/pc_dartsminus_ref.json
"""

import argparse
import json
import sys
import types

import torch
import torch.nn as nn


def pcdarts_cases(root):
    sys.path.insert(0, root)
    import model_search  # noqa: E402  (the reference's file)
    from genotypes import PRIMITIVES  # noqa: E402
    sys.path.pop(0)

    def genotype(an, ar, bn, br):
        net = model_search.Network.__new__(model_search.Network)
        nn.Module.__init__(net)
        net._steps, net._multiplier = 4, 4
        net.alphas_normal, net.alphas_reduce = an, ar
        net.betas_normal, net.betas_reduce = bn, br
        g = net.genotype()
        return {"normal": [list(p) for p in g.normal], "normal_concat": list(g.normal_concat),
                "reduce": [list(p) for p in g.reduce], "reduce_concat": list(g.reduce_concat)}

    cases, differs = [], 0
    for seed in range(12):
        gen = torch.Generator().manual_seed(seed)
        scale_a = [1e-3, 0.5, 1.0, 2.0][seed % 4]
        scale_b = [1e-3, 1.0, 3.0][seed % 3]
        an, ar = (scale_a * torch.randn(14, len(PRIMITIVES), generator=gen, dtype=torch.float64) for _ in range(2))
        bn, br = (scale_b * torch.randn(14, generator=gen, dtype=torch.float64) for _ in range(2))
        # Rounded to 12 decimals so that the stored values are exactly the
        # ones the genotype came from.
        an, ar, bn, br = (torch.round(t * 1e12) / 1e12 for t in (an, ar, bn, br))
        g = genotype(an, ar, bn, br)
        flat = genotype(an, ar, torch.zeros(14, dtype=torch.float64), torch.zeros(14, dtype=torch.float64))
        differs += g != flat
        cases.append({"name": f"seed{seed}", "alphas_normal": an.tolist(), "alphas_reduce": ar.tolist(),
                      "betas_normal": bn.tolist(), "betas_reduce": br.tolist(), "genotype": g,
                      "beta_changes_genotype": g != flat})
    if differs == 0:
        sys.exit("no case where beta changes the genotype: the cases do not test edge normalization")
    return PRIMITIVES, cases


def dartsminus_cases(root):
    tv = types.ModuleType("torchvision")
    tv.transforms = types.ModuleType("torchvision.transforms")
    sys.modules["torchvision"], sys.modules["torchvision.transforms"] = tv, tv.transforms
    sys.path.insert(0, root)
    from src.utils import DecayScheduler  # noqa: E402  (the reference's class)
    sys.path.pop(0)
    # src/utils.py makes DecayScheduler a singleton (one per process, as the
    # reference's train_search.py uses it); each case needs a fresh one.
    DecayScheduler = DecayScheduler.cls
    cases = []
    # The reference's flags: --skip_beta, --decay, --decay_start_epoch,
    # --decay_stop_epoch, --decay_max_epoch (defaults 1.0, None, 0, 50, 50;
    # run_darts_minus.sh passes --decay linear) and --epochs.
    for base, decay, start, stop, tmax, epochs in [
        (1.0, "linear", 0, 50, 50, 50), (1.0, "cosine", 0, 50, 50, 50), (1.0, "slow_cosine", 0, 50, 50, 50),
        (1.0, None, 0, 50, 50, 50), (0.7, "linear", 5, 30, 40, 45), (2.0, "cosine", 3, 20, 25, 30),
        (1.0, "slow_cosine", 10, 5, 20, 25), (1.0, "linear", 0, 6, 6, 6), (0.5, "cosine", 2, 4, 8, 10),
    ]:
        s = DecayScheduler(base_lr=base, T_max=tmax, T_start=start, T_stop=stop, decay_type=decay)
        betas = []
        for epoch in range(epochs):
            s.step(epoch)
            betas.append(s.decay_rate)
        cases.append({"beta": base, "decay": decay or "", "start_epoch": start, "stop_epoch": stop, "max_epoch": tmax,
                      "epochs": epochs, "betas": betas})
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pcdarts", required=True, help="checkout of yuhuixu1993/PC-DARTS")
    ap.add_argument("--dartsminus", required=True, help="checkout of Meituan-AutoML/DARTS-")
    ap.add_argument("-o", "--out", required=True)
    a = ap.parse_args()
    prims, pc = pcdarts_cases(a.pcdarts)
    dm = dartsminus_cases(a.dartsminus)
    about = ("Reference values from the methods' own code (tools/golden/gen_pc_dartsminus.py, PyTorch " + torch.__version__ +
             "). pcdarts_genotype: PC-DARTS model_search.py Network.genotype() (yuhuixu1993/PC-DARTS@b74702f8) on the "
             "given alphas (14 x len(primitives), rows in DARTS edge order) and betas (14), steps 4, multiplier 4; "
             "genotype pairs are [op, input]; beta_changes_genotype says whether zero betas would give another genotype. "
             "dartsminus_decay: DARTS- src/utils.py DecayScheduler (Meituan-AutoML/DARTS-@adb81a83) built with "
             "base_lr=beta, T_start, T_stop, T_max, decay_type (\"\" is None) and stepped with epoch 0..epochs-1 in "
             "order; betas[e] is its decay_rate during epoch e.")
    json.dump({"about": about, "primitives": prims, "pcdarts_genotype": pc, "dartsminus_decay": dm},
              open(a.out, "w"), indent=None, separators=(",", ":"))


if __name__ == "__main__":
    main()
