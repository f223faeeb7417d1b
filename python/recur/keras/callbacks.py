"""keras.callbacks: Callback, History, EarlyStopping, LambdaCallback, ModelCheckpoint,
CSVLogger, TerminateOnNaN, LearningRateScheduler, ReduceLROnPlateau.

recur's fit runs in C; it calls back after every batch and every epoch, so on_epoch_end,
on_train_batch_end and the train begin/end hooks run as in Keras. on_epoch_begin and
on_train_batch_begin run right after the previous epoch's or batch's end. The batch logs
hold the means of the loss and metrics over the epoch's batches so far, as Keras's do."""
from __future__ import annotations

import csv
import math
import os
import warnings
from typing import Any, Callable, Dict, List, Optional, Union

import numpy as np


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
    # on_batch_begin/on_batch_end: Keras's older names, which the train hooks call
    def on_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None: ...
    def on_batch_end(self, batch: int, logs: Optional[dict] = None) -> None: ...

    def on_train_batch_begin(self, batch: int, logs: Optional[dict] = None) -> None:
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        self.on_batch_end(batch, logs)


_UP = ("accuracy", "acc", "binary_accuracy", "categorical_accuracy",
       "sparse_categorical_accuracy")
_DOWN = ("loss", "mae", "mse", "mean_absolute_error", "mean_squared_error")


def _direction(owner: str, monitor: str, mode: str) -> str:
    """"min" or "max" for the monitored quantity: an unknown mode falls back to auto with a
    warning, and auto reads the direction off the metric's name, as Keras does."""
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{owner}: mode {mode!r} is not auto, min or max; using auto",
                      stacklevel=3)
        mode = "auto"
    if mode != "auto":
        return mode
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name not in _UP + _DOWN:
        raise ValueError(f"{owner} callback received monitor={monitor}, but cannot tell "
                         "whether it should go up or down; pass mode='max' or mode='min'")
    return "max" if name in _UP else "min"


def _improves(direction: str, value: float, reference: Optional[float],
              min_delta: float = 0.0) -> bool:
    """Whether value beats reference by more than min_delta in direction ("min"/"max"); any
    value beats no reference."""
    if reference is None:
        return True
    if direction == "min":
        return value + min_delta < reference
    return value - min_delta > reference


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
                 on_train_batch_end: Optional[Callable] = None,
                 on_batch_begin: Optional[Callable] = None,
                 on_batch_end: Optional[Callable] = None, **kwargs: Any) -> None:
        super().__init__()
        for name, fn in dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                             on_train_begin=on_train_begin, on_train_end=on_train_end,
                             on_train_batch_begin=on_train_batch_begin,
                             on_train_batch_end=on_train_batch_end,
                             on_batch_begin=on_batch_begin, on_batch_end=on_batch_end,
                             **kwargs).items():
            if not hasattr(Callback, name):
                raise TypeError(f"LambdaCallback: unrecognized keyword argument {name!r}")
            if fn is not None:
                setattr(self, name, fn)


class EarlyStopping(Callback):
    """Stop when the monitored value stops improving, as keras.callbacks.EarlyStopping:
    an improvement is a change beyond min_delta in the mode's direction (auto: up for
    accuracy, down for loss, mae and mse); restore_best_weights puts back the weights of the
    best epoch when training ends."""

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: Optional[float] = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0) -> None:
        super().__init__()
        mode = _direction("EarlyStopping", monitor, mode)
        self.monitor, self.mode, self.patience = monitor, mode, int(patience)
        self.verbose, self.baseline = verbose, baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self.min_delta = abs(float(min_delta))

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
        if _improves(self.mode, value, self.best, self.min_delta):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or _improves(self.mode, value, self.baseline,
                                                  self.min_delta):
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


class ModelCheckpoint(Callback):
    """Save the model (a .keras file) or its weights (.weights.h5) after every epoch, or
    every save_freq batches, as keras.callbacks.ModelCheckpoint: filepath may hold
    placeholders filled from the epoch (counted from 1), the batch and the logs, e.g.
    "ckpt-{epoch:02d}-{val_loss:.3f}.keras"; with save_best_only a file is written only
    when the monitored value improves on the best so far (or on initial_value_threshold).
    Each file is written atomically, its folder made when missing."""

    def __init__(self, filepath: Union[str, os.PathLike], monitor: str = "val_loss",
                 verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto",
                 save_freq: Union[str, int] = "epoch",
                 initial_value_threshold: Optional[float] = None) -> None:
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor, self.mode, self.verbose = monitor, mode, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.best = initial_value_threshold
        self.save_freq = save_freq
        if save_freq != "epoch" and (not isinstance(save_freq, int) or
                                     isinstance(save_freq, bool) or save_freq < 1):
            raise ValueError("ModelCheckpoint: save_freq must be 'epoch' or a number of "
                             f"batches (an int >= 1), got {save_freq!r}")
        if save_weights_only and not self.filepath.endswith(".weights.h5"):
            raise ValueError("ModelCheckpoint: with save_weights_only=True the filepath must "
                             "end in .weights.h5 (Keras's weights format), got "
                             f"{self.filepath!r}")
        if not save_weights_only and self.filepath.endswith(".h5"):
            raise NotImplementedError("ModelCheckpoint: recur does not write Keras's legacy "
                                      "HDF5 (.h5) model format; give a .keras filepath, not "
                                      f"{self.filepath!r}")
        if not save_weights_only and not self.filepath.endswith(".keras"):
            raise ValueError("ModelCheckpoint: the filepath must end in .keras (Keras's "
                             f"model format), got {self.filepath!r}")
        self._direction: Optional[str] = None
        self._epoch, self._batches_since_save, self._last_batch = 0, 0, None

    def on_epoch_begin(self, epoch: int, logs: Optional[dict] = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        if self.save_freq == "epoch":
            return
        # batches since the last save, counting across epochs (batch restarts at 0)
        new_epoch = self._last_batch is None or batch <= self._last_batch
        self._batches_since_save += batch + 1 if new_epoch else batch - self._last_batch
        self._last_batch = batch
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch, logs or {})

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def _path(self, epoch: int, batch: Optional[int], logs: dict) -> str:
        fields = dict(logs, epoch=epoch + 1)
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as e:
            raise KeyError(f"ModelCheckpoint: cannot fill in filepath {self.filepath!r}: "
                           f"no {e} among the epoch, the batch and the logs "
                           f"({', '.join(logs)})") from None

    def _wanted(self, epoch: int, logs: dict, path: str) -> bool:
        """Whether to write now; says why when verbose, in Keras's words."""
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {path}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"ModelCheckpoint: save_best_only needs {self.monitor} in the "
                          f"logs, which hold {', '.join(logs)}; saving every time",
                          stacklevel=3)
            return True
        if self._direction is None:
            self._direction = _direction("ModelCheckpoint", self.monitor, self.mode)
        best = "None" if self.best is None else f"{self.best:.5f}"
        better = _improves(self._direction, current, self.best)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                  f"{current:.5f}, saving model to {path}" if better else
                  f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        if better:
            self.best = current
        return better

    def _save(self, epoch: int, batch: Optional[int], logs: dict) -> None:
        path = self._path(epoch, batch, logs)
        if not self._wanted(epoch, logs, path):
            return
        if os.path.isdir(path):
            raise IsADirectoryError(f"ModelCheckpoint: {path!r} is an existing directory; "
                                    "the filepath must name a file")
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {path}")


