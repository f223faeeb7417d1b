#!/usr/bin/env python3
"""Generate tests/data/rnn_reference.txt: forward outputs and all gradients of recurrent
layers in Keras 3 semantics, computed in float64 by PyTorch, independently of recur.

Where PyTorch's own modules compute the Keras cell (LSTM and GRU with default activations,
SimpleRNN with tanh/relu), they are used, with the Keras-layout weights mapped onto them
(transposed; GRU gate blocks reordered from Keras z,r,h to PyTorch r,z,n). Other
activations and GRU reset_after=False use the Keras formulas written out in torch. Gradients
come from autograd of L = Σ wy·y + Σ wh·h_last + Σ wc·c_last.

Run once: python3 tools/gen_rnn_reference.py > tests/data/rnn_reference.txt
Inputs are float32 values (so recur sees exactly the same numbers); references are float64.
"""
import sys

import numpy as np
import torch
from torch.func import functional_call

torch.set_default_dtype(torch.float64)

ACTS = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "linear": lambda v: v,
    "hard_sigmoid": lambda v: torch.clamp(v + 3.0, 0.0, 6.0) / 6.0,
}


def keras_formulas(cell, act, ract, reset_before, x, h0, c0, W, U, b, H):
    """The Keras 3 cells written out, batch-major x [B,T,F] already in processing order."""
    f, g = ACTS[act], ACTS[ract]
    h, c = h0, c0
    ys = []
    for t in range(x.shape[1]):
        xt = x[:, t, :]
        if cell == "rnn":
            z = xt @ W + (b if b is not None else 0) + h @ U
            h = f(z)
        elif cell == "lstm":
            z = xt @ W + h @ U + (b if b is not None else 0)
            i, fg, cc, o = z.split(H, dim=1)
            c = g(fg) * c + g(i) * f(cc)
            h = g(o) * f(c)
        elif not reset_before:
            mx = xt @ W + (b[0] if b is not None else 0)
            mh = h @ U + (b[1] if b is not None else 0)
            xz, xr, xh = mx.split(H, dim=1)
            hz, hr, hh_ = mh.split(H, dim=1)
            z, r = g(xz + hz), g(xr + hr)
            hh = f(xh + r * hh_)
            h = z * h + (1 - z) * hh
        else:
            mx = xt @ W + (b if b is not None else 0)
            xz, xr, xh = mx.split(H, dim=1)
            mh = h @ U[:, : 2 * H]
            hz, hr = mh.split(H, dim=1)
            z, r = g(xz + hz), g(xr + hr)
            hh = f(xh + (r * h) @ U[:, 2 * H :])
            h = z * h + (1 - z) * hh
        ys.append(h)
    return torch.stack(ys, dim=1), h, c


def torch_modules(cell, act, x, h0, c0, W, U, b, H, F):
    """PyTorch's own implementations, fed Keras-layout weights."""
    if cell == "lstm":
        m = torch.nn.LSTM(F, H, batch_first=True, bias=b is not None)
        p = {"weight_ih_l0": W.T, "weight_hh_l0": U.T}
        if b is not None:
            p["bias_ih_l0"], p["bias_hh_l0"] = b, torch.zeros(4 * H)
        y, (hn, cn) = functional_call(m, p, (x, (h0[None], c0[None])))
        return y, hn[0], cn[0]
    if cell == "gru":
        def reorder(w):   # Keras z, r, h  ->  PyTorch r, z, n (along the last axis)
            zb, rb, hb = w.split(H, dim=-1)
            return torch.cat([rb, zb, hb], dim=-1)
        m = torch.nn.GRU(F, H, batch_first=True, bias=b is not None)
        p = {"weight_ih_l0": reorder(W).T, "weight_hh_l0": reorder(U).T}
        if b is not None:
            p["bias_ih_l0"], p["bias_hh_l0"] = reorder(b[0]), reorder(b[1])
        y, hn = functional_call(m, p, (x, h0[None]))
        return y, hn[0], None
    m = torch.nn.RNN(F, H, batch_first=True, nonlinearity=act, bias=b is not None)
    p = {"weight_ih_l0": W.T, "weight_hh_l0": U.T}
    if b is not None:
        p["bias_ih_l0"], p["bias_hh_l0"] = b, torch.zeros(H)
    y, hn = functional_call(m, p, (x, h0[None]))
    return y, hn[0], None


def f32(rng, shape, lo, hi):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def emit(name, arr, digits=17):
    """float32 inputs round-trip exactly in 9 digits; float64 results need 17."""
    flat = np.asarray(arr, dtype=np.float64).ravel()
    print(f"{name} {flat.size} " + " ".join(f"{v:.{digits}g}" for v in flat))


