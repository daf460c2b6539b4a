#!/usr/bin/python3
"""Independent checks of darts-go's ONNX files, for Debian's /usr/bin/python3.

  check.py structure FILE.onnx...   onnx.checker.check_model(full_check=True) and
                                    onnx.shape_inference.infer_shapes(strict_mode=True);
                                    the inferred output shapes must equal the declared ones
  check.py compare DIR SUFFIX       for every case in DIR/manifest.json, DIR/NAME.SUFFIX/OUT.npy
                                    (e.g. onnxruntime's) must equal DIR/NAME.expected/OUT.npy
                                    (export/onnx/onnxref's) within 1e-5
  check.py torch DIR                PyTorch's avg_pool2d(count_include_pad=False) and max_pool2d
                                    on the pool_borders input must equal the expected outputs

Needs python3-onnx, python3-numpy and, for "torch", python3-torch. Exit status 1 on any failure.
"""
import json
import os
import sys

import numpy as np

TOL = 1e-5


def structure(files):
    import onnx
    from onnx import shape_inference
    ok = True
    for f in files:
        try:
            m = onnx.load(f)
            onnx.checker.check_model(m, full_check=True)
            inf = shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
            declared = {o.name: o.type for o in m.graph.output}
            for o in inf.graph.output:
                if o.type != declared[o.name]:
                    raise ValueError("inferred type of %s differs from the declared one" % o.name)
            # every intermediate value must have an inferred shape
            missing = [n.output[0] for n in m.graph.node
                       if n.output[0] not in {v.name for v in inf.graph.value_info} | set(declared)]
            if missing:
                raise ValueError("no inferred shape for %s" % missing)
            print("PASS structure %s (ir %d, opset %s, %d nodes)" % (
                os.path.basename(f), m.ir_version, [(o.domain, o.version) for o in m.opset_import], len(m.graph.node)))
        except Exception as e:  # noqa: BLE001 - report and go on
            ok = False
            print("FAIL structure %s: %s" % (f, e))
    return ok


def compare(d, suffix):
    ok = True
    for case in json.load(open(os.path.join(d, "manifest.json"))):
        for out in case["outputs"]:
            want = np.load(os.path.join(d, case["name"] + ".expected", out + ".npy"))
            got = np.load(os.path.join(d, case["name"] + "." + suffix, out + ".npy"))
            if got.shape != want.shape:
                ok = False
                print("FAIL %s %s/%s: shape %s, expected %s" % (suffix, case["name"], out, got.shape, want.shape))
                continue
            diff = float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0
            good = diff <= TOL
            ok &= good
            print("%s %s %s/%s %s max|diff| %.3g" % ("PASS" if good else "FAIL", suffix, case["name"], out, list(want.shape), diff))
    return ok


def torch_pools(d):
    import torch
    import torch.nn.functional as F
    x = torch.from_numpy(np.load(os.path.join(d, "pool_borders.input.npy")))
    case = [c for c in json.load(open(os.path.join(d, "manifest.json"))) if c["name"] == "pool_borders"][0]
    avg_name, max_name = case["outputs"]
    ok = True
    for name, got in [(avg_name, F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)),
                      (max_name, F.max_pool2d(x, 3, stride=2, padding=1))]:
        want = np.load(os.path.join(d, "pool_borders.expected", name + ".npy"))
        diff = float(np.max(np.abs(got.numpy().astype(np.float64) - want)))
        good = got.shape == want.shape and diff <= TOL
        ok &= good
        print("%s torch %s %s max|diff| %.3g" % ("PASS" if good else "FAIL", name, list(want.shape), diff))
    # The same windows with count_include_pad=True must differ at the borders,
    # or the test above would not tell the two semantics apart.
    incl = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=True).numpy()
    want = np.load(os.path.join(d, "pool_borders.expected", avg_name + ".npy"))
    if np.max(np.abs(incl - want)) <= TOL:
        ok = False
        print("FAIL torch: count_include_pad=True gives the same result; the test cannot tell them apart")
    else:
        print("PASS torch: count_include_pad=True differs at the borders (max %.3g), as it should" % np.max(np.abs(incl - want)))
    print("torch", torch.__version__)
    return ok


def main(argv):
    if len(argv) >= 2 and argv[0] == "structure":
        ok = structure(argv[1:])
    elif len(argv) == 3 and argv[0] == "compare":
        ok = compare(argv[1], argv[2])
    elif len(argv) == 2 and argv[0] == "torch":
        ok = torch_pools(argv[1])
    else:
        print(__doc__)
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
