"""NumPy arrays at the border: what passes without a copy, what is converted and how.

A C-contiguous float32 array is passed as it is (its memory is read in place). Anything
else that NumPy can turn into a float array (float64, integers, booleans, lists, Fortran
order, slices with strides) is converted once with ``np.ascontiguousarray(x, np.float32)``;
complex numbers, strings and objects are refused with TypeError.
"""
from __future__ import annotations

import ctypes

import numpy as np

from ._lib import c_float_p


def as_float32(x, name: str) -> np.ndarray:
    """x as a C-contiguous float32 array, converted at most once."""
    if isinstance(x, np.ndarray) and x.dtype == np.float32 and x.flags.c_contiguous:
        return x
    a = np.asarray(x)
    if a.dtype == object or a.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected numbers (float32 preferred), got an array of "
                        f"dtype {a.dtype}")
    return np.ascontiguousarray(a, dtype=np.float32)


def pointer(a: np.ndarray | None):
    """A float* to a float32 C-contiguous array (None for NULL)."""
    if a is None:
        return None
    return a.ctypes.data_as(c_float_p)


def uint8_pointer(a: np.ndarray):
    return a.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8))
