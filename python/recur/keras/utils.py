"""keras.utils: set_random_seed."""
from __future__ import annotations

from . import _seeds


def set_random_seed(seed: int) -> None:
    """Seed everything recur draws (initial weights, dropout, shuffling) and NumPy's and
    Python's global generators, as keras.utils.set_random_seed does."""
    import random

    import numpy as np
    if not isinstance(seed, int):
        raise ValueError(f"set_random_seed: seed must be an int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    _seeds.set_seed(seed)


__all__ = ["set_random_seed"]
