"""Sequential.fit: the arguments checked as Keras checks them, then one call of the C
library's fit, which calls back into Python after every batch and epoch for the progress
bar, the callbacks and Ctrl-C."""
from __future__ import annotations

import ctypes
import signal
import threading
from typing import Any, Dict, List, Optional

from .. import _lib as L
from .._arrays import pointer
from .._errors import check
from . import _seeds
from ._args import check_unsupported
from ._progbar import Progbar
from .callbacks import Callback, History

_FIT_DEFAULTS = {"class_weight": None, "sample_weight": None, "steps_per_epoch": None,
                 "validation_steps": None, "validation_batch_size": None,
                 "validation_freq": 1}


class _FitSession:
    """The Python side of one fit call: what the C callbacks report goes to the progress
    bar and the callbacks; an exception raised there (Ctrl-C included) stops the C loop
    after the batch and is raised again when fit returns."""

    def __init__(self, model, callbacks: List[Callback], epochs: int, initial_epoch: int,
                 steps: int, verbose: int, validating: bool):
        self.model, self.callbacks = model, callbacks
        self.epochs, self.initial_epoch, self.steps = epochs, initial_epoch, steps
        self.verbose = verbose
        self.validating = validating
        self.names = model._compile.names_in_bit_order()
        # the batch logs' keys in Keras's (sorted) order, each with its metric slot (-1: loss)
        self.batch_keys = sorted([("loss", -1)] + [(n, k) for k, n in enumerate(self.names)])
        self.stop = ctypes.c_int(0)
        self.error: Optional[BaseException] = None
        self.bar: Optional[Progbar] = None
        self.epoch = initial_epoch
        # stop_training set by a batch callback: the C loop stops after that batch, and the
        # epoch is then ended here from its last batch logs, as Keras ends it
        self.stopped_in_epoch = False
        self.batch_logs: Dict[str, float] = {}

    def interrupt(self, signum, frame) -> None:
        """SIGINT during fit: Python runs this at the next callback, i.e. after the batch."""
        self._fail(KeyboardInterrupt())

    def _fail(self, e: BaseException) -> None:
        if self.error is None:
            self.error = e
        self.stop.value = 1

    def begin_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        if self.verbose:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)
        self.bar = Progbar(self.steps, self.verbose)
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, {})
        for cb in self.callbacks:
            cb.on_train_batch_begin(0, {})

    def on_batch(self, log_p, user: Any) -> None:
        try:
            log = log_p.contents
            batch = log.batch
            logs = {key: float(log.loss if k < 0 else log.metrics[k]) for key, k in self.batch_keys}
            self.batch_logs = logs
            for cb in self.callbacks:
                cb.on_train_batch_end(batch, logs)
            if self.model.stop_training:       # as Keras: the epoch ends after this batch
                self.stop.value = 1
                self.stopped_in_epoch = True
            self.bar.update(batch + 1, logs)
            if batch + 1 < self.steps:
                for cb in self.callbacks:
                    cb.on_train_batch_begin(batch + 1, {})
        except BaseException as e:       # KeyboardInterrupt included: stop after this batch
            self._fail(e)

    def logs_of(self, log: L.EpochLog) -> Dict[str, float]:
        logs = {"loss": float(log.loss)}
        logs.update((n, float(log.metrics[k])) for k, n in enumerate(self.names))
        if self.validating:
            logs["val_loss"] = float(log.val_loss)
            logs.update((f"val_{n}", float(log.val_metrics[k]))
                        for k, n in enumerate(self.names))
        return dict(sorted(logs.items()))

    def on_epoch(self, log_p, user: Any) -> int:
        try:
            log = log_p.contents
            epoch = self.initial_epoch + log.epoch
            logs = self.logs_of(log)
            self.close_epoch(epoch, logs)
            if self.model.stop_training:
                return 1
            if epoch + 1 < self.epochs:
                self.begin_epoch(epoch + 1)
            return 0
        except BaseException as e:
            self._fail(e)
            return 1

    def end_stopped_epoch(self, xv, yv, batch: int) -> None:
        """The epoch a batch callback stopped: its logs are the last batch's running means,
        then the validation, as Keras's epoch logs are; its bar and on_epoch_end close it."""
        logs = dict(self.batch_logs)
        if self.validating:
            val = self.model.evaluate(xv, yv, batch_size=min(batch, len(xv)), verbose=0,
                                      return_dict=True)
            logs.update((f"val_{k}", v) for k, v in val.items())
        self.close_epoch(self.epoch, dict(sorted(logs.items())))

    def close_epoch(self, epoch: int, logs: Dict[str, float]) -> None:
        """on_epoch_end, then the bar's final line: Keras's progress bar is the last of its
        callbacks, so what the others print during the epoch's end comes before that line."""
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)
        self.bar.update(self.steps, logs, final=True)


