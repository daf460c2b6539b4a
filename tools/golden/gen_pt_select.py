#!/usr/bin/python3
"""DARTS-PT's selection procedure (ruocwang/darts-pt @ 4ec3149,
sota/cnn/projection.py pt_project/project_op/project_edge and
sota/cnn/model_search_darts_proj.py get_projected_weights/project_op/
project_edge/genotype), transcribed with numpy in place of torch and a
synthetic supernet in place of the network: its search-val accuracy and loss
are closed-form functions of the two cells' edge weights, and a tuning epoch
moves the alphas by a fixed drift. What is held is the procedure: which edge
and node each round visits (recorded), which removals it probes, what it
decides, on which epochs, and the genotype it parses.

Writes testdata/pt_select.json. Run: /usr/bin/python3 tools/golden/gen_pt_select.py
"""
import json
import os
from copy import deepcopy

import numpy as np

PRIMITIVES = ['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect',
              'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5']
NUM_EDGES, NUM_OPS, STEPS = 14, 8, 4
CELLS = ['normal', 'reduce']
NID2EIDS = {0: [2, 3, 4], 1: [5, 6, 7, 8], 2: [9, 10, 11, 12, 13]}
EDGE_NODE = [n for n in range(STEPS) for _ in range(n + 2)]


def softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class FakeModel:
    """The projection state of DartsNetworkProj around synthetic alphas."""

    def __init__(self, alphas, coef):
        self.alphas = {c: np.array(alphas[c], dtype=np.float64) for c in CELLS}
        self.coef = coef
        self.num_edges, self.num_ops = NUM_EDGES, NUM_OPS
        self.candidate_flags = {c: np.ones(NUM_EDGES, dtype=bool) for c in CELLS}
        self.candidate_flags_edge = {c: np.ones(3, dtype=bool) for c in CELLS}
        self.proj_weights = {c: np.zeros((NUM_EDGES, NUM_OPS)) for c in CELLS}
        self.nid2eids = NID2EIDS
        self.nid2selected_eids = {c: {0: [], 1: [], 2: []} for c in CELLS}

    def project_op(self, eid, opid, cell_type):
        self.proj_weights[cell_type][eid][opid] = 1
        self.candidate_flags[cell_type][eid] = False

    def project_edge(self, nid, eids, cell_type):
        for eid in self.nid2eids[nid]:
            if eid not in eids:
                self.proj_weights[cell_type][eid][:] = 0
        self.nid2selected_eids[cell_type][nid] = deepcopy(eids)
        self.candidate_flags_edge[cell_type][nid] = False

    def get_projected_weights(self, cell_type):
        weights = softmax(self.alphas[cell_type])
        for eid in range(self.num_edges):
            if not self.candidate_flags[cell_type][eid]:
                weights[eid] = self.proj_weights[cell_type][eid]
        for nid in self.nid2eids:
            if not self.candidate_flags_edge[cell_type][nid]:
                for eid in self.nid2eids[nid]:
                    if eid not in self.nid2selected_eids[cell_type][nid]:
                        weights[eid] = self.proj_weights[cell_type][eid]
        return weights

    def genotype(self):
        def _parse(weights):
            gene = []
            n = 2
            start = 0
            for i in range(STEPS):
                end = start + n
                W = weights[start:end].copy()
                edges = sorted(range(i + 2), key=lambda x: -max(W[x][k] for k in range(len(W[x])) if k != PRIMITIVES.index('none')))[:2]
                for j in edges:
                    k_best = None
                    for k in range(len(W[j])):
                        if k != PRIMITIVES.index('none'):
                            if k_best is None or W[j][k] > W[j][k_best]:
                                k_best = k
                    gene.append([PRIMITIVES[k_best], j])
                start = end
                n += 1
            return gene
        return {c: _parse(self.get_projected_weights(c)) for c in CELLS}


