"""What every trainer shares: a guarded gradient step and a stop on non-finite losses.

A diverging run must not silently leave NaN weights behind. Two pieces make sure of it:

* :func:`guard_optimizer` wraps an optimizer in ``keras.optimizers.LossScaleOptimizer``.
  Under ``mixed_float16`` that is the loss scaling float16 gradients need; under any
  policy it skips an update whose gradients are not finite, so the weights stay the last
  finite ones.
* :class:`StopOnNonFiniteLoss` (added by every ``fit`` in this package) stops the run at
  the first batch whose logged loss is not finite and raises :class:`NonFiniteLossError`,
  naming the step and the loss.
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np
import tensorflow as tf

from .data import Scale, check_images


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; training stopped with the last finite weights.

    Attributes
    ----------
    name : str
        The loss that went non-finite, e.g. ``"d_loss"``.
    value : float
        Its value (``nan`` or ``±inf``).
    step : int
        The 1-based training step (batch count since ``fit`` began).
    epoch : int
        The 1-based epoch.
    """

    def __init__(self, name: str, value: float, step: int, epoch: int):
        self.name, self.value, self.step, self.epoch = name, value, step, epoch
        super().__init__(
            f"{name} became {value} at step {step} (epoch {epoch}); training stopped. "
            "The update of that step was skipped, so the model keeps its last finite "
            "weights. Check the inputs for NaN or infinite pixels, or lower the learning rate."
        )


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Raise :class:`NonFiniteLossError` at the first batch whose logs hold a non-finite loss."""

    def on_train_begin(self, logs=None):
        self._steps_before_epoch = 0
        self._steps_in_epoch = 0
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._steps_before_epoch += self._steps_in_epoch
        self._steps_in_epoch = 0

    def on_train_batch_end(self, batch, logs=None):
        self._steps_in_epoch = batch + 1
        for name, value in (logs or {}).items():
            if "loss" in name and not math.isfinite(float(value)):
                self.model.stop_training = True
                raise NonFiniteLossError(
                    name, float(value), self._steps_before_epoch + batch + 1, self._epoch + 1
                )


class StopAfter(keras.callbacks.Callback):
    """Stop training once ``seconds`` of wall time have passed (checked after every batch).

    The batch running when time is up finishes, so the model always ends on a whole step.
    ``elapsed`` and ``steps`` say how long it trained and for how many steps.
    """

    def __init__(self, seconds: float):
        super().__init__()
        if not seconds > 0:
            raise ValueError(f"seconds must be positive, got {seconds!r}")
        self.seconds = float(seconds)

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()
        self.elapsed = 0.0
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        self.elapsed = time.perf_counter() - self._start
        if self.elapsed >= self.seconds:
            self.model.stop_training = True


def with_nonfinite_guard(callbacks) -> list:
    """``callbacks`` with a :class:`StopOnNonFiniteLoss` first, unless one is already there.

    First, so that no later callback (a checkpoint, a sample grid) acts on a step whose
    loss was not finite.
    """
    callbacks = list(callbacks or [])
    if not any(isinstance(c, StopOnNonFiniteLoss) for c in callbacks):
        callbacks.insert(0, StopOnNonFiniteLoss())
    return callbacks


def guard_optimizer(optimizer, dtype_policy) -> keras.optimizers.LossScaleOptimizer:
    """Wrap ``optimizer`` so non-finite updates are skipped (and float16 losses scaled).

    The loss scale starts at ``2**15`` under ``mixed_float16`` and at 1 otherwise, so
    float32 and bfloat16 gradients are exactly the unscaled ones.
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
