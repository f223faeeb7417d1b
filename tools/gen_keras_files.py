#!/usr/bin/env python3
"""Keras model files for recur's import tests, made by real Keras: each model saved as
Keras 3's `.keras`, `.weights.h5` (save_weights) and legacy `.h5` (model.save("x.h5")), and
some also by tf.keras 2 (the tf_keras package) as a legacy `.h5`; with inputs, Keras's
predictions and, for models trained a few steps, the weights after three more training
steps on given batches (so recur can continue training from the file's optimizer state).

Run once on a developer machine (never in CI):
    /tmp/tfenv/bin/pip install tensorflow-cpu keras h5py tf-keras
    /tmp/tfenv/bin/python tools/gen_keras_files.py tests/data/keras

Writes DIR/NAME.{keras,weights.h5,h5}, DIR/NAME_k2.h5 where made, and DIR/cases.txt, read by
tests/test_keras_files.c:
    case NAME FORMATS...     the files of this case (keras weights h5 k2)
    shape T F                per-sample input (F = 1 for token ids)
    ARRAY N v1 ... vN        x, pred (Keras's predictions of x); when trained: cx<k>, cy<k>
                             (the continuation batches) and after<i> (each weight after
                             them); k2pred and k2after<i> for the tf.keras 2 file
    end
Stateful cases predict x0 then x1 (states carried): pred0, pred1.
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_BACKEND"] = "tensorflow"

import numpy as np  # noqa: E402
import keras  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/data/keras"
CASES = []


def put(lines, name, a):
    a = np.asarray(a, dtype=np.float64).ravel()
    lines.append(f"{name} {a.size} " + " ".join(repr(float(v)) for v in a))


def rnn(kind, units, **kw):
    return {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU,
            "rnn": keras.layers.SimpleRNN}[kind](units, **kw)


# ---- the models (Keras 3) ----
def m_stacked_lstm():
    return keras.Sequential([keras.Input((6, 3)), rnn("lstm", 5, return_sequences=True),
                             rnn("lstm", 4, activation="relu", unit_forget_bias=False),
                             keras.layers.Dense(3, activation="softmax")])


def m_gru_forms():
    return keras.Sequential([keras.Input((5, 2)),
                             rnn("gru", 4, reset_after=False, go_backwards=True,
                                 return_sequences=True),
                             rnn("gru", 3, recurrent_activation="hard_sigmoid", use_bias=False),
                             keras.layers.Dense(1)])


def m_simple_time_distributed():
    return keras.Sequential([keras.Input((5, 3)), rnn("rnn", 4, activation="relu",
                                                      return_sequences=True),
                             keras.layers.TimeDistributed(keras.layers.Dense(2, activation="tanh")),
                             keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(1)])


def m_text_bidirectional():
    return keras.Sequential([keras.Input((7,)), keras.layers.Embedding(12, 4, mask_zero=True),
                             keras.layers.Bidirectional(rnn("lstm", 3, return_sequences=True)),
                             keras.layers.Dropout(0.25),
                             keras.layers.Bidirectional(rnn("gru", 2), merge_mode="sum"),
                             keras.layers.Dense(1, activation="sigmoid")])


def m_masking_merges():
    return keras.Sequential([keras.Input((6, 2)), keras.layers.Masking(0.0),
                             keras.layers.Bidirectional(rnn("rnn", 3, return_sequences=True,
                                                            dropout=0.2, recurrent_dropout=0.1),
                                                        merge_mode="mul"),
                             keras.layers.Bidirectional(rnn("gru", 2, return_sequences=True),
                                                        merge_mode="ave"),
                             keras.layers.GlobalMaxPooling1D(), keras.layers.Dense(2)])


def m_sequence_output():
    return keras.Sequential([keras.Input((5,)), keras.layers.Embedding(9, 3, mask_zero=True),
                             rnn("gru", 4, return_sequences=True, zero_output_for_mask=True),
                             keras.layers.Dense(3, activation="softmax")])


def m_stateful():
    return keras.Sequential([keras.Input(batch_shape=(4, 5, 2)),
                             rnn("lstm", 3, stateful=True, return_sequences=True),
                             rnn("gru", 2, stateful=True), keras.layers.Dense(1)])


def ids(rng, n, T, vocab):
    x = rng.integers(1, vocab, size=(n, T))
    for b in range(n):
        x[b, int(rng.integers(1, T + 1)):] = 0
    return x


def features(rng, n, T, F, masked=False):
    x = rng.uniform(-1, 1, size=(n, T, F)).astype(np.float32)
    if masked:
        for b in range(n):
            x[b, int(rng.integers(1, T + 1)):] = 0.0
    return x


def save_all(model, name, formats):
    model.save(os.path.join(OUT, name + ".keras"))
    if "weights" in formats:
        model.save_weights(os.path.join(OUT, name + ".weights.h5"))
    if "h5" in formats:
        model.save(os.path.join(OUT, name + ".h5"))


def case(name, build, x, y=None, compile_args=None, k2=None, stateful=False):
    rng = np.random.default_rng(sum(name.encode()))
    keras.utils.set_random_seed(len(name))
    model = build()
    formats = ["keras", "weights", "h5"]
    lines = []
    T = x.shape[1]
    F = x.shape[2] if x.ndim == 3 else 1
    if compile_args:
        model.compile(**compile_args)
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    if stateful:
        put(lines, "x0", x[:4])
        put(lines, "x1", x[4:8])
        save_all(model, name, formats)
        put(lines, "pred0", model.predict(x[:4], batch_size=4, verbose=0))
        put(lines, "pred1", model.predict(x[4:8], batch_size=4, verbose=0))
    else:
        save_all(model, name, formats)
        put(lines, "x", x)
        put(lines, "pred", model.predict(x, verbose=0))
    if compile_args:
        # three more steps from the saved state, on given batches
        for k in range(3):
            rows = rng.choice(len(x), size=4, replace=False)
            put(lines, f"cx{k}", x[rows])
            put(lines, f"cy{k}", y[rows])
            model.train_on_batch(x[rows], y[rows])
        for i, w in enumerate(model.get_weights()):
            put(lines, f"after{i}", w)
    if k2:
        k2_case(k2, model, name, x, lines)
        formats.append("k2")
    CASES.append([f"case {name} {' '.join(formats)}", f"shape {T} {F}"] + lines + ["end"])


def k2_case(build_k2, k3_model, name, x, lines):
    """The same architecture in tf.keras 2, its weights set to Keras 3's (as trained by
    Keras 3: the optimizer state is tf.keras 2's own after one fit epoch)."""
    import tf_keras as k2
    model = build_k2(k2)
    model.set_weights(k3_model.get_weights())
    model.save(os.path.join(OUT, name + "_k2.h5"))
    put(lines, "k2pred", model.predict(x, verbose=0))


