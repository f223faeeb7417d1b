"""Writes tests/data/npy/: .npy files made by numpy itself, for tests/test_npy.c.

Every array holds (arange(count) - 5) * 0.5 (floats) or arange(count) - 5 (integers), so
the test knows each value. Run with any numpy (1.24 made the committed files):
    python3 tools/gen_npy_fixtures.py tests/data/npy
"""
import os
import sys

import numpy as np
from numpy.lib import format as npformat


def values(shape, dtype):
    count = int(np.prod(shape))
    base = np.arange(count) - 5
    if np.dtype(dtype).kind == "f":
        base = base * 0.5
    if np.dtype(dtype).kind == "u":
        base = np.arange(count)
    return base.astype(dtype).reshape(shape)


def main(out):
    os.makedirs(out, exist_ok=True)
    plain = {
        "f4_2x3x4": ((2, 3, 4), "<f4"),
        "f8_2x3x4": ((2, 3, 4), "<f8"),
        "f4be_2x3x4": ((2, 3, 4), ">f4"),
        "i1_3x4": ((3, 4), "i1"),
        "u1_3x4": ((3, 4), "u1"),
        "i2be_3x4": ((3, 4), ">i2"),
        "i8_3x4": ((3, 4), "<i8"),
        "f4_7": ((7,), "<f4"),
        "f4_2x3": ((2, 3), "<f4"),
    }
    for name, (shape, dtype) in plain.items():
        np.save(os.path.join(out, name + ".npy"), values(shape, dtype))
    for version in ((2, 0), (3, 0)):
        with open(os.path.join(out, "f4_2x3x4_v%d.npy" % version[0]), "wb") as f:
            npformat.write_array(f, values((2, 3, 4), "<f4"), version=version)
    np.save(os.path.join(out, "fortran_3x4.npy"), np.asfortranarray(values((3, 4), "<f4")))
    np.save(os.path.join(out, "c8_3.npy"), np.arange(3, dtype=np.complex64))
    np.save(os.path.join(out, "empty_0x3.npy"), np.zeros((0, 3), np.float32))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/npy")
