#!/usr/bin/env python3
"""Generate tests/data/model_reference.txt: training trajectories of small Sequential models
under Keras 3 rules, computed in float64 with PyTorch, independently of recur.

Layers run as PyTorch's nn.LSTM / nn.GRU / nn.RNN fed the Keras-layout weights (GRU gate
blocks reordered z,r,h -> r,z,n); Dense is x @ kernel + bias. Losses use Keras's reductions
(and, as Keras's TensorFlow backend does, cross-entropy from the logits of a sigmoid/softmax
Dense). The optimizer updates and gradient clipping are the Keras 3 formulas written out.
No shuffling: batches are taken in order, the last one partial.

Run once: python3 tools/gen_model_reference.py > tests/data/model_reference.txt
"""
import math
import sys

import numpy as np
import torch
from torch.func import functional_call

torch.set_default_dtype(torch.float64)


def rnn_layer(kind, units, act, x, W, U, b, return_sequences):
    F = x.shape[-1]
    H = units
    if kind == "lstm":
        m = torch.nn.LSTM(F, H, batch_first=True)
        p = {"weight_ih_l0": W.T, "weight_hh_l0": U.T, "bias_ih_l0": b,
             "bias_hh_l0": torch.zeros(4 * H)}
        y, (h, _) = functional_call(m, p, (x,))
    elif kind == "gru":
        def reorder(w):
            zb, rb, hb = w.split(H, dim=-1)
            return torch.cat([rb, zb, hb], dim=-1)
        m = torch.nn.GRU(F, H, batch_first=True)
        p = {"weight_ih_l0": reorder(W).T, "weight_hh_l0": reorder(U).T,
             "bias_ih_l0": reorder(b[0]), "bias_hh_l0": reorder(b[1])}
        y, h = functional_call(m, p, (x,))
    else:
        m = torch.nn.RNN(F, H, batch_first=True, nonlinearity=act)
        p = {"weight_ih_l0": W.T, "weight_hh_l0": U.T, "bias_ih_l0": b,
             "bias_hh_l0": torch.zeros(H)}
        y, h = functional_call(m, p, (x,))
    return y if return_sequences else h[0]


def forward(layers, weights, x):
    """Returns the output and, for the last Dense, its logits."""
    k = 0
    out, logits = x, None
    for L in layers:
        if L["kind"] == "dense":
            z = out @ weights[k] + weights[k + 1]
            k += 2
            act = L["act"]
            logits = z
            out = {"linear": z, "sigmoid": torch.sigmoid(z),
                   "softmax": torch.softmax(z, dim=-1)}[act]
        else:
            out = rnn_layer(L["kind"], L["units"], L.get("act", "tanh"), out, weights[k],
                            weights[k + 1], weights[k + 2], L.get("return_sequences", False))
            k += 3
    return out, logits


def loss_fn(loss, out, logits, y, last_act):
    if loss == "mse":
        return ((out - y) ** 2).mean()
    if loss == "bce":
        assert last_act == "sigmoid"
        z = logits
        return (torch.clamp(z, min=0) - z * y + torch.log1p(torch.exp(-z.abs()))).mean()
    if loss == "sparse_cce":
        assert last_act == "softmax"
        z = logits.reshape(-1, logits.shape[-1])
        return torch.nn.functional.cross_entropy(z, y.reshape(-1).long())
    raise ValueError(loss)


def clip(grads, c):
    if c.get("clipnorm"):
        return [g * (c["clipnorm"] / max(g.norm().item(), c["clipnorm"])) for g in grads]
    if c.get("global_clipnorm"):
        n = math.sqrt(sum((g ** 2).sum().item() for g in grads))
        return [g * (c["global_clipnorm"] / max(n, c["global_clipnorm"])) for g in grads]
    if c.get("clipvalue"):
        return [g.clamp(-c["clipvalue"], c["clipvalue"]) for g in grads]
    return grads


def step(c, weights, grads, state, t):
    lr = c["lr"]
    for i, (w, g) in enumerate(zip(weights, grads)):
        s = state[i]
        if c["opt"] == "adam":
            b1, b2, eps = 0.9, 0.999, 1e-7
            s[0] += (g - s[0]) * (1 - b1)
            s[1] += (g * g - s[1]) * (1 - b2)
            alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            w -= (s[0] * alpha) / (s[1].sqrt() + eps)
        elif c["opt"] == "rmsprop":
            rho, eps, mom = 0.9, 1e-7, c.get("momentum", 0.0)
            s[0][...] = rho * s[0] + (1 - rho) * g * g
            inc = lr * g / torch.sqrt(s[0] + eps)
            if mom > 0:
                s[1][...] = mom * s[1] + inc
                w -= s[1]
            else:
                w -= inc
        else:  # sgd
            mom = c.get("momentum", 0.0)
            if mom == 0:
                w -= lr * g
            else:
                s[0][...] = -g * lr + s[0] * mom
                if c.get("nesterov"):
                    w += -g * lr + s[0] * mom
                else:
                    w += s[0]


