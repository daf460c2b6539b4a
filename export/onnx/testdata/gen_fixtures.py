#!/usr/bin/python3
"""Builds chain.onnx, branches.onnx and factorized_reduce.onnx with the
official ONNX Python helpers (Debian python3-onnx 1.12), independently of the
Go code: onnx_test.go requires export/onnx's Builder to produce the same
bytes, and checks them with onnx.checker and strict shape inference here.

    apt-get install -y python3-onnx
    cd export/onnx && /usr/bin/python3 testdata/gen_fixtures.py

The models, names, weights and call order mirror export/onnx/onnxtest.
"""
import os
import numpy as np
import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
TO_END = 2**63 - 1


def values(n, seed):
    return [((7 * i + 3 * seed) % 17 - 8) / 16 for i in range(n)]


def variances(n, seed):
    return [0.5 + ((5 * i + seed) % 7) / 8 for i in range(n)]


class Net:
    def __init__(self, name):
        self.name, self.n, self.seed = name, 0, 0
        self.nodes, self.inits, self.inputs, self.outputs = [], [], [], []

    def fresh(self, op):
        name = "%s_%d" % (op, self.n)
        self.n += 1
        return name

    def input(self, name, *dims):
        self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", *dims]))
        return name

    def output(self, value, *dims):
        self.outputs.append(helper.make_tensor_value_info(value, TensorProto.FLOAT, ["N", *dims]))

    def const(self, name, dims, data):
        raw = np.array(data, dtype="<f4").tobytes()
        self.inits.append(helper.make_tensor(name, TensorProto.FLOAT, dims, raw, raw=True))
        return name

    def const_i64(self, name, dims, data):
        raw = np.array(data, dtype="<i8").tobytes()
        self.inits.append(helper.make_tensor(name, TensorProto.INT64, dims, raw, raw=True))
        return name

    def node(self, op, inputs, **attrs):
        out = self.fresh(op)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def w(self, name, *dims):
        self.seed += 1
        return self.const(name, list(dims), values(int(np.prod(dims)), self.seed))

    def bn(self, x, name, c):
        self.seed += 1
        s = self.const(name + ".weight", [c], values(c, self.seed))
        b = self.const(name + ".bias", [c], values(c, self.seed + 1))
        m = self.const(name + ".running_mean", [c], values(c, self.seed + 2))
        v = self.const(name + ".running_var", [c], variances(c, self.seed))
        self.seed += 2
        return self.node("BatchNormalization", [x, s, b, m, v], epsilon=1e-5)

    def slice(self, x, starts, ends, axes):
        out = self.fresh("Slice")
        s = self.const_i64(out + "_starts", [len(starts)], starts)
        e = self.const_i64(out + "_ends", [len(ends)], ends)
        a = self.const_i64(out + "_axes", [len(axes)], axes)
        self.nodes.append(helper.make_node("Slice", [x, s, e, a], [out], name=out))
        return out

    def model(self):
        g = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.inits)
        m = helper.make_model(g, producer_name="darts-go", producer_version="test",
                              opset_imports=[helper.make_opsetid("", 13)])
        m.ir_version = 7
        return m


def chain():
    b = Net("chain")
    x = b.input("input", 3, 8, 8)
    mean = b.const("mean", [1, 3, 1, 1], [0.5, 0.25, -0.25])
    std = b.const("std", [1, 3, 1, 1], [0.5, 0.25, 2])
    h = b.node("Div", [b.node("Sub", [x, mean]), std])
    h = b.node("Conv", [h, b.w("stem.conv.weight", 4, 3, 3, 3), b.w("stem.conv.bias", 4)], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    h = b.node("Relu", [b.bn(h, "stem.bn", 4)])
    h = b.node("MaxPool", [h], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    h = b.node("AveragePool", [h], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1], count_include_pad=0)
    h = b.node("Flatten", [b.node("GlobalAveragePool", [h])], axis=1)
    out = b.node("Gemm", [h, b.w("classifier.weight", 10, 4), b.w("classifier.bias", 10)], transB=1)
    b.output(out, 10)
    return b.model()


def branches():
    b = Net("branches")
    x = b.input("input", 4, 6, 6)
    a = b.node("Relu", [x])
    dw = b.node("Conv", [a, b.w("dil.dw", 4, 1, 3, 3)], kernel_shape=[3, 3], pads=[2, 2, 2, 2], dilations=[2, 2], group=4)
    pw = b.node("Conv", [dw, b.w("dil.pw", 4, 4, 1, 1)], kernel_shape=[1, 1])
    b1 = b.bn(pw, "dil.bn", 4)
    pool = dict(kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    b2 = b.node("AveragePool", [x], count_include_pad=0, **pool)
    b3 = b.node("MaxPool", [x], **pool)
    s1 = b.node("Add", [b1, b2])
    s2 = b.node("Sum", [b1, b2, b3])
    zero = b.const("zero", [], [0])
    s3 = b.node("Add", [s2, b.node("Mul", [x, zero])])
    out = b.node("Concat", [s1, s3, b.node("Identity", [x])], axis=1)
    b.output(out, 12, 6, 6)
    return b.model()


def factorized_reduce():
    b = Net("factorized_reduce")
    x = b.input("input", 4, 8, 8)
    r = b.node("Relu", [x])
    p = dict(kernel_shape=[1, 1], strides=[2, 2])
    c1 = b.node("Conv", [r, b.w("conv_1.weight", 2, 4, 1, 1)], **p)
    sl = b.slice(r, [1, 1], [TO_END, TO_END], [2, 3])
    c2 = b.node("Conv", [sl, b.w("conv_2.weight", 2, 4, 1, 1)], **p)
    out = b.bn(b.node("Concat", [c1, c2], axis=1), "bn", 4)
    b.output(out, 4, 4, 4)
    return b.model()


for name, fn in [("chain", chain), ("branches", branches), ("factorized_reduce", factorized_reduce)]:
    m = fn()
    onnx.checker.check_model(m, full_check=True)
    onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    with open(os.path.join(HERE, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())
    print("wrote", name + ".onnx", "with onnx", onnx.__version__)
