#!/usr/bin/env python3
"""One training epoch from Python: recur.keras against Keras 3 (its configured backend),
recur.torch.LSTM against torch.nn.LSTM, and recur.keras against the C API's fit on the
same model (the binding's overhead). Each framework runs in a process of its own (no other
runtime's thread pool competes with it) on the same threads; the processes take turns,
round after round, and the medians of the per-round ratios are reported.

    OMP_NUM_THREADS=2 python benchmarks/python/bench_python.py --rounds 5 [--only keras]

Models (the tutorial ones): LSTM(50, relu) -> Dense(1, sigmoid) on 100x1, 10,000 samples,
batch 32; the same stacked (LSTM(50, return_sequences) -> LSTM(50)); GRU(50); and
LSTM(512) on 50x512, batch 64 (2,048 samples). Needs recur installed (pip install .),
and keras and/or torch for their comparisons; what is absent is skipped.
"""
from __future__ import annotations

import argparse
import ctypes
import multiprocessing
import os
import statistics
import time

import numpy as np

THREADS = int(os.environ.setdefault("OMP_NUM_THREADS", "2"))

MODELS = {
    # name: (timesteps, features, samples, batch, layers)
    "lstm50": (100, 1, 10000, 32, [("lstm", 50, False)]),
    "stacked": (100, 1, 10000, 32, [("lstm", 50, True), ("lstm", 50, False)]),
    "gru50": (100, 1, 10000, 32, [("gru", 50, False)]),
    "lstm512": (50, 512, 2048, 64, [("lstm", 512, False)]),
}


def data(name):
    T, F, n, batch, _ = MODELS[name]
    rng = np.random.default_rng(0)
    # scaled to [0, 1) as tutorials scale their series (a relu LSTM on unscaled data
    # diverges, and the timing of overflowing arithmetic means nothing)
    x = rng.random((n, T, F), dtype=np.float32)
    y = (x[:, -10:, 0].mean(axis=1, keepdims=True) > 0.5).astype(np.float32)
    return x, y, batch


def keras_like(mod, name):
    """The tutorial model in a Keras-like API (keras or recur.keras)."""
    T, F, _, _, layers = MODELS[name]
    L = mod.layers
    mod.utils.set_random_seed(0)             # the same weights for every run of a model
    model = mod.Sequential([L.Input((T, F))] + [
        (L.LSTM if cell == "lstm" else L.GRU)(units, activation="relu" if units == 50 else "tanh",
                                            return_sequences=seq)
        for cell, units, seq in layers] + [L.Dense(1, activation="sigmoid")])
    model.build((None, T, F))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def keras_epoch(model, x, y, batch):
    model.fit(x, y, epochs=1, batch_size=batch, verbose=0)


CALLBACK_SECONDS = [0.0]


def time_callbacks() -> None:
    """Count the time fit spends in its Python callbacks (the binding's only per-batch
    work): an upper bound of the binding's share, free of the machine's drift."""
    from recur.keras import _training
    for name in ("on_batch", "on_epoch"):
        original = getattr(_training._FitSession, name)

        def timed(self, *args, _original=original):
            t0 = time.perf_counter()
            try:
                return _original(self, *args)
            finally:
                CALLBACK_SECONDS[0] += time.perf_counter() - t0
        setattr(_training._FitSession, name, timed)


def c_api_epoch(model, x, y, batch):
    """The same model's fit straight through the C API: one call, no callbacks."""
    from recur import _lib as L
    model._build(x)
    o = L.FitOpts(epochs=1, batch_size=batch, seed=1)
    status = L.lib.recur_model_fit_sized(model._handle, x.ctypes.data_as(L.c_float_p),
                                         y.ctypes.data_as(L.c_float_p), len(x),
                                         ctypes.byref(o), ctypes.sizeof(o))
    assert status == 0, L.lib.recur_last_error()


def torch_setup(impl, name):
    import torch
    T, F, _, _, layers = MODELS[name]
    cell, units, _ = layers[0]
    if len(layers) != 1 or cell != "lstm":
        return None
    torch.manual_seed(0)
    rnn = impl.LSTM(F, units, batch_first=True)
    head = torch.nn.Linear(units, 1)
    opt = torch.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=1e-3)
    return rnn, head, opt


def torch_epoch(setup, x, y, batch):
    import torch
    rnn, head, opt = setup
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for i in range(0, len(x), batch):
        out, _ = rnn(xt[i:i + batch])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(head(out[:, -1]),
                                                                    yt[i:i + batch])
        opt.zero_grad()
        loss.backward()
        opt.step()


