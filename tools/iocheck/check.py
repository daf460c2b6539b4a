#!/usr/bin/python3
"""Independent checks of what darts-go's CLI writes for other tools, for
Debian's /usr/bin/python3 (python3-numpy; python3-crcmod, python3-protobuf
and protobuf-compiler for "tb"). Nothing here uses darts-go code; the
TensorBoard record reader, CRC check and histogram bucketing are
tools/exportcheck's.

  check.py compare GOT.npy WANT.npy [TOL]
      the arrays have one shape and max|GOT - WANT| / max(1, max|WANT|) <= TOL
      (default 1e-4)
  check.py tb RUN
      every record of RUN/tb/events.out.tfevents.* passes both masked
      CRC-32C checks (crcmod) and protoc --decode_raw; decoded with the
      protobuf runtime and TensorBoard's field numbers, the events hold, at
      each epoch of RUN/metrics.jsonl, its losses, accuracies and learning
      rate; for a search (RUN/alphas.jsonl), the weight of every op on every
      edge of every cell, a histogram of each cell's alphas bucketed as
      TensorFlow buckets them, the skip_connect count of the last genotype
      (RUN/genotype.json), and the figures of RUN/plots, byte for byte, at the
      last epoch; for a training, the learning curves at every epoch.

Prints one PASS/FAIL line per check; exit status 1 if any failed.
"""
import glob
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "exportcheck"))
results = []


def report(ok, what):
    results.append(bool(ok))
    print("%s %s" % ("PASS" if ok else "FAIL", what))


def short(path):
    """The file name with its directory: ort/logits.npy."""
    return os.path.join(os.path.basename(os.path.dirname(os.path.abspath(path))), os.path.basename(path))


def compare(got, want, tol=1e-4):
    a, b = np.load(got), np.load(want)
    if a.shape != b.shape or a.dtype != b.dtype:
        report(False, "%s %s %s vs %s %s %s: shapes or types differ" % (got, a.dtype, a.shape, want, b.dtype, b.shape))
        return
    if not np.all(np.isfinite(a)):
        report(False, "%s: %d values are not finite" % (got, int(np.sum(~np.isfinite(a)))))
        return
    d = float(np.max(np.abs(a.astype(np.float64) - b))) / max(1.0, float(np.max(np.abs(b)))) if b.size else 0.0
    report(d <= tol, "%s equals %s %s: max|diff| / max(1, |want|) = %.3g (tolerance %g)" % (
        short(got), short(want), list(b.shape), d, tol))


def records(path):
    """The payloads of an event file's records and None, or the payloads
    before the first bad record and what is wrong with it."""
    from check import masked_crc  # tools/exportcheck: crcmod's CRC-32C
    b = open(path, "rb").read()
    out, pos = [], 0
    while pos < len(b):
        if len(b) - pos < 16:
            return out, "record %d at byte %d: %d bytes left, a record needs at least 16" % (len(out), pos, len(b) - pos)
        (n,) = struct.unpack("<Q", b[pos:pos + 8])
        (lc,) = struct.unpack("<I", b[pos + 8:pos + 12])
        if lc != masked_crc(b[pos:pos + 8]):
            return out, "record %d at byte %d: length CRC-32C 0x%08x, want 0x%08x" % (len(out), pos, lc, masked_crc(b[pos:pos + 8]))
        if pos + 16 + n > len(b):
            return out, "record %d at byte %d: length %d runs past the end of the file (%d bytes)" % (len(out), pos, n, len(b))
        data = b[pos + 12:pos + 12 + n]
        (dc,) = struct.unpack("<I", b[pos + 12 + n:pos + 16 + n])
        if dc != masked_crc(data):
            return out, "record %d at byte %d: data CRC-32C 0x%08x, want 0x%08x" % (len(out), pos, dc, masked_crc(data))
        out.append(data)
        pos += 16 + n
    if not out:
        return out, "no records"
    return out, None


