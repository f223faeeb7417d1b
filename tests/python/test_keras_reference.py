"""recur.keras against values from real Keras (committed fixtures, generated on a machine
with TensorFlow by tools/gen_keras_reference.py and tools/gen_keras_files.py):

- every case of tests/data/keras_reference.txt built with recur.keras's layers from its
  spec, Keras's weights set with set_weights, then predict, evaluate, and for the trained
  cases fit (no shuffling) and every weight after it;
- every Keras file of tests/data/keras/ read by load_model, its predictions, and three
  steps of training from the file's optimizer state.
"""
from __future__ import annotations

import numpy as np
import pytest

from recur.keras import layers as K
from recur.keras import optimizers
from recur.keras.models import Sequential, load_model

from conftest import ROOT, read_arrays

REFERENCE = list(read_arrays(ROOT / "tests/data/keras_reference.txt"))
FILES = list(read_arrays(ROOT / "tests/data/keras/cases.txt"))


def recurrent(cell: str, units: str, flags: str) -> K.Layer:
    cls = {"lstm": K.LSTM, "gru": K.GRU, "rnn": K.SimpleRNN}[cell]
    kw = dict(return_sequences="s" in flags, go_backwards="b" in flags,
              zero_output_for_mask="z" in flags, stateful="t" in flags,
              dropout=0.3 if "D" in flags else 0.0,
              recurrent_dropout=0.3 if "R" in flags else 0.0)
    if "r" in flags:
        kw["reset_after"] = False
    return cls(int(units), **kw)


def build(spec: str, T: int, F: int) -> Sequential:
    """The generator's spec language: emb:V:D:mask, lstm|gru|rnn:units[:flags],
    bi:cell:units:flags:merge, dense:units:act, masking:value, dropout:rate, gap, gmp."""
    model = Sequential([K.Input((T,) if spec.startswith("emb") else (T, F))])
    for token in spec.split(","):
        kind, *a = token.split(":")
        if kind == "emb":
            model.add(K.Embedding(int(a[0]), int(a[1]), mask_zero=a[2] == "1"))
        elif kind in ("lstm", "gru", "rnn"):
            model.add(recurrent(kind, a[0], a[1] if len(a) > 1 else ""))
        elif kind == "bi":
            model.add(K.Bidirectional(recurrent(a[0], a[1], a[2]), merge_mode=a[3]))
        elif kind == "dense":
            model.add(K.Dense(int(a[0]), activation=a[1]))
        elif kind == "masking":
            model.add(K.Masking(float(a[0])))
        elif kind == "dropout":
            model.add(K.Dropout(float(a[0])))
        elif kind == "gap":
            model.add(K.GlobalAveragePooling1D())
        elif kind == "gmp":
            model.add(K.GlobalMaxPooling1D())
        else:
            raise AssertionError(token)
    return model


def compile_from(model: Sequential, line: str) -> None:
    loss, opt, lr, momentum, metric, clipnorm, global_clipnorm, clipvalue = line.split()
    clips = {k: float(v) for k, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                     ("global_clipnorm", global_clipnorm)) if float(v) > 0}
    if opt == "adam":
        optimizer = optimizers.Adam(float(lr), **clips)
    elif opt == "sgd":
        optimizer = optimizers.SGD(float(lr), momentum=float(momentum), **clips)
    else:
        optimizer = optimizers.RMSprop(float(lr), **clips)
    losses = {"bce": "binary_crossentropy", "cce": "categorical_crossentropy",
              "sparse_cce": "sparse_categorical_crossentropy"}
    model.compile(optimizer=optimizer, loss=losses.get(loss, loss),
                  metrics=None if metric == "none" else [metric])


def close(got, want, rtol, atol_below):
    got, want = np.ravel(got), np.ravel(want)
    assert got.shape == want.shape
    # a row with every step masked: 0/0 in Keras's GlobalAveragePooling1D, and here
    assert np.array_equal(np.isnan(got), np.isnan(want))
    got, want = got[~np.isnan(want)], want[~np.isnan(want)]
    scale = np.maximum(np.abs(want), atol_below)
    worst = float(np.max(np.abs(got - want) / scale)) if got.size else 0.0
    assert worst <= rtol, f"worst relative error {worst:.2e}"
    return worst


