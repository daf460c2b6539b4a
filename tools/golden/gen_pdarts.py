#!/usr/bin/python3
"""P-DARTS's op pruning, final derivation and skip-connect restriction, as
chenxin061/pdarts train_search.py @ b880e87 runs them, on given alphas.

The functions below are train_search.py's (get_min_k, get_min_k_no_zero,
check_sk_number, delete_min_sk_prob, keep_1_on, keep_2_branches,
parse_network) and the body of its main() after each stage, transcribed
line by line; only the training is replaced by alphas drawn here. The
softmax is torch's (F.softmax, float32 as the reference's parameters are),
then numpy, as the reference does.

Writes testdata/pdarts_reference.json: for each case the alphas of the three
stages (compact: one column per switched-on op, the reference's
alphas_normal/alphas_reduce), the switches after each stage's pruning, the
genotype before the skip restriction and the genotype logged for every
max_sk from 8 down to 0 (carried over from the previous one when nothing is
logged, as a reader of the log would).

Usage: /usr/bin/python3 tools/golden/gen_pdarts.py [--out testdata/pdarts_reference.json]
"""
import argparse
import copy
import json

import numpy as np
import torch
import torch.nn.functional as F

PRIMITIVES = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect',
              'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5']


def parse_network(switches_normal, switches_reduce):
    def _parse_switches(switches):
        n = 2
        start = 0
        gene = []
        step = 4
        for i in range(step):
            end = start + n
            for j in range(start, end):
                for k in range(len(switches[j])):
                    if switches[j][k]:
                        gene.append((PRIMITIVES[k], j - start))
            start = end
            n = n + 1
        return gene
    return _parse_switches(switches_normal), _parse_switches(switches_reduce)


def get_min_k(input_in, k):
    input = copy.deepcopy(input_in)
    index = []
    for i in range(k):
        idx = np.argmin(input)
        index.append(idx)
        input[idx] = 1
    return index


def get_min_k_no_zero(w_in, idxs, k):
    w = copy.deepcopy(w_in)
    index = []
    if 0 in idxs:
        zf = True
    else:
        zf = False
    if zf:
        w = w[1:]
        index.append(0)
        k = k - 1
    for i in range(k):
        idx = np.argmin(w)
        w[idx] = 1
        if zf:
            idx = idx + 1
        index.append(idx)
    return index


def check_sk_number(switches):
    count = 0
    for i in range(len(switches)):
        if switches[i][3]:
            count = count + 1
    return count


def delete_min_sk_prob(switches_in, switches_bk, probs_in):
    def _get_sk_idx(switches_in, switches_bk, k):
        if not switches_in[k][3]:
            idx = -1
        else:
            idx = 0
            for i in range(3):
                if switches_bk[k][i]:
                    idx = idx + 1
        return idx
    probs_out = copy.deepcopy(probs_in)
    sk_prob = [1.0 for i in range(len(switches_bk))]
    for i in range(len(switches_in)):
        idx = _get_sk_idx(switches_in, switches_bk, i)
        if not idx == -1:
            sk_prob[i] = probs_out[i][idx]
    d_idx = np.argmin(sk_prob)
    idx = _get_sk_idx(switches_in, switches_bk, d_idx)
    probs_out[d_idx][idx] = 0.0
    return probs_out


def keep_1_on(switches_in, probs):
    switches = copy.deepcopy(switches_in)
    for i in range(len(switches)):
        idxs = []
        for j in range(len(PRIMITIVES)):
            if switches[i][j]:
                idxs.append(j)
        drop = get_min_k_no_zero(probs[i, :], idxs, 2)
        for idx in drop:
            switches[i][idxs[idx]] = False
    return switches


def keep_2_branches(switches_in, probs):
    switches = copy.deepcopy(switches_in)
    final_prob = [0.0 for i in range(len(switches))]
    for i in range(len(switches)):
        final_prob[i] = max(probs[i])
    keep = [0, 1]
    n = 3
    start = 2
    for i in range(3):
        end = start + n
        tb = final_prob[start:end]
        edge = sorted(range(n), key=lambda x: tb[x])
        keep.append(edge[-1] + start)
        keep.append(edge[-2] + start)
        start = end
        n = n + 1
    for i in range(len(switches)):
        if not i in keep:
            for j in range(len(PRIMITIVES)):
                switches[i][j] = False
    return switches


