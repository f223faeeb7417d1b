"""recur.keras's callbacks beyond History and EarlyStopping, as Keras 3 defines them:
ModelCheckpoint, CSVLogger, TerminateOnNaN, LearningRateScheduler, ReduceLROnPlateau and an
assigned learning rate; Keras's older batch hook names; a stop set after a batch."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from recur.keras import callbacks, optimizers
from recur.keras.layers import LSTM, Dense
from recur.keras.models import Sequential, load_model

from kmodels import small_data, tutorial_model


def epoch_recorder(m):
    """A callback keeping each epoch's logs and weights."""
    seen = []
    return seen, callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append((dict(logs), m.get_weights())))


# ---- ModelCheckpoint -----------------------------------------------------------------------

def test_checkpoint_every_epoch_fills_the_placeholders(tmp_path, rng):
    x, y = small_data(rng)
    m = tutorial_model()
    pattern = str(tmp_path / "made" / "ck-{epoch:02d}-{val_loss:.4f}.keras")
    seen, record = epoch_recorder(m)
    h = m.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(pattern), record])
    want = [f"ck-{e + 1:02d}-{v:.4f}.keras" for e, v in enumerate(h.history["val_loss"])]
    assert sorted(p.name for p in (tmp_path / "made").iterdir()) == want
    for name, (_, weights) in zip(want, seen):   # each file holds its epoch's weights
        for a, b in zip(load_model(tmp_path / "made" / name).get_weights(), weights):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode, pick", [("min", np.argmin), ("max", np.argmax)])
def test_checkpoint_best_only_keeps_the_best_epoch(tmp_path, rng, capsys, mode, pick):
    x, y = small_data(rng)
    m = tutorial_model()
    path = tmp_path / "best.weights.h5"
    seen, record = epoch_recorder(m)
    m.fit(x, y, epochs=5, batch_size=16, validation_split=0.25, verbose=0,
          callbacks=[record, callbacks.ModelCheckpoint(path, monitor="val_loss", mode=mode,
                                                       save_best_only=True,
                                                       save_weights_only=True, verbose=1)])
    best = int(pick([logs["val_loss"] for logs, _ in seen]))
    fresh = tutorial_model()
    fresh.load_weights(path)
    for a, b in zip(fresh.get_weights(), seen[best][1]):
        np.testing.assert_array_equal(a, b)
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from None to" in out
    assert out.count("improved from") + out.count("did not improve from") == 5


def test_checkpoint_every_n_batches_counts_across_epochs(tmp_path, rng):
    x, y = small_data(rng)                       # 64 samples, batch 16: 4 batches an epoch
    m = tutorial_model()
    m.fit(x, y, epochs=2, batch_size=16, verbose=0,
          callbacks=[callbacks.ModelCheckpoint(tmp_path / "e{epoch}-b{batch}.keras",
                                               save_freq=3)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e1-b3.keras", "e2-b2.keras"]


def test_checkpoint_threshold_and_missing_monitor(tmp_path, rng):
    x, y = small_data(rng)
    m = tutorial_model()
    never = callbacks.ModelCheckpoint(tmp_path / "never.keras", monitor="loss",
                                      save_best_only=True, initial_value_threshold=0.0)
    m.fit(x, y, epochs=2, verbose=0, callbacks=[never])
    assert not (tmp_path / "never.keras").exists()
    # no validation, so no val_loss: Keras warns and saves every epoch
    with pytest.warns(UserWarning, match="val_loss"):
        m.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ModelCheckpoint(
            tmp_path / "always.keras", save_best_only=True)])
    assert (tmp_path / "always.keras").exists()


