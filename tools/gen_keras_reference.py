#!/usr/bin/env python3
"""Reference values from real Keras 3 (TensorFlow backend) for recur's masked models:
Embedding with mask_zero, Masking, every recurrent cell under a mask (post-, pre- and
arbitrary padding, go_backwards, zero_output_for_mask, return_sequences or not), Dense on
masked sequences, GlobalAveragePooling1D and GlobalMaxPooling1D; predictions, evaluate's
loss and metrics, and training trajectories (each batch's loss and metrics from
train_on_batch, every weight after the steps) with the masked loss and Embedding's dense
optimizer updates.

Run once on a developer machine (never in CI):
    python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu keras
    /tmp/tfenv/bin/python tools/gen_keras_reference.py > tests/data/keras_reference.txt

Output: one block per case, read by tests/test_keras_reference.c:
    case NAME
    spec LAYERS          recur-side layer list, e.g. emb:20:6:1,lstm:5:s,dense:3:softmax
    shape T F            per-sample input shape (F = 1 for token ids)
    compile LOSS OPT LR MOMENTUM METRIC CLIPNORM GLOBAL_CLIPNORM CLIPVALUE
    fit BATCH EPOCHS
    ARRAY N v1 ... vN    x, y, w<i> (initial weights, get_weights order), pred, eval
                         (loss and metric), losses and metrics (each batch's), after<i>
                         (weights after training), eval_after
    end
Layer list: emb:IN:OUT:MASK_ZERO, masking:VALUE, lstm|gru|rnn:UNITS[:FLAGS] with FLAGS
letters s return_sequences, b go_backwards, r reset_after=False, z zero_output_for_mask,
t stateful, D dropout=0.3, R recurrent_dropout=0.3; bi:CELL:UNITS:FLAGS:MERGE
(Bidirectional, merge concat|sum|mul|ave); dropout:RATE; dense:UNITS:ACTIVATION, gap, gmp.

Stateful cases ("stateful B" after "shape") follow one protocol of calls on batches of B
rows, read by the test: p0 = predict(x0); p1 = predict(x1) (states carried from x0);
reset; p2 = predict(x1) (from zero states); and when trained: reset, train_on_batch on
(x0, y0) then (x1, y1) (losses, states carried), the weights after, p3 = predict(x0)
(states carried from training).
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_BACKEND"] = "tensorflow"

import numpy as np  # noqa: E402
import keras  # noqa: E402


def rnn_layer(kind, units, flags):
    kw = dict(return_sequences="s" in flags, go_backwards="b" in flags,
              zero_output_for_mask="z" in flags, stateful="t" in flags,
              dropout=0.3 if "D" in flags else 0.0,
              recurrent_dropout=0.3 if "R" in flags else 0.0)
    if kind == "gru":
        kw["reset_after"] = "r" not in flags
    cls = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU,
           "rnn": keras.layers.SimpleRNN}[kind]
    return cls(units, **kw)


def build(spec, T, F, batch=None):
    shape = (T,) if spec.startswith("emb") else (T, F)
    first = keras.Input(batch_shape=(batch,) + shape) if batch else keras.Input(shape=shape)
    layers = [first]
    for item in spec.split(","):
        p = item.split(":")
        kind = p[0]
        if kind == "bi":
            layers.append(keras.layers.Bidirectional(rnn_layer(p[1], int(p[2]), p[3]),
                                                     merge_mode=p[4]))
        elif kind == "dropout":
            layers.append(keras.layers.Dropout(float(p[1])))
        elif kind == "emb":
            layers.append(keras.layers.Embedding(int(p[1]), int(p[2]), mask_zero=p[3] == "1"))
        elif kind == "masking":
            layers.append(keras.layers.Masking(mask_value=float(p[1])))
        elif kind in ("lstm", "gru", "rnn"):
            layers.append(rnn_layer(kind, int(p[1]), p[2] if len(p) > 2 else ""))
        elif kind == "dense":
            layers.append(keras.layers.Dense(int(p[1]), activation=p[2]))
        elif kind == "gap":
            layers.append(keras.layers.GlobalAveragePooling1D())
        elif kind == "gmp":
            layers.append(keras.layers.GlobalMaxPooling1D())
        else:
            raise ValueError(item)
    return keras.Sequential(layers)


def ids(rng, B, T, vocab, padding, empty=True):
    """Token ids with zero padding: post, pre, or zeros anywhere; with `empty` the last row
    is all padding (where Keras's GlobalAveragePooling1D divides 0 by 0)."""
    x = rng.integers(1, vocab, size=(B, T))
    for b in range(B):
        n = 0 if empty and b == B - 1 else int(rng.integers(1, T + 1))
        if padding == "post":
            x[b, n:] = 0
        elif padding == "pre":
            x[b, :T - n] = 0
        else:
            x[b, rng.random(T) < 0.35] = 0
    return x


def numeric(rng, B, T, F, value, padding):
    """Features with steps set to the mask value (arbitrary pattern, or post-padding)."""
    x = rng.uniform(-1, 1, size=(B, T, F)).astype(np.float32)
    for b in range(B):
        if padding == "post":
            x[b, int(rng.integers(1, T + 1)):] = value
        else:
            x[b, rng.random(T) < 0.35] = value
    return x


def put(name, a):
    a = np.asarray(a, dtype=np.float64).ravel()
    print(name, a.size, " ".join(repr(float(v)) for v in a))


def set_weights(model, rng):
    ws = [rng.uniform(-0.6, 0.6, size=w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(ws)
    return ws


def loss_fn(name):
    return {"mse": "mse", "mae": "mae", "huber": "huber", "bce": "binary_crossentropy",
            "cce": "categorical_crossentropy",
            "sparse_cce": "sparse_categorical_crossentropy"}[name]


def optimizer(name, lr, momentum, clip):
    kw = {k: v for k, v in zip(("clipnorm", "global_clipnorm", "clipvalue"), clip) if v}
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=lr, **kw)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=momentum, **kw)
    return keras.optimizers.RMSprop(learning_rate=lr, **kw)


def case(name, spec, T, F, x, seed, train=None, y=None):
    """train: (loss, optimizer, lr, momentum, metric, batch, epochs[, clipnorm,
    global_clipnorm, clipvalue])."""
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    model = build(spec, T, F)
    ws = set_weights(model, rng)
    print("case", name)
    print("spec", spec)
    print("shape", T, F)
    xin = x.reshape(x.shape[0], T) if spec.startswith("emb") else x
    put("x", x)
    for i, w in enumerate(ws):
        put(f"w{i}", w)
    put("pred", model.predict(xin, verbose=0))
    if train:
        loss, opt, lr, momentum, metric, batch, epochs = train[:7]
        clip = tuple(train[7:10]) if len(train) > 7 else (0.0, 0.0, 0.0)
        print("compile", loss, opt, lr, momentum, metric, *clip)
        print("fit", batch, epochs)
        model.compile(loss=loss_fn(loss), optimizer=optimizer(opt, lr, momentum, clip),
                      metrics=[metric] if metric != "none" else [])
        put("y", y)
        put("eval", model.evaluate(xin, y, batch_size=batch, verbose=0))
        losses, metrics = [], []
        for _ in range(epochs):
            for b0 in range(0, len(x), batch):
                out = model.train_on_batch(xin[b0:b0 + batch], y[b0:b0 + batch])
                out = out if isinstance(out, list) else [out]
                losses.append(out[0])
                metrics.extend(out[1:])
        put("losses", losses)
        if metrics:
            put("metrics", metrics)
        for i, w in enumerate(model.get_weights()):
            put(f"after{i}", w)
        put("eval_after", model.evaluate(xin, y, batch_size=batch, verbose=0))
    print("end")


def reset_states(model):
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_states()


def stateful_case(name, spec, T, F, xs, seed, train=None, ys=None):
    """The stateful protocol of the docstring; xs = (x0, x1), each [B, T, F] (ids [B, T])."""
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    B = xs[0].shape[0]
    model = build(spec, T, F, batch=B)
    ws = set_weights(model, rng)
    print("case", name)
    print("spec", spec)
    print("shape", T, F)
    print("stateful", B)
    emb = spec.startswith("emb")
    xin = [x.reshape(B, T) if emb else x for x in xs]
    for i, x in enumerate(xs):
        put(f"x{i}", x)
    for i, w in enumerate(ws):
        put(f"w{i}", w)
    put("p0", model.predict(xin[0], batch_size=B, verbose=0))
    put("p1", model.predict(xin[1], batch_size=B, verbose=0))
    reset_states(model)
    put("p2", model.predict(xin[1], batch_size=B, verbose=0))
    if train:
        loss, opt, lr = train
        print("compile", loss, opt, lr, 0.0, "none", 0.0, 0.0, 0.0)
        print("fit", B, 1)
        model.compile(loss=loss_fn(loss), optimizer=optimizer(opt, lr, 0.0, (0, 0, 0)))
        reset_states(model)
        losses = []
        for i, (x, y) in enumerate(zip(xin, ys)):
            put(f"y{i}", y)
            out = model.train_on_batch(x, y)
            losses.append(out[0] if isinstance(out, list) else out)
        put("losses", losses)
        for i, w in enumerate(model.get_weights()):
            put(f"after{i}", w)
        put("p3", model.predict(xin[0], batch_size=B, verbose=0))
    print("end")


def wrappers(rng):
    """Bidirectional (every merge mode, masked or not, sequences or last outputs), Dropout
    and the recurrent dropout options at inference, and stateful calls."""
    B, T = 6, 7
    post, pre, anywhere = (ids(rng, B, T, 20, p) for p in ("post", "pre", "any"))
    xn = rng.uniform(-1, 1, size=(B, 5, 3)).astype(np.float32)
    seed = 40
    for merge in ("concat", "sum", "mul", "ave"):
        for cell, flags in (("lstm", "s"), ("gru", ""), ("rnn", "s"), ("gru", "rs")):
            for pad, x in (("post", post), ("pre", pre), ("any", anywhere)):
                case(f"bi_{merge}_{cell}{flags}_{pad}",
                     f"emb:20:4:1,bi:{cell}:3:{flags}:{merge},dense:2:linear", T, 1, x, seed)
                seed += 1
        case(f"bi_{merge}_unmasked", f"bi:lstm:4:s:{merge},dense:1:linear", 5, 3, xn, seed)
        seed += 1
    case("bi_stacked", "emb:20:4:1,bi:gru:3:s:concat,bi:lstm:2::sum,dense:1:sigmoid", T, 1,
         post, seed)
    case("dropout_inference", "emb:20:4:1,dropout:0.5,lstm:3:sD,dropout:0.3,gru:3:DR,"
         "dense:2:linear", T, 1, pre, seed + 1)
    N = 12
    xt = ids(rng, N, T, 9, "post", False)
    case("train_bi_concat_adam", "emb:9:4:1,bi:lstm:3::concat,dense:1:sigmoid", T, 1, xt,
         seed + 2, ("bce", "adam", 0.05, 0.0, "accuracy", 4, 2),
         rng.integers(0, 2, size=(N, 1)).astype(np.float32))
    case("train_bi_seq_mul_rmsprop", "emb:9:3:1,bi:gru:3:s:mul,dense:2:softmax", T, 1,
         ids(rng, N, T, 9, "pre", False), seed + 3,
         ("sparse_cce", "rmsprop", 0.02, 0.0, "accuracy", 6, 2),
         rng.integers(0, 2, size=(N, T)).astype(np.float32))
    case("train_bi_ave_sgd", "bi:rnn:3:s:ave,gap,dense:1:linear", 5, 3,
         rng.uniform(-1, 1, size=(N, 5, 3)).astype(np.float32), seed + 4,
         ("mse", "sgd", 0.1, 0.9, "mae", 4, 2),
         rng.uniform(-1, 1, size=(N, 1)).astype(np.float32))
    seed += 10
    # stateful: numeric and masked inputs, each cell, Bidirectional
    S = 4
    xs = [rng.uniform(-1, 1, size=(S, 5, 2)).astype(np.float32) for _ in range(2)]
    for cell in ("lstm", "gru", "rnn"):
        stateful_case(f"stateful_{cell}", f"{cell}:3:t,dense:1:linear", 5, 2, xs, seed,
                      ("mse", "adam", 0.05),
                      [rng.uniform(-1, 1, size=(S, 1)).astype(np.float32) for _ in range(2)])
        seed += 1
    stateful_case("stateful_lstm_seq", "lstm:3:st,dense:2:linear", 5, 2, xs, seed,
                  ("mse", "sgd", 0.1),
                  [rng.uniform(-1, 1, size=(S, 5, 2)).astype(np.float32) for _ in range(2)])
    xm = [ids(rng, S, T, 12, p, False) for p in ("post", "any")]
    stateful_case("stateful_masked_gru", "emb:12:3:1,gru:4:t,dense:1:sigmoid", T, 1, xm,
                  seed + 1, ("bce", "adam", 0.05),
                  [rng.integers(0, 2, size=(S, 1)).astype(np.float32) for _ in range(2)])
    stateful_case("stateful_bi", "emb:12:3:1,bi:lstm:3:st:concat,dense:1:linear", T, 1, xm,
                  seed + 2, ("mse", "adam", 0.05),
                  [rng.uniform(-1, 1, size=(S, T, 1)).astype(np.float32) for _ in range(2)])


def main():
    print(f"# Keras {keras.__version__}, TensorFlow backend: tools/gen_keras_reference.py")
    rng = np.random.default_rng(2026)
    B, T = 6, 7
    post, pre, anywhere = (ids(rng, B, T, 20, p) for p in ("post", "pre", "any"))
    for pad, x in (("post", post), ("pre", pre), ("any", anywhere)):
        case(f"emb_lstm_last_{pad}", "emb:20:6:1,lstm:5,dense:3:softmax", T, 1, x, 1)
        case(f"emb_gru_seq_bwd_{pad}", "emb:20:4:1,gru:6:sb,dense:2:linear", T, 1, x, 2)
        case(f"emb_rnn_seq_gap_{pad}", "emb:20:5:1,rnn:5:s,gap,dense:1:sigmoid", T, 1, x, 3)
        case(f"emb_lstm_seq_gmp_{pad}", "emb:20:4:1,lstm:4:s,gmp,dense:2:linear", T, 1, x, 4)
        case(f"emb_gru_reset_before_{pad}", "emb:20:5:1,gru:4:r,dense:1:linear", T, 1, x, 5)
        case(f"emb_lstm_zero_output_{pad}", "emb:20:3:1,lstm:4:sz,dense:2:tanh", T, 1, x, 6)
        case(f"emb_rnn_bwd_last_{pad}", "emb:20:3:1,rnn:4:b,dense:1:linear", T, 1, x, 7)
    case("emb_gap", "emb:20:4:1,gap,dense:2:linear", T, 1, anywhere, 8)
    case("emb_no_mask", "emb:20:4:0,lstm:3,dense:1:linear", T, 1, post, 9)
    case("emb_stacked_seq", "emb:20:4:1,lstm:5:s,gru:4:s,dense:2:softmax", T, 1, pre, 10)
    case("emb_zero_output_last", "emb:20:3:1,gru:4:z,dense:1:linear", T, 1, post, 11)
    xm = numeric(rng, B, 6, 3, 0.0, "any")
    case("masking_gru", "masking:0.0,gru:5,dense:1:linear", 6, 3, xm, 12)
    case("masking_lstm_seq", "masking:-1.0,lstm:3:sz,dense:2:linear", 6, 3,
         numeric(rng, B, 6, 3, -1.0, "post"), 13)
    case("masking_rnn_gmp", "masking:0.0,rnn:4:s,gmp,dense:1:linear", 6, 3, xm, 14)

    # training: masked losses and metrics, Embedding's dense updates, each optimizer
    N, T = 12, 8
    xt = ids(rng, N, T, 9, "post", False)   # a small vocabulary: ids repeat in a batch
    case("train_lstm_bce_adam", "emb:9:4:1,lstm:4,dense:1:sigmoid", T, 1, xt, 20,
         ("bce", "adam", 0.05, 0.0, "accuracy", 4, 2),
         rng.integers(0, 2, size=(N, 1)).astype(np.float32))
    case("train_gru_seq_sparse_sgd", "emb:9:4:1,gru:4:s,dense:3:softmax", T, 1,
         ids(rng, N, T, 9, "pre", False), 21,
         ("sparse_cce", "sgd", 0.5, 0.9, "accuracy", 6, 2),
         rng.integers(0, 3, size=(N, T)).astype(np.float32))
    case("train_masking_rnn_seq_rmsprop", "masking:0.0,rnn:3:s,dense:2:linear", 5, 2,
         numeric(rng, N, 5, 2, 0.0, "any"), 22, ("mse", "rmsprop", 0.02, 0.0, "mae", 4, 2),
         rng.uniform(-1, 1, size=(N, 5, 2)).astype(np.float32))
    case("train_lstm_gap_mse_adam", "emb:9:3:1,lstm:4:s,gap,dense:1:linear", T, 1, xt, 23,
         ("mse", "adam", 0.02, 0.0, "mae", 4, 2),
         rng.uniform(-1, 1, size=(N, 1)).astype(np.float32))
    case("train_gru_seq_cce_adam", "emb:9:3:1,gru:3:sb,dense:2:softmax", T, 1,
         ids(rng, N, T, 9, "any", False), 24, ("cce", "adam", 0.03, 0.0, "accuracy", 6, 2),
         np.eye(2, dtype=np.float32)[rng.integers(0, 2, size=(N, T))])
    case("train_embedding_gmp_sgd", "emb:9:4:1,gmp,dense:1:sigmoid", T, 1, xt, 25,
         ("bce", "sgd", 0.3, 0.0, "accuracy", 4, 2),
         rng.integers(0, 2, size=(N, 1)).astype(np.float32))
    # clipping: an Embedding's gradient is clipped, measured and squared per occurrence
    # (densified by global_clipnorm's scaling)
    yb = rng.integers(0, 2, size=(N, 1)).astype(np.float32)
    # losses and metrics on their other paths: MAE and Huber losses, the MSE metric, plain
    # SGD, and cross-entropy from probabilities (a last activation that is not the loss's)
    xn = rng.uniform(-1, 1, size=(N, 5, 3)).astype(np.float32)
    case("train_mae_sgd", "lstm:4,dense:2:linear", 5, 3, xn, 30,
         ("mae", "sgd", 0.1, 0.0, "mse", 4, 2), rng.uniform(-1, 1, size=(N, 2)).astype(np.float32))
    case("train_huber_rmsprop", "gru:4:s,dense:2:linear", 5, 3, xn, 31,
         ("huber", "rmsprop", 0.01, 0.0, "mae", 6, 2),
         rng.uniform(-2, 2, size=(N, 5, 2)).astype(np.float32))
    case("train_bce_hard_sigmoid", "gru:4,dense:1:hard_sigmoid", 5, 3, xn, 32,
         ("bce", "adam", 0.02, 0.0, "accuracy", 4, 2),
         rng.integers(0, 2, size=(N, 1)).astype(np.float32))
    case("train_cce_sigmoid", "rnn:4,dense:3:sigmoid", 5, 3, xn, 33,
         ("cce", "rmsprop", 0.01, 0.0, "accuracy", 4, 2),
         np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=N)])
    case("train_sparse_sigmoid", "lstm:3,dense:3:sigmoid", 5, 3, xn, 34,
         ("sparse_cce", "sgd", 0.2, 0.5, "accuracy", 6, 2),
         rng.integers(0, 3, size=(N, 1)).astype(np.float32))
    # (a sigmoid or softmax output carries its logits to every cross-entropy; another
    # activation's output is taken as probabilities)
    case("train_bce_softmax", "gru:4,dense:2:softmax", 5, 3, xn, 35,
         ("bce", "adam", 0.02, 0.0, "accuracy", 4, 2),
         rng.integers(0, 2, size=(N, 2)).astype(np.float32))
    case("train_cce_hard_sigmoid", "rnn:4,dense:3:hard_sigmoid", 5, 3, xn, 36,
         ("cce", "adam", 0.02, 0.0, "accuracy", 4, 2),
         np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=N)])
    case("train_sparse_hard_sigmoid", "lstm:3,dense:3:hard_sigmoid", 5, 3, xn, 37,
         ("sparse_cce", "rmsprop", 0.02, 0.0, "accuracy", 6, 2),
         rng.integers(0, 3, size=(N, 1)).astype(np.float32))
    for name, opt, clip in (("clipnorm_adam", "adam", (0.02, 0.0, 0.0)),
                            ("global_clipnorm_adam", "adam", (0.0, 0.05, 0.0)),
                            ("clipvalue_rmsprop", "rmsprop", (0.0, 0.0, 0.004)),
                            ("clipvalue_adam", "adam", (0.0, 0.0, 0.004))):
        case(f"train_{name}", "emb:9:4:1,lstm:3,dense:1:sigmoid", T, 1, xt, 26,
             ("bce", opt, 0.05, 0.0, "accuracy", 4, 2) + clip, yb)
    wrappers(rng)


if __name__ == "__main__":
    sys.exit(main())
