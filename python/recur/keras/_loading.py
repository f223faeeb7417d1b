"""load_model: the C library reads the file (Keras's .keras or .h5, or recur's own); the
Python layers are then made from the Keras config that the library writes for the model,
so every kind of file gives the same layer objects, names and compile settings."""
from __future__ import annotations

import ctypes
import json
import os
import tempfile
import zipfile
from typing import Any, Dict, Optional

from .. import _lib as L
from .._errors import check
from . import layers as K
from . import optimizers
from ._compile import CompileSettings

_RECURRENT_KEYS = ("units", "activation", "recurrent_activation", "use_bias",
                   "unit_forget_bias", "reset_after", "dropout", "recurrent_dropout",
                   "return_sequences", "go_backwards", "stateful", "zero_output_for_mask",
                   "name")


def _pick(config: Dict[str, Any], keys) -> Dict[str, Any]:
    return {k: config[k] for k in keys if k in config}


def _recurrent(cls, config: Dict[str, Any]) -> K.Layer:
    keys = list(_RECURRENT_KEYS)
    if cls is K.SimpleRNN:
        keys = [k for k in keys if k not in ("recurrent_activation", "unit_forget_bias",
                                             "reset_after")]
    elif cls is K.LSTM:
        keys.remove("reset_after")
    else:
        keys.remove("unit_forget_bias")
    return cls(**_pick(config, keys))


def layer_from_config(entry: Dict[str, Any]) -> Optional[K.Layer]:
    """One layer of a Keras Sequential config (None for the InputLayer)."""
    cls_name, c = entry["class_name"], entry.get("config", {})
    if cls_name == "InputLayer":
        return None
    if cls_name in ("SimpleRNN", "LSTM", "GRU"):
        return _recurrent(getattr(K, cls_name), c)
    if cls_name == "Dense":
        return K.Dense(**_pick(c, ("units", "activation", "name")))
    if cls_name == "TimeDistributed":
        return K.TimeDistributed(layer_from_config(c["layer"]), name=c.get("name"))
    if cls_name == "Bidirectional":
        return K.Bidirectional(layer_from_config(c["layer"]),
                               merge_mode=c.get("merge_mode", "concat"), name=c.get("name"))
    if cls_name == "Embedding":
        return K.Embedding(**_pick(c, ("input_dim", "output_dim", "mask_zero", "name")))
    if cls_name == "Masking":
        return K.Masking(**_pick(c, ("mask_value", "name")))
    if cls_name == "Dropout":
        return K.Dropout(**_pick(c, ("rate", "name")))
    if cls_name in ("GlobalAveragePooling1D", "GlobalMaxPooling1D"):
        return getattr(K, cls_name)(name=c.get("name"))
    raise NotImplementedError(f"layer class {cls_name} in the model's config")


def _compile_settings(cc: Dict[str, Any]) -> Optional[CompileSettings]:
    opt = cc.get("optimizer") or {}
    oc = dict(opt.get("config", {}))
    known = {"adam": ("learning_rate", "beta_1", "beta_2", "epsilon"),
             "sgd": ("learning_rate", "momentum", "nesterov"),
             "rmsprop": ("learning_rate", "rho", "momentum", "epsilon")}
    kind = str(opt.get("class_name", "")).lower()
    if kind not in known:
        return None
    args = _pick(oc, known[kind] + ("clipnorm", "clipvalue", "global_clipnorm"))
    optimizer = {"adam": optimizers.Adam, "sgd": optimizers.SGD,
                 "rmsprop": optimizers.RMSprop}[kind](**args)
    return CompileSettings(optimizer, cc.get("loss"), cc.get("metrics") or None)


def _exported_config(handle) -> Dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        check(L.lib.recur_model_save_keras(handle, path.encode()))
        with zipfile.ZipFile(path) as z:
            return json.loads(z.read("config.json"))


def model_from_file(path: str, compile: bool):
    from .models import Sequential
    handle = L.model_p()
    check(L.lib.recur_model_load(path.encode(), ctypes.byref(handle)))
    try:
        config = _exported_config(handle)
        model = Sequential(name=config["config"].get("name"))
        for entry in config["config"]["layers"]:
            if entry["class_name"] == "InputLayer":
                model._input = tuple(entry["config"]["batch_shape"][1:])
                continue
            model.add(layer_from_config(entry))
        if compile and "compile_config" in config:
            model._compile = _compile_settings(config["compile_config"])
            if model._compile is not None:   # an assigned learning_rate reaches this model
                model._compile.optimizer._bind(model)
    except BaseException:
        L.lib.recur_model_free(handle)
        raise
    first = 0
    for layer in model._layers:
        layer._first_weight = first
        first += layer._weight_count()
    model._handle = handle.value   # without compile settings fit asks for compile(), as Keras
    # the length the C model runs; an open one (None in the file) follows the data
    model._open_length = bool(L.lib.recur_model_length_open(model._handle))
    model._input = (_input_length(model._handle),) + tuple(model._input[1:])
    return model


def _input_length(handle) -> int:
    steps, features = ctypes.c_int(), ctypes.c_int()
    check(L.lib.recur_model_input_shape(handle, ctypes.byref(steps), ctypes.byref(features)))
    return steps.value
