"""Seeding: one call makes a CPU training run repeat bit for bit."""

from __future__ import annotations

from ._checks import check_positive_int


def set_seed(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy, TensorFlow and Keras, and ask TensorFlow for deterministic ops.

    Call it before building models and datasets: weight initialisers, dropout, the noise a
    :class:`~aegan_tutorial.models.GAN` samples and the shuffling of
    :func:`~aegan_tutorial.data.make_dataset` all draw from these seeds, so two CPU runs
    with the same seed end with bit-identical weights.

    Parameters
    ----------
    seed
        A non-negative integer.
    deterministic
        Also call ``tf.config.experimental.enable_op_determinism()``. On a GPU this picks
        deterministic kernels, which can be slower, and Keras then declines
        ``jit_compile=True`` (XLA); pass ``False`` (which turns determinism back off)
        when speed matters more than exact repeats.
    """
    import keras
    import tensorflow as tf

    check_positive_int(seed, "seed", minimum=0)
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    else:
        from tensorflow.python.framework import config

        config.disable_op_determinism()
