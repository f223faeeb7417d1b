"""The C library through ctypes: loading, the structs of the public headers, prototypes.

ctypes releases the GIL for the duration of every foreign call, so fit, predict, evaluate
and the layer calls run while other Python threads go on. The structs mirror
include/recur/*.h field for field; every ``*_sized`` call is given ``ctypes.sizeof`` of
the struct defined here, so the library reads exactly the fields this module knows.
"""
from __future__ import annotations

import ctypes
import os
from ctypes import (POINTER, Structure, c_bool, c_char_p, c_double, c_float, c_int,
                    c_size_t, c_uint, c_uint8, c_ulonglong, c_void_p)

c_float_p = POINTER(c_float)


def _library_path() -> str:
    override = os.environ.get("RECUR_LIBRARY")
    if override:
        return override
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "librecur.so")


lib = ctypes.CDLL(_library_path())


class RnnOpts(Structure):
    """recur_rnn_opts (include/recur/model.h)."""
    _fields_ = [("activation", c_int), ("recurrent_activation", c_int),
                ("return_sequences", c_bool), ("go_backwards", c_bool), ("no_bias", c_bool),
                ("reset_before", c_bool), ("no_unit_forget_bias", c_bool),
                ("zero_output_for_mask", c_bool), ("dropout", c_float),
                ("recurrent_dropout", c_float), ("stateful", c_bool)]


class RnnConfig(Structure):
    """recur_rnn_config (include/recur/rnn.h)."""
    _fields_ = [("cell", c_int), ("input_size", c_int), ("units", c_int),
                ("activation", c_int), ("recurrent_activation", c_int), ("no_bias", c_bool),
                ("reset_before", c_bool), ("go_backwards", c_bool),
                ("zero_output_for_mask", c_bool)]


class CompileOpts(Structure):
    """recur_compile_opts."""
    _fields_ = [("optimizer", c_int), ("loss", c_int), ("learning_rate", c_float),
                ("beta_1", c_float), ("beta_2", c_float), ("epsilon", c_float),
                ("momentum", c_float), ("rho", c_float), ("nesterov", c_bool),
                ("clipnorm", c_float), ("clipvalue", c_float), ("global_clipnorm", c_float),
                ("metrics", c_uint)]


MAX_METRICS = 3


class EpochLog(Structure):
    """recur_epoch_log."""
    _fields_ = [("epoch", c_int), ("loss", c_float), ("val_loss", c_float),
                ("metrics", c_float * MAX_METRICS), ("val_metrics", c_float * MAX_METRICS),
                ("n_metrics", c_int), ("seconds", c_double)]


class BatchLog(Structure):
    """recur_batch_log."""
    _fields_ = [("epoch", c_int), ("batch", c_int), ("loss", c_float),
                ("metrics", c_float * MAX_METRICS), ("n_metrics", c_int), ("samples", c_int)]


ON_EPOCH = ctypes.CFUNCTYPE(c_int, POINTER(EpochLog), c_void_p)
ON_BATCH = ctypes.CFUNCTYPE(None, c_int, c_int, c_float, c_void_p)
ON_BATCH_LOG = ctypes.CFUNCTYPE(None, POINTER(BatchLog), c_void_p)


class FitOpts(Structure):
    """recur_fit_opts."""
    _fields_ = [("epochs", c_int), ("batch_size", c_int), ("validation_split", c_float),
                ("no_shuffle", c_bool), ("seed", c_ulonglong), ("verbose", c_int),
                ("on_epoch", ON_EPOCH), ("on_batch", ON_BATCH), ("user", c_void_p),
                ("patience", c_int), ("min_delta", c_float),
                ("validation_x", c_float_p), ("validation_y", c_float_p),
                ("validation_n", c_int), ("stop", POINTER(c_int)),
                ("on_batch_log", ON_BATCH_LOG)]


# Enumerations, as in the headers.
ACT = {"default": 0, "tanh": 1, "sigmoid": 2, "relu": 3, "linear": 4, "hard_sigmoid": 5,
       "softmax": 6}
CELL = {"simple_rnn": 1, "lstm": 2, "gru": 3}
MERGE = {"concat": 0, "sum": 1, "mul": 2, "ave": 3}
OPTIMIZER = {"adam": 1, "sgd": 2, "rmsprop": 3}
LOSS = {"mse": 1, "mae": 2, "binary_crossentropy": 3, "categorical_crossentropy": 4,
        "sparse_categorical_crossentropy": 5, "huber": 6}
