#!/usr/bin/python3
"""Independent checks of the files tools/exportcheck/mkfiles writes, for
Debian's /usr/bin/python3 (python3-numpy, python3-torch, python3-crcmod,
python3-protobuf, protobuf-compiler). Nothing here uses darts-go code.

    check.py DIR    (DIR as given to mkfiles)

Prints one PASS/FAIL line per check; exit status 1 if any failed.
"""
import base64
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
results = []


def report(ok, what):
    results.append(ok)
    print("%s %s" % ("PASS" if ok else "FAIL", what))


def input_data(n):  # export/onnx/onnxtest.InputData
    return np.array([((37 * i + 11) % 101 - 50) / 25 for i in range(n)], dtype=np.float32)


# ---------------------------------------------------------------- npy
def check_npy(d, man):
    for e in man["npy"]:
        path = os.path.join(d, e["file"])
        shape = tuple(e["shape"])
        try:
            a = np.load(path, allow_pickle=False)
            want = input_data(int(np.prod(shape, dtype=np.int64))).reshape(shape)
            ok = a.dtype == np.dtype("<f4") and a.shape == shape and np.array_equal(a, want)
            # numpy's own writer must produce the same bytes
            with tempfile.TemporaryFile() as f:
                np.save(f, want)
                f.seek(0)
                same = f.read() == open(path, "rb").read()
            report(ok and same, "npy %s %s: numpy.load values%s" % (e["file"], list(shape), ", bytes equal np.save's" if same else ", bytes DIFFER from np.save's"))
        except Exception as ex:  # noqa: BLE001
            report(False, "npy %s: %s" % (e["file"], ex))


# ---------------------------------------------------------------- safetensors
DTYPES = {"F32": ("<f4", 4), "I64": ("<i8", 8)}


def read_safetensors(path):
    """A reader written from the format description (huggingface/safetensors README)."""
    b = open(path, "rb").read()
    (n,) = struct.unpack("<Q", b[:8])
    assert n <= 100_000_000, "header too large"
    assert (8 + n) % 8 == 0, "header length %d does not keep the data 8-byte aligned" % n
    raw = b[8:8 + n]
    assert raw[:1] == b"{", "header does not start with '{'"
    assert raw.rstrip(b" ") == raw.rstrip(), "header padding is not spaces"
    pairs = json.loads(raw.decode("utf-8"), object_pairs_hook=lambda kv: kv)
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), "duplicate keys"
    meta, tensors, order = None, {}, []
    for k, v in pairs:
        if k == "__metadata__":
            meta = dict(v)
            assert all(isinstance(x, str) for x in meta.values()), "metadata values must be strings"
            continue
        v = dict(v)
        assert list(v) == ["dtype", "shape", "data_offsets"], "tensor %s has keys %s" % (k, list(v))
        tensors[k] = v
        order.append(k)
    data = b[8 + n:]
    pos = 0
    for k in sorted(tensors, key=lambda k: tensors[k]["data_offsets"]):
        t = tensors[k]
        s, e = t["data_offsets"]
        dt, size = DTYPES[t["dtype"]]
        assert s == pos and e - s == size * int(np.prod(t["shape"], dtype=np.int64)), "tensor %s offsets %s" % (k, (s, e))
        assert (8 + n + s) % size == 0, "tensor %s is not aligned" % k
        pos = e
    assert pos == len(data), "%d bytes after the last tensor" % (len(data) - pos)
    return meta, tensors, order, data, 8 + n