def test_checkpoint_refuses_what_keras_refuses(tmp_path, rng):
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint(tmp_path / "m.keras", save_freq="batch")
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        callbacks.ModelCheckpoint(tmp_path / "m.keras", save_weights_only=True)
    with pytest.raises(ValueError, match=r"\.keras"):
        callbacks.ModelCheckpoint(tmp_path / "m.bin")
    with pytest.raises(NotImplementedError, match="legacy"):
        callbacks.ModelCheckpoint(tmp_path / "m.h5")
    x, y = small_data(rng)
    m = tutorial_model()
    with pytest.raises(KeyError, match="cannot fill in"):
        m.fit(x, y, epochs=1, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(tmp_path / "{nope}.keras")])
    (tmp_path / "d.keras").mkdir()
    with pytest.raises(IsADirectoryError, match="existing directory"):
        m.fit(x, y, epochs=1, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(tmp_path / "d.keras")])
    assert np.isfinite(m.predict(x, verbose=0)).all()   # the model is still usable


# ---- CSVLogger -----------------------------------------------------------------------------

def read_rows(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_csv_logger_rows_are_the_history(tmp_path, rng):
    x, y = small_data(rng)
    m = tutorial_model()
    path = tmp_path / "log.csv"
    h = m.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
              callbacks=[callbacks.CSVLogger(path)])
    rows = read_rows(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [int(r[0]) for r in rows[1:]] == [0, 1, 2]
    for k, key in enumerate(rows[0][1:], start=1):
        assert [float(r[k]) for r in rows[1:]] == h.history[key]


def test_csv_logger_without_validation_append_and_separator(tmp_path, rng):
    x, y = small_data(rng)
    m = tutorial_model()
    path = tmp_path / "log.csv"
    m.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";")])
    m.fit(x, y, epochs=1, verbose=0,
          callbacks=[callbacks.CSVLogger(path, separator=";", append=True)])
    rows = read_rows(path, ";")
    # Keras's columns: val_ ones too, "NA" when there was no validation
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "0"]
    assert all(r[3:] == ["NA", "NA"] for r in rows[1:])


# ---- TerminateOnNaN and the batch hooks ---------------------------------------------------

def diverging_model():
    m = Sequential([LSTM(8, activation="relu", input_shape=(6, 3)), Dense(1)])
    m.compile(optimizer=optimizers.SGD(learning_rate=1e6), loss="mse")
    return m


def test_terminate_on_nan_stops_after_the_batch(rng, capsys):
    x, _ = small_data(rng)
    y = rng.standard_normal((len(x), 1)).astype(np.float32) * 100
    m = diverging_model()
    losses = []
    h = m.fit(x, y, epochs=3, batch_size=16, verbose=0,
              callbacks=[callbacks.TerminateOnNaN(), callbacks.LambdaCallback(
                  on_batch_end=lambda batch, logs: losses.append(logs["loss"]))])
    assert np.isfinite(losses[:-1]).all() and not np.isfinite(losses[-1])
    assert len(losses) < 4 and h.epoch == [0]
    assert f"Batch {len(losses) - 1}: Invalid loss, terminating training" in \
        capsys.readouterr().out
    with pytest.raises(RuntimeError, match="the loss of batch"):
        diverging_model().fit(x, y, epochs=3, batch_size=16, verbose=0,
                              callbacks=[callbacks.TerminateOnNaN(raise_error=True)])


def test_older_batch_hook_names_are_called(rng):
    x, y = small_data(rng)
    calls = []

    class Old(callbacks.Callback):
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            calls.append(("end", batch, sorted(logs)))

    tutorial_model().fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[Old()])
    assert calls == [("begin", 0), ("end", 0, ["accuracy", "loss"]),
                     ("begin", 1), ("end", 1, ["accuracy", "loss"])]


def test_unknown_mode_falls_back_to_auto_with_a_warning():
    with pytest.warns(UserWarning, match="mode 'biggest' is not auto"):
        stop = callbacks.EarlyStopping(monitor="val_accuracy", mode="biggest")
    assert stop.mode == "max"
    with pytest.raises(ValueError, match="mode='max'"):
        callbacks.EarlyStopping(monitor="f1")


