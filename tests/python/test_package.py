"""The package itself: version, info, errors as exceptions, dtype rules."""
from __future__ import annotations

import numpy as np
import pytest

import recur
from recur import _arrays
from recur.keras.layers import LSTM, Dense
from recur.keras.models import Sequential, load_model


def test_version_and_info():
    assert recur.__version__.count(".") == 2
    info = recur.info()
    for key in ("version", "isa", "threads", "bf16", "keras_files"):
        assert key in info
    assert info["version"] == recur.__version__
    assert info["isa"] in ("scalar", "avx2", "avx512", "neon")
    assert info["threads"] >= 1
    assert info["bf16"] is False


def test_float32_c_contiguous_passes_without_copy():
    x = np.zeros((4, 3, 2), np.float32)
    assert _arrays.as_float32(x, "x") is x


def test_other_dtypes_are_converted_once():
    for x in (np.zeros((4, 3, 2)), np.zeros((4, 3, 2), np.int32), [[[1, 2]]],
              np.zeros((4, 3, 2), np.float32, order="F"), np.zeros((4, 6, 2), np.float32)[:, ::2]):
        a = _arrays.as_float32(x, "x")
        assert a.dtype == np.float32 and a.flags.c_contiguous
    with pytest.raises(TypeError, match="dtype"):
        _arrays.as_float32(np.zeros(3, complex), "x")
    with pytest.raises(TypeError, match="dtype"):
        _arrays.as_float32(np.array(["a"]), "x")


def _model():
    m = Sequential([LSTM(4, input_shape=(5, 2)), Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    return m


def test_library_errors_become_python_exceptions(tmp_path):
    m = _model()
    x = np.zeros((3, 5, 2), np.float32)
    y = np.zeros((3, 1), np.float32)
    x[1, 2, 1] = np.nan
    with pytest.raises(ValueError, match="sample 1, step 2, feature 1") as e:
        m.fit(x, y, verbose=0)
    assert isinstance(e.value, recur.RecurError)
    with pytest.raises(OSError, match="no_such"):
        load_model(str(tmp_path / "no_such.keras"))
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ValueError):
        load_model(str(bad))


def test_state_error_is_runtime_error():
    m = Sequential([LSTM(4, input_shape=(5, 2)), Dense(1)])
    with pytest.raises(RuntimeError, match="compile"):
        m.fit(np.zeros((3, 5, 2)), np.zeros((3, 1)), verbose=0)