class CSVLogger(Callback):
    """Each epoch's logs as a row of a CSV file (epoch counted from 0, then the logs' keys
    sorted, with val_ columns of "NA" when there is no validation), as
    keras.callbacks.CSVLogger; append=True adds to an existing file without a second
    header. The file is flushed after every row."""

    def __init__(self, filename: Union[str, os.PathLike], separator: str = ",",
                 append: bool = False) -> None:
        super().__init__()
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self.csv_file = None
        self.writer: Optional[csv.DictWriter] = None
        self.keys: Optional[List[str]] = None
        self.append_header = True

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename) as f:
                self.append_header = not f.readline()
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")
        self.writer, self.keys = None, None

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys += [f"val_{k}" for k in self.keys]
        if self.writer is None:
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         delimiter=self.sep)
            if self.append_header:
                self.writer.writeheader()
        self.writer.writerow({"epoch": epoch, **{k: logs.get(k, "NA") for k in self.keys}})
        self.csv_file.flush()

    def on_train_end(self, logs: Optional[dict] = None) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


class TerminateOnNaN(Callback):
    """Stop training after a batch whose loss is NaN or infinite (the epoch ends there), as
    keras.callbacks.TerminateOnNaN; raise_error=True raises RuntimeError instead."""

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"TerminateOnNaN: the loss of batch {batch} is {loss}; "
                               "training stopped")
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True


def _rate(model) -> float:
    return float(model.optimizer.learning_rate)


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of every epoch to schedule(epoch, rate) (or
    schedule(epoch), the older form), as keras.callbacks.LearningRateScheduler; the epoch's
    logs gain "learning_rate"."""

    def __init__(self, schedule: Callable, verbose: int = 0) -> None:
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch: int, logs: Optional[dict] = None) -> None:
        try:
            rate = self.schedule(epoch, _rate(self.model))
        except TypeError:   # the one-argument form, as Keras falls back to it
            rate = self.schedule(epoch)
        if not isinstance(rate, (float, np.floating)):
            raise ValueError("LearningRateScheduler: the schedule must return a float, got "
                             f"{rate!r}")
        self.model.optimizer.learning_rate = rate
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{rate}.")

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        if logs is not None:
            logs["learning_rate"] = _rate(self.model)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by factor (not below min_lr) once the monitored value has
    not improved by more than min_delta for patience epochs, then wait cooldown epochs, as
    keras.callbacks.ReduceLROnPlateau; the epoch's logs gain "learning_rate", the rate the
    epoch trained at."""

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0) -> None:
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor}")
        self.monitor, self.mode, self.factor = monitor, mode, float(factor)
        self.patience, self.verbose, self.cooldown = int(patience), verbose, int(cooldown)
        self.min_delta, self.min_lr = abs(float(min_delta)), float(min_lr)
        self._direction: Optional[str] = None
        self.best: Optional[float] = None
        self.wait = self.cooldown_counter = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs: Optional[dict] = None) -> None:
        self.best, self.wait, self.cooldown_counter = None, 0, 0

    def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
        if self._direction is None:
            self._direction = _direction("ReduceLROnPlateau", self.monitor, self.mode)
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _rate(self.model)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"ReduceLROnPlateau: {self.monitor} is not among the logs "
                          f"({', '.join(logs)}); the learning rate stays", stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if _improves(self._direction, current, self.best, self.min_delta):
            self.best, self.wait = current, 0
            return
        if self.in_cooldown():
            return
        self.wait += 1
        old = logs["learning_rate"]
        if self.wait < self.patience or not old > np.float32(self.min_lr):
            return
        new = max(old * self.factor, self.min_lr)
        self.model.optimizer.learning_rate = new
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
        self.cooldown_counter, self.wait = self.cooldown, 0


__all__ = ["Callback", "History", "LambdaCallback", "EarlyStopping", "ModelCheckpoint",
           "CSVLogger", "TerminateOnNaN", "LearningRateScheduler", "ReduceLROnPlateau"]