def check_safetensors(d, man):
    import torch
    from torch import nn
    path = os.path.join(d, man["safetensors"])
    try:
        meta, tensors, order, data, _ = read_safetensors(path)
        report(True, "safetensors %s: header and offsets follow the format (stdlib reader)" % man["safetensors"])
    except Exception as ex:  # noqa: BLE001
        report(False, "safetensors %s: %s" % (man["safetensors"], ex))
        return
    report(meta == man["metadata"], "safetensors __metadata__ %s" % meta)
    # the reference serializer's order: dtype alignment descending (I64 first), then name
    want_order = sorted(order, key=lambda k: (-DTYPES[tensors[k]["dtype"]][1], k))
    report(order == want_order and order == sorted(order, key=lambda k: tensors[k]["data_offsets"]),
           "safetensors layout order %s" % order)
    sd = {}
    for k, t in tensors.items():
        s, e = t["data_offsets"]
        dt = torch.float32 if t["dtype"] == "F32" else torch.int64
        buf = bytearray(data[s:e])
        sd[k] = (torch.frombuffer(buf, dtype=dt) if buf else torch.empty(0, dtype=dt)).reshape(t["shape"]).clone()
    report(sd["1.num_batches_tracked"].dtype == torch.int64 and sd["1.num_batches_tracked"].dim() == 0
           and int(sd["1.num_batches_tracked"]) == man["num_batches_tracked"],
           "safetensors num_batches_tracked is a 0-dim int64 tensor = %d" % int(sd["1.num_batches_tracked"]))
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    try:
        net.load_state_dict(sd, strict=True)
        report(True, "safetensors load_state_dict(strict=True) on nn.Sequential(Conv2d, BatchNorm2d, ReLU, AdaptiveAvgPool2d, Flatten, Linear)")
    except Exception as ex:  # noqa: BLE001
        report(False, "safetensors load_state_dict: %s" % ex)
        return
    net.eval()
    x = torch.from_numpy(np.load(os.path.join(d, "model.input.npy")))
    with torch.no_grad():
        y = net(x).numpy()
    want = np.load(os.path.join(d, "model.expected.npy"))
    diff = float(np.max(np.abs(y.astype(np.float64) - want)))
    report(y.shape == want.shape and diff <= 1e-5, "safetensors PyTorch eval() logits equal darts-go's reference evaluator's, max|diff| %.3g" % diff)