@pytest.mark.parametrize("case", [c for c in REFERENCE if "stateful" not in c],
                         ids=lambda c: c["case"])
def test_keras_reference_case(case):
    T, F = (int(v) for v in case["shape"].split())
    model = build(case["spec"], T, F)
    weights = [case[f"w{i}"] for i in range(len([k for k in case if k[0] == "w" and
                                                 k[1:].isdigit()]))]
    model.build((None,) + ((T,) if case["spec"].startswith("emb") else (T, F)))
    shapes = [w.shape for w in model.get_weights()]
    model.set_weights([w.reshape(s) for w, s in zip(weights, shapes)])
    x = case["x"].astype(np.float32)
    n = x.size // (T * F)
    x = x.reshape((n, T) if case["spec"].startswith("emb") else (n, T, F))
    if "pred" in case:
        close(model.predict(x, verbose=0), case["pred"], 2e-5, 0.5)
    if "compile" not in case:
        return
    compile_from(model, case["compile"])
    batch, epochs = (int(v) for v in case["fit"].split())
    y = case["y"].astype(np.float32).reshape(n, -1)
    values = np.atleast_1d(model.evaluate(x, y, batch_size=batch, verbose=0))
    close(values, case["eval"], 2e-5, 0.5)
    model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0)
    for i, w in enumerate(model.get_weights()):
        close(w, case[f"after{i}"], 1e-2, 1e-2 if w.size else 1)
    close(np.atleast_1d(model.evaluate(x, y, batch_size=batch, verbose=0)),
          case["eval_after"], 2e-4, 0.5)


def check_predictions(model, case, T, F):
    """The file's predictions; a stateful model's two calls carry the states between them."""
    stateful = "pred0" in case
    pairs = [("x0", "pred0"), ("x1", "pred1")] if stateful else [("x", "pred")]
    for xs, ps in pairs:
        x = case[xs].astype(np.float32)
        x = x.reshape((x.size // (T * F),) + model.input_shape[1:])
        close(model.predict(x, batch_size=4 if stateful else None, verbose=0), case[ps],
              2e-5, 0.5)
    model.reset_states()


@pytest.mark.parametrize("case", FILES, ids=lambda c: c["case"].split()[0])
@pytest.mark.parametrize("kind", ["keras", "h5"])
def test_keras_file(case, kind):
    name = case["case"].split()[0]
    model = load_model(str(ROOT / "tests/data/keras" / f"{name}.{kind}"))
    T, F = (int(v) for v in case["shape"].split())
    check_predictions(model, case, T, F)
    if "cx0" not in case:
        return
    assert model.optimizer is not None   # the file's compile settings came with it
    for k in range(3):
        cx = case[f"cx{k}"].astype(np.float32).reshape((4,) + model.input_shape[1:])
        cy = case[f"cy{k}"].astype(np.float32).reshape(4, -1)
        model.fit(cx, cy, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for i, w in enumerate(model.get_weights()):
        close(w, case[f"after{i}"], 1e-2, 1e-2)


@pytest.mark.parametrize("case", FILES, ids=lambda c: c["case"].split()[0])
def test_keras_weights_file(case):
    """A .weights.h5 into the same layers with their weights zeroed."""
    name = case["case"].split()[0]
    model = load_model(str(ROOT / "tests/data/keras" / f"{name}.keras"))
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    model.load_weights(str(ROOT / "tests/data/keras" / f"{name}.weights.h5"))
    T, F = (int(v) for v in case["shape"].split())
    check_predictions(model, case, T, F)
    k2 = ROOT / "tests/data/keras" / f"{name}_k2.h5"
    if k2.exists():   # tf.keras 2's legacy file
        old = load_model(str(k2))
        x = case["x"].astype(np.float32).reshape((-1,) + old.input_shape[1:])
        close(old.predict(x, verbose=0), case["k2pred"], 2e-5, 0.5)