def available(only):
    """The kinds of run to compare, for what is installed."""
    import importlib.util
    want = {"binding", "keras", "torch"} if only is None else {only}
    kinds = []
    if want & {"binding", "keras"}:
        kinds.append("recur.keras")
    if "binding" in want:
        kinds.append("C API")
    if "keras" in want:
        if importlib.util.find_spec("keras"):
            kinds.append("keras")
        else:
            print("keras is not installed: no Keras rows")
    if "torch" in want:
        if importlib.util.find_spec("torch"):
            kinds += ["recur.torch", "torch"]
        else:
            print("torch is not installed: no PyTorch rows")
    return kinds


def setup(kind, name):
    """(label, state, epoch) of one kind of run on one model, in this process."""
    if kind in ("recur.keras", "C API"):
        import recur.keras as rk
        if kind == "recur.keras":
            time_callbacks()
        return kind, keras_like(rk, name), keras_epoch if kind == "recur.keras" else c_api_epoch
    if kind == "keras":
        import keras
        return (f"keras {keras.__version__}/{keras.backend.backend()}", keras_like(keras, name),
                keras_epoch)
    import torch
    torch.set_num_threads(THREADS)
    if kind == "recur.torch":
        import recur.torch as rt
        return kind, torch_setup(rt, name), torch_epoch
    return f"torch {torch.__version__}", torch_setup(torch.nn, name), torch_epoch


def worker(kind, name, conn):
    """One framework in its own process (so no other runtime's threads compete with it):
    built and warmed up, then one epoch per request, answering its times."""
    label, state, epoch = setup(kind, name)
    x, y, batch = data(name)
    epoch(state, x, y, batch)
    conn.send(label)
    while conn.recv() == "run":
        CALLBACK_SECONDS[0] = 0.0
        t0 = time.perf_counter()
        epoch(state, x, y, batch)
        conn.send((time.perf_counter() - t0, CALLBACK_SECONDS[0]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", choices=["binding", "keras", "torch"])
    ap.add_argument("--models", default=",".join(MODELS))
    args = ap.parse_args()
    wanted = args.models.split(",")
    kinds = available(args.only)
    ctx = multiprocessing.get_context("spawn")
    runs = {}
    for name in wanted:
        for kind in kinds:
            layers = MODELS[name][4]
            if kind in ("recur.torch", "torch") and (len(layers) != 1 or layers[0][0] != "lstm"):
                continue                    # torch rows: the single-LSTM models
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(target=worker, args=(kind, name, theirs), daemon=True)
            proc.start()
            runs[kind, name] = (mine, proc)
    labels = {key: conn.recv() for key, (conn, _) in runs.items()}
    times = {key: [] for key in runs}
    in_callbacks = {key: [] for key in runs}
    for r in range(args.rounds):
        for key, (conn, _) in runs.items():
            conn.send("run")
            seconds, callbacks = conn.recv()
            times[key].append(seconds)
            in_callbacks[key].append(callbacks)
        print(f"round {r + 1}/{args.rounds} done", flush=True)
    for conn, proc in runs.values():
        conn.send("stop")
        proc.join()
    report(args, wanted, labels, times, in_callbacks)


def report(args, wanted, labels, times, in_callbacks):
    import recur
    print(f"\nrecur {recur.__version__}, isa {recur.info()['isa']}, {THREADS} threads, "
          f"{args.rounds} rounds, each framework in its own process; one epoch, median "
          "seconds; ratio = the other's time over recur's, median of the per-round ratios")
    print("| model | recur | other | recur s | other s | ratio |")
    print("|---|---|---|---|---|---|")
    for (kind, name), b in times.items():
        ref = {"torch": "recur.torch", "keras": "recur.keras", "C API": "recur.keras"}.get(kind)
        if ref is None or (ref, name) not in times:
            continue
        a = times[ref, name]
        ratio = statistics.median(y / x for x, y in zip(a, b))
        print(f"| {name} | {ref} | {labels[kind, name]} | {statistics.median(a):.3f} | "
              f"{statistics.median(b):.3f} | {ratio:.3f} |")
    if args.only == "binding":
        print("\nrecur.keras's time in its Python callbacks (the binding's per-batch work):")
        for name in wanted:
            c, t = in_callbacks["recur.keras", name], times["recur.keras", name]
            share = statistics.median(ci / ti for ci, ti in zip(c, t))
            print(f"- {name}: {statistics.median(c) * 1e3:.1f} ms per epoch, "
                  f"{100 * share:.2f}% of the epoch")


if __name__ == "__main__":
    main()