def on_ops(switches):
    return [[PRIMITIVES[j] for j in range(len(PRIMITIVES)) if s[j]] for s in switches]


def run_case(alphas):
    """alphas(stage, switches_normal, switches_reduce) -> (alpha_normal, alpha_reduce),
    float32 tensors of 14 x (#on ops). Returns the record of the case."""
    switches = []
    for i in range(14):
        switches.append([True for j in range(len(PRIMITIVES))])
    switches_normal = copy.deepcopy(switches)
    switches_reduce = copy.deepcopy(switches)
    num_to_keep = [5, 3, 1]
    num_to_drop = [3, 2, 2]
    sm_dim = -1
    rec = {'stages': []}
    for sp in range(len(num_to_keep)):
        a_normal, a_reduce = alphas(sp, switches_normal, switches_reduce)
        arch_param = [a_normal, a_reduce]
        st = {'ops_normal': on_ops(switches_normal), 'ops_reduce': on_ops(switches_reduce),
              'alpha_normal': a_normal.double().tolist(), 'alpha_reduce': a_reduce.double().tolist()}
        if sp == len(num_to_keep) - 1:
            switches_normal_2 = copy.deepcopy(switches_normal)
            switches_reduce_2 = copy.deepcopy(switches_reduce)
        normal_prob = F.softmax(arch_param[0], dim=sm_dim).data.cpu().numpy()
        for i in range(14):
            idxs = []
            for j in range(len(PRIMITIVES)):
                if switches_normal[i][j]:
                    idxs.append(j)
            if sp == len(num_to_keep) - 1:
                drop = get_min_k_no_zero(normal_prob[i, :], idxs, num_to_drop[sp])
            else:
                drop = get_min_k(normal_prob[i, :], num_to_drop[sp])
            for idx in drop:
                switches_normal[i][idxs[idx]] = False
        reduce_prob = F.softmax(arch_param[1], dim=-1).data.cpu().numpy()
        for i in range(14):
            idxs = []
            for j in range(len(PRIMITIVES)):
                if switches_reduce[i][j]:
                    idxs.append(j)
            if sp == len(num_to_keep) - 1:
                drop = get_min_k_no_zero(reduce_prob[i, :], idxs, num_to_drop[sp])
            else:
                drop = get_min_k(reduce_prob[i, :], num_to_drop[sp])
            for idx in drop:
                switches_reduce[i][idxs[idx]] = False
        st['pruned_normal'] = on_ops(switches_normal)
        st['pruned_reduce'] = on_ops(switches_reduce)
        rec['stages'].append(st)

        if sp == len(num_to_keep) - 1:
            arch_param = [a_normal, a_reduce]
            normal_prob = F.softmax(arch_param[0], dim=sm_dim).data.cpu().numpy()
            reduce_prob = F.softmax(arch_param[1], dim=sm_dim).data.cpu().numpy()
            normal_final = [0 for idx in range(14)]
            reduce_final = [0 for idx in range(14)]
            for i in range(14):
                if switches_normal_2[i][0] == True:
                    normal_prob[i][0] = 0
                normal_final[i] = max(normal_prob[i])
                if switches_reduce_2[i][0] == True:
                    reduce_prob[i][0] = 0
                reduce_final[i] = max(reduce_prob[i])
            keep_normal = [0, 1]
            keep_reduce = [0, 1]
            n = 3
            start = 2
            for i in range(3):
                end = start + n
                tbsn = normal_final[start:end]
                tbsr = reduce_final[start:end]
                edge_n = sorted(range(n), key=lambda x: tbsn[x])
                keep_normal.append(edge_n[-1] + start)
                keep_normal.append(edge_n[-2] + start)
                edge_r = sorted(range(n), key=lambda x: tbsr[x])
                keep_reduce.append(edge_r[-1] + start)
                keep_reduce.append(edge_r[-2] + start)
                start = end
                n = n + 1
            for i in range(14):
                if not i in keep_normal:
                    for j in range(len(PRIMITIVES)):
                        switches_normal[i][j] = False
                if not i in keep_reduce:
                    for j in range(len(PRIMITIVES)):
                        switches_reduce[i][j] = False
            gn, gr = parse_network(switches_normal, switches_reduce)
            rec['genotype'] = {'normal': gn, 'reduce': gr}
            rec['skip_connects'] = check_sk_number(switches_normal)
            by_max = {}
            cur = gn
            for sks in range(0, 9):
                max_sk = 8 - sks
                num_sk = check_sk_number(switches_normal)
                if not num_sk > max_sk:
                    by_max[max_sk] = cur
                    continue
                while num_sk > max_sk:
                    normal_prob = delete_min_sk_prob(switches_normal, switches_normal_2, normal_prob)
                    switches_normal = keep_1_on(switches_normal_2, normal_prob)
                    switches_normal = keep_2_branches(switches_normal, normal_prob)
                    num_sk = check_sk_number(switches_normal)
                gn2, gr2 = parse_network(switches_normal, switches_reduce)
                assert gr2 == gr
                cur = gn2
                by_max[max_sk] = cur
            rec['normal_by_max_skip'] = [by_max[m] for m in range(9)]
    return rec


