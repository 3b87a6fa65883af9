"""The package's one integer check, and batched inference shared by the models, metrics and chapters."""

from __future__ import annotations

import keras
import numpy as np


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """``value`` as an ``int`` if it is an integer ``>= minimum`` (1 by default), else a ``ValueError`` naming ``name``.

    NumPy integers pass; ``bool`` does not (``True`` is not a count).
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        words = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {words}, got {value!r}")
    return int(value)


def apply_in_batches(model, inputs, batch_size: int = 1000) -> np.ndarray:
    """Run ``model`` (in inference mode) over ``inputs`` in slices and concatenate the results.

    Parameters
    ----------
    model
        A Keras model, or any function ``[B, ...] -> [B, ...]``.
    inputs
        ``[N, ...]`` array or tensor, or a list of such arrays (a model with several inputs).
    batch_size
        Rows per call (bounds the memory).

    Returns
    -------
    np.ndarray
        float32 ``[N, ...]`` outputs (empty ``[0]`` when ``N == 0``).
    """
    check_positive_int(batch_size, "batch_size")
    extra = {"training": False} if isinstance(model, keras.Model) else {}
    several = isinstance(inputs, (list, tuple))
    n = len(inputs[0]) if several else len(inputs)
    chunks = [
        np.asarray(
            keras.ops.convert_to_numpy(
                model([x[i : i + batch_size] for x in inputs] if several else inputs[i : i + batch_size], **extra)
            ),
            dtype=np.float32,
        )
        for i in range(0, n, batch_size)
    ]
    return np.concatenate(chunks) if chunks else np.zeros((0,), np.float32)
