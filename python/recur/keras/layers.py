"""Keras's layers, as recur runs them: the same names, arguments, defaults and weights.

A layer here describes what to build; its weights live in the model it belongs to (one
parameter block in the C library), so ``layer.get_weights()`` reads them there. The
recurrent layers can also be called on NumPy arrays by themselves, as Keras layers are
called eagerly: ``out, h, c = LSTM(8, return_state=True)(x)``.
"""
from __future__ import annotations

import ctypes
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from .. import _lib as L
from .._errors import check
from ._args import activation_name, check_unsupported

_RNN_ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear", "hard_sigmoid")
_DENSE_ACTIVATIONS = _RNN_ACTIVATIONS + ("softmax",)

_name_counts: dict = {}


def _unique_name(stem: str) -> str:
    """Keras's default layer names: lstm, lstm_1, lstm_2, ... per Python session."""
    n = _name_counts.get(stem, 0)
    _name_counts[stem] = n + 1
    return stem if n == 0 else f"{stem}_{n}"


def _shape_tuple(shape: Any, owner: str) -> Tuple[Optional[int], ...]:
    if isinstance(shape, int):
        shape = (shape,)
    try:
        out = tuple(None if d is None else int(d) for d in shape)
    except TypeError:
        raise TypeError(f"{owner}: shape must be a tuple of ints, got {shape!r}") from None
    if any(d is not None and d < 1 for d in out):
        raise ValueError(f"{owner}: every dimension of shape must be >= 1, got {shape!r}")
    return out


class InputSpec:
    """What ``keras.Input(shape=...)`` gives: the shape of one sample (without the batch)."""

    def __init__(self, shape: Sequence[Optional[int]], batch_size: Optional[int] = None,
                 name: Optional[str] = None):
        self.shape = (batch_size,) + _shape_tuple(shape, "Input")
        self.name = name or _unique_name("input_layer")
        self.batch_size = batch_size

    def __repr__(self) -> str:
        return f"<InputSpec shape={self.shape}, name={self.name}>"


def Input(shape: Optional[Sequence[Optional[int]]] = None, batch_size: Optional[int] = None,
          dtype: Any = None, sparse: Optional[bool] = None,
          batch_shape: Optional[Sequence[Optional[int]]] = None, name: Optional[str] = None,
          tensor: Any = None, optional: bool = False) -> InputSpec:
    """keras.Input: the input of a Sequential model. recur models take sequences:
    (timesteps, features), or (timesteps,) of token ids before an Embedding."""
    if sparse or tensor is not None or optional:
        raise NotImplementedError("Input: sparse, tensor and optional are not supported by recur")
    if batch_shape is not None:
        batch_size, shape = batch_shape[0], batch_shape[1:]
    if shape is None:
        raise ValueError("Input: give shape (or batch_shape)")
    return InputSpec(shape, batch_size, name)


