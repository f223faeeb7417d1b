"""recur.keras's behaviour at its edges: Keras's outputs and keys, unsupported arguments,
bad data, callbacks, Ctrl-C, threads and the GIL, eager layer calls."""
from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from recur.keras import callbacks, layers, optimizers, utils
from recur.keras.layers import GRU, LSTM, Bidirectional, Dense, SimpleRNN, TimeDistributed
from recur.keras.models import Sequential, load_model

from kmodels import small_data, tutorial_model


# ---- Keras's outputs ---------------------------------------------------------------------

def test_progress_bar_and_history_keys(rng, capsys):
    x, y = small_data(rng)
    m = tutorial_model()
    h = m.fit(x, y, epochs=2, batch_size=16, validation_split=0.25)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/2" and out[2] == "Epoch 2/2"
    assert out[1].startswith("3/3 \u2501") and "/step - accuracy: " in out[1]
    assert out[1].index(" - accuracy") < out[1].index(" - loss") < out[1].index(" - val_accuracy")
    assert list(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert h.params == {"verbose": 1, "epochs": 2, "steps": 3}
    assert m.history is h


def test_evaluate_forms_and_metric_names(rng):
    x, y = small_data(rng)
    m = Sequential([LSTM(4, input_shape=(6, 3)), Dense(1)])
    m.compile(optimizer="sgd", loss="mse", metrics=["mse", "mae"])
    loss, mse, mae = m.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(mse)
    assert m.metrics_names == ["loss", "mse", "mae"]
    d = m.evaluate(x, y, verbose=0, return_dict=True)
    assert list(d) == ["loss", "mae", "mse"] and d["mae"] == mae
    m.compile(optimizer="sgd", loss="mse")
    assert isinstance(m.evaluate(x, y, verbose=0), float)


def test_validation_data_matches_split(rng):
    x, y = small_data(rng, n=50)
    results = []
    for use_data in (False, True):
        utils.set_random_seed(11)
        m = tutorial_model()
        if use_data:
            h = m.fit(x[:40], y[:40], epochs=2, batch_size=8, verbose=0,
                      validation_data=(x[40:], y[40:]))
        else:
            h = m.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_split=0.2)
        results.append(h.history)
    assert results[0] == results[1]


def test_shapes_return_sequences_and_time_distributed(rng):
    x = rng.standard_normal((5, 7, 2)).astype(np.float32)
    m = Sequential([GRU(4, return_sequences=True, input_shape=(7, 2)),
                    TimeDistributed(Dense(3, activation="softmax"))])
    assert m.predict(x, verbose=0).shape == (5, 7, 3)
    assert m.output_shape == (None, 7, 3) and m.input_shape == (None, 7, 2)
    b = Sequential([layers.Input((7, 2)), Bidirectional(SimpleRNN(3)), Dense(2)])
    assert b.predict(x, verbose=0).shape == (5, 2)
    assert [w.shape for w in b.layers[0].get_weights()] == [(2, 3), (3, 3), (3,)] * 2


def test_other_ways_to_give_the_input(rng):
    x = rng.standard_normal((4, 6, 3)).astype(np.float32)
    a = Sequential([LSTM(4, input_dim=3), Dense(1)])          # the steps come from the data
    assert a.predict(x, verbose=0).shape == (4, 1) and a.input_shape == (None, 6, 3)
    b = Sequential([LSTM(4, batch_input_shape=(None, 6, 3)), Dense(1)])
    assert b.input_shape == (None, 6, 3)
    c = Sequential([LSTM(4), Dense(1)])
    with pytest.raises(ValueError, match="input shape is not known"):
        c.summary()
    c.build((None, 6, 3))
    assert c.output_shape == (None, 1)


def test_weights_roundtrip_and_set_weights_checks(rng):
    m = tutorial_model()
    ws = m.get_weights()
    assert [w.shape for w in ws] == [(3, 32), (8, 32), (32,), (8, 1), (1,)]
    np.testing.assert_array_equal(ws[2][8:16], 1.0)      # unit_forget_bias
    m.set_weights([w * 0.5 for w in ws])
    np.testing.assert_array_equal(m.layers[1].get_weights()[0], ws[3] * 0.5)
    with pytest.raises(ValueError, match="expected 5 weights"):
        m.set_weights(ws[:2])
    with pytest.raises(ValueError, match=r"shape \(3, 32\)"):
        m.set_weights([np.zeros((2, 32))] + ws[1:])