METRIC_BITS = {"accuracy": 1, "mae": 2, "mse": 4}   # values come back in this bit order

model_p = c_void_p
rnn_p = c_void_p


def _proto(name: str, restype, *argtypes) -> None:
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)


status = c_int
_PROTOTYPES = [
    ("recur_status_str", c_char_p, status),
    ("recur_last_error", c_char_p),
    ("recur_version", c_char_p),
    ("recur_isa_name", c_char_p),
    ("recur_cpu_features", c_char_p),
    ("omp_get_max_threads", c_int),      # from the OpenMP runtime librecur links
    # model
    ("recur_model_create", status, c_int, c_int, POINTER(model_p)),
    ("recur_model_add_simple_rnn_sized", status, model_p, c_int, POINTER(RnnOpts), c_size_t),
    ("recur_model_add_lstm_sized", status, model_p, c_int, POINTER(RnnOpts), c_size_t),
    ("recur_model_add_gru_sized", status, model_p, c_int, POINTER(RnnOpts), c_size_t),
    ("recur_model_add_bidirectional_sized", status, model_p, c_int, c_int, POINTER(RnnOpts),
     c_int, c_size_t),
    ("recur_model_add_dense", status, model_p, c_int, c_int),
    ("recur_model_add_embedding", status, model_p, c_int, c_int, c_bool),
    ("recur_model_add_masking", status, model_p, c_float),
    ("recur_model_add_dropout", status, model_p, c_float),
    ("recur_model_add_global_average_pooling1d", status, model_p),
    ("recur_model_add_global_max_pooling1d", status, model_p),
    ("recur_model_compile_sized", status, model_p, POINTER(CompileOpts), c_size_t),
    ("recur_model_set_learning_rate", status, model_p, c_float),
    ("recur_model_with_timesteps", status, model_p, c_int, POINTER(model_p)),
    ("recur_model_set_length_open", status, model_p, c_bool),
    ("recur_model_length_open", c_bool, model_p),
    ("recur_model_input_shape", status, model_p, POINTER(c_int), POINTER(c_int)),
    ("recur_model_set_seed", status, model_p, c_ulonglong),
    ("recur_model_fit_sized", status, model_p, c_float_p, c_float_p, c_int, POINTER(FitOpts),
     c_size_t),
    ("recur_model_predict_in_batches", status, model_p, c_float_p, c_int, c_int, c_float_p),
    ("recur_model_evaluate_in_batches", status, model_p, c_float_p, c_float_p, c_int, c_int,
     c_float_p, c_float_p),
    ("recur_model_output_shape", status, model_p, POINTER(c_int), POINTER(c_int)),
    ("recur_model_summary", status, model_p, ctypes.c_char_p, c_size_t),
    ("recur_model_reset_states", status, model_p),
    ("recur_model_set_name", status, model_p, c_int, c_char_p),
    ("recur_model_num_weights", c_int, model_p),
    ("recur_model_weight_shape", status, model_p, c_int, POINTER(c_int), c_int * 2),
    ("recur_model_set_weight", status, model_p, c_int, c_float_p, c_size_t),
    ("recur_model_get_weight", status, model_p, c_int, c_float_p, c_size_t),
    ("recur_model_save", status, model_p, c_char_p),
    ("recur_model_save_keras", status, model_p, c_char_p),
    ("recur_model_load", status, c_char_p, POINTER(model_p)),
    ("recur_model_load_keras_weights", status, model_p, c_char_p),
    ("recur_model_free", None, model_p),
    # recurrent layer
    ("recur_rnn_create_sized", status, POINTER(RnnConfig), c_size_t, POINTER(rnn_p)),
    ("recur_rnn_free", None, rnn_p),
    ("recur_rnn_set_weights", status, rnn_p, c_float_p, c_float_p, c_float_p),
    ("recur_rnn_set_inference", status, rnn_p, c_bool),
    ("recur_rnn_set_num_threads", status, rnn_p, c_int),
    ("recur_rnn_forward_masked", status, rnn_p, c_int, c_int, c_float_p, POINTER(c_uint8),
     c_float_p, c_float_p, c_float_p, c_float_p, c_float_p),
    ("recur_rnn_backward", status, rnn_p, c_float_p, c_float_p, c_float_p, c_float_p, c_float_p,
     c_float_p),
    ("recur_rnn_get_grads", status, rnn_p, c_float_p, c_float_p, c_float_p),
    ("recur_rnn_zero_grads", status, rnn_p),
]
for _p in _PROTOTYPES:
    _proto(*_p)
