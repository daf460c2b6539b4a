#!/usr/bin/python3
"""Writes the numpy-made fixtures that npy_test.go compares against.

Run with Debian's /usr/bin/python3 (python3-numpy) from export/npy:
    /usr/bin/python3 testdata/gen_fixtures.py
Each array's values are 0.5*i - 1 for i = 0..n-1 (exact in float32), so the
Go test can recompute them.
"""
import numpy as np

def vals(shape):
    n = int(np.prod(shape, dtype=np.int64))
    return (np.arange(n, dtype=np.float32) * np.float32(0.5) - np.float32(1)).reshape(shape)

cases = {
    "f4_2x3": (2, 3),
    "f4_scalar": (),
    "f4_empty": (0,),
    "f4_vec5": (5,),
    "f4_nchw": (2, 1, 3, 4),
    "f4_8d": (1, 2, 1, 2, 1, 2, 1, 2),
    "f4_wide": (1234567890, 0),  # a long first dimension, zero elements
    "f4_pad64": (0,) + (10,) * 9 + (100,),  # header ends on a 64-byte boundary: numpy pads 64 more
}
for name, shape in cases.items():
    np.save("testdata/%s.npy" % name, vals(shape))

# Files the reader must reject (or, for v2.0, accept).
np.save("testdata/bad_f8.npy", np.arange(3, dtype=np.float64))
np.save("testdata/bad_fortran.npy", np.asfortranarray(vals((2, 3))))
np.save("testdata/bad_be.npy", vals((3,)).astype(">f4"))
with open("testdata/f4_v2.npy", "wb") as f:
    np.lib.format.write_array(f, vals((2, 3)), version=(2, 0))
print("numpy", np.__version__)
