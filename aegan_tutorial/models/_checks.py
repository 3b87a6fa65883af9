"""Argument checks and batched inference shared by the model builders, trainers and analyses."""

from __future__ import annotations

import keras
import numpy as np


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


def apply_in_batches(model, inputs, batch_size: int = 1000) -> np.ndarray:
    """Run ``model`` (in inference mode) over ``inputs`` in slices and concatenate the results.

    Parameters
    ----------
    model
        A Keras model, or any function ``[B, ...] -> [B, ...]``.
    inputs
        ``[N, ...]`` array or tensor.
    batch_size
        Rows per call (bounds the memory).

    Returns
    -------
    np.ndarray
        float32 ``[N, ...]`` outputs (empty ``[0]`` when ``N == 0``).
    """
    check_positive_int(batch_size, "batch_size")
    extra = {"training": False} if isinstance(model, keras.Model) else {}
    chunks = [
        np.asarray(keras.ops.convert_to_numpy(model(inputs[i : i + batch_size], **extra)), dtype=np.float32)
        for i in range(0, len(inputs), batch_size)
    ]
    return np.concatenate(chunks) if chunks else np.zeros((0,), np.float32)
