"""recur.torch.LSTM, GRU and RNN: drop-in replacements for torch.nn's on CPU float32.

The same constructor arguments, parameter names and shapes (a state_dict of torch.nn.LSTM
loads unchanged), forward signature and outputs, PackedSequence inputs included; forward
and backward run in recur's engine (a torch.autograd.Function per layer and direction),
with the GIL released. Threads: OpenMP's (OMP_NUM_THREADS), or ``module.num_threads``.
A module is used by one thread at a time.
"""
from __future__ import annotations

import math
from typing import List, Optional, Tuple, Union

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from .. import _lib as L
from .._errors import check
from ._direction import Direction, run_direction

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(nn.Module):
    """What LSTM, GRU and RNN share: parameters as torch.nn names them, the layers and
    directions, and the forward over them."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if proj_size:
            raise NotImplementedError(f"recur.torch.{name}: proj_size is not supported")
        if device is not None and torch.device(device).type != "cpu":
            raise NotImplementedError(f"recur.torch.{name}: runs on the CPU only, got "
                                      f"device={device!r}")
        if dtype is not None and dtype != torch.float32:
            raise NotImplementedError(f"recur.torch.{name}: computes in float32 only, got "
                                      f"dtype={dtype}")
        if not isinstance(hidden_size, int) or hidden_size < 1:
            raise ValueError("hidden_size must be a positive integer")
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError("num_layers must be a positive integer")
        if not 0 <= float(dropout) <= 1:
            raise ValueError("dropout must be a number in [0, 1]")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, 0
        self.num_threads: Optional[int] = None
        G, D = _GATES[mode], 2 if bidirectional else 1
        self._flat_weights_names: List[str] = []
        self._directions: List[Direction] = []
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else hidden_size * D
            for d in range(D):
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [("weight_ih", (G * hidden_size, in_size)),
                          ("weight_hh", (G * hidden_size, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (G * hidden_size,)), ("bias_hh", (G * hidden_size,))]
                for stem, shape in shapes:
                    self.register_parameter(stem + suffix,
                                            nn.Parameter(torch.empty(shape, dtype=torch.float32)))
                    self._flat_weights_names.append(stem + suffix)
                self._directions.append(Direction(mode, in_size, hidden_size, bias, d == 1))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """As torch.nn: every weight uniform in ±1/sqrt(hidden_size)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            nn.init.uniform_(w, -bound, bound)

    def flatten_parameters(self) -> None:
        """torch.nn's cuDNN hook; nothing to do here."""

    @property
    def all_weights(self) -> List[List[nn.Parameter]]:
        per = 4 if self.bias else 2
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i:i + per]] for i in range(0, len(names), per)]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s

    # ---- forward ---------------------------------------------------------------------------
    def _check_input(self, x: Tensor) -> None:
        name = type(self).__name__
        if x.device.type != "cpu":
            raise NotImplementedError(f"recur.torch.{name}: runs on the CPU only; the input "
                                      f"is on {x.device}")
        if x.dtype != torch.float32:
            raise TypeError(f"recur.torch.{name}: computes in float32; the input is {x.dtype} "
                            "(convert it with .float())")
        if x.dim() not in (2, 3):
            raise ValueError(f"recur.torch.{name}: expected a 2-D (unbatched) or 3-D input, "
                             f"got {x.dim()}-D")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")

    def _states(self, hx, batch: int, unbatched: bool):
        D = 2 if self.bidirectional else 1
        want = (self.num_layers * D, batch, self.hidden_size)
        n = 2 if self.mode == "LSTM" else 1
        if hx is None:
            return [None] * n
        states = list(hx) if self.mode == "LSTM" else [hx]
        if len(states) != n:
            raise ValueError("LSTM expects hx as a tuple (h_0, c_0)")
        out = []
        for s in states:
            if s.dtype != torch.float32 or s.device.type != "cpu":
                raise TypeError("hidden states must be float32 CPU tensors")
            if unbatched:
                s = s.unsqueeze(1)
            if tuple(s.shape) != want:
                raise RuntimeError(f"Expected hidden size {want}, got {tuple(s.shape)}")
            out.append(s)
        return out

    def forward(self, input: Union[Tensor, PackedSequence], hx=None):
        packed = isinstance(input, PackedSequence)
        mask = None
        if packed:
            x, lengths = pad_packed_sequence(input, batch_first=True)
            steps = torch.arange(x.shape[1]).unsqueeze(0)
            mask = (steps < lengths.unsqueeze(1)).to(torch.uint8).contiguous()
            unbatched = False
        else:
            self._check_input(input)
            unbatched = input.dim() == 2
            x = input.unsqueeze(0 if self.batch_first else 1) if unbatched else input
            x = x if self.batch_first else x.transpose(0, 1)
        self._check_input(x)
        x = x.contiguous()                                           # [B, T, F]
        # hx, like the padded batch, is in the caller's order (torch.nn's too, for packed
        # input: it sorts hx with the batch and h_n back)
        states = self._states(hx, x.shape[0], unbatched)
        y, h_n, c_n = self._run(x, mask, states)
        if packed:
            out = pack_padded_sequence(y, lengths, batch_first=True, enforce_sorted=False)
        else:
            out = y if self.batch_first else y.transpose(0, 1).contiguous()
            if unbatched:
                out = out.squeeze(0 if self.batch_first else 1)
                h_n = h_n.squeeze(1)
                c_n = c_n.squeeze(1) if c_n is not None else None
        return (out, (h_n, c_n)) if self.mode == "LSTM" else (out, h_n)

    def _run(self, x: Tensor, mask: Optional[Tensor], states) -> Tuple[Tensor, Tensor,
                                                                      Optional[Tensor]]:
        D = 2 if self.bidirectional else 1
        if self.num_threads:
            for d in self._directions:
                check(L.lib.recur_rnn_set_num_threads(d.handle, int(self.num_threads)))
        names = self._flat_weights_names
        per = 4 if self.bias else 2
        hs, cs, layer_in = [], [], x
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                w = [getattr(self, n) for n in names[k * per:(k + 1) * per]]
                if not self.bias:
                    w += [None, None]
                h0 = None if states[0] is None else states[0][k].contiguous()
                c0 = None if self.mode != "LSTM" or states[1] is None else states[1][k].contiguous()
                y, h, c = run_direction(self._directions[k], layer_in, mask, h0, c0, tuple(w))
                outs.append(y.flip(1) if d == 1 else y)
                hs.append(h)
                cs.append(c)
            layer_in = torch.cat(outs, dim=2) if D == 2 else outs[0]
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = nn.functional.dropout(layer_in, self.dropout, training=True)
        h_n = torch.stack(hs)
        c_n = torch.stack(cs) if self.mode == "LSTM" else None
        return layer_in, h_n, c_n


class LSTM(RNNBase):
    """torch.nn.LSTM on recur's engine."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """torch.nn.GRU on recur's engine (Keras's GRU with reset_after)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)


class RNN(RNNBase):
    """torch.nn.RNN (Elman, tanh or relu) on recur's engine."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0,
                         device, dtype)
        self.nonlinearity = nonlinearity