class Layer:
    """The part every layer shares: its name, its model and its weights there."""

    _stem = "layer"

    def __init__(self, name: Optional[str] = None, input_shape: Any = None, **kwargs: Any):
        # Keras's other ways to give the input: input_dim (the features; the steps then
        # come from the data), batch_input_shape and batch_size (the batch is not fixed
        # here: a stateful layer takes it from its first call)
        input_dim = kwargs.pop("input_dim", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        kwargs.pop("batch_size", None)
        if input_shape is None and batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        if input_shape is None and input_dim is not None:
            input_shape = (None, input_dim)
        check_unsupported(type(self).__name__, kwargs, {})
        self.name = name or _unique_name(self._stem)
        self._input_shape = None if input_shape is None else _shape_tuple(input_shape,
                                                                           self.name)
        self._model = None            # the Sequential this layer is in
        self._first_weight = 0        # index of its first weight in the model's list
        self._pending: Optional[List[np.ndarray]] = None   # weights to set once built

    # -- what subclasses define ------------------------------------------------------------
    def _add(self, handle) -> None:
        raise NotImplementedError

    def _weight_count(self) -> int:
        return 0

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": True, "dtype": "float32"}

    # -- weights ---------------------------------------------------------------------------
    @property
    def built(self) -> bool:
        return self._model is not None and self._model._handle is not None

    @property
    def weights(self) -> List[np.ndarray]:
        return self.get_weights()

    def get_weights(self) -> List[np.ndarray]:
        if not self.built:
            return [w.copy() for w in self._pending] if self._pending else []
        return [self._model._get_weight(self._first_weight + i)
                for i in range(self._weight_count())]

    def set_weights(self, weights: Sequence[Any]) -> None:
        if len(weights) != self._weight_count():
            raise ValueError(f"{self.name}: expected {self._weight_count()} weights, "
                             f"got {len(weights)}")
        if not self.built:
            self._pending = [np.array(w, dtype=np.float32) for w in weights]
            return
        for i, w in enumerate(weights):
            self._model._set_weight(self._first_weight + i, w, self.name)

    def count_params(self) -> int:
        return int(sum(w.size for w in self.get_weights()))

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        config = {k: v for k, v in config.items() if k not in ("trainable", "dtype")}
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


# ---- recurrent layers -----------------------------------------------------------------------

class _Recurrent(Layer):
    _cell = ""
    _gates = 1
    _keras_defaults = {"kernel_initializer": "glorot_uniform",
                       "recurrent_initializer": "orthogonal", "bias_initializer": "zeros",
                       "kernel_regularizer": None, "recurrent_regularizer": None,
                       "bias_regularizer": None, "activity_regularizer": None,
                       "kernel_constraint": None, "recurrent_constraint": None,
                       "bias_constraint": None, "seed": None, "time_major": False}

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False,
                 zero_output_for_mask: bool = False, name: Optional[str] = None,
                 input_shape: Any = None, **kwargs: Any):
        owner = type(self).__name__
        own = {k: kwargs.pop(k) for k in list(kwargs) if k in self._keras_defaults}
        check_unsupported(owner, own, self._keras_defaults)
        super().__init__(name=name, input_shape=input_shape, **kwargs)
        if not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"{owner}: units must be a positive integer, got {units!r}")
        for key, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0.0 <= float(rate) < 1.0:
                raise ValueError(f"{owner}: {key} must be in [0, 1), got {rate!r}")
        self.units = int(units)
        self.activation = activation_name(activation, owner, _RNN_ACTIVATIONS)
        self.use_bias = bool(use_bias)
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful = bool(go_backwards), bool(stateful)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.recurrent_activation = "sigmoid"
        self.unit_forget_bias = True
        self.reset_after = True
        self._eager = None              # the standalone layer of eager calls

    def _opts(self) -> L.RnnOpts:
        o = L.RnnOpts()
        o.activation = L.ACT[self.activation]
        o.recurrent_activation = L.ACT[self.recurrent_activation]
        o.return_sequences = self.return_sequences
        o.go_backwards = self.go_backwards
        o.no_bias = not self.use_bias
        o.reset_before = not self.reset_after
        o.no_unit_forget_bias = not self.unit_forget_bias
        o.zero_output_for_mask = self.zero_output_for_mask
        o.dropout, o.recurrent_dropout = self.dropout, self.recurrent_dropout
        o.stateful = self.stateful
        return o

    def _add(self, handle) -> None:
        if self.return_state:
            raise NotImplementedError(
                f"{self.name}: return_state=True gives several outputs, which a Sequential "
                "model cannot pass on (as in Keras); call the layer on an array instead")
        o = self._opts()
        add = getattr(L.lib, f"recur_model_add_{self._cell}_sized")
        check(add(handle, self.units, ctypes.byref(o), ctypes.sizeof(o)))

    def _weight_count(self) -> int:
        return 3 if self.use_bias else 2

    def get_config(self) -> dict:
        c = super().get_config()
        c.update(units=self.units, activation=self.activation, use_bias=self.use_bias,
                 dropout=self.dropout, recurrent_dropout=self.recurrent_dropout,
                 return_sequences=self.return_sequences, return_state=self.return_state,
                 go_backwards=self.go_backwards, stateful=self.stateful)
        return c

    def __call__(self, inputs: Any, initial_state: Any = None, mask: Any = None,
                 training: Optional[bool] = None):
        """Run the layer on a batch [B, T, F] of NumPy data, as a Keras layer called eagerly:
        the outputs, then the final states with return_state. Inference only (dropout off)."""
        from ._eager import call_recurrent
        return call_recurrent(self, inputs, initial_state, mask)


class SimpleRNN(_Recurrent):
    """keras.layers.SimpleRNN."""
    _cell, _stem, _gates = "simple_rnn", "simple_rnn", 1


