"""compile()'s strings and objects as recur's compile options, with Keras's names."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

from .. import _lib as L
from . import optimizers

# Keras's loss identifiers (keras.losses.get) -> recur's loss.
_LOSSES = {
    "mse": "mse", "mean_squared_error": "mse",
    "mae": "mae", "mean_absolute_error": "mae",
    "binary_crossentropy": "binary_crossentropy",
    "categorical_crossentropy": "categorical_crossentropy",
    "sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
    "huber": "huber", "huber_loss": "huber",
}

# Keras's metric identifiers -> recur's metric; the key is also the name in the logs.
_METRICS = {
    "accuracy": "accuracy", "acc": "accuracy",
    "mae": "mae", "mean_absolute_error": "mae",
    "mse": "mse", "mean_squared_error": "mse",
}
# Explicit accuracies, accepted when they are what "accuracy" resolves to for the loss.
_EXPLICIT_ACCURACY = {"binary_accuracy": "binary_crossentropy",
                      "categorical_accuracy": "categorical_crossentropy",
                      "sparse_categorical_accuracy": "sparse_categorical_crossentropy"}

# compile() arguments recur runs only at Keras's defaults (the rest only change speed).
COMPILE_DEFAULTS = {"loss_weights": None, "weighted_metrics": None, "steps_per_execution": 1}
COMPILE_SPEED_ONLY = {"run_eagerly", "jit_compile", "auto_scale_loss"}


def loss_kind(loss: Any) -> str:
    name = getattr(loss, "_recur_name", None) or getattr(loss, "__name__", loss)
    if isinstance(name, str):
        key = name.lower() if name in ("MSE", "MAE") else name
        if key in _LOSSES:
            return _LOSSES[key]
    raise NotImplementedError(f"loss {loss!r} is not supported by recur (supported: "
                              f"{', '.join(sorted(_LOSSES))})")


def metric_list(metrics: Optional[Sequence[Any]], loss: str) -> List[Tuple[str, str]]:
    """[(name in the logs, recur metric)] in the order given."""
    if metrics is None:
        return []
    if isinstance(metrics, (str, dict)):
        raise NotImplementedError("compile: metrics must be a list of metric names")
    out, seen = [], set()
    for m in metrics:
        name = getattr(m, "__name__", m)
        if not isinstance(name, str):
            raise NotImplementedError(f"metric {m!r} is not supported by recur; give its "
                                      f"name ({', '.join(sorted(_METRICS))})")
        if name in _EXPLICIT_ACCURACY:
            if _EXPLICIT_ACCURACY[name] != loss:
                raise NotImplementedError(f"metric {name!r} with loss {loss!r} is not "
                                          "supported by recur; use 'accuracy'")
            kind = "accuracy"
        elif name in _METRICS:
            kind = _METRICS[name]
        else:
            raise NotImplementedError(f"metric {name!r} is not supported by recur "
                                      f"(supported: {', '.join(sorted(_METRICS))})")
        if kind in seen:
            raise ValueError(f"compile: metric {name!r} is given twice")
        seen.add(kind)
        out.append((name, kind))
    return out


class CompileSettings:
    """What compile() was given, resolved; applied to the C model whenever it is (re)built."""

    def __init__(self, optimizer: Any, loss: Any, metrics: Optional[Sequence[Any]]):
        self.optimizer = optimizers.get(optimizer)
        self.loss = None if loss is None else loss_kind(loss)
        self.metrics = metric_list(metrics, self.loss or "")

    def options(self) -> L.CompileOpts:
        o = L.CompileOpts()
        self.optimizer._fill(o)
        o.loss = L.LOSS[self.loss or "mse"]
        o.metrics = sum(L.METRIC_BITS[kind] for _, kind in self.metrics)
        return o

    def names_in_bit_order(self) -> List[str]:
        """The log names of the metrics in the order the C library reports them."""
        order = sorted(self.metrics, key=lambda nk: L.METRIC_BITS[nk[1]])
        return [name for name, _ in order]

    def names_in_given_order(self) -> List[str]:
        return [name for name, _ in self.metrics]
