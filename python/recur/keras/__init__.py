"""recur.keras: Keras 3's Sequential API on recur's engine.

Code written for ``tf.keras`` / ``keras`` runs with the import changed::

    from recur.keras.models import Sequential
    from recur.keras.layers import LSTM, Dense

Same layer names, arguments, defaults, weight layouts and training rules as Keras 3; an
argument recur does not implement raises an error naming it. Models are Sequential stacks
of the layers in ``recur.keras.layers``; Keras files (.keras, .h5) load and save.
"""
from . import callbacks, layers, losses, models, optimizers, utils
from .layers import Input
from .models import Sequential, load_model

__all__ = ["Input", "Sequential", "load_model", "callbacks", "layers", "losses", "models",
           "optimizers", "utils"]
