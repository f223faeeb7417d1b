"""Shared fixtures for the Python package's tests (run with pytest after `pip install .`)."""
from __future__ import annotations

import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def read_arrays(path: pathlib.Path):
    """The fixture format of tests/data/*.txt: `case NAME`, `key value...` lines,
    `NAME COUNT v1 v2 ...` arrays, `end`; yields one dict per case."""
    case: dict = {}
    for line in path.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word == "end":
            yield case
            case = {}
        elif word in ("case", "spec", "shape", "compile", "fit", "stateful", "model",
                      "config"):
            case[word] = rest
        else:
            parts = rest.split()
            case[word] = np.array([float(v) for v in parts[1:]], dtype=np.float64)
            assert len(case[word]) == int(parts[0]), (path, word)
    if case:
        yield case