def synthetic(coef, w):
    """acc and loss of the synthetic supernet at edge weights w (by cell)."""
    z = 0.0
    loss = 0.0
    for c in CELLS:
        A, B, L = (np.array(coef[c][k]) for k in ('A', 'B', 'L'))
        z += float((A * w[c]).sum())
        node_sum = np.zeros(STEPS)
        for e in range(NUM_EDGES):
            node_sum[EDGE_NODE[e]] += w[c][e].sum()
        z += float((B * node_sum * node_sum).sum())
        loss += float((L * w[c] * w[c]).sum())
    return float(np.tanh(z / 20)), loss


def infer(model, weights_dict):
    w = {c: (weights_dict[c] if c in weights_dict else model.get_projected_weights(c)) for c in CELLS}
    return synthetic(model.coef, w)


class Args:
    pass


def project_op(model, args, cell_type, rs, log):
    candidate_flags = model.candidate_flags[cell_type]
    proj_crit = args.proj_crit[cell_type]
    remain_eids = np.nonzero(candidate_flags)[0]
    idx = rs.randint(len(remain_eids))  # np.random.choice(remain_eids, size=1)[0]
    log['order'].append(int(idx))
    selected_eid = int(remain_eids[idx])
    if proj_crit == 'loss':
        crit_idx = 1
        compare = lambda x, y: x > y
    elif proj_crit == 'acc':
        crit_idx = 0
        compare = lambda x, y: x < y
    best_opid = 0
    crit_extrema = None
    probes = []
    for opid in range(model.num_ops):
        weights = model.get_projected_weights(cell_type)
        proj_mask = np.ones_like(weights[selected_eid])
        proj_mask[opid] = 0
        weights[selected_eid] = weights[selected_eid] * proj_mask
        valid_stats = infer(model, {cell_type: weights})
        probes.append({'edge': selected_eid, 'op': PRIMITIVES[opid], 'acc': valid_stats[0], 'loss': valid_stats[1]})
        crit = valid_stats[crit_idx]
        if crit_extrema is None or compare(crit, crit_extrema):
            crit_extrema = crit
            best_opid = opid
    return selected_eid, best_opid, probes


def project_edge(model, args, cell_type, rs, log):
    candidate_flags = model.candidate_flags_edge[cell_type]
    proj_crit = args.proj_crit[cell_type]
    remain_nids = np.nonzero(candidate_flags)[0]
    idx = rs.randint(len(remain_nids))
    log['order'].append(int(idx))
    selected_nid = int(remain_nids[idx])
    if proj_crit == 'loss':
        crit_idx = 1
        compare = lambda x, y: x > y
    elif proj_crit == 'acc':
        crit_idx = 0
        compare = lambda x, y: x < y
    eids = deepcopy(model.nid2eids[selected_nid])
    probes = []
    while len(eids) > 2:
        eid_todel = None
        crit_extrema = None
        for eid in eids:
            weights = model.get_projected_weights(cell_type)
            weights[eid][:] = 0
            valid_stats = infer(model, {cell_type: weights})
            probes.append({'edge': eid, 'acc': valid_stats[0], 'loss': valid_stats[1]})
            crit = valid_stats[crit_idx]
            if crit_extrema is None or not compare(crit, crit_extrema):
                crit_extrema = crit
                eid_todel = eid
        eids.remove(eid_todel)
    return selected_nid, eids, probes


def pt_project(model, args, drift, rs):
    log = {'order': [], 'decisions': [], 'tuned': []}
    num_projs = model.num_edges + len(model.nid2eids.keys()) - 1
    tune_epochs = args.proj_intv * num_projs + 1
    proj_intv = args.proj_intv
    rnd = 0
    for epoch in range(0, tune_epochs):
        if epoch % proj_intv == 0 or epoch == tune_epochs - 1:
            if epoch < proj_intv * model.num_edges:
                for c in CELLS:
                    eid, opid, probes = project_op(model, args, c, rs, log)
                    model.project_op(eid, opid, c)
                    log['decisions'].append({'round': rnd, 'epoch': epoch, 'cell': c, 'kind': 'op', 'edge': eid,
                                             'op': PRIMITIVES[opid], 'node': -1, 'probes': probes})
            else:
                for c in CELLS:
                    nid, eids, probes = project_edge(model, args, c, rs, log)
                    model.project_edge(nid, eids, c)
                    log['decisions'].append({'round': rnd, 'epoch': epoch, 'cell': c, 'kind': 'edge', 'edge': -1,
                                             'node': nid + 1, 'kept': eids, 'probes': probes})
            rnd += 1
        # tune: the synthetic supernet's alphas move by the drift, scaled by the epoch
        for c in CELLS:
            model.alphas[c] = model.alphas[c] + drift[c] * (1 + 0.1 * epoch)
        log['tuned'].append(epoch)
    return log, tune_epochs