def k2_stacked(k2):
    m = k2.Sequential([k2.layers.InputLayer(input_shape=(6, 3)),
                       k2.layers.LSTM(5, return_sequences=True),
                       k2.layers.LSTM(4, activation="relu", unit_forget_bias=False),
                       k2.layers.Dense(3, activation="softmax")])
    m.compile(optimizer=k2.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
    return m


def k2_text(k2):
    m = k2.Sequential([k2.layers.Embedding(12, 4, mask_zero=True, input_length=7),
                       k2.layers.Bidirectional(k2.layers.LSTM(3, return_sequences=True)),
                       k2.layers.Dropout(0.25),
                       k2.layers.Bidirectional(k2.layers.GRU(2), merge_mode="sum"),
                       k2.layers.Dense(1, activation="sigmoid")])
    m.compile(optimizer=k2.optimizers.RMSprop(0.01), loss="binary_crossentropy")
    return m


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(2026)
    n = 12
    case("stacked_lstm", m_stacked_lstm, features(rng, n, 6, 3),
         rng.integers(0, 3, size=(n, 1)).astype(np.float32),
         dict(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"]), k2=k2_stacked)
    case("gru_forms", m_gru_forms, features(rng, n, 5, 2),
         rng.uniform(-1, 1, size=(n, 1)).astype(np.float32),
         dict(optimizer=keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True), loss="mse",
              metrics=["mae"]))
    case("simple_time_distributed", m_simple_time_distributed, features(rng, n, 5, 3),
         rng.uniform(-1, 1, size=(n, 1)).astype(np.float32),
         dict(optimizer=keras.optimizers.RMSprop(0.01, momentum=0.5), loss="huber"))
    case("text_bidirectional", m_text_bidirectional, ids(rng, n, 7, 12),
         rng.integers(0, 2, size=(n, 1)).astype(np.float32), k2=k2_text)
    case("masking_merges", m_masking_merges, features(rng, n, 6, 2, masked=True))
    case("sequence_output", m_sequence_output, ids(rng, n, 5, 9),
         rng.integers(0, 3, size=(n, 5)).astype(np.float32),
         dict(optimizer=keras.optimizers.Adam(0.02, clipnorm=0.5),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"]))
    case("stateful", m_stateful, features(rng, 8, 5, 2), stateful=True)
    with open(os.path.join(OUT, "cases.txt"), "w") as f:
        f.write(f"# Keras {keras.__version__}, TensorFlow backend: tools/gen_keras_files.py\n")
        for c in CASES:
            f.write("\n".join(c) + "\n")


if __name__ == "__main__":
    sys.exit(main())