def test_seeded_runs_repeat_and_summary(rng, capsys):
    x, y = small_data(rng)
    runs = []
    for _ in range(2):
        utils.set_random_seed(5)
        m = tutorial_model()
        runs.append(m.fit(x, y, epochs=2, verbose=0).history["loss"])
    assert runs[0] == runs[1]
    m.summary()
    out = capsys.readouterr().out
    assert f'Model: "{m.name}"' in out and f"{m.layers[0].name} (LSTM)" in out
    assert "Total params: " in out


def test_save_formats(tmp_path, rng):
    x, y = small_data(rng)
    m = tutorial_model()
    m.fit(x, y, epochs=1, verbose=0)
    for name in ("m.keras", "m.recur"):
        m.save(tmp_path / name)
        again = load_model(tmp_path / name)
        np.testing.assert_array_equal(again.predict(x, verbose=0), m.predict(x, verbose=0))
    m.save_weights(tmp_path / "m.weights.h5")
    fresh = tutorial_model()
    fresh.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), m.predict(x, verbose=0))
    with pytest.raises(NotImplementedError, match="legacy"):
        m.save(tmp_path / "m.h5")
    with pytest.raises(ValueError, match="extension"):
        m.save(tmp_path / "m.bin")
    with pytest.raises(ValueError, match="weights.h5"):
        m.save_weights(tmp_path / "m.h5")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras", "m.recur",
                                                          "m.weights.h5"]


# ---- what recur refuses ------------------------------------------------------------------

@pytest.mark.parametrize("make, word", [
    (lambda: LSTM(4, kernel_regularizer="l2"), "kernel_regularizer"),
    (lambda: LSTM(4, activation="selu"), "selu"),
    (lambda: GRU(4, bias_initializer="ones"), "bias_initializer"),
    (lambda: Dense(4, use_bias=False), "use_bias"),
    (lambda: LSTM(4, no_such_thing=1), "no_such_thing"),
    (lambda: optimizers.Adam(amsgrad=True), "amsgrad"),
    (lambda: optimizers.SGD(weight_decay=0.01), "weight_decay"),
    (lambda: layers.Embedding(10, 4, embeddings_initializer="normal"), "embeddings_initializer"),
])
def test_unsupported_arguments_are_named(make, word):
    with pytest.raises((NotImplementedError, TypeError), match=word):
        make()


def test_speed_only_arguments_are_accepted(rng):
    x = rng.standard_normal((4, 6, 3)).astype(np.float32)
    a = Sequential([LSTM(4, unroll=True, implementation=1, input_shape=(6, 3))])
    b = Sequential([LSTM(4, input_shape=(6, 3))])
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))


def test_unsupported_compile_and_fit_arguments(rng):
    x, y = small_data(rng)
    m = tutorial_model()
    with pytest.raises(NotImplementedError, match="loss"):
        m.compile(optimizer="adam", loss="kld")
    with pytest.raises(NotImplementedError, match="auc"):
        m.compile(optimizer="adam", loss="mse", metrics=["auc"])
    with pytest.raises(NotImplementedError, match="nadam"):
        m.compile(optimizer="nadam", loss="mse")
    with pytest.raises(NotImplementedError, match="loss_weights"):
        m.compile(optimizer="adam", loss="mse", loss_weights=[2.0])
    with pytest.raises(NotImplementedError, match="class_weight"):
        m.fit(x, y, class_weight={0: 1.0, 1: 2.0}, verbose=0)
    with pytest.raises(NotImplementedError, match="sample_weight"):
        m.fit(x, y, sample_weight=np.ones(len(x)), verbose=0)


