"""Models crossing between recur.keras and real Keras 3 (the JAX backend in CI) through
.keras files, both ways, and the same code giving the same numbers in both."""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras", reason="Keras 3 is not installed")

from recur.keras import layers as R  # noqa: E402
from recur.keras.models import Sequential, load_model  # noqa: E402


def data(rng, n=40):
    x = rng.standard_normal((n, 8, 3)).astype(np.float32)
    y = (x[:, :, 1].mean(axis=1, keepdims=True) > 0).astype(np.float32)
    return x, y


def test_recur_model_loads_in_keras_and_trains_on(tmp_path, rng):
    x, y = data(rng)
    m = Sequential([R.Input((8, 3)), R.Bidirectional(R.GRU(5, return_sequences=True)),
                    R.LSTM(4), R.Dense(1, activation="sigmoid")])
    m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    m.fit(x, y, epochs=2, batch_size=8, verbose=0)
    m.save(tmp_path / "m.keras")
    k = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(k.predict(x, verbose=0), m.predict(x, verbose=0),
                               rtol=2e-5, atol=1e-6)
    assert [layer.name for layer in k.layers] == [layer.name for layer in m.layers]
    # one more epoch in each, from the same optimizer state, without shuffling
    k.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    m.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(m.get_weights(), k.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


def test_keras_model_loads_in_recur(tmp_path, rng):
    x, y = data(rng)
    keras.utils.set_random_seed(3)
    k = keras.Sequential([keras.Input((8, 3)), keras.layers.LSTM(6, return_sequences=True),
                          keras.layers.GRU(4), keras.layers.Dense(2, activation="softmax")])
    k.compile(optimizer=keras.optimizers.RMSprop(0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    k.fit(x, y, epochs=1, batch_size=8, verbose=0)
    k.save(tmp_path / "k.keras")
    m = load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(m.predict(x, verbose=0), k.predict(x, verbose=0),
                               rtol=2e-5, atol=1e-6)
    km = k.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(m.evaluate(x, y, verbose=0), km, rtol=1e-5)


def test_same_code_same_numbers(rng):
    """The tutorial code written once, run by both with the same initial weights."""
    x, y = data(rng, 50)        # 0.2 of 50: Keras trains on 40 (floor of 50 * 0.8)
    results = []
    for lib in (keras, None):
        L = keras.layers if lib else R
        Seq = keras.Sequential if lib else Sequential
        model = Seq([L.Input((8, 3)), L.LSTM(10, activation="relu"),
                     L.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        if lib:
            start = model.get_weights()
        else:
            model.set_weights(start)
        h = model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0,
                      validation_split=0.2)
        results.append((h.history, model.get_weights()))
    (kh, kw), (rh, rw) = results
    assert sorted(kh) == sorted(rh)
    for key in kh:
        np.testing.assert_allclose(rh[key], kh[key], rtol=1e-4, atol=1e-6)
    for a, b in zip(rw, kw):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


def test_learning_rate_callbacks_as_keras(rng):
    """LearningRateScheduler and ReduceLROnPlateau (cooldown, floor) in both, from the same
    weights: the same rates epoch by epoch and the same training."""
    from recur.keras import callbacks as RC
    x, y = data(rng, 48)
    results = []
    for lib in (keras, None):
        L = keras.layers if lib else R
        C = keras.callbacks if lib else RC
        model = (keras.Sequential if lib else Sequential)(
            [L.Input((8, 3)), L.GRU(6), L.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy")
        if lib:
            start = model.get_weights()
        else:
            model.set_weights(start)
        cbs = [C.LearningRateScheduler(lambda epoch, rate: rate * 0.9),
               C.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1e9,
                                   cooldown=1, min_lr=2e-4)]
        h = model.fit(x, y, epochs=7, batch_size=16, shuffle=False, verbose=0, callbacks=cbs)
        results.append((h.history, model.get_weights()))
    (kh, kw), (rh, rw) = results
    assert rh["learning_rate"] == kh["learning_rate"]
    np.testing.assert_allclose(rh["loss"], kh["loss"], rtol=1e-4)
    for a, b in zip(rw, kw):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


def test_open_length_trains_as_keras(rng):
    """input_shape=(None, 3): trained at 8 steps, then at 5, then predicting 11, in both."""
    x, y = data(rng, 32)
    x11 = rng.standard_normal((6, 11, 3)).astype(np.float32)
    results = []
    for lib in (keras, None):
        L = keras.layers if lib else R
        model = (keras.Sequential if lib else Sequential)(
            [L.Input((None, 3)), L.LSTM(5), L.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy")
        if lib:
            start = model.get_weights()
        else:
            model.set_weights(start)
        model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
        model.fit(x[:, 3:], y, epochs=2, batch_size=8, shuffle=False, verbose=0)
        results.append((model.predict(x11, verbose=0), model.get_weights()))
    (kp, kw), (rp, rw) = results
    np.testing.assert_allclose(rp, kp, rtol=1e-3, atol=1e-5)
    for a, b in zip(rw, kw):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("ids", [False, True])
def test_open_length_files_both_ways(tmp_path, rng, ids):
    """Keras's files record an open length as None: Keras's load in recur and recur's in
    Keras, and both predict any length alike (token ids through an Embedding too)."""
    shape = (None,) if ids else (None, 2)

    def layers(L):
        first = [L.Embedding(12, 4)] if ids else []
        return [L.Input(shape)] + first + [L.LSTM(4, return_sequences=True), L.GRU(3),
                                           L.Dense(1)]

    def inputs(n, T):
        return (rng.integers(0, 12, (n, T)).astype(np.float32) if ids
                else rng.standard_normal((n, T, 2)).astype(np.float32))

    k = keras.Sequential(layers(keras.layers))
    k.compile(optimizer="adam", loss="mse")
    k.save(tmp_path / "k.keras")
    m = load_model(tmp_path / "k.keras")
    assert "(None, None, 4)" in _summary(m)
    for T in (3, 11):
        x = inputs(4, T)
        np.testing.assert_allclose(m.predict(x, verbose=0), k.predict(x, verbose=0),
                                   rtol=2e-5, atol=1e-6)
    m.fit(inputs(8, 6), np.zeros((8, 1), np.float32), epochs=1, verbose=0)
    m.save(tmp_path / "m.keras")
    back = keras.models.load_model(tmp_path / "m.keras")
    assert back.input_shape[1] is None
    for T in (2, 9):
        x = inputs(4, T)
        np.testing.assert_allclose(back.predict(x, verbose=0), m.predict(x, verbose=0),
                                   rtol=2e-5, atol=1e-6)


def _summary(model) -> str:
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


def test_checkpoint_csv_and_batch_stop_as_keras(tmp_path, rng):
    """The same callbacks in both: ModelCheckpoint's files every 3 batches, CSVLogger's
    columns without validation, and a stop set after a batch (the epoch still ends, with
    its validation)."""
    from recur.keras import callbacks as RC
    x, y = data(rng, 64)
    seen = []
    for lib in (keras, None):
        L = keras.layers if lib else R
        C = keras.callbacks if lib else RC
        out = tmp_path / ("keras" if lib else "recur")
        out.mkdir()

        def make():
            model = (keras.Sequential if lib else Sequential)(
                [L.Input((8, 3)), L.LSTM(4), L.Dense(1, activation="sigmoid")])
            model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
            return model
        model = make()
        model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[
            C.ModelCheckpoint(str(out / "e{epoch}-b{batch}.keras"), save_freq=3),
            C.CSVLogger(str(out / "log.csv"))])
        stopper = make()

        def stop(batch, logs, model=stopper):
            if batch == 1:
                model.stop_training = True
        h = stopper.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
                        callbacks=[C.LambdaCallback(on_train_batch_end=stop)])
        lines = (out / "log.csv").read_text().splitlines()
        seen.append((sorted(p.name for p in out.iterdir()), lines[0],
                     [line.split(",")[0] for line in lines[1:]], h.epoch, sorted(h.history)))
    assert seen[0] == seen[1]
