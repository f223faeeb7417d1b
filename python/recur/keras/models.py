"""keras.models: Sequential and load_model, over one C model (librecur's recur_model).

Thread-safety: one model is used by one thread at a time (fit, predict, evaluate and the
weight calls share its buffers); different models run in parallel in different threads,
each call releasing the GIL while it computes.
"""
from __future__ import annotations

import ctypes
import os
import sys
import tempfile
import zipfile
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from .. import _lib as L
from .._arrays import as_float32, pointer
from .._errors import check
from . import _seeds
from ._args import check_unsupported
from ._compile import COMPILE_DEFAULTS, COMPILE_SPEED_ONLY, CompileSettings
from ._progbar import Progbar
from .layers import Embedding, InputSpec, Layer, _unique_name

PathLike = Union[str, "os.PathLike[str]"]


def _verbosity(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return int(verbose)


class Sequential:
    """keras.Sequential: a stack of layers, each feeding the next.

    >>> model = Sequential([LSTM(50, activation="relu", input_shape=(100, 1)),
    ...                     Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    >>> history = model.fit(x, y, epochs=10, batch_size=32)
    """

    def __init__(self, layers: Optional[Sequence[Any]] = None, name: Optional[str] = None,
                 trainable: bool = True):
        if not trainable:
            raise NotImplementedError("Sequential: trainable=False is not supported by recur")
        self.name = name or _unique_name("sequential")
        self._layers: List[Layer] = []
        self._input: Optional[tuple] = None      # one sample's shape, as Input gives it
        self._open_length = False                 # the length was declared None
        self._handle: Optional[int] = None
        self._compile: Optional[CompileSettings] = None
        self.stop_training = False
        self.history = None
        for layer in layers or []:
            self.add(layer)

    # ---- building ----------------------------------------------------------------------------
    def add(self, layer: Union[Layer, InputSpec]) -> None:
        """Append a layer (or set the input with keras.Input as the first entry)."""
        if isinstance(layer, InputSpec):
            if self._layers:
                raise ValueError("Sequential: an Input can only come first")
            self._input = layer.shape[1:]
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a layer, got {type(layer).__name__}")
        if layer._model is not None and layer._model is not self:
            raise ValueError(f"{layer.name} is already in model {layer._model.name}")
        if not self._layers and self._input is None and layer._input_shape is not None:
            self._input = layer._input_shape
        self._unbuild()
        self._layers.append(layer)
        layer._model = self

    def pop(self) -> Layer:
        if not self._layers:
            raise TypeError("Sequential.pop: there are no layers in the model")
        self._unbuild()
        layer = self._layers.pop()
        layer._model = None
        return layer

    @property
    def layers(self) -> List[Layer]:
        return list(self._layers)

    def _unbuild(self) -> None:
        """Drop the C model, keeping every layer's weights to put back when it is rebuilt."""
        if self._handle is None:
            return
        for layer in self._layers:
            layer._pending = layer.get_weights() or None
        L.lib.recur_model_free(self._handle)
        self._handle = None

    def _sample_shape(self, x: Optional[np.ndarray]) -> tuple:
        shape = self._input
        if x is not None:
            given = tuple(x.shape[1:])
            if shape is not None and (len(shape) != len(given) or
                                      any(a is not None and a != b
                                          for a, b in zip(shape, given))):
                raise ValueError(f"{self.name}: expected inputs of shape (batch,) + "
                                 f"{shape}, got {x.shape}")
            shape = given
        elif shape and shape[0] is None and all(d is not None for d in shape[1:]) and \
                not self._stateful():
            # an open length before any data: built for one step (no weight depends on the
            # length), copied for the data's length when it comes
            shape = (1,) + tuple(shape[1:])
        if shape is None or any(d is None for d in shape):
            raise ValueError(f"{self.name}: the input shape is not known; give the first "
                             "layer input_shape=..., start with keras.Input(shape=...), or "
                             "call the model on data first")
        token_ids = isinstance(self._layers[0], Embedding) if self._layers else False
        if token_ids and len(shape) != 1:
            raise ValueError(f"{self.name}: an Embedding takes token ids of shape "
                             f"(batch, timesteps), got a sample shape {shape}")
        if not token_ids and len(shape) != 2:
            raise ValueError(f"{self.name}: recur models take sequences: inputs of shape "
                             f"(batch, timesteps, features), got a sample shape {shape}")
        return shape

    def build(self, input_shape: Optional[Sequence[Optional[int]]] = None) -> None:
        """Create the model for inputs of input_shape (with the batch axis, as in Keras)."""
        if input_shape is not None:
            self._input = tuple(input_shape)[1:]
        self._build(None)

    def _build(self, x: Optional[np.ndarray]) -> None:
        if self._handle is not None:
            if x is not None:
                self._follow_length(x)
                self._sample_shape(x)         # checks x against the built shape
            return
        if not self._layers:
            raise ValueError(f"{self.name}: the model has no layers")
        self._open_length = self._input is not None and len(self._input) > 0 and \
            self._input[0] is None
        shape = self._sample_shape(x)
        steps, features = (shape[0], 1) if len(shape) == 1 else shape
        handle = L.model_p()
        check(L.lib.recur_model_create(steps, features, ctypes.byref(handle)))
        try:
            first = 0
            # names for summary and Keras files; one the C library cannot store (a space,
            # a slash) leaves Keras's default there, the Python name unchanged
            L.lib.recur_model_set_name(handle, -1, self.name.encode())
            for i, layer in enumerate(self._layers):
                layer._add(handle)
                L.lib.recur_model_set_name(handle, i, layer.name.encode())
                layer._first_weight = first
                first += layer._weight_count()
            check(L.lib.recur_model_set_seed(handle, _seeds.next_seed()))
            # Keras files and summary show an open length as None
            check(L.lib.recur_model_set_length_open(handle, self._open_length))
            settings = self._compile or CompileSettings("rmsprop", "mse", None)
            o = settings.options()
            check(L.lib.recur_model_compile_sized(handle, ctypes.byref(o), ctypes.sizeof(o)))
        except BaseException:
            L.lib.recur_model_free(handle)
            raise
        self._handle = handle.value
        self._input = shape
        for layer in self._layers:
            if layer._pending:
                pending, layer._pending = layer._pending, None
                layer.set_weights(pending)

    def _stateful(self) -> bool:
        return any(getattr(layer, "stateful", False) or
                   getattr(getattr(layer, "layer", None), "stateful", False)
                   for layer in self._layers)

    def _follow_length(self, x: np.ndarray) -> None:
        """An input length declared None follows the data, as in Keras: sequences of
        another length get the C model copied for that length, weights, optimizer state and
        step count included (recur_model_with_timesteps)."""
        given = tuple(x.shape[1:])
        if not self._open_length or len(given) != len(self._input) or \
                given[1:] != self._input[1:] or given[0] == self._input[0]:
            return
        if self._stateful():
            raise ValueError(f"{self.name}: a stateful model keeps the sequence length it was "
                             f"built for ({self._input[0]}), got {given[0]}")
        copy = L.model_p()
        check(L.lib.recur_model_with_timesteps(self._handle, given[0], ctypes.byref(copy)))
        L.lib.recur_model_free(self._handle)
        self._handle = copy.value
        self._input = given

    @property
    def built(self) -> bool:
        return self._handle is not None

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None:
            L.lib.recur_model_free(handle)
            self._handle = None

    # ---- compile -----------------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None,
                metrics: Optional[Sequence[Any]] = None, **kwargs: Any) -> None:
        """Keras's compile: optimizer, loss and metrics as strings or objects. Compiling
        again keeps the weights and starts the optimizer afresh, as in Keras."""
        own = {k: v for k, v in kwargs.items() if k not in COMPILE_SPEED_ONLY}
        check_unsupported("compile", {k: v for k, v in own.items()}, COMPILE_DEFAULTS)
        settings = CompileSettings(optimizer, loss, metrics)
        self._compile = settings
        settings.optimizer._bind(self)
        if self._handle is not None:
            o = settings.options()
            check(L.lib.recur_model_compile_sized(self._handle, ctypes.byref(o),
                                                  ctypes.sizeof(o)))

    @property
    def optimizer(self):
        return None if self._compile is None else self._compile.optimizer

    @property
    def metrics_names(self) -> List[str]:
        if self._compile is None:
            return []
        return ["loss"] + self._compile.names_in_given_order()

    def _require_compiled(self, what: str) -> CompileSettings:
        if self._compile is None or self._compile.loss is None:
            raise RuntimeError(f"You must call compile() with a loss before using {what}")
        return self._compile

    # ---- data --------------------------------------------------------------------------------
    def _inputs(self, x: Any, what: str) -> np.ndarray:
        if x is None:
            raise ValueError(f"{what}: x is required")
        a = as_float32(x, f"{what}: x")
        if a.ndim < 2:
            raise ValueError(f"{what}: x must have a batch axis and a sample shape, got shape "
                             f"{a.shape}")
        self._build(a)
        if a.shape[0] > 2**31 - 1:
            raise ValueError(f"{what}: at most 2**31 - 1 samples per call")
        return a

    def _output_shape(self) -> tuple:
        steps, features = ctypes.c_int(), ctypes.c_int()
        check(L.lib.recur_model_output_shape(self._handle, ctypes.byref(steps),
                                             ctypes.byref(features)))
        return (steps.value, features.value) if steps.value else (features.value,)

    def _targets(self, y: Any, n: int, what: str) -> np.ndarray:
        if y is None:
            raise ValueError(f"{what}: y is required")
        t = as_float32(y, f"{what}: y")
        out = self._output_shape()
        sparse = self._compile is not None and \
            self._compile.loss == "sparse_categorical_crossentropy"
        want = out[:-1] if sparse else out
        size = int(np.prod(want)) if want else 1
        if t.shape[:1] != (n,) or t.size != n * size:
            shown = want if want else ()
            raise ValueError(f"{what}: y must have shape ({n},) + {shown}"
                             f"{' (class indices)' if sparse else ''} for outputs of shape "
                             f"(batch,) + {out}, got {t.shape}")
        return t

    # ---- fit, evaluate, predict --------------------------------------------------------------
    def fit(self, x: Any = None, y: Any = None, batch_size: Optional[int] = None,
            epochs: int = 1, verbose: Any = "auto", callbacks: Optional[list] = None,
            validation_split: float = 0.0, validation_data: Any = None,
            shuffle: bool = True, initial_epoch: int = 0, **kwargs: Any):
        """Keras's fit on NumPy arrays; returns the History. Ctrl-C stops after the current
        batch (the model keeps every step taken) and raises KeyboardInterrupt."""
        from ._training import run_fit
        return run_fit(self, x, y, batch_size, epochs, verbose, callbacks, validation_split,
                       validation_data, shuffle, initial_epoch, kwargs)

    def evaluate(self, x: Any = None, y: Any = None, batch_size: Optional[int] = None,
                 verbose: Any = "auto", sample_weight: Any = None, steps: Any = None,
                 callbacks: Any = None, return_dict: bool = False, **kwargs: Any):
        """The loss (and metrics) on x, y: a float, [loss, *metrics] in compile's order, or a
        dict with return_dict."""
        check_unsupported("evaluate", dict(kwargs, sample_weight=sample_weight, steps=steps,
                                           callbacks=callbacks),
                          {"sample_weight": None, "steps": None, "callbacks": None})
        settings = self._require_compiled("evaluate")
        xa = self._inputs(x, "evaluate")
        ya = self._targets(y, xa.shape[0], "evaluate")
        bs = int(batch_size or 32)
        bar = Progbar(-(-xa.shape[0] // bs), _verbosity(verbose))
        loss = ctypes.c_float()
        metrics = (ctypes.c_float * L.MAX_METRICS)()
        check(L.lib.recur_model_evaluate_in_batches(self._handle, pointer(xa), pointer(ya),
                                                    xa.shape[0], bs, ctypes.byref(loss),
                                                    metrics))
        values = dict(zip(settings.names_in_bit_order(), (float(v) for v in metrics)))
        values["loss"] = float(loss.value)
        bar.update(bar.target, values, final=True)
        if return_dict:
            return dict(sorted(values.items()))
        if not settings.metrics:
            return values["loss"]
        return [values["loss"]] + [values[n] for n in settings.names_in_given_order()]

    def predict(self, x: Any, batch_size: Optional[int] = None, verbose: Any = "auto",
                steps: Any = None, callbacks: Any = None) -> np.ndarray:
        """Outputs for x, batch by batch (32 rows unless batch_size); each row's output is
        the same at any batch size."""
        check_unsupported("predict", {"steps": steps, "callbacks": callbacks},
                          {"steps": None, "callbacks": None})
        xa = self._inputs(x, "predict")
        n, bs = xa.shape[0], int(batch_size or 32)
        bar = Progbar(-(-n // bs), _verbosity(verbose))
        y = np.empty((n,) + self._output_shape(), np.float32)
        check(L.lib.recur_model_predict_in_batches(self._handle, pointer(xa), n, bs,
                                                   pointer(y)))
        bar.update(bar.target, {}, final=True)
        return y

    def __call__(self, x: Any, training: bool = False) -> np.ndarray:
        if training:
            raise NotImplementedError("calling a model with training=True is not supported")
        return self.predict(x, verbose=0)

    def reset_states(self) -> None:
        if self._handle is not None:
            check(L.lib.recur_model_reset_states(self._handle))

    # ---- weights -----------------------------------------------------------------------------
    def _get_weight(self, i: int) -> np.ndarray:
        rank, dims = ctypes.c_int(), (ctypes.c_int * 2)()
        check(L.lib.recur_model_weight_shape(self._handle, i, ctypes.byref(rank), dims))
        w = np.empty(tuple(dims[:rank.value]), np.float32)
        check(L.lib.recur_model_get_weight(self._handle, i, pointer(w), w.size))
        return w

    def _set_weight(self, i: int, value: Any, owner: str) -> None:
        rank, dims = ctypes.c_int(), (ctypes.c_int * 2)()
        check(L.lib.recur_model_weight_shape(self._handle, i, ctypes.byref(rank), dims))
        shape = tuple(dims[:rank.value])
        w = as_float32(value, f"{owner}: weight {i}")
        if w.shape != shape:
            raise ValueError(f"{owner}: weight {i} has shape {shape}, got {w.shape}")
        check(L.lib.recur_model_set_weight(self._handle, i, pointer(w), w.size))

    def get_weights(self) -> List[np.ndarray]:
        self._build(None)
        return [self._get_weight(i) for i in range(L.lib.recur_model_num_weights(self._handle))]

    def set_weights(self, weights: Sequence[Any]) -> None:
        self._build(None)
        n = L.lib.recur_model_num_weights(self._handle)
        if len(weights) != n:
            raise ValueError(f"{self.name}: expected {n} weights, got {len(weights)}")
        for i, w in enumerate(weights):
            self._set_weight(i, w, self.name)

    @property
    def weights(self) -> List[np.ndarray]:
        return self.get_weights()

    def count_params(self) -> int:
        return int(sum(w.size for w in self.get_weights()))

    @property
    def input_shape(self) -> tuple:
        return (None,) + tuple(self._sample_shape(None))

    @property
    def output_shape(self) -> tuple:
        self._build(None)
        return (None,) + self._output_shape()

    # ---- summary, save, load -----------------------------------------------------------------
    def summary(self, line_length: Any = None, positions: Any = None, print_fn: Any = None,
                expand_nested: bool = False, show_trainable: bool = False,
                layer_range: Any = None) -> None:
        """Keras 3's summary table."""
        self._build(None)
        size = 16384
        while True:
            buf = ctypes.create_string_buffer(size)
            if L.lib.recur_model_summary(self._handle, buf, size) == 0:
                break
            if size > 1 << 24:
                check(L.lib.recur_model_summary(self._handle, buf, size))
            size *= 4
        text = buf.value.decode("utf-8")
        if print_fn is None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        else:
            print_fn(text.rstrip("\n"))

    def save(self, filepath: PathLike, overwrite: bool = True, zipped: Any = None) -> None:
        """A .keras file (Keras 3's format: keras.models.load_model reads it) or a .recur
        file (recur's own, with the optimizer state); written atomically."""
        path = os.fspath(filepath)
        self._build(None)
        if not overwrite and os.path.exists(path):
            raise FileExistsError(f"{path} exists and overwrite is False")
        if path.endswith(".keras"):
            check(L.lib.recur_model_save_keras(self._handle, path.encode()))
        elif path.endswith(".recur"):
            check(L.lib.recur_model_save(self._handle, path.encode()))
        elif path.endswith((".h5", ".hdf5")):
            raise NotImplementedError("writing Keras's legacy HDF5 (.h5) format is not "
                                      "supported by recur; save to a .keras file")
        else:
            raise ValueError(f"Invalid filepath extension for saving: {path!r}. Use a "
                             "`.keras` extension (or `.recur` for recur's own format).")

    def save_weights(self, filepath: PathLike, overwrite: bool = True) -> None:
        """Keras 3's .weights.h5, written atomically."""
        path = os.fspath(filepath)
        if not path.endswith(".weights.h5"):
            raise ValueError("The filename must end in `.weights.h5`, got " + repr(path))
        if not overwrite and os.path.exists(path):
            raise FileExistsError(f"{path} exists and overwrite is False")
        self._build(None)
        folder = os.path.dirname(os.path.abspath(path))
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            whole = os.path.join(tmp, "model.keras")
            check(L.lib.recur_model_save_keras(self._handle, whole.encode()))
            with zipfile.ZipFile(whole) as z:
                z.extract("model.weights.h5", tmp)
            os.replace(os.path.join(tmp, "model.weights.h5"), path)

    def load_weights(self, filepath: PathLike, skip_mismatch: bool = False) -> None:
        """Weights from a .weights.h5, .keras or legacy .h5 file, all or nothing."""
        if skip_mismatch:
            raise NotImplementedError("load_weights: skip_mismatch=True is not supported")
        self._build(None)
        check(L.lib.recur_model_load_keras_weights(self._handle, os.fspath(filepath).encode()))

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name,
                "layers": [{"class_name": type(l).__name__, "config": l.get_config()}
                           for l in self._layers]}

    def __repr__(self) -> str:
        return f"<Sequential name={self.name}, built={self.built}>"


def load_model(filepath: PathLike, custom_objects: Any = None, compile: bool = True,
               safe_mode: bool = True) -> Sequential:
    """A model from a Keras file (.keras, legacy .h5) or a recur file (.recur), with its
    weights and, when the file holds them, its compile settings and optimizer state."""
    if custom_objects:
        raise NotImplementedError("load_model: custom_objects are not supported by recur")
    from ._loading import model_from_file
    return model_from_file(os.fspath(filepath), compile)


__all__ = ["Sequential", "load_model"]