# ---------------------------------------------------------------- tensorboard
def masked_crc(data):
    import crcmod.predefined
    c = crcmod.predefined.mkCrcFun("crc-32c")(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def default_limits():  # TensorFlow histogram.cc InitDefaultBucketsInner
    v, pos = 1e-12, []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    pos.append(sys.float_info.max)
    return [-x for x in reversed(pos)] + [0.0] + pos


def expected_histogram(values):
    limits = np.array(default_limits())
    counts = np.zeros(len(limits))
    for v in values:
        counts[np.searchsorted(limits, v, side="right")] += 1
    bl, bc, i = [], [], 0
    while i < len(counts):
        end, c = limits[i], counts[i]
        i += 1
        if c <= 0:
            while i < len(counts) and counts[i] <= 0:
                end, c = limits[i], counts[i]
                i += 1
        bl.append(end)
        bc.append(c)
    s = sq = 0.0
    for v in values:
        s += v
        sq += v * v
    return dict(min=min(values), max=max(values), num=float(len(values)), sum=s, sum_squares=sq, bucket_limit=bl, bucket=bc)


def check_events(d, man):
    path = os.path.join(d, man["event_file"])
    name = os.path.basename(path)
    report(name.startswith("events.out.tfevents.") and len(name.split(".")[3]) == 10, "tfevents file name %s" % name)
    b = open(path, "rb").read()
    records, pos, why = [], 0, None
    while pos < len(b) and why is None:
        if len(b) - pos < 16:
            why = "record %d at byte %d: %d bytes left, a record needs at least 16" % (len(records), pos, len(b) - pos)
            break
        (n,) = struct.unpack("<Q", b[pos:pos + 8])
        (lc,) = struct.unpack("<I", b[pos + 8:pos + 12])
        if lc != masked_crc(b[pos:pos + 8]):
            why = "record %d at byte %d: length CRC-32C 0x%08x, want 0x%08x" % (len(records), pos, lc, masked_crc(b[pos:pos + 8]))
            break
        if pos + 16 + n > len(b):
            why = "record %d at byte %d: length %d runs past the end of the file (%d bytes)" % (len(records), pos, n, len(b))
            break
        data = b[pos + 12:pos + 12 + n]
        (dc,) = struct.unpack("<I", b[pos + 12 + n:pos + 16 + n])
        if dc != masked_crc(data):
            why = "record %d at byte %d: data CRC-32C 0x%08x, want 0x%08x" % (len(records), pos, dc, masked_crc(data))
            break
        records.append(data)
        pos += 16 + n
    crc_ok = why is None
    report(crc_ok, "tfevents %d records, every length and data CRC-32C (crcmod) checks" % len(records) if crc_ok
           else "tfevents %s: %s" % (name, why))
    # protoc --decode_raw must parse every payload
    raw_ok = True
    for i, data in enumerate(records):
        p = subprocess.run(["protoc", "--decode_raw"], input=data, capture_output=True)
        raw_ok &= p.returncode == 0
        if i in (0, 1):
            print("  protoc --decode_raw, record %d:\n    %s" % (i, p.stdout.decode().strip().replace("\n", "\n    ")))
    report(raw_ok, "tfevents protoc --decode_raw parses all %d payloads" % len(records))
    # decode with the protobuf runtime and a schema holding TensorBoard's field numbers
    tmp = tempfile.mkdtemp()
    proto_dir = os.path.join(ROOT, "export", "tensorboard", "testdata")
    subprocess.check_call(["protoc", "-I", proto_dir, "--python_out", tmp, "tfevents_min.proto"])
    sys.path.insert(0, tmp)
    import tfevents_min_pb2 as pb
    evs = []
    for data in records:
        e = pb.Event()
        e.ParseFromString(data)
        evs.append(e)
    report(evs[0].file_version == "brain.Event:2" and evs[0].wall_time > 1.6e9 and not evs[0].HasField("summary"),
           "tfevents first event: file_version %r, wall_time %.3f" % (evs[0].file_version, evs[0].wall_time))
    rest = evs[1:]
    times = [e.wall_time for e in evs]
    report(times == sorted(times), "tfevents wall times are non-decreasing")
    scal = [(e.summary.value[0].tag, e.step, e.summary.value[0].simple_value) for e in rest if e.summary.value[0].WhichOneof("value") == "simple_value"]
    want = [(s["tag"], s["step"], float(np.float32(s["value"]))) for s in man["scalars"]]
    report(scal == want, "tfevents %d scalars (tag, step, simple_value) as written" % len(scal))
    hist = [e for e in rest if e.summary.value[0].WhichOneof("value") == "histo"]
    ok = len(hist) == len(man["histograms"])
    for e, h in zip(hist, man["histograms"]):
        got = e.summary.value[0].histo
        exp = expected_histogram(h["values"])
        ok &= e.step == h["step"] and e.summary.value[0].tag == h["tag"]
        for k in ("min", "max", "num", "sum", "sum_squares"):
            ok &= getattr(got, k) == exp[k]
        ok &= list(got.bucket_limit) == exp["bucket_limit"] and list(got.bucket) == exp["bucket"]
    report(ok, "tfevents %d histograms equal numpy's bucketing with TensorFlow's default limits" % len(hist))
    ims = [e for e in rest if e.summary.value[0].WhichOneof("value") == "image"]
    ok = len(ims) == len(man["images"])
    for e, m in zip(ims, man["images"]):
        im = e.summary.value[0].image
        png = base64.b64decode(m["png"])
        # colorspace from the PNG's IHDR colour type: gray 1, gray+alpha 2, RGB/palette 3, RGBA 4
        cs = {0: 1, 4: 2, 2: 3, 3: 3, 6: 4}[png[25]]
        ok &= (e.step, im.width, im.height, im.colorspace) == (m["step"], m["width"], m["height"], cs)
        ok &= im.encoded_image_string == png and png[:8] == b"\x89PNG\r\n\x1a\n"
    report(ok, "tfevents %d image(s): size, colorspace of the PNG's colour type, PNG bytes as written" % len(ims))


def main(argv):
    if len(argv) != 1:
        print(__doc__)
        return 2
    d = argv[0]
    man = json.load(open(os.path.join(d, "manifest.json")))
    for f in (check_npy, check_safetensors, check_events):
        try:
            f(d, man)
        except Exception as ex:  # noqa: BLE001
            report(False, "%s: %s: %s" % (f.__name__, type(ex).__name__, ex))
    print("check.py: %d passed, %d failed" % (results.count(True), results.count(False)))
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