def test_bad_data(rng):
    x, y = small_data(rng)
    m = tutorial_model()
    with pytest.raises(ValueError, match=r"\(batch,\) \+ \(6, 3\)"):
        m.fit(x[:, :5], y, verbose=0)
    with pytest.raises(ValueError, match="y must have shape"):
        m.fit(x, y[:10], verbose=0)
    with pytest.raises(ValueError, match="y must have shape"):
        m.fit(x, np.zeros((len(x), 2)), verbose=0)
    with pytest.raises(TypeError, match="dtype"):
        m.fit(x.astype(complex), y, verbose=0)
    bad = y.copy()
    bad[3] = np.inf
    with pytest.raises(ValueError, match="y has"):
        m.fit(x, bad, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        m.fit(x, y, validation_split=1.5, verbose=0)
    e = Sequential([layers.Embedding(5, 3, input_shape=(4,)), LSTM(2)])
    with pytest.raises(ValueError, match="sample 0, step 1"):
        e.predict(np.array([[1, 7, 0, 0]]), verbose=0)
    assert m.predict(x[:2], verbose=0).shape == (2, 1)   # still usable


# ---- callbacks, Ctrl-C ---------------------------------------------------------------------

def test_lambda_callback_order_and_stop_training(rng):
    x, y = small_data(rng)
    m = tutorial_model()
    calls = []

    def epoch_end(epoch, logs):
        calls.append(("end", epoch, sorted(logs)))
        if epoch == 1:
            m.stop_training = True

    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append(("train",)),
        on_epoch_begin=lambda epoch, logs: calls.append(("begin", epoch)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch", batch)),
        on_epoch_end=epoch_end)
    h = m.fit(x, y, epochs=5, batch_size=32, callbacks=[cb], verbose=0)
    assert h.epoch == [0, 1]
    assert calls == [("train",), ("begin", 0), ("batch", 0), ("batch", 1),
                     ("end", 0, ["accuracy", "loss"]), ("begin", 1), ("batch", 0),
                     ("batch", 1), ("end", 1, ["accuracy", "loss"])]


def test_exception_in_callback_propagates_after_the_batch(rng):
    x, y = small_data(rng)
    m = tutorial_model()

    def boom(batch, logs):
        if batch == 1:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        m.fit(x, y, epochs=3, batch_size=16,
              callbacks=[callbacks.LambdaCallback(on_train_batch_end=boom)], verbose=0)
    assert np.isfinite(m.predict(x, verbose=0)).all()


def test_keyboard_interrupt_stops_at_the_next_batch(rng):
    x = rng.standard_normal((4096, 50, 8)).astype(np.float32)
    y = rng.standard_normal((4096, 1)).astype(np.float32)
    m = Sequential([LSTM(64, input_shape=(50, 8)), Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    seen = []
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        m.fit(x, y, epochs=50, batch_size=32, verbose=0,
              callbacks=[callbacks.LambdaCallback(
                  on_train_batch_end=lambda b, logs: seen.append(b))])
    timer.cancel()
    assert time.perf_counter() - started < 20      # not the whole 50 epochs
    assert seen                                    # it was training when interrupted
    assert np.isfinite(m.predict(x[:8], verbose=0)).all()
    m.fit(x[:64], y[:64], epochs=1, verbose=0)     # and it trains on


# ---- threads -----------------------------------------------------------------------------

def test_two_models_fit_in_two_threads(rng):
    x, y = small_data(rng, n=512, T=30, F=4)

    def run(out, i):
        m = Sequential([LSTM(16, input_shape=(30, 4)), Dense(1)])
        m.compile(optimizer="adam", loss="mse")
        m.set_weights(weights[i])
        h = m.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0)
        out[i] = (h.history["loss"], m.get_weights())

    weights = []
    for i in range(2):
        utils.set_random_seed(40 + i)
        weights.append(Sequential([LSTM(16, input_shape=(30, 4)), Dense(1)]).get_weights())
    alone = [None, None]
    for i in range(2):
        run(alone, i)
    together = [None, None]
    threads = [threading.Thread(target=run, args=(together, i)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(2):
        assert together[i][0] == alone[i][0]
        for a, b in zip(together[i][1], alone[i][1]):
            np.testing.assert_array_equal(a, b)


def test_gil_is_released_during_fit(rng):
    x = rng.standard_normal((2048, 50, 8)).astype(np.float32)
    y = rng.standard_normal((2048, 1)).astype(np.float32)
    m = Sequential([LSTM(64, input_shape=(50, 8)), Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    done = threading.Event()
    count = 0

    def train():
        m.fit(x, y, epochs=2, batch_size=256, verbose=0)
        done.set()

    t = threading.Thread(target=train)
    t.start()
    started = time.perf_counter()
    while not done.is_set():
        count += 1
    elapsed = time.perf_counter() - started
    t.join()
    # Python code ran all the while: tens of thousands of loop turns per second at least
    assert elapsed > 0.05 and count / elapsed > 10000, (count, elapsed)


# ---- eager layer calls -------------------------------------------------------------------

def test_return_state_and_initial_state(rng):
    x = rng.standard_normal((3, 5, 2)).astype(np.float32)
    lstm = LSTM(4, return_sequences=True, return_state=True)
    seq, h, c = lstm(x)
    assert seq.shape == (3, 5, 4) and h.shape == c.shape == (3, 4)
    np.testing.assert_array_equal(seq[:, -1], h)
    # the same weights in a model give the same last output
    m = Sequential([layers.Input((5, 2)), LSTM(4)])
    m.set_weights(lstm.get_weights())
    np.testing.assert_allclose(m.predict(x, verbose=0), h, rtol=1e-6, atol=1e-7)
    # two halves with the state carried = the whole
    first, h1, c1 = lstm(x[:, :3])
    second, h2, c2 = lstm(x[:, 3:], initial_state=[h1, c1])
    np.testing.assert_allclose(h2, h, rtol=1e-6, atol=1e-7)
    gru = GRU(3, return_state=True)
    out, state = gru(x)
    np.testing.assert_array_equal(out, state)
    with pytest.raises(NotImplementedError, match="return_state"):
        Sequential([layers.Input((5, 2)), LSTM(4, return_state=True)]).predict(x)


def test_loss_objects(rng):
    from recur.keras import losses
    x, y = small_data(rng)
    by_name, by_object = tutorial_model(), tutorial_model()
    by_object.set_weights(by_name.get_weights())
    by_object.compile(optimizer="adam", loss=losses.BinaryCrossentropy(), metrics=["accuracy"])
    assert by_name.evaluate(x, y, verbose=0) == by_object.evaluate(x, y, verbose=0)
    with pytest.raises(NotImplementedError, match="from_logits"):
        losses.BinaryCrossentropy(from_logits=True)
    with pytest.raises(NotImplementedError, match="delta"):
        losses.Huber(delta=2.0)
    assert repr(losses.MeanSquaredError()).startswith("<recur.keras.losses.MeanSquaredError")


def test_batch_logs_run_up_to_the_epoch_logs(rng):
    x, y = small_data(rng, n=50)
    m = tutorial_model()
    batch_logs, epoch_logs = [], []
    cb = callbacks.LambdaCallback(
        on_train_batch_end=lambda b, logs: batch_logs.append(dict(logs)),
        on_epoch_end=lambda e, logs: epoch_logs.append(dict(logs)))
    m.fit(x, y, epochs=1, batch_size=16, callbacks=[cb], verbose=0)
    assert len(batch_logs) == 4 and list(batch_logs[0]) == ["accuracy", "loss"]
    assert batch_logs[-1] == epoch_logs[0]


def test_names_the_library_cannot_store_keep_working(rng):
    m = Sequential([layers.Input((5, 2)), LSTM(3, name="my lstm")], name="a/b")
    assert m.predict(rng.standard_normal((2, 5, 2)), verbose=0).shape == (2, 3)
    assert m.layers[0].name == "my lstm" and m.name == "a/b"


def test_a_keras_layer_recur_lacks_is_named_with_what_it_has():
    with pytest.raises(AttributeError, match="does not implement the Keras layer Conv1D; "
                                             "its layers are SimpleRNN, LSTM"):
        layers.Conv1D
    with pytest.raises(ImportError):   # Python's own message: import drops the text
        from recur.keras.layers import Flatten  # noqa: F401
    assert not hasattr(layers, "__wrapped__")


def test_an_open_length_follows_the_data(tmp_path, rng):
    """input_shape=(None, F), as Keras: sequences of any length, the weights and the
    optimizer carried from one length to the next; files keep the length open."""
    x20 = rng.standard_normal((32, 20, 2)).astype(np.float32)
    y = (x20[:, :, 0].mean(axis=1, keepdims=True) > 0).astype(np.float32)
    m = Sequential([LSTM(6, input_shape=(None, 2)), Dense(1, activation="sigmoid")])
    m.compile(optimizer="adam", loss="binary_crossentropy")
    m.fit(x20, y, epochs=1, batch_size=16, verbose=0)
    x35 = rng.standard_normal((5, 35, 2)).astype(np.float32)
    fixed = Sequential([LSTM(6, input_shape=(35, 2)), Dense(1, activation="sigmoid")])
    fixed.set_weights(m.get_weights())
    np.testing.assert_array_equal(m.predict(x35, verbose=0), fixed.predict(x35, verbose=0))
    m.fit(x20[:, :12], y, epochs=1, batch_size=16, verbose=0)      # trains on at 12 steps
    assert m.predict(x20, verbose=0).shape == (32, 1)
    for name in ("m.keras", "m.recur"):
        m.save(tmp_path / name)
        again = load_model(tmp_path / name)
        np.testing.assert_array_equal(again.predict(x35, verbose=0), m.predict(x35, verbose=0))
    with pytest.raises(ValueError, match="one sequence length"):
        m.fit(x20, y, epochs=1, verbose=0, validation_data=(x20[:, :5], y))
    with pytest.raises(ValueError, match=r"expected inputs of shape \(batch,\) \+ \(35, 2\)"):
        fixed.predict(x20, verbose=0)                               # a declared length stays
    stateful = Sequential([layers.Input(batch_shape=(4, None, 2)),
                           LSTM(3, stateful=True), Dense(1)])
    stateful.predict(x20[:4], verbose=0)
    with pytest.raises(ValueError, match="stateful model keeps the sequence length"):
        stateful.predict(x20[:4, :7], verbose=0)