def test_stop_in_a_batch_still_ends_the_epoch(rng):
    """As Keras: stop_training set after a batch ends the epoch there, with its validation
    and on_epoch_end, then fit returns."""
    x, y = small_data(rng)
    m = tutorial_model()
    batch_logs = []

    def stop_at_second(batch, logs):
        batch_logs.append(dict(logs))
        if batch == 1:
            m.stop_training = True

    h = m.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
              callbacks=[callbacks.LambdaCallback(on_train_batch_end=stop_at_second)])
    assert h.epoch == [0] and len(batch_logs) == 2
    assert h.history["loss"] == [batch_logs[-1]["loss"]]
    val = m.evaluate(x[48:], y[48:], batch_size=16, verbose=0, return_dict=True)
    assert h.history["val_loss"] == [val["loss"]]
    assert h.history["val_accuracy"] == [val["accuracy"]]


# ---- the learning rate ---------------------------------------------------------------------

def f32(v):
    return float(np.float32(v))


def test_assigned_learning_rate_trains_as_compiled_with_it(tmp_path, rng):
    x, y = small_data(rng)
    a, b = tutorial_model(), tutorial_model()
    b.set_weights(a.get_weights())
    a.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
              metrics=["accuracy"])
    b.optimizer.learning_rate = 0.01
    assert b.optimizer.learning_rate == f32(0.01)   # a float32, as Keras's variable
    for m in (a, b):
        m.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    b.save(tmp_path / "b.keras")
    assert load_model(tmp_path / "b.keras").optimizer.learning_rate == f32(0.01)
    with pytest.raises(ValueError, match=">= 0"):
        b.optimizer.learning_rate = -1.0
    with pytest.raises(TypeError, match="number"):
        b.optimizer.learning_rate = "fast"


@pytest.mark.parametrize("schedule", [lambda epoch: 0.01 / (epoch + 1),
                                      lambda epoch, rate: 0.01 / (epoch + 1)])
def test_scheduler_sets_each_epoch_rate(rng, schedule):
    x, y = small_data(rng)
    a, b = tutorial_model(), tutorial_model()
    b.set_weights(a.get_weights())
    h = a.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0,
              callbacks=[callbacks.LearningRateScheduler(schedule)])
    assert h.history["learning_rate"] == [f32(0.01 / (e + 1)) for e in range(3)]
    for e in range(3):                        # by hand: the rate set before each epoch
        b.optimizer.learning_rate = 0.01 / (e + 1)
        b.fit(x, y, epochs=e + 1, initial_epoch=e, batch_size=16, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    with pytest.raises(ValueError, match="must return a float"):
        a.fit(x, y, epochs=1, verbose=0,
              callbacks=[callbacks.LearningRateScheduler(lambda epoch: 1)])


def test_reduce_on_plateau_sequence(rng, capsys):
    x, y = small_data(rng)
    m = tutorial_model()
    # min_delta so large that only the first epoch improves: a reduction after each
    # epoch past patience, cooldown epochs apart, never below min_lr
    cb = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1e9,
                                     cooldown=2, min_lr=2e-4, verbose=1)
    h = m.fit(x, y, epochs=8, batch_size=16, verbose=0, callbacks=[cb])
    # epochs 1, 3 and 5 reduce (the rate logged is the one the epoch trained at): each
    # cooldown counts down in the next two epochs, the second of which also counts as
    # the patience epoch; the third reduction stops at min_lr, and the floor stays
    want = [1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4, 2.5e-4, 2e-4, 2e-4]
    assert h.history["learning_rate"] == [f32(v) for v in want]
    assert m.optimizer.learning_rate == f32(2e-4)
    assert capsys.readouterr().out.count("ReduceLROnPlateau reducing learning rate") == 3
    with pytest.raises(ValueError, match="factor"):
        callbacks.ReduceLROnPlateau(factor=1.0)
    with pytest.warns(UserWarning, match="val_loss"):
        m.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.ReduceLROnPlateau()])