def _validation(model, validation_data: Any, what: str):
    if validation_data is None:
        return None, None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(f"{what}: validation_data must be a tuple (x_val, y_val)")
    if len(validation_data) == 3 and validation_data[2] is not None:
        raise NotImplementedError(f"{what}: validation sample weights are not supported")
    xv = model._inputs(validation_data[0], f"{what} (validation_data)")
    yv = model._targets(validation_data[1], xv.shape[0], f"{what} (validation_data)")
    return xv, yv


def run_fit(model, x, y, batch_size, epochs, verbose, callbacks, validation_split,
            validation_data, shuffle, initial_epoch, kwargs):
    from .models import _verbosity
    check_unsupported("fit", kwargs, _FIT_DEFAULTS)
    model._require_compiled("fit")
    if shuffle not in (True, False):
        raise NotImplementedError(f"fit: shuffle={shuffle!r} is not supported (True or False)")
    if not 0.0 <= float(validation_split) < 1.0:
        raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split!r}")
    epochs, initial_epoch = int(epochs), int(initial_epoch)
    if epochs <= initial_epoch:
        raise ValueError(f"fit: epochs ({epochs}) must be greater than initial_epoch "
                         f"({initial_epoch})")
    xa = model._inputs(x, "fit")
    n = xa.shape[0]
    ya = model._targets(y, n, "fit")
    xv, yv = _validation(model, validation_data, "fit")
    if xv is not None and xv.shape[1:] != xa.shape[1:]:
        raise ValueError(f"fit: validation_data's samples have shape {xv.shape[1:]}, x's "
                         f"{xa.shape[1:]}; recur trains and validates on one sequence length")
    if xv is None and validation_split:
        # Keras's split: the last samples, before any shuffling (views, no copies)
        at = int(n * (1.0 - float(validation_split)))
        if at < 1 or at == n:
            raise ValueError(f"fit: {n} samples cannot be split into training and "
                             f"validation samples with validation_split={validation_split}")
        xa, ya, xv, yv, n = xa[:at], ya[:at], xa[at:], ya[at:], at
    batch = min(int(batch_size or 32), n)
    if batch < 1:
        raise ValueError(f"fit: batch_size must be >= 1, got {batch_size!r}")
    steps = -(-n // batch)
    vb = _verbosity(verbose)

    history = History()
    # History last, as Keras appends it: it records what the others add to the logs
    cbs: List[Callback] = list(callbacks or []) + [history]
    for cb in cbs:
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks must be keras.callbacks.Callback objects, got "
                            f"{type(cb).__name__}")
        cb.set_model(model)
        cb.set_params({"verbose": vb, "epochs": epochs, "steps": steps})
    session = _FitSession(model, cbs, epochs, initial_epoch, steps, vb, xv is not None)
    o = L.FitOpts(epochs=epochs - initial_epoch, batch_size=batch, no_shuffle=not shuffle,
                  seed=_seeds.next_seed() & (2**64 - 1), verbose=0)
    o.on_epoch = L.ON_EPOCH(session.on_epoch)
    o.on_batch_log = L.ON_BATCH_LOG(session.on_batch)
    o.stop = ctypes.pointer(session.stop)
    if xv is not None:
        o.validation_x, o.validation_y, o.validation_n = pointer(xv), pointer(yv), xv.shape[0]

    model.stop_training = False
    for cb in cbs:
        cb.on_train_begin({})
    session.begin_epoch(initial_epoch)
    # Python's own SIGINT handler would raise KeyboardInterrupt on entry to a ctypes callback,
    # where nothing can catch it; this one asks the C loop to stop after the batch instead.
    catch_sigint = threading.current_thread() is threading.main_thread() and \
        signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if catch_sigint:
        signal.signal(signal.SIGINT, session.interrupt)
    try:
        status = L.lib.recur_model_fit_sized(model._handle, pointer(xa), pointer(ya), n,
                                             ctypes.byref(o), ctypes.sizeof(o))
    finally:
        if catch_sigint:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    if session.error is not None:
        raise session.error
    check(status)
    if session.stopped_in_epoch:
        session.end_stopped_epoch(xv, yv, batch)
    for cb in cbs:
        cb.on_train_end({})
    history.model = model
    model.history = history
    return history
