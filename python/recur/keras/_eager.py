"""A recurrent layer called by itself on NumPy data (Keras's eager layer call), through the
C library's layer API (recur_rnn_*), in inference mode."""
from __future__ import annotations

import ctypes
from typing import Any, List

import numpy as np

from .. import _lib as L
from .._arrays import as_float32, pointer, uint8_pointer
from .._errors import check
from . import _seeds


def _initial_weights(layer, features: int) -> List[np.ndarray]:
    """Keras's initializers: glorot_uniform kernel, orthogonal recurrent kernel, zero bias
    (LSTM: forget gate 1)."""
    rng = np.random.default_rng(_seeds.next_seed())
    G, H = layer._gates, layer.units
    limit = np.sqrt(6.0 / (features + G * H))
    kernel = rng.uniform(-limit, limit, (features, G * H))
    q, r = np.linalg.qr(rng.normal(size=(G * H, H)))
    recurrent = (q * np.sign(np.diag(r))).T            # [H, G·H], orthonormal rows
    weights = [kernel, recurrent]
    if layer.use_bias:
        bias = np.zeros((2, G * H) if layer._cell == "gru" and layer.reset_after else G * H)
        if layer._cell == "lstm" and layer.unit_forget_bias:
            bias[H:2 * H] = 1.0
        weights.append(bias)
    return [w.astype(np.float32) for w in weights]


def _standalone(layer, features: int):
    """The layer's own recur_rnn, created on the first call (and for a new feature count)."""
    if layer._eager is not None and layer._eager[0] == features:
        return layer._eager[1]
    cfg = L.RnnConfig(cell=L.CELL[layer._cell], input_size=features, units=layer.units,
                      activation=L.ACT[layer.activation],
                      recurrent_activation=L.ACT[layer.recurrent_activation],
                      no_bias=not layer.use_bias, reset_before=not layer.reset_after,
                      go_backwards=layer.go_backwards,
                      zero_output_for_mask=layer.zero_output_for_mask)
    handle = L.rnn_p()
    check(L.lib.recur_rnn_create_sized(ctypes.byref(cfg), ctypes.sizeof(cfg),
                                       ctypes.byref(handle)))
    check(L.lib.recur_rnn_set_inference(handle, True))
    layer._eager = (features, _RnnHandle(handle))
    return layer._eager[1]


class _RnnHandle:
    """Frees the C layer with its Python owner."""

    def __init__(self, handle):
        self.handle = handle

    def __del__(self):
        if self.handle:
            L.lib.recur_rnn_free(self.handle)
            self.handle = None


def _states(layer, initial_state: Any, batch: int):
    n = 2 if layer._cell == "lstm" else 1
    if initial_state is None:
        return [None] * 2
    if isinstance(initial_state, np.ndarray) and n == 1:
        initial_state = [initial_state]
    states = [as_float32(s, f"{layer.name}: initial_state") for s in initial_state]
    if len(states) != n or any(s.shape != (batch, layer.units) for s in states):
        raise ValueError(f"{layer.name}: initial_state must be {n} array(s) of shape "
                         f"({batch}, {layer.units})")
    return states + [None] * (2 - n)


def call_recurrent(layer, inputs: Any, initial_state: Any, mask: Any):
    if layer.stateful:
        raise NotImplementedError(f"{layer.name}: a stateful layer runs inside a model")
    x = as_float32(inputs, f"{layer.name}: inputs")
    if x.ndim != 3:
        raise ValueError(f"{layer.name}: inputs must be [batch, timesteps, features], got "
                         f"shape {x.shape}")
    B, T, F = x.shape
    weights = layer.get_weights()
    if not weights:
        weights = layer._pending = _initial_weights(layer, F)
    if weights[0].shape[0] != F:
        raise ValueError(f"{layer.name}: built for {weights[0].shape[0]} features, got {F}")
    rnn = _standalone(layer, F).handle
    w = [as_float32(a, layer.name) for a in weights]
    check(L.lib.recur_rnn_set_weights(rnn, pointer(w[0]), pointer(w[1]),
                                      pointer(w[2]) if len(w) > 2 else None))
    h0, c0 = _states(layer, initial_state, B)
    m = None
    if mask is not None:
        m = np.ascontiguousarray(np.asarray(mask).astype(bool), dtype=np.uint8)
        if m.shape != (B, T):
            raise ValueError(f"{layer.name}: mask must have shape ({B}, {T}), got {m.shape}")
    H = layer.units
    y = np.empty((B, T, H), np.float32) if layer.return_sequences else None
    h = np.empty((B, H), np.float32)
    c = np.empty((B, H), np.float32) if layer._cell == "lstm" else None
    check(L.lib.recur_rnn_forward_masked(rnn, B, T, pointer(x),
                                         None if m is None else uint8_pointer(m),
                                         pointer(h0), pointer(c0), pointer(y), pointer(h),
                                         pointer(c)))
    out = y if layer.return_sequences else h.copy()
    if not layer.return_state:
        return out
    return [out, h] + ([c] if c is not None else [])