def trajectory(name, layers, T, F, n, batch, epochs, c, seed, target):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, T, F)).astype(np.float32)
    shapes = []
    fin = F
    for L in layers:
        u = L["units"]
        if L["kind"] == "dense":
            shapes += [(fin, u), (u,)]
        else:
            G = {"rnn": 1, "lstm": 4, "gru": 3}[L["kind"]]
            shapes += [(fin, G * u), (u, G * u), (2, G * u) if L["kind"] == "gru" else (G * u,)]
        fin = u
    weights0 = [rng.uniform(-0.4, 0.4, size=s).astype(np.float32) for s in shapes]
    if target == "regression":
        y = rng.uniform(-1, 1, size=(n, 1)).astype(np.float32)
    elif target == "binary":
        y = (rng.uniform(size=(n, 1)) > 0.5).astype(np.float32)
    else:
        y = rng.integers(0, layers[-1]["units"], size=(n,)).astype(np.float32)

    weights = [torch.tensor(w.astype(np.float64)) for w in weights0]
    state = [[torch.zeros_like(w), torch.zeros_like(w)] for w in weights]
    losses = []
    t = 0
    for _ in range(epochs):
        for b0 in range(0, n, batch):
            xb = torch.tensor(x[b0:b0 + batch].astype(np.float64))
            yb = torch.tensor(y[b0:b0 + batch].astype(np.float64))
            params = [w.clone().requires_grad_(True) for w in weights]
            out, logits = forward(layers, params, xb)
            loss = loss_fn(c["loss"], out, logits, yb, layers[-1].get("act"))
            loss.backward()
            losses.append(loss.item())
            t += 1
            with torch.no_grad():
                step(c, weights, clip([p.grad for p in params], c), state, t)

    print(f"model {name}")
    spec = ",".join(
        f"{L['kind']}:{L['units']}:{L.get('act', 'default')}:{int(L.get('return_sequences', False))}"
        for L in layers)
    print(f"config {T} {F} {n} {batch} {epochs} {spec} {c['opt']} {c['loss']} {c['lr']} "
          f"{c.get('momentum', 0)} {int(c.get('nesterov', False))} {c.get('clipnorm', 0)} "
          f"{c.get('clipvalue', 0)} {c.get('global_clipnorm', 0)}")
    emit("x", x, 9)
    emit("y", y, 9)
    for i, w in enumerate(weights0):
        emit(f"w0_{i}", w, 9)
    emit("losses", np.array(losses))
    for i, w in enumerate(weights):
        emit(f"w_{i}", w.numpy())
    print("end")


def emit(name, arr, digits=17):
    flat = np.asarray(arr, dtype=np.float64).ravel()
    print(f"{name} {flat.size} " + " ".join(f"{v:.{digits}g}" for v in flat))


def main():
    print(f"# Generated by tools/gen_model_reference.py with PyTorch {torch.__version__} in "
          "float64. Do not edit.")
    trajectory("lstm_dense_mse_adam", [{"kind": "lstm", "units": 8}, {"kind": "dense", "units": 1, "act": "linear"}],
               T=5, F=2, n=12, batch=4, epochs=3, c={"opt": "adam", "lr": 0.01, "loss": "mse"},
               seed=21, target="regression")
    trajectory("gru_sigmoid_bce_rmsprop", [{"kind": "gru", "units": 6}, {"kind": "dense", "units": 1, "act": "sigmoid"}],
               T=4, F=3, n=13, batch=5, epochs=2,
               c={"opt": "rmsprop", "lr": 0.01, "loss": "bce", "momentum": 0.5, "global_clipnorm": 1.0},
               seed=22, target="binary")
    trajectory("rnn_lstm_softmax_sgd", [{"kind": "rnn", "units": 5, "act": "relu", "return_sequences": True},
                                        {"kind": "lstm", "units": 4},
                                        {"kind": "dense", "units": 3, "act": "softmax"}],
               T=6, F=2, n=10, batch=4, epochs=2,
               c={"opt": "sgd", "lr": 0.05, "loss": "sparse_cce", "momentum": 0.9, "nesterov": True,
                  "clipvalue": 0.5},
               seed=23, target="classes")


if __name__ == "__main__":
    sys.exit(main())
