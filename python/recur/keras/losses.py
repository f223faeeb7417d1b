"""keras.losses: the loss classes recur computes, by Keras's names and arguments.

compile() also takes the names as strings ('mse', 'binary_crossentropy', ...). recur
computes every cross-entropy from the logits when the last layer is a sigmoid or softmax
Dense, as Keras does; a model that outputs logits itself (from_logits=True) is not
supported."""
from __future__ import annotations

from typing import Any

from ._args import check_unsupported

_COMMON = {"reduction": "sum_over_batch_size", "name": None, "dtype": None}


class Loss:
    """A loss compile() accepts; ``_recur_name`` is the name recur knows it by."""
    _recur_name = ""

    def __init__(self, **kwargs: Any):
        check_unsupported(type(self).__name__, kwargs, self._defaults())

    def _defaults(self) -> dict:
        return dict(_COMMON)

    def get_config(self) -> dict:
        return {"name": self._recur_name}


class MeanSquaredError(Loss):
    _recur_name = "mean_squared_error"


class MeanAbsoluteError(Loss):
    _recur_name = "mean_absolute_error"


class _CrossEntropy(Loss):
    def _defaults(self) -> dict:
        return dict(_COMMON, from_logits=False, label_smoothing=0.0, axis=-1,
                    ignore_class=None)


class BinaryCrossentropy(_CrossEntropy):
    _recur_name = "binary_crossentropy"


class CategoricalCrossentropy(_CrossEntropy):
    _recur_name = "categorical_crossentropy"


class SparseCategoricalCrossentropy(_CrossEntropy):
    _recur_name = "sparse_categorical_crossentropy"


class Huber(Loss):
    _recur_name = "huber"

    def _defaults(self) -> dict:
        return dict(_COMMON, delta=1.0)


__all__ = ["Loss", "MeanSquaredError", "MeanAbsoluteError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "Huber"]
