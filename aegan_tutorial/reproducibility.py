"""Seeding: one call makes a CPU training run repeat bit for bit."""

from __future__ import annotations

from ._checks import check_positive_int


def accelerator_present() -> bool:
    """Whether TensorFlow sees a GPU (or another non-CPU device) on this machine."""
    import tensorflow as tf

    return any(device.device_type != "CPU" for device in tf.config.list_physical_devices())


def default_determinism() -> bool:
    """What a run chooses when not told: deterministic on a CPU-only machine, fast on a GPU.

    On a CPU determinism costs nothing (Keras never uses XLA there), so reruns repeat bit for
    bit; on a GPU, determinism would turn XLA off, so a run there trains with XLA instead.
    """
    return not accelerator_present()


def set_seed(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy, TensorFlow and Keras; choose between exact repeats and XLA.

    Call it before building models and datasets: weight initialisers, dropout, the noise a
    :class:`~aegan_tutorial.models.GAN` samples and the shuffling of
    :func:`~aegan_tutorial.data.make_dataset` all draw from these seeds, so two CPU runs
    with the same seed end with bit-identical weights.

    Parameters
    ----------
    seed
        A non-negative integer.
    deterministic
        ``True``: also call ``tf.config.experimental.enable_op_determinism()``, so reruns
        repeat bit for bit. Keras then compiles without XLA: ``jit_compile="auto"`` (the
        default of ``compile``) resolves to off, and ``jit_compile=True`` is downgraded to
        off; on a GPU the deterministic kernels are slower too. ``False`` turns determinism
        off, so ``"auto"`` compiles with XLA on a GPU (on a CPU Keras never uses XLA unless
        asked with ``jit_compile=True``). Choose before building and compiling the models:
        Keras resolves ``jit_compile`` at ``compile`` time.
        :func:`default_determinism` is what the command line picks when not told.
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
