"""The small data and tutorial-shaped model the recur.keras tests share."""
from __future__ import annotations

import numpy as np

from recur.keras.layers import LSTM, Dense
from recur.keras.models import Sequential


def small_data(rng, n=64, T=6, F=3):
    """x [n, T, F] standard normal; y [n, 1]: whether the first feature sums above 0."""
    x = rng.standard_normal((n, T, F)).astype(np.float32)
    y = (x[:, :, 0].sum(axis=1, keepdims=True) > 0).astype(np.float32)
    return x, y


def tutorial_model(units=8, T=6, F=3):
    """LSTM(units, relu) -> Dense(1, sigmoid), Adam, binary cross-entropy, accuracy."""
    m = Sequential([LSTM(units, activation="relu", input_shape=(T, F)),
                    Dense(1, activation="sigmoid")])
    m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return m