def tb(run):
    from check import expected_histogram  # tools/exportcheck: numpy + TensorFlow's default limits
    files = sorted(glob.glob(os.path.join(run, "tb", "events.out.tfevents.*")))
    report(len(files) >= 1, "%s: %d event file(s)" % (run, len(files)))
    if not files:
        return
    tmp = tempfile.mkdtemp()
    subprocess.check_call(["protoc", "-I", os.path.join(ROOT, "export", "tensorboard", "testdata"), "--python_out", tmp, "tfevents_min.proto"])
    sys.path.insert(0, tmp)
    import tfevents_min_pb2 as pb
    values = {}  # (tag, step) -> Summary.Value
    for f in files:
        recs, why = records(f)
        report(why is None, "%s: %d records, every length and data CRC-32C checks (crcmod)" % (os.path.basename(f), len(recs)) if why is None
               else "%s: %s" % (f, why))
        raw_ok = all(subprocess.run(["protoc", "--decode_raw"], input=r, capture_output=True).returncode == 0 for r in recs)
        report(raw_ok, "%s: protoc --decode_raw parses every payload" % os.path.basename(f))
        for i, r in enumerate(recs):
            e = pb.Event()
            e.ParseFromString(r)
            if i == 0:
                report(e.file_version == "brain.Event:2", "%s: first event file_version %r" % (os.path.basename(f), e.file_version))
                continue
            for v in e.summary.value:
                values[(v.tag, e.step)] = v

    def scalar_ok(tag, step, want):
        v = values.get((tag, step))
        return v is not None and v.WhichOneof("value") == "simple_value" and v.simple_value == float(np.float32(want))

    metrics = [json.loads(l) for l in open(os.path.join(run, "metrics.jsonl")) if l.strip()]
    search = os.path.exists(os.path.join(run, "alphas.jsonl"))
    keys = [("loss/train", "train_loss"), ("accuracy/train", "train_acc"), ("learning_rate", "lr"), ("epoch_seconds", "seconds")]
    keys += [("loss/val", "val_loss"), ("accuracy/val", "val_acc")] if search else [("loss/test", "test_loss"), ("accuracy/test", "test_acc")]
    bad = [(t, m["epoch"]) for m in metrics for t, k in keys if not scalar_ok(t, m["epoch"], m.get(k, 0.0))]
    report(not bad, "%d epochs x %d scalars equal metrics.jsonl%s" % (len(metrics), len(keys), "" if not bad else "; wrong: %s" % bad[:5]))
    last = metrics[-1]["epoch"]
    if search:
        lines = [json.loads(l) for l in open(os.path.join(run, "alphas.jsonl")) if l.strip()]
        n, bad, hbad = 0, [], []
        for a in lines:
            if a["epoch"] == 0:
                continue
            cells = {c["name"]: c["cell"] for c in a["space"]["cells"]}
            for t in a["tensors"]:
                c = cells[t["cell"]]
                first = c.get("first_node", 0)
                for r, row in enumerate(t["weights"]):
                    node, inp = t["rows"][r]
                    src = "in%d" % inp if inp < c["inputs"] else "node%d" % (inp - c["inputs"] + first)
                    for j, w in enumerate(row):
                        tag = "alpha_%s/node%d_from_%s/%s" % (t["name"], node + first, src, t["cols"][j])
                        n += 1
                        if not scalar_ok(tag, a["epoch"], w):
                            bad.append((tag, a["epoch"]))
                h = values.get(("alpha_hist/" + t["name"], a["epoch"]))
                exp = expected_histogram([v for row in t["alpha"] for v in row])
                if h is None or h.WhichOneof("value") != "histo" or any(getattr(h.histo, k) != exp[k] for k in ("min", "max", "num", "sum", "sum_squares")) \
                        or list(h.histo.bucket_limit) != exp["bucket_limit"] or list(h.histo.bucket) != exp["bucket"]:
                    hbad.append((t["name"], a["epoch"]))
        report(n > 0 and not bad, "%d alpha weights (every op, edge, cell, epoch) equal alphas.jsonl's%s" % (n, "" if not bad else "; wrong: %s" % bad[:3]))
        report(not hbad, "alpha histograms equal numpy's bucketing with TensorFlow's default limits%s" % ("" if not hbad else "; wrong: %s" % hbad[:3]))
        g = json.load(open(os.path.join(run, "genotype.json")))
        if "cells" in g:
            counts = {c["name"]: sum(p[0] == "skip_connect" for node in c["nodes"] for p in node) for c in g["cells"]}
        else:
            counts = {k: sum(p[0] == "skip_connect" for p in g[k]) for k in ("normal", "reduce")}
        report(all(scalar_ok("genotype/skip_connect_" + k, last, v) for k, v in counts.items()),
               "skip_connect counts at epoch %d equal genotype.json's %s" % (last, counts))
        pngs = sorted(glob.glob(os.path.join(run, "plots", "*.png")))
        same = [p for p in pngs if (lambda v: v is not None and v.image.encoded_image_string == open(p, "rb").read())(values.get(("plots/" + os.path.basename(p)[:-4], last)))]
        report(pngs and len(same) == len(pngs), "%d of %d figures of RUN/plots are the images at epoch %d" % (len(same), len(pngs), last))
    else:
        ok = all((lambda v: v is not None and v.image.encoded_image_string[:8] == b"\x89PNG\r\n\x1a\n" and v.image.width > 0)(values.get(("plots/curves", m["epoch"]))) for m in metrics)
        report(ok, "learning curves (PNG) at each of %d epochs" % len(metrics))


def main(argv):
    try:
        if len(argv) in (3, 4) and argv[0] == "compare":
            compare(argv[1], argv[2], float(argv[3]) if len(argv) == 4 else 1e-4)
        elif len(argv) == 2 and argv[0] == "tb":
            tb(argv[1])
        else:
            print(__doc__)
            return 2
    except Exception as ex:  # a missing or unreadable file is a failed check, said in one line
        report(False, "check.py %s: %s: %s" % (" ".join(argv), type(ex).__name__, ex))
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
