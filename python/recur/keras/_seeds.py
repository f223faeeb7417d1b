"""Seeds for weights, dropout and shuffling: keras.utils.set_random_seed makes every later
model and fit reproducible; without it each run draws fresh seeds, as Keras does."""
from __future__ import annotations

import os
from typing import Optional

_base: Optional[int] = None
_count = 0


def set_seed(seed: int) -> None:
    global _base, _count
    _base, _count = int(seed), 0


def next_seed() -> int:
    """A 63-bit seed: the next of the set_random_seed stream, or a fresh random one."""
    global _count
    if _base is None:
        return int.from_bytes(os.urandom(8), "little") >> 1
    _count += 1
    z = (_base * 0x9E3779B97F4A7C15 + _count * 0xBF58476D1CE4E5B9) & (2**64 - 1)
    z ^= z >> 31
    return z >> 1
