"""Argument checks shared by the model builders and trainers."""

from __future__ import annotations

import keras


def check_positive_int(value, name: str) -> int:
    """``value`` if it is a positive integer, else a ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def output_scale(model: keras.Model):
    """``"sigmoid"`` or ``"tanh"`` when ``model``'s last layer ends in that activation, else ``None``."""
    activation = getattr(model.layers[-1], "activation", None)
    name = getattr(activation, "__name__", None)
    return name if name in ("sigmoid", "tanh") else None
