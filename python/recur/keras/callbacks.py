"""keras.callbacks: Callback, History, EarlyStopping, LambdaCallback.

recur's fit runs in C; it calls back after every batch and every epoch, so on_epoch_end,
on_train_batch_end and the train begin/end hooks run as in Keras. on_epoch_begin and
on_train_batch_begin run right after the previous epoch's or batch's end. The batch logs
hold the means of the loss and metrics over the epoch's batches so far, as Keras's do."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional


class Callback:
    """Base class: override the hooks you need; ``self.model`` is the model being fit."""

    def __init__(self) -> None:
        self.model = None
        self.params: Dict[str, Any] = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: Dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs: Optional[dict] = None) -> None: ...
    def on_train_end(self, logs: Optional[dict] = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: Optional[dict] = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None: ...
    def on_train_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None: ...
    def on_train_batch_end(self, batch: int, logs: Optional[dict] = None) -> None: ...


class History(Callback):
    """Records every epoch's logs; fit returns it. ``history`` maps each key (loss, the
    metrics, val_...) to its list of values, ``epoch`` lists the epochs run."""

    def __init__(self) -> None:
        super().__init__()
        self.history: Dict[str, List[float]] = {}
        self.epoch: List[int] = []

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


class LambdaCallback(Callback):
    """A callback from functions: on_epoch_end=lambda epoch, logs: ..., and so on."""

    def __init__(self, on_epoch_begin: Optional[Callable] = None,
                 on_epoch_end: Optional[Callable] = None,
                 on_train_begin: Optional[Callable] = None,
                 on_train_end: Optional[Callable] = None,
                 on_train_batch_begin: Optional[Callable] = None,
                 on_train_batch_end: Optional[Callable] = None, **kwargs: Any) -> None:
        super().__init__()
        for name, fn in dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                             on_train_begin=on_train_begin, on_train_end=on_train_end,
                             on_train_batch_begin=on_train_batch_begin,
                             on_train_batch_end=on_train_batch_end, **kwargs).items():
            if not hasattr(Callback, name):
                raise TypeError(f"LambdaCallback: unrecognized keyword argument {name!r}")
            if fn is not None:
                setattr(self, name, fn)


class EarlyStopping(Callback):
    """Stop when the monitored value stops improving, as keras.callbacks.EarlyStopping:
    an improvement is a change beyond min_delta in the mode's direction (auto: up for
    accuracy, down for loss, mae and mse); restore_best_weights puts back the weights of the
    best epoch when training ends."""

    _UP = ("accuracy", "acc", "binary_accuracy", "categorical_accuracy",
           "sparse_categorical_accuracy")
    _DOWN = ("loss", "mae", "mse", "mean_absolute_error", "mean_squared_error")

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: Optional[float] = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be auto, min or max, got {mode!r}")
        if mode == "auto":
            name = monitor[4:] if monitor.startswith("val_") else monitor
            if name not in self._UP + self._DOWN:
                raise ValueError(f"EarlyStopping: cannot tell whether {monitor!r} should go "
                                 "up or down; pass mode='max' or mode='min'")
            mode = "max" if name in self._UP else "min"
        self.monitor, self.mode, self.patience = monitor, mode, int(patience)
        self.verbose, self.baseline = verbose, baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self.min_delta = abs(float(min_delta))

    def _is_improvement(self, value: float, reference: Optional[float]) -> bool:
        if reference is None:
            return True
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        self.wait, self.stopped_epoch, self.best = 0, 0, None
        self.best_weights, self.best_epoch = None, 0

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            import warnings
            warnings.warn(f"EarlyStopping: {self.monitor!r} is not among the logs "
                          f"({', '.join(logs or {})}); skipping", stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._is_improvement(value, self.best):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(value, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Optional[dict] = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


__all__ = ["Callback", "History", "LambdaCallback", "EarlyStopping"]