def case(name, cell, B, T, F, H, act="tanh", ract="sigmoid", no_bias=False,
         reset_before=False, go_backwards=False, h0=False, c0=False, seed=0):
    rng = np.random.default_rng(seed)
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    bias_rows = 0 if no_bias else (2 if cell == "gru" and not reset_before else 1)
    arrays = {
        "x": f32(rng, (B, T, F), -1, 1),
        "h0": f32(rng, (B, H), -1, 1) if h0 else np.zeros((B, H), np.float32),
        "c0": f32(rng, (B, H), -1, 1) if c0 else np.zeros((B, H), np.float32),
        "kernel": f32(rng, (F, G * H), -0.5, 0.5),
        "recurrent_kernel": f32(rng, (H, G * H), -0.5, 0.5),
        "bias": f32(rng, (bias_rows, G * H), -0.5, 0.5),
        "wy": f32(rng, (B, T, H), -1, 1),
        "wh": f32(rng, (B, H), -1, 1),
        "wc": f32(rng, (B, H), -1, 1) if cell == "lstm" else np.zeros((B, H), np.float32),
    }
    t = {k: torch.tensor(v.astype(np.float64), requires_grad=k not in ("wy", "wh", "wc"))
         for k, v in arrays.items()}
    x = t["x"].flip(1) if go_backwards else t["x"]   # Keras: process reversed, keep that order
    b = None
    if bias_rows == 1:
        b = t["bias"][0]
    elif bias_rows == 2:
        b = t["bias"]
    default = act == "tanh" and ract == "sigmoid"
    use_module = (cell in ("lstm", "gru") and default and not reset_before) or \
                 (cell == "rnn" and act in ("tanh", "relu"))
    if use_module:
        y, hl, cl = torch_modules(cell, act, x, t["h0"], t["c0"], t["kernel"],
                                  t["recurrent_kernel"], b, H, F)
    else:
        y, hl, cl = keras_formulas(cell, act, ract, reset_before, x, t["h0"], t["c0"],
                                   t["kernel"], t["recurrent_kernel"], b, H)
    loss = (t["wy"] * y).sum() + (t["wh"] * hl).sum()
    if cell == "lstm":
        loss = loss + (t["wc"] * cl).sum()
    loss.backward()

    print(f"case {name}")
    print(f"config {cell} {act} {ract} {int(no_bias)} {int(reset_before)} {int(go_backwards)} "
          f"{B} {T} {F} {H} {int(h0)} {int(c0)} {'torch.nn' if use_module else 'formulas'}")
    for k in ("x", "h0", "c0", "kernel", "recurrent_kernel", "bias", "wy", "wh", "wc"):
        emit(k, arrays[k], 9)
    emit("y", y.detach())
    emit("h_last", hl.detach())
    emit("c_last", cl.detach() if cl is not None else np.zeros((B, H)))
    for k in ("x", "h0", "c0", "kernel", "recurrent_kernel", "bias"):
        g = t[k].grad
        emit("d" + k, g if g is not None else np.zeros(arrays[k].shape))
    print("end")


def main():
    print("# Generated by tools/gen_rnn_reference.py with PyTorch "
          f"{torch.__version__} in float64. Do not edit.")
    case("lstm_b1_t1_h1", "lstm", 1, 1, 1, 1, seed=1)
    case("lstm_odd_states", "lstm", 3, 7, 5, 6, h0=True, c0=True, seed=2)
    case("lstm_go_backwards", "lstm", 2, 5, 3, 4, go_backwards=True, h0=True, seed=3)
    case("lstm_no_bias", "lstm", 2, 4, 3, 3, no_bias=True, c0=True, seed=4)
    case("lstm_relu", "lstm", 2, 6, 2, 5, act="relu", seed=5)
    case("lstm_hard_sigmoid_linear", "lstm", 3, 3, 4, 2, act="linear", ract="hard_sigmoid",
         go_backwards=True, seed=6)
    case("lstm_wide", "lstm", 5, 6, 33, 20, h0=True, c0=True, seed=7)
    case("gru_b1_t1_h1", "gru", 1, 1, 1, 1, seed=8)
    case("gru_reset_after", "gru", 4, 6, 3, 5, h0=True, seed=9)
    case("gru_reset_after_relu", "gru", 2, 5, 4, 3, act="relu", go_backwards=True, seed=10)
    case("gru_reset_after_no_bias", "gru", 3, 4, 2, 4, no_bias=True, ract="hard_sigmoid", seed=11)
    case("gru_reset_before", "gru", 3, 4, 2, 3, reset_before=True, h0=True, seed=12)
    case("gru_reset_before_b1", "gru", 1, 1, 1, 1, reset_before=True, seed=13)
    case("gru_reset_before_wide", "gru", 4, 5, 17, 19, reset_before=True, go_backwards=True,
         seed=14)
    case("gru_wide", "gru", 5, 6, 33, 20, h0=True, seed=15)
    case("rnn_tanh", "rnn", 2, 9, 4, 7, h0=True, seed=16)
    case("rnn_relu_backwards", "rnn", 3, 5, 3, 5, act="relu", go_backwards=True, seed=17)
    case("rnn_b1_t1_h1", "rnn", 1, 1, 1, 1, seed=18)
    case("rnn_sigmoid_no_bias", "rnn", 2, 4, 3, 3, act="sigmoid", no_bias=True, seed=19)


if __name__ == "__main__":
    sys.exit(main())
