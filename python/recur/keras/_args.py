"""Keras arguments recur does not implement: accepted at their Keras default, refused
otherwise, by name. Arguments that only change Keras's speed are accepted at any value."""
from __future__ import annotations

from typing import Any, Mapping

# Arguments common to every Keras layer (keras.layers.Layer.__init__), with defaults.
LAYER_COMMON = {"trainable": True, "dtype": None, "autocast": True}

# Arguments whose only effect in Keras is speed: the numbers are the same either way.
SPEED_ONLY = {"unroll", "implementation", "use_cudnn"}

_NOT_GIVEN = object()


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:      # arrays and other objects that do not compare to a bool
        return False


def check_unsupported(owner: str, kwargs: Mapping[str, Any],
                      defaults: Mapping[str, Any]) -> None:
    """Raise for any argument that is neither Keras's nor at the value recur implements.

    ``defaults``: the Keras arguments recur accepts only at these values."""
    for key, value in kwargs.items():
        if key in SPEED_ONLY:
            continue
        default = defaults.get(key, LAYER_COMMON.get(key, _NOT_GIVEN))
        if default is _NOT_GIVEN:
            raise TypeError(f"{owner}: unrecognized keyword argument {key!r}")
        if key == "dtype" and value in ("float32", "float32 policy"):
            continue
        if not _same(value, default):
            raise NotImplementedError(
                f"{owner}: argument {key}={value!r} is not supported by recur "
                f"(only {key}={default!r}, Keras's default)")


def activation_name(value: Any, owner: str, allowed: tuple) -> str:
    """A Keras activation given as a string (or None = linear) as recur's name."""
    if value is None:
        return "linear"
    if callable(value) and hasattr(value, "__name__"):
        value = value.__name__
    if not isinstance(value, str) or value.lower() not in allowed:
        raise NotImplementedError(f"{owner}: activation {value!r} is not supported by recur "
                                  f"(supported: {', '.join(allowed)})")
    return value.lower()