def drawn(seed, skip_bias, scale):
    """Alphas ~ scale * N(0, 1) per stage, skip_connect's column shifted by
    skip_bias (so that the restriction has skips to remove)."""
    g = torch.Generator().manual_seed(seed)

    def alphas(sp, sn, sr):
        out = []
        for sw in (sn, sr):
            a = scale * torch.randn(14, sum(sw[0]), generator=g, dtype=torch.float64)
            for i in range(14):
                on = [j for j in range(8) if sw[i][j]]
                if 3 in on:
                    a[i, on.index(3)] += skip_bias
            out.append(a.float())
        return out
    return alphas


def ties(sp, sn, sr):
    """Alphas with exact ties everywhere: all zero in stage 1 and 2, so that
    the pruning's argmin ties go to the lowest index; in stage 3 equal rows,
    so that the edge ranking and keep_1_on hit their tie rules."""
    out = []
    for sw in (sn, sr):
        k = sum(sw[0])
        a = torch.zeros(14, k)
        if sp == 2:
            for i in range(14):
                a[i] = torch.tensor([0.5, 0.5, 0.0][:k])
        out.append(a)
    return out


def ties_skip(sp, sn, sr):
    """Ties around skip_connect: stage 1 drops max_pool, avg_pool and
    dil_conv_5x5, stage 2 sep_conv_5x5 and dil_conv_3x3, leaving none,
    skip_connect, sep_conv_3x3 on every edge; in stage 3 every edge prefers
    skip_connect, with equal strengths on most edges (ties in the edge
    ranking and in the search for the weakest skip)."""
    out = []
    for sw in (sn, sr):
        k = sum(sw[0])
        a = torch.zeros(14, k)
        for i in range(14):
            on = [j for j in range(8) if sw[i][j]]
            drop = {0: (1, 2, 7), 1: (5, 6)}.get(sp, ())
            for c, j in enumerate(on):
                if j in drop:
                    a[i, c] = -1.0
            if sp == 2:
                a[i] = torch.tensor([0.0, 0.5 + (0.25 if i % 3 == 0 else 0.0), 0.2])
        out.append(a)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='testdata/pdarts_reference.json')
    args = ap.parse_args()
    cases = []
    specs = [('random-small', 1, 0.0, 1e-3), ('random-spread', 2, 0.0, 1.0), ('skip-heavy', 3, 2.0, 0.5),
             ('skip-heavy-2', 4, 3.0, 1.0), ('skip-heavy-3', 5, 1.5, 0.3)]
    for name, seed, bias, scale in specs:
        r = run_case(drawn(seed, bias, scale))
        r['name'] = name
        cases.append(r)
    for name, f in (('ties', ties), ('ties-skip', ties_skip)):
        r = run_case(f)
        r['name'] = name
        cases.append(r)
    doc = {
        'about': 'chenxin061/pdarts train_search.py @ b880e87: pruning after each stage (get_min_k, then '
                 'get_min_k_no_zero after the last), the final top-2 edges and parse_network, and the '
                 'restriction of skip_connect in the normal cell for max_sk = 8..0 (normal_by_max_skip[m] is '
                 'the normal cell logged for max_sk = m, or the one before it when nothing was logged), on '
                 'given alphas (compact: one column per switched-on op, in PRIMITIVES order). Made by '
                 'tools/golden/gen_pdarts.py with PyTorch ' + torch.__version__ + '.',
        'primitives': PRIMITIVES,
        'cases': cases,
    }
    with open(args.out, 'w') as f:
        json.dump(doc, f, separators=(',', ':'), default=lambda o: int(o))
        f.write('\n')


if __name__ == '__main__':
    main()
