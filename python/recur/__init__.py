"""recur: fast recurrent neural networks on the CPU, with Keras's semantics.

``recur.keras`` runs code written for ``tf.keras`` with one import changed;
``recur.torch`` has drop-in replacements for ``torch.nn.LSTM``, ``GRU`` and ``RNN``.
Both call the C library (librecur) in this package through ctypes.
"""
from __future__ import annotations

from ._errors import (RecurError, RecurFloatingPointError, RecurMemoryError, RecurOSError,
                      RecurStateError, RecurValueError)
from ._lib import lib as _clib

__version__: str = _clib.recur_version().decode()

__all__ = ["__version__", "info", "RecurError", "RecurValueError", "RecurFloatingPointError",
           "RecurStateError", "RecurOSError", "RecurMemoryError"]


def info() -> dict:
    """What this installation runs on: ``version``, ``isa`` (the kernels in use),
    ``threads`` (OpenMP's maximum, set by OMP_NUM_THREADS), ``cpu_features``,
    ``keras_files`` (whether .keras/.h5 reading and writing was built in), ``bf16``
    (bf16 mixed precision is not in this version: always False) and ``library``."""
    return {
        "version": __version__,
        "isa": _clib.recur_isa_name().decode(),
        "threads": int(_clib.omp_get_max_threads()),
        "cpu_features": _clib.recur_cpu_features().decode(),
        "keras_files": _keras_files_built(),
        "bf16": False,
        "library": _clib._name,
    }


def _keras_files_built() -> bool:
    # A library built without HDF5/libzip/jansson says so in every Keras call's message.
    status = _clib.recur_model_load_keras_weights(None, b"")
    return not (status != 0 and b"built without" in _clib.recur_last_error())
