"""keras.optimizers: Adam, SGD and RMSprop with Keras's arguments and defaults."""
from __future__ import annotations

import math
import numbers
import weakref
from typing import Any, Optional, Union

import numpy as np

from .. import _lib as L
from .._errors import check
from ._args import check_unsupported

# Keras optimizer arguments recur runs only at their defaults.
_COMMON_DEFAULTS = {"weight_decay": None, "use_ema": False, "ema_momentum": 0.99,
                    "ema_overwrite_frequency": None, "loss_scale_factor": None,
                    "gradient_accumulation_steps": None, "name": None}


class Optimizer:
    """What compile needs from an optimizer: its recur kind and settings. learning_rate may
    be assigned at any time, as Keras's: from the next training step on, in fit's callbacks
    too (LearningRateScheduler, ReduceLROnPlateau)."""
    _kind = ""
    _model: Optional[weakref.ref] = None   # the model compiled with this optimizer

    def __init__(self, learning_rate: float, clipnorm: Optional[float] = None,
                 clipvalue: Optional[float] = None, global_clipnorm: Optional[float] = None,
                 **kwargs: Any):
        check_unsupported(type(self).__name__, kwargs, _COMMON_DEFAULTS)
        if not isinstance(learning_rate, numbers.Real):
            raise NotImplementedError(f"{type(self).__name__}: learning_rate must be a number "
                                      "(schedules are not supported by recur)")
        if sum(v is not None for v in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("only one of clipnorm, clipvalue and global_clipnorm can be set")
        self.learning_rate = learning_rate
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm

    @property
    def learning_rate(self) -> float:
        """The rate as a float32 holds it, as Keras's variable does."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise TypeError(f"{type(self).__name__}: learning_rate must be a number, got "
                            f"{type(value).__name__}")
        rate = float(np.float32(value))
        if not (math.isfinite(rate) and rate >= 0.0):
            raise ValueError(f"{type(self).__name__}: learning_rate must be finite and >= 0, "
                             f"got {value!r}")
        model = self._model() if self._model is not None else None
        if model is not None and model._handle is not None and model.optimizer is self:
            check(L.lib.recur_model_set_learning_rate(model._handle, rate))
        self._learning_rate = rate

    def _bind(self, model) -> None:
        """The model whose C optimizer an assigned learning_rate reaches."""
        self._model = weakref.ref(model)

    def _fill(self, o: L.CompileOpts) -> None:
        o.optimizer = L.OPTIMIZER[self._kind]
        o.learning_rate = self.learning_rate
        o.clipnorm = self.clipnorm or 0.0
        o.clipvalue = self.clipvalue or 0.0
        o.global_clipnorm = self.global_clipnorm or 0.0

    def get_config(self) -> dict:
        return {"name": self._kind, "learning_rate": self.learning_rate,
                "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                "global_clipnorm": self.global_clipnorm}


class Adam(Optimizer):
    """keras.optimizers.Adam (amsgrad=False)."""
    _kind = "adam"

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False,
                 **kwargs: Any):
        check_unsupported("Adam", {"amsgrad": amsgrad}, {"amsgrad": False})
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _fill(self, o: L.CompileOpts) -> None:
        super()._fill(o)
        o.beta_1, o.beta_2, o.epsilon = self.beta_1, self.beta_2, self.epsilon


class SGD(Optimizer):
    """keras.optimizers.SGD."""
    _kind = "sgd"

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, **kwargs: Any):
        super().__init__(learning_rate, **kwargs)
        if not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1], got {momentum!r}")
        self.momentum, self.nesterov = float(momentum), bool(nesterov)

    def _fill(self, o: L.CompileOpts) -> None:
        super()._fill(o)
        o.momentum, o.nesterov = self.momentum, self.nesterov


class RMSprop(Optimizer):
    """keras.optimizers.RMSprop (centered=False)."""
    _kind = "rmsprop"

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, **kwargs: Any):
        check_unsupported("RMSprop", {"centered": centered}, {"centered": False})
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon = float(rho), float(momentum), float(epsilon)

    def _fill(self, o: L.CompileOpts) -> None:
        super()._fill(o)
        o.rho, o.momentum, o.epsilon = self.rho, self.momentum, self.epsilon


_BY_NAME = {"adam": Adam, "sgd": SGD, "rmsprop": RMSprop}


def get(identifier: Union[str, Optimizer]) -> Optimizer:
    """An optimizer from Keras's names ('adam', 'sgd', 'rmsprop') or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]()
    raise NotImplementedError(f"optimizer {identifier!r} is not supported by recur "
                              "(adam, sgd, rmsprop)")


__all__ = ["Optimizer", "Adam", "SGD", "RMSprop", "get"]
