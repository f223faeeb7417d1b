#!/usr/bin/env python3
"""recur's `.keras` exports, loaded by real Keras 3 (JAX backend, as in CI).

test_keras_files, run with RECUR_KERAS_EXPORT_DIR=DIR, leaves in DIR each case's export
(NAME.keras) and NAME.recur.txt: recur's predictions of the case's inputs ("pred") and, for
models with an optimizer state, every weight after three training steps on the case's
continuation batches ("after<i>"). The export is of the model as loaded from
Keras's own file (tests/data/keras/NAME.keras). Here Keras loads each export with
keras.models.load_model, summarises it as it does its own file (names, classes, shapes,
parameter and optimizer variable counts) and predicts the same inputs; then takes three steps with
train_on_batch on the case's continuation batches, from the export and from Keras's own file
alike: the same weights after them mean the export carried the weights, the compile settings
and the optimizer state. recur's own three steps are compared too.

    KERAS_BACKEND=jax python3 tests/keras_roundtrip.py DIR tests/data/keras/cases.txt

Tolerances: predictions 2e-5 relative (absolute below 0.5) as test_keras_files.c; weights
after the steps 1e-5 relative between the two Keras runs, 1e-4 against recur (absolute below
0.01). Exit status 1 on any difference or failure to load.
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402
import keras  # noqa: E402


def read_arrays(lines):
    arrays = {}
    for line in lines:
        words = line.split()
        if len(words) >= 2 and words[1].isdigit():
            arrays[words[0]] = np.array([float(v) for v in words[2:]], dtype=np.float64)
    return arrays


def read_cases(path):
    """cases.txt → [(name, T, F, arrays)]"""
    cases, block = [], []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            block.append(line)
            if line.strip() == "end":
                name = block[0].split()[1]
                T, F = (int(v) for v in block[1].split()[1:3])
                cases.append((name, T, F, read_arrays(block[2:])))
                block = []
    return cases


def worst_error(got, want, floor):
    """The largest |got - want| / max(|want|, floor); floor turns small values absolute."""
    got, want = np.asarray(got, np.float64).ravel(), np.asarray(want, np.float64).ravel()
    if got.shape != want.shape:
        raise ValueError(f"{got.size} values, expected {want.size}")
    err = np.abs(got - want) / np.maximum(np.abs(want), floor)
    return float(err.max()) if err.size else 0.0


def shaped(model_shape, flat, rows=None):
    """flat as the model's input or output; targets with one value fewer per row than the
    output are class ids (sparse categorical cross-entropy)"""
    shape = tuple(model_shape[1:])
    if rows is not None and flat.size != rows * int(np.prod(shape)):
        shape = shape[:-1]
    return flat.astype(np.float32).reshape((-1,) + shape)


def summary(model):
    """model.summary()'s text: names, classes, shapes, parameter counts"""
    lines = []
    model.summary(print_fn=lambda text, line_break=True: lines.append(text))
    return "\n".join(lines)


def continue_training(model, ref):
    """Keras's three steps on the case's continuation batches; the weights after them."""
    for k in range(3):
        cx = shaped(model.input_shape, ref[f"cx{k}"])
        model.train_on_batch(cx, shaped(model.output_shape, ref[f"cy{k}"], len(cx)))
    return model.get_weights()


def check(export_dir, data_dir, name, ref):
    """(predictions against recur's, weights after three steps from recur's export against
    the same steps from Keras's own file, the same against recur's own three steps)"""
    mine = read_arrays(open(os.path.join(export_dir, name + ".recur.txt")))
    model = keras.models.load_model(os.path.join(export_dir, name + ".keras"))
    own = keras.models.load_model(os.path.join(data_dir, name + ".keras"))
    if summary(model) != summary(own):
        raise ValueError("Keras's summary of the export differs from its summary of its own "
                         "file:\n" + summary(model) + "\n" + summary(own))
    x = shaped(model.input_shape, ref["x"] if "x" in ref else ref["x0"])
    pred = model.predict(x, batch_size=len(x), verbose=0)
    worst_p = worst_error(pred, mine["pred"], 0.5)
    if "cx0" not in ref:
        return worst_p, 0.0, 0.0
    if not model.compiled:
        raise ValueError("the export did not come back compiled")
    got, want = continue_training(model, ref), continue_training(own, ref)
    if len(got) != len(want):
        raise ValueError(f"{len(got)} weights, Keras's file has {len(want)}")
    worst_k = max(worst_error(g, w, 1e-2) for g, w in zip(got, want))
    worst_r = max(worst_error(g, mine[f"after{i}"], 1e-2) for i, g in enumerate(got))
    return worst_p, worst_k, worst_r


def main():
    export_dir, cases_path = sys.argv[1], sys.argv[2]
    data_dir = os.path.dirname(cases_path)
    failed = 0
    worst = [0.0, 0.0, 0.0]
    cases = read_cases(cases_path)
    for name, T, F, ref in cases:
        try:
            p, k, r = check(export_dir, data_dir, name, ref)
        except Exception as e:  # every case reported, then the status
            print(f"FAIL {name}: {type(e).__name__}: {e}")
            failed += 1
            continue
        # recur's steps follow Keras on TensorFlow, whose Embedding gradients are sparse: rows
        # absent from a batch keep their Adam moments. JAX's dense gradients decay them, so
        # there recur's own steps are compared only for models without an Embedding.
        sparse = any(c.__class__.__name__ == "Embedding"
                     for c in keras.models.load_model(os.path.join(data_dir, name + ".keras"))
                     .layers)
        ok = p <= 2e-5 and k <= 1e-5 and (sparse or r <= 1e-4)
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: predictions {p:.1e}; weights after three "
              f"Keras steps from the export against from Keras's file {k:.1e}, against "
              f"recur's steps {r:.1e}{' (Embedding: not compared)' if sparse else ''}")
        worst = [max(worst[0], p), max(worst[1], k), max(worst[2], 0 if sparse else r)]
    print(f"{len(cases) - failed}/{len(cases)} recur exports load in Keras {keras.__version__} "
          f"({keras.backend.backend()}); worst relative errors: predictions {worst[0]:.1e}, "
          f"continued training against Keras's file {worst[1]:.1e}, against recur "
          f"{worst[2]:.1e}")
    return 1 if failed or not cases else 0


if __name__ == "__main__":
    sys.exit(main())
