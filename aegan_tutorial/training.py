"""What every trainer shares: a guarded gradient step, per-replica seeds, and the checks of what ``fit`` is given.

A diverging run must not silently leave NaN weights behind. :func:`guard_optimizer` wraps an
optimizer in ``keras.optimizers.LossScaleOptimizer``: under ``mixed_float16`` that is the loss
scaling float16 gradients need; under any policy it skips an update whose gradients are not
finite, so the weights stay the last finite ones. (The other half, the callback that stops a
run at its first non-finite loss, is :class:`~aegan_tutorial.callbacks.StopOnNonFiniteLoss`.)
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from .data import Scale, check_images


def guard_optimizer(optimizer, dtype_policy) -> keras.optimizers.LossScaleOptimizer:
    """Wrap ``optimizer`` so non-finite updates are skipped (and float16 losses scaled).

    The loss scale starts at ``2**15`` under ``mixed_float16`` and at 1 otherwise. It is
    Keras's dynamic scale under every policy: it doubles after every 2,000 consecutive
    finite steps (``dynamic_growth_steps``) and halves at a non-finite one, so a long
    float32 run computes its gradients at a scale of 2, 4, 8, ... as well. That is
    harmless: the scale is always a power of two, so scaling the loss's gradient and
    ``apply``'s division by the same scale are exact in floating point, and the update is
    the unscaled one (short of an overflow, which ``apply`` would meet as a non-finite
    gradient: it skips that step and halves the scale).
    """
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    optimizer = keras.optimizers.get(optimizer)
    float16 = keras.dtype_policies.get(dtype_policy).name == "mixed_float16"
    return keras.optimizers.LossScaleOptimizer(
        optimizer, initial_scale=2.0**15 if float16 else 1.0, name=f"guarded_{optimizer.name}"
    )


def gradient_step(optimizer, tape: tf.GradientTape, loss, variables) -> None:
    """One update of ``variables`` down the gradient of ``loss`` recorded on ``tape``.

    The upstream gradient is the loss scale divided by the number of replicas: the
    scale keeps float16 gradients from underflowing, and the division makes the sum of
    the replicas' gradients (what a distribution strategy applies) the gradient of the
    mean loss over the global batch. ``optimizer.apply`` unscales, and skips the update
    when a gradient is not finite.
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    upstream = optimizer.scale_loss(tf.constant(1.0 / replicas, tf.float32))
    grads = tape.gradient(loss, variables, output_gradients=upstream)
    optimizer.apply(grads, variables)


def replica_seed(seed_generator: keras.random.SeedGenerator) -> tf.Tensor:
    """The next stateless seed of ``seed_generator`` (int64 ``[2]``), this replica's own.

    Under a distribution strategy every replica runs the same ``train_step`` with the same
    (mirrored) seed generator, so every replica would draw the same noise. The replica's
    index (``replica_id_in_sync_group``) is added to the seed's first number: replica 0
    adds 0, so on one device (or outside any strategy) the seed is exactly
    ``seed_generator.next()`` and a run draws what it always drew.
    """
    seed = seed_generator.next()
    replica = tf.distribute.get_replica_context()
    if replica is not None:
        seed += tf.stack([tf.cast(replica.replica_id_in_sync_group, seed.dtype), tf.zeros((), seed.dtype)])
    return seed


def first_batch(x):
    """The first batch of images from what a user passes to ``fit``.

    ``x`` is a ``tf.data.Dataset`` (of images, or of tuples whose first element is the
    images), a NumPy array or a tensor. Returns a NumPy array or tensor of images.
    """
    if isinstance(x, tf.data.Dataset):
        element = next(iter(x.take(1)), None)
        if element is None:
            raise ValueError("the dataset passed to fit is empty")
        return element[0] if isinstance(element, (tuple, list)) else element
    if isinstance(x, (tuple, list)):
        return first_batch(x[0])
    return x if tf.is_tensor(x) else np.asarray(x)


def check_fit_images(x, scale: Scale | None, where: str) -> None:
    """Check what ``fit`` was given: float ``[B, 28, 28, 1]`` images in ``scale``'s range.

    ``scale=None`` checks the shape and dtype only.
    """
    images = first_batch(x)
    check_images(images, scale or "tanh", where, check_range=scale is not None)
