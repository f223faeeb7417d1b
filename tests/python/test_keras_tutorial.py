"""Tutorial-style Keras code, unchanged but for the import, on the bundled real data."""
from __future__ import annotations

import csv

import numpy as np

from recur.keras import utils
from recur.keras.callbacks import EarlyStopping
from recur.keras.layers import GRU, LSTM, Dense, Embedding, Input
from recur.keras.models import Sequential, load_model

from conftest import ROOT


def sunspot_windows(steps: int = 20):
    with open(ROOT / "data/sunspots_yearly.csv") as f:
        series = np.array([float(r["sunspots"]) for r in csv.DictReader(f)], np.float32)
    scale = series.max()
    s = series / scale
    x = np.stack([s[i:i + steps] for i in range(len(s) - steps)])[..., None]
    y = s[steps:, None]
    split = int(0.8 * len(x))
    return x[:split], y[:split], x[split:], y[split:], scale


def test_sunspots_stacked_lstm(tmp_path, capsys):
    utils.set_random_seed(7)
    x_train, y_train, x_test, y_test, scale = sunspot_windows()
    model = Sequential([
        LSTM(32, return_sequences=True, input_shape=(20, 1)),
        LSTM(16),
        Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    history = model.fit(x_train, y_train, epochs=30, batch_size=16, validation_split=0.1,
                        verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 30/30" in out and " - val_loss: " in out
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert len(history.history["loss"]) == 30 and history.epoch == list(range(30))
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    test_mse, test_mae = model.evaluate(x_test, y_test, verbose=0)
    persistence = float(np.mean((x_test[:, -1, 0] - y_test[:, 0]) ** 2))
    mean_only = float(np.mean((y_train.mean() - y_test[:, 0]) ** 2))
    print(f"sunspots: test MSE {test_mse * scale**2:.1f}, persistence "
          f"{persistence * scale**2:.1f}, mean {mean_only * scale**2:.1f}")
    assert test_mse < persistence < mean_only
    pred = model.predict(x_test, batch_size=7, verbose=0)
    assert pred.shape == (len(x_test), 1)
    np.testing.assert_array_equal(pred, model.predict(x_test, verbose=0))

    model.save(tmp_path / "sunspots.keras")
    again = load_model(tmp_path / "sunspots.keras")
    np.testing.assert_array_equal(again.predict(x_test, verbose=0), pred)
    assert again.evaluate(x_test, y_test, verbose=0) == [test_mse, test_mae]


def encode_names(path, length=12):
    labels, ids = [], []
    with open(path) as f:
        for row in csv.DictReader(f):
            codes = [ord(c) - 96 for c in row["name"].lower() if "a" <= c <= "z"][:length]
            ids.append(codes + [0] * (length - len(codes)))
            labels.append(int(row["label"]))
    return np.array(ids, np.int32), np.array(labels, np.float32)


def test_names_embedding_gru_early_stopping():
    utils.set_random_seed(3)
    x_train, y_train = encode_names(ROOT / "data/names_train.csv")
    x_test, y_test = encode_names(ROOT / "data/names_test.csv")
    model = Sequential()
    model.add(Input(shape=(12,)))
    model.add(Embedding(input_dim=27, output_dim=16, mask_zero=True))
    model.add(GRU(32))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    stop = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x_train, y_train, epochs=15, batch_size=64,
                        validation_data=(x_test[:400], y_test[:400]), callbacks=[stop],
                        verbose=0)
    assert set(history.history) == {"accuracy", "loss", "val_accuracy", "val_loss"}
    loss, accuracy = model.evaluate(x_test[400:], y_test[400:], verbose=0)
    majority = max(y_test[400:].mean(), 1 - y_test[400:].mean())
    print(f"names: held-out accuracy {accuracy:.4f}, majority {majority:.4f}, "
          f"{len(history.epoch)} epochs")
    assert accuracy > majority + 0.15
    if stop.stopped_epoch:
        best = int(np.argmin(history.history["val_loss"]))
        val = model.evaluate(x_test[:400], y_test[:400], verbose=0)[0]
        assert abs(val - history.history["val_loss"][best]) < 1e-5
