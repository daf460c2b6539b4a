#!/usr/bin/python3
"""Writes testdata/fixture.tfevents and testdata/tiny.png for tensorboard_test.go.

The event file is made without any darts-go code: the protobuf runtime of
Debian's python3-protobuf serializes the messages (schema tfevents_min.proto,
compiled with Debian's protoc), python3-crcmod computes the CRC-32C, and the
histogram is bucketed here with numpy, following TensorFlow's histogram.cc.

    apt-get install -y protobuf-compiler python3-protobuf python3-crcmod python3-numpy
    cd export/tensorboard && /usr/bin/python3 testdata/gen_fixture.py
"""
import os, struct, subprocess, sys, tempfile, zlib
import crcmod.predefined
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
tmp = tempfile.mkdtemp()
subprocess.check_call(["protoc", "-I", here, "--python_out", tmp, "tfevents_min.proto"])
sys.path.insert(0, tmp)
import tfevents_min_pb2 as pb  # noqa: E402

crc32c = crcmod.predefined.mkCrcFun("crc-32c")

def masked(c):
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF

def record(data):
    n = struct.pack("<Q", len(data))
    return n + struct.pack("<I", masked(crc32c(n))) + data + struct.pack("<I", masked(crc32c(data)))

def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

def tiny_png():
    w, h = 3, 2  # RGB, colour type 2
    raw = b"".join(b"\x00" + bytes([(40 * x + 100 * y) % 256 for x in range(w) for _ in range(3)]) for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))

def default_limits():
    v, pos = 1e-12, []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    pos.append(sys.float_info.max)
    return [-x for x in reversed(pos)] + [0.0] + pos

HIST_VALUES = [-1.5, -0.001, 0.0, 0.0, 1e-13, 0.3, 2.0, 2.0, 1e25, -3e-12]

def histo(values):
    limits = np.array(default_limits())
    counts = np.zeros(len(limits))
    for v in values:  # std::upper_bound == searchsorted side="right"
        counts[np.searchsorted(limits, v, side="right")] += 1
    h = pb.HistogramProto(min=min(values), max=max(values), num=len(values))
    s = sq = 0.0
    for v in values:
        s += v
        sq += v * v
    h.sum, h.sum_squares = s, sq
    i = 0
    while i < len(counts):  # collapse runs of empty buckets
        end, c = limits[i], counts[i]
        i += 1
        if c <= 0:
            while i < len(counts) and counts[i] <= 0:
                end, c = limits[i], counts[i]
                i += 1
        h.bucket_limit.append(end)
        h.bucket.append(c)
    return h

def summary_event(t, step, **kw):
    e = pb.Event(wall_time=t, step=step)
    e.summary.value.add(**kw)
    return e

png = tiny_png()
events = [
    pb.Event(wall_time=1700000000.5, file_version="brain.Event:2"),
    summary_event(1700000001.25, 0, tag="loss", simple_value=0.0),
    summary_event(1700000002.0, 3, tag="train/acc", simple_value=0.75),
    summary_event(1700000003.0, 1 << 40, tag="alpha/normal/edge0/sep_conv_3x3", simple_value=-0.125),
    summary_event(1700000004.0, 7, tag="alpha/hist", histo=histo(HIST_VALUES)),
    summary_event(1700000005.0, 2, tag="cell/normal", image=pb.Summary.Image(height=2, width=3, colorspace=3, encoded_image_string=png)),
]
with open(os.path.join(here, "fixture.tfevents"), "wb") as f:
    for e in events:
        f.write(record(e.SerializeToString()))
with open(os.path.join(here, "tiny.png"), "wb") as f:
    f.write(png)
from google.protobuf.internal import api_implementation  # noqa: E402
print("wrote fixture.tfevents and tiny.png; protobuf implementation:", api_implementation.Type())