class LSTM(_Recurrent):
    """keras.layers.LSTM: gates i, f, c, o; kernel [F, 4H], recurrent_kernel [H, 4H],
    bias [4H]."""
    _cell, _stem, _gates = "lstm", "lstm", 4

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 unit_forget_bias: bool = True, **kwargs: Any):
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        self.recurrent_activation = activation_name(recurrent_activation, "LSTM",
                                                    _RNN_ACTIVATIONS)
        self.unit_forget_bias = bool(unit_forget_bias)

    def get_config(self) -> dict:
        c = super().get_config()
        c.update(recurrent_activation=self.recurrent_activation,
                 unit_forget_bias=self.unit_forget_bias)
        return c


class GRU(_Recurrent):
    """keras.layers.GRU: gates z, r, h; with reset_after (the default) bias is [2, 3H]."""
    _cell, _stem, _gates = "gru", "gru", 3

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 reset_after: bool = True, **kwargs: Any):
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)
        self.recurrent_activation = activation_name(recurrent_activation, "GRU",
                                                    _RNN_ACTIVATIONS)
        self.reset_after = bool(reset_after)

    def get_config(self) -> dict:
        c = super().get_config()
        c.update(recurrent_activation=self.recurrent_activation, reset_after=self.reset_after)
        return c


# ---- the other layers -----------------------------------------------------------------------

class Dense(Layer):
    """keras.layers.Dense; on a sequence it applies to every step, as in Keras."""
    _stem = "dense"
    _keras_defaults = {"use_bias": True, "kernel_initializer": "glorot_uniform",
                       "bias_initializer": "zeros", "kernel_regularizer": None,
                       "bias_regularizer": None, "activity_regularizer": None,
                       "kernel_constraint": None, "bias_constraint": None, "lora_rank": None,
                       "lora_alpha": None}

    def __init__(self, units: int, activation: Any = None, name: Optional[str] = None,
                 input_shape: Any = None, **kwargs: Any):
        own = {k: kwargs.pop(k) for k in list(kwargs) if k in self._keras_defaults}
        check_unsupported("Dense", own, self._keras_defaults)
        super().__init__(name=name, input_shape=input_shape, **kwargs)
        if not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = activation_name(activation, "Dense", _DENSE_ACTIVATIONS)

    def _add(self, handle) -> None:
        check(L.lib.recur_model_add_dense(handle, self.units, L.ACT[self.activation]))

    def _weight_count(self) -> int:
        return 2

    def get_config(self) -> dict:
        c = super().get_config()
        c.update(units=self.units, activation=self.activation, use_bias=True)
        return c


class TimeDistributed(Layer):
    """keras.layers.TimeDistributed(Dense(...)): the Dense on every time step."""
    _stem = "time_distributed"

    def __init__(self, layer: Layer, name: Optional[str] = None, **kwargs: Any):
        super().__init__(name=name, **kwargs)
        if not isinstance(layer, Dense):
            raise NotImplementedError("TimeDistributed: recur wraps only Dense layers, got "
                                      f"{type(layer).__name__}")
        self.layer = layer

    def _add(self, handle) -> None:
        self.layer._add(handle)

    def _weight_count(self) -> int:
        return 2

    def get_config(self) -> dict:
        c = super().get_config()
        c["layer"] = {"class_name": "Dense", "config": self.layer.get_config()}
        return c


class Embedding(Layer):
    """keras.layers.Embedding: token ids (whole numbers in [0, input_dim)) to vectors;
    mask_zero makes id 0 padding and masks it for the layers after."""
    _stem = "embedding"
    _keras_defaults = {"embeddings_initializer": "uniform", "embeddings_regularizer": None,
                       "embeddings_constraint": None, "activity_regularizer": None,
                       "weights": None, "lora_rank": None, "lora_alpha": None,
                       "sparse": False}

    def __init__(self, input_dim: int, output_dim: int, mask_zero: bool = False,
                 input_length: Optional[int] = None, name: Optional[str] = None,
                 input_shape: Any = None, **kwargs: Any):
        own = {k: kwargs.pop(k) for k in list(kwargs) if k in self._keras_defaults}
        check_unsupported("Embedding", own, self._keras_defaults)
        if input_shape is None and input_length is not None:
            input_shape = (input_length,)
        super().__init__(name=name, input_shape=input_shape, **kwargs)
        if int(input_dim) < 1 or int(output_dim) < 1:
            raise ValueError("Embedding: input_dim and output_dim must be >= 1")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.mask_zero = bool(mask_zero)

    def _add(self, handle) -> None:
        check(L.lib.recur_model_add_embedding(handle, self.input_dim, self.output_dim,
                                              self.mask_zero))

    def _weight_count(self) -> int:
        return 1

    def get_config(self) -> dict:
        c = super().get_config()
        c.update(input_dim=self.input_dim, output_dim=self.output_dim, mask_zero=self.mask_zero)
        return c


