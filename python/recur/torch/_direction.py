"""One direction of one layer of a torch-style RNN on recur's engine, and the autograd
Function over it.

Layouts: PyTorch keeps weight_ih [G·H, F], weight_hh [G·H, H] and two biases [G·H]; recur
(Keras) keeps kernel [F, G·H], recurrent_kernel [H, G·H] and one bias [G·H] (GRU: [2, G·H],
input side then recurrent side). LSTM gates are i, f, g, o in both; PyTorch's GRU gates
are r, z, n and Keras's z, r, h, and PyTorch's GRU is Keras's reset_after form. A single
bias is the sum of PyTorch's two, so both receive its gradient.
"""
from __future__ import annotations

import ctypes
from typing import Optional, Tuple

import torch

from .. import _lib as L
from .._errors import check

_CELLS = {"LSTM": (L.CELL["lstm"], 4), "GRU": (L.CELL["gru"], 3),
          "RNN_TANH": (L.CELL["simple_rnn"], 1), "RNN_RELU": (L.CELL["simple_rnn"], 1)}
# Keras gate block k is PyTorch gate block _TORCH_BLOCK[mode][k] (a permutation that is its
# own inverse).
_TORCH_BLOCK = {"LSTM": (0, 1, 2, 3), "GRU": (1, 0, 2), "RNN_TANH": (0,), "RNN_RELU": (0,)}


def _ptr(t: Optional[torch.Tensor]):
    return None if t is None else ctypes.cast(t.data_ptr(), L.c_float_p)


def _gates_to_keras(w: torch.Tensor, mode: str, hidden: int) -> torch.Tensor:
    """Rows of PyTorch gate blocks [G·H, ...] in Keras's gate order."""
    order = _TORCH_BLOCK[mode]
    if order == tuple(range(len(order))):
        return w
    return torch.cat([w[k * hidden:(k + 1) * hidden] for k in order])