def case(name, seed, crit, intv, zero=False):
    r = np.random.RandomState(seed)
    alphas = {c: (np.zeros((NUM_EDGES, NUM_OPS)) if zero else 1e-3 * r.randn(NUM_EDGES, NUM_OPS) + 0.5 * r.randn(NUM_EDGES, NUM_OPS)) for c in CELLS}
    coef = {}
    drift = {}
    for c in CELLS:
        if zero:
            coef[c] = {'A': np.zeros((NUM_EDGES, NUM_OPS)), 'B': np.zeros(STEPS), 'L': np.zeros((NUM_EDGES, NUM_OPS))}
            drift[c] = np.zeros((NUM_EDGES, NUM_OPS))
        else:
            coef[c] = {'A': 0.3 * r.randn(NUM_EDGES, NUM_OPS), 'B': 0.2 * r.randn(STEPS), 'L': r.rand(NUM_EDGES, NUM_OPS)}
            drift[c] = 0.05 * r.randn(NUM_EDGES, NUM_OPS)
    model = FakeModel(alphas, coef)
    args = Args()
    args.proj_intv = intv
    args.proj_crit = {'normal': crit, 'reduce': crit}
    a0 = {c: alphas[c].tolist() for c in CELLS}
    log, tune_epochs = pt_project(model, args, drift, np.random.RandomState(seed + 100))
    return {
        'name': name, 'criterion': crit, 'interval': intv, 'ops': PRIMITIVES,
        'alphas': a0,
        'coef': {c: {k: np.asarray(v).tolist() for k, v in coef[c].items()} for c in CELLS},
        'drift': {c: drift[c].tolist() for c in CELLS},
        'order': log['order'], 'decisions': log['decisions'], 'tune_epochs': tune_epochs,
        'final_alphas': {c: model.alphas[c].tolist() for c in CELLS},
        'genotype': model.genotype(),
    }


def main():
    cases = [case('acc-intv5', 1, 'acc', 5), case('acc-intv1', 2, 'acc', 1), case('loss-intv2', 3, 'loss', 2),
             case('acc-intv3', 4, 'acc', 3), case('ties', 5, 'acc', 1, zero=True), case('ties-loss', 6, 'loss', 2, zero=True)]
    out = {'about': 'DARTS-PT selection (ruocwang/darts-pt pt_project, project_op, project_edge, get_projected_weights, '
                     'genotype) transcribed with a synthetic supernet: acc = tanh((1/20)(sum_c sum A_c*W_c + sum_c sum_node '
                     'B_c[node]*(sum of the node\'s edge weights)^2), loss = sum_c sum L_c*W_c^2, W = projected weights '
                     '(softmax of alphas, decided rows one-hot, dropped rows 0, the probe zeroing an op or an edge); '
                     'tuning epoch ep adds drift*(1+0.1*ep) to the alphas. order: the index drawn among the remaining '
                     'edges (op rounds) or nodes (edge rounds), ascending, per decision in order. node counts from 0 '
                     '(nid2eids key + 1). Made by tools/golden/gen_pt_select.py.',
           'cases': cases}
    path = os.path.join(os.path.dirname(__file__), '..', '..', 'testdata', 'pt_select.json')
    with open(path, 'w') as f:
        json.dump(out, f)
        f.write('\n')


if __name__ == '__main__':
    main()