class Masking(Layer):
    """keras.layers.Masking: a step whose features all equal mask_value is skipped."""
    _stem = "masking"

    def __init__(self, mask_value: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)

    def _add(self, handle) -> None:
        check(L.lib.recur_model_add_masking(handle, self.mask_value))

    def get_config(self) -> dict:
        c = super().get_config()
        c["mask_value"] = self.mask_value
        return c


class Dropout(Layer):
    """keras.layers.Dropout(rate): training only."""
    _stem = "dropout"

    def __init__(self, rate: float, noise_shape: Any = None, seed: Optional[int] = None,
                 **kwargs: Any):
        check_unsupported("Dropout", {"noise_shape": noise_shape}, {"noise_shape": None})
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.seed = seed   # the draws come from the model's seed (recur_model_set_seed)

    def _add(self, handle) -> None:
        check(L.lib.recur_model_add_dropout(handle, self.rate))

    def get_config(self) -> dict:
        c = super().get_config()
        c["rate"] = self.rate
        return c


class GlobalAveragePooling1D(Layer):
    """keras.layers.GlobalAveragePooling1D: the mean over the real (unmasked) steps."""
    _stem = "global_average_pooling1d"

    def __init__(self, data_format: str = "channels_last", keepdims: bool = False,
                 **kwargs: Any):
        check_unsupported("GlobalAveragePooling1D",
                          {"data_format": data_format, "keepdims": keepdims},
                          {"data_format": "channels_last", "keepdims": False})
        super().__init__(**kwargs)

    def _add(self, handle) -> None:
        check(L.lib.recur_model_add_global_average_pooling1d(handle))


class GlobalMaxPooling1D(GlobalAveragePooling1D):
    """keras.layers.GlobalMaxPooling1D: the maximum over every step (no mask, as Keras)."""
    _stem = "global_max_pooling1d"

    def _add(self, handle) -> None:
        check(L.lib.recur_model_add_global_max_pooling1d(handle))


class Bidirectional(Layer):
    """keras.layers.Bidirectional(layer, merge_mode): a forward and a backward copy."""
    _stem = "bidirectional"

    def __init__(self, layer: _Recurrent, merge_mode: Optional[str] = "concat",
                 weights: Any = None, backward_layer: Any = None, **kwargs: Any):
        check_unsupported("Bidirectional", {"weights": weights, "backward_layer": backward_layer},
                          {"weights": None, "backward_layer": None})
        super().__init__(**kwargs)
        if not isinstance(layer, _Recurrent):
            raise TypeError("Bidirectional: the layer must be SimpleRNN, LSTM or GRU, got "
                            f"{type(layer).__name__}")
        if merge_mode not in L.MERGE:
            raise NotImplementedError(f"Bidirectional: merge_mode={merge_mode!r} is not "
                                      "supported by recur (concat, sum, mul, ave)")
        if layer.go_backwards or layer.return_state:
            raise NotImplementedError("Bidirectional: the wrapped layer must not have "
                                      "go_backwards or return_state")
        self.layer, self.merge_mode = layer, merge_mode

    def _add(self, handle) -> None:
        o = self.layer._opts()
        check(L.lib.recur_model_add_bidirectional_sized(handle, L.CELL[self.layer._cell],
                                                        self.layer.units, ctypes.byref(o),
                                                        L.MERGE[self.merge_mode],
                                                        ctypes.sizeof(o)))

    def _weight_count(self) -> int:
        return 2 * self.layer._weight_count()

    def get_config(self) -> dict:
        c = super().get_config()
        c.update(merge_mode=self.merge_mode,
                 layer={"class_name": type(self.layer).__name__,
                        "config": self.layer.get_config()})
        return c


__all__ = ["Input", "InputSpec", "Layer", "SimpleRNN", "LSTM", "GRU", "Dense",
           "TimeDistributed", "Embedding", "Masking", "Dropout", "Bidirectional",
           "GlobalAveragePooling1D", "GlobalMaxPooling1D"]


def __getattr__(name: str):
    """A Keras layer recur lacks (Conv1D, Flatten, ...): the error says which it has."""
    message = f"module 'recur.keras.layers' has no attribute {name!r}"
    if name[:1].isupper():
        layers = [n for n in __all__ if n not in ("Input", "InputSpec", "Layer")]
        message += (f": recur does not implement the Keras layer {name}; its layers are "
                    f"{', '.join(layers)}")
    raise AttributeError(message)