class Direction:
    """A recur_rnn for one (layer, direction), with PyTorch's weights converted into it."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, bias: bool,
                 reverse: bool):
        cell, self.gates = _CELLS[mode]
        self.mode, self.hidden, self.bias, self.input_size = mode, hidden_size, bias, input_size
        act = L.ACT["relu"] if mode == "RNN_RELU" else L.ACT["tanh"]
        cfg = L.RnnConfig(cell=cell, input_size=input_size, units=hidden_size, activation=act,
                          recurrent_activation=L.ACT["sigmoid"], no_bias=not bias,
                          reset_before=False, go_backwards=reverse,
                          zero_output_for_mask=True)   # padded steps output 0, as PyTorch pads
        handle = L.rnn_p()
        check(L.lib.recur_rnn_create_sized(ctypes.byref(cfg), ctypes.sizeof(cfg),
                                           ctypes.byref(handle)))
        self.handle = handle
        self.weights_key = None    # the versions of the weights last packed
        self.generation = 0        # forward calls so far; backward needs the last one's

    def __del__(self):
        if getattr(self, "handle", None):
            L.lib.recur_rnn_free(self.handle)
            self.handle = None

    def set_weights(self, w_ih, w_hh, b_ih, b_hh) -> None:
        tensors = [t for t in (w_ih, w_hh, b_ih, b_hh) if t is not None]
        key = tuple((t.data_ptr(), t._version) for t in tensors)
        if key == self.weights_key:
            return
        H = self.hidden
        kernel = _gates_to_keras(w_ih.detach(), self.mode, H).t().contiguous()
        recurrent = _gates_to_keras(w_hh.detach(), self.mode, H).t().contiguous()
        bias = None
        if self.bias:
            bi = _gates_to_keras(b_ih.detach(), self.mode, H)
            bh = _gates_to_keras(b_hh.detach(), self.mode, H)
            bias = (torch.stack([bi, bh]) if self.mode == "GRU" else bi + bh).contiguous()
        check(L.lib.recur_rnn_set_weights(self.handle, _ptr(kernel), _ptr(recurrent),
                                          _ptr(bias)))
        self.weights_key = key

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor], h0, c0, training: bool):
        """x [B, T, F] contiguous float32; y [B, T, H] in processing order."""
        B, T, _ = x.shape
        H = self.hidden
        check(L.lib.recur_rnn_set_inference(self.handle, not training))
        y = x.new_empty((B, T, H))
        h = x.new_empty((B, H))
        c = x.new_empty((B, H)) if self.mode == "LSTM" else None
        m = None if mask is None else ctypes.cast(mask.data_ptr(),
                                                  ctypes.POINTER(ctypes.c_uint8))
        check(L.lib.recur_rnn_forward_masked(self.handle, B, T, _ptr(x), m, _ptr(h0), _ptr(c0),
                                             _ptr(y), _ptr(h), _ptr(c)))
        self.generation += 1
        return y, h, c

    def backward(self, dy, dh, dc, x_shape, want_x: bool, want_h0: bool, want_c0: bool):
        """Gradients; dx only when wanted (input data needs none, and its dX = dG·Wᵀ is a
        GEMM as large as the recurrent one on a wide input)."""
        B, T, F = x_shape
        H, G = self.hidden, self.gates
        check(L.lib.recur_rnn_zero_grads(self.handle))
        dx = dy.new_empty((B, T, F)) if want_x else None
        dh0 = dy.new_empty((B, H)) if want_h0 else None
        dc0 = dy.new_empty((B, H)) if want_c0 else None
        check(L.lib.recur_rnn_backward(self.handle, _ptr(dy), _ptr(dh), _ptr(dc), _ptr(dx),
                                       _ptr(dh0), _ptr(dc0)))
        dkernel = dy.new_empty((F, G * H))
        drecurrent = dy.new_empty((H, G * H))
        dbias = (dy.new_empty((2, G * H)) if self.mode == "GRU" else dy.new_empty((G * H,))) \
            if self.bias else None
        check(L.lib.recur_rnn_get_grads(self.handle, _ptr(dkernel), _ptr(drecurrent),
                                        _ptr(dbias)))
        dw_ih = _gates_to_keras(dkernel.t(), self.mode, H)
        dw_hh = _gates_to_keras(drecurrent.t(), self.mode, H)
        db_ih = db_hh = None
        if self.bias:
            if self.mode == "GRU":
                db_ih, db_hh = (_gates_to_keras(dbias[0], self.mode, H),
                                _gates_to_keras(dbias[1], self.mode, H))
            else:
                db_ih = dbias
                db_hh = dbias.clone()
        return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh


class DirectionFunction(torch.autograd.Function):
    """(x, mask, h0, c0, weights) -> (y, h_n, c_n) through recur's forward and backward."""

    @staticmethod
    def forward(ctx, direction: Direction, x, mask, h0, c0, w_ih, w_hh, b_ih, b_hh):
        direction.set_weights(w_ih, w_hh, b_ih, b_hh)
        y, h, c = direction.forward(x, mask, h0, c0, training=True)
        ctx.direction, ctx.generation = direction, direction.generation
        ctx.save_for_backward(x, mask, h0, c0, w_ih, w_hh, b_ih, b_hh)
        if c is None:                      # not an LSTM: no cell state
            c = h.new_zeros(0)
            ctx.mark_non_differentiable(c)
        return y, h, c

    @staticmethod
    def backward(ctx, dy, dh, dc):
        x, mask, h0, c0, w_ih, w_hh, b_ih, b_hh = ctx.saved_tensors
        d = ctx.direction
        if d.generation != ctx.generation:
            # the layer ran again since (e.g. the module was applied twice): recompute
            d.set_weights(w_ih, w_hh, b_ih, b_hh)
            d.forward(x, mask, h0, c0, training=True)
        dc = dc if d.mode == "LSTM" else None
        grads = d.backward(dy.contiguous(), dh.contiguous(),
                           None if dc is None else dc.contiguous(), tuple(x.shape),
                           ctx.needs_input_grad[1], h0 is not None and ctx.needs_input_grad[3],
                           c0 is not None and ctx.needs_input_grad[4])
        dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh = grads
        return None, dx, None, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh


def run_direction(direction: Direction, x: torch.Tensor, mask: Optional[torch.Tensor],
                  h0: Optional[torch.Tensor], c0: Optional[torch.Tensor],
                  weights: Tuple) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inference without autograd (no_grad, nothing requires grad) skips the saved state."""
    needs_grad = torch.is_grad_enabled() and any(
        t is not None and t.requires_grad for t in (x, h0, c0) + tuple(weights))
    if not needs_grad:
        direction.set_weights(*weights)
        y, h, c = direction.forward(x, mask, h0, c0, training=False)
        return y, h, (c if c is not None else h.new_zeros(0))
    return DirectionFunction.apply(direction, x, mask, h0, c0, *weights)
