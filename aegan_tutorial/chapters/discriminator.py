r"""Helpers of the chapter "The discriminator": one trained alone, and what its gradient says.

A discriminator maps an image to a logit :math:`\ell(x)`; :math:`D(x) = \sigma(\ell(x))` is its
probability that :math:`x` is real. This module trains one *alone*, against a generator whose
weights never change, and measures what it then tells a generator:

* :class:`DiscriminatorTrainer` and :func:`train_discriminator`: the GAN's ``train_step``
  with the generator frozen, i.e. its discriminator half (real → 1, fake → 0), logging loss, mean :math:`D(\text{real})`,
  mean :math:`D(\text{fake})` and accuracy every few steps, and accuracy on held-out real and
  fresh fake images;
* :func:`evaluate_discriminator`: those numbers for given image sets;
* :func:`input_gradients`: :math:`\nabla_x` of the generator's loss on each image,
  ``[B, 28, 28, 1]``, the only thing the generator ever learns from the discriminator;
* :func:`push_towards_real`: small gradient steps on the images themselves;
* :func:`generator_gradient_norm`: the size of the generator's gradient under either loss;
* :func:`negative_fraction` and :func:`relu_copy`: how much gradient a ReLU would stop where the
  book's discriminator uses LeakyReLU.

Images are float ``[B, 28, 28, 1]`` in ``[-1, 1]`` (the tanh scale of the generator).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from .._checks import apply_in_batches, check_positive_int
from ..data import IMAGE_SHAPE, check_images
from ..losses import GENERATOR_LOSSES, GeneratorLoss, generator_loss
from ..models.gan import GAN


__all__ = [
    "DiscriminatorTrainer",
    "evaluate_discriminator",
    "generator_gradient_norm",
    "input_gradients",
    "negative_fraction",
    "push_towards_real",
    "relu_copy",
    "train_discriminator",
]


def _check_discriminator(discriminator: keras.Model) -> None:
    if tuple(discriminator.input_shape[1:]) != IMAGE_SHAPE or tuple(discriminator.output_shape[1:]) != (1,):
        raise ValueError(
            f"the discriminator must map [B, 28, 28, 1] images to [B, 1] logits; got input "
            f"{list(discriminator.input_shape)}, output {list(discriminator.output_shape)}"
        )


def _check_generator(generator: keras.Model) -> int:
    if not isinstance(generator, keras.Model):
        raise TypeError(f"generator must be a keras.Model mapping noise to images, got {type(generator).__name__}")
    if len(generator.input_shape) != 2 or tuple(generator.output_shape[1:]) != IMAGE_SHAPE:
        raise ValueError(
            f"the generator must map [B, noise_dim] noise to [B, 28, 28, 1] images; got input "
            f"{list(generator.input_shape)}, output {list(generator.output_shape)}"
        )
    return int(generator.input_shape[-1])


def _check_loss(loss: str) -> None:
    if loss not in GENERATOR_LOSSES:
        raise ValueError(f"loss must be one of {GENERATOR_LOSSES}, got {loss!r}")


def _tanh_images(images, where: str, check_range: bool = True) -> np.ndarray:
    check_images(images, "tanh", where, check_range=check_range)
    if len(images) == 0:
        raise ValueError(f"{where} got no images (shape {list(np.shape(images))})")
    return np.asarray(images, dtype=np.float32)


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class DiscriminatorTrainer(GAN):
    """A discriminator trained against a frozen generator: :class:`~aegan_tutorial.models.GAN`'s step, generator frozen.

    ``fit`` takes real images (a dataset of float ``[B, 28, 28, 1]`` batches in ``[-1, 1]``);
    each step draws ``B`` fakes from the generator in inference mode and takes one step on the
    discriminator's cross-entropy (real → 1, fake → 0): exactly the first half of
    ``GAN.train_step``, which it runs with ``compile(train_generator=False)``. The generator is
    never updated. Logs ``d_loss``, ``d_real`` and ``d_fake`` (mean :math:`D` on the batch's real
    and fake images) and ``accuracy`` (share of the ``2B`` images on the right side of :math:`D = 0.5`).

    Parameters
    ----------
    discriminator
        ``[B, 28, 28, 1] -> [B, 1]`` logits.
    generator
        ``[B, noise_dim] -> [B, 28, 28, 1]``, held fixed.
    seed
        Seed of the noise (``None``: from the global seed).
    """

    def __init__(self, discriminator: keras.Model, generator: keras.Model, seed: int | None = None, **kwargs):
        kwargs.setdefault("name", "discriminator_trainer")
        _check_discriminator(discriminator)
        noise_dim = _check_generator(generator)
        super().__init__(generator, discriminator, noise_dim, seed=seed, **kwargs)
        self.real_tracker = keras.metrics.Mean(name="d_real")
        self.fake_tracker = keras.metrics.Mean(name="d_fake")
        self.accuracy_tracker = keras.metrics.Mean(name="accuracy")

    @property
    def metrics(self) -> list:
        return [self.d_loss_tracker, self.real_tracker, self.fake_tracker, self.accuracy_tracker]

    def call(self, images, training: bool = False):
        """``[B, 28, 28, 1] -> [B, 1]``: the discriminator's logits."""
        return self.discriminator(images, training=training)

    def compile(self, optimizer: keras.optimizers.Optimizer | None = None, label_smoothing: float = 0.0, **kwargs):
        """Choose the discriminator's optimizer (default: Adam, 2e-4, β₁ = 0.5) and label smoothing."""
        kwargs.pop("train_generator", None)
        super().compile(d_optimizer=optimizer, label_smoothing=label_smoothing, train_generator=False, **kwargs)

    def record(self, d_loss, g_loss, real_logits, fake_logits) -> dict:
        """Log the loss, mean D on real and on fake images, and the share judged right."""
        right = ops.concatenate([ops.cast(real_logits > 0, "float32"), ops.cast(fake_logits < 0, "float32")])
        self.real_tracker.update_state(ops.sigmoid(ops.cast(real_logits, "float32")))
        self.fake_tracker.update_state(ops.sigmoid(ops.cast(fake_logits, "float32")))
        self.accuracy_tracker.update_state(right)
        return super().record(d_loss, g_loss, real_logits, fake_logits)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["noise_dim"]  # read from the generator
        return config

    def compile_from_config(self, config: dict) -> None:
        config = dict(config)
        config.pop("g_optimizer", None)
        optimizer = keras.saving.deserialize_keras_object(config.pop("d_optimizer"))
        self.compile(optimizer, **config)


def evaluate_discriminator(discriminator: keras.Model, real: np.ndarray, fake: np.ndarray) -> dict[str, float]:
    """How well ``discriminator`` tells ``real`` from ``fake`` (threshold :math:`D = 0.5`, i.e. logit 0).

    Parameters
    ----------
    real, fake
        float ``[N, 28, 28, 1]`` and ``[M, 28, 28, 1]`` in ``[-1, 1]``.

    Returns
    -------
    dict
        ``accuracy`` (mean of the two below, so unequal set sizes do not tilt it),
        ``real_accuracy`` (share of real called real), ``fake_accuracy`` (share of fake called
        fake), ``d_real`` and ``d_fake`` (mean :math:`D`).
    """
    _check_discriminator(discriminator)
    real_logits = apply_in_batches(discriminator, _tanh_images(real, "evaluate_discriminator (real)"))[:, 0]
    fake_logits = apply_in_batches(discriminator, _tanh_images(fake, "evaluate_discriminator (fake)"))[:, 0]
    real_accuracy, fake_accuracy = float(np.mean(real_logits > 0)), float(np.mean(fake_logits < 0))
    sigmoid = lambda v: 1.0 / (1.0 + np.exp(-np.clip(v, -60, 60)))  # noqa: E731
    return {
        "accuracy": (real_accuracy + fake_accuracy) / 2,
        "real_accuracy": real_accuracy,
        "fake_accuracy": fake_accuracy,
        "d_real": float(np.mean(sigmoid(real_logits))),
        "d_fake": float(np.mean(sigmoid(fake_logits))),
    }


class _HeldOut(keras.callbacks.Callback):
    """Scores the discriminator on held-out real images and fresh fakes at the end of every block."""

    def __init__(self, held_out, fakes):
        super().__init__()
        self.held_out, self.fakes, self.scores = held_out, fakes, []

    def on_epoch_end(self, epoch, logs=None):
        self.scores.append(evaluate_discriminator(self.model.discriminator, self.held_out, self.fakes()))


def train_discriminator(
    discriminator: keras.Model,
    generator: keras.Model,
    real_images: np.ndarray,
    steps: int,
    batch_size: int = 64,
    seed: int = 0,
    held_out: np.ndarray | None = None,
    log_every: int = 10,
    optimizer: keras.optimizers.Optimizer | None = None,
    label_smoothing: float = 0.0,
) -> dict[str, np.ndarray]:
    """Train ``discriminator`` for ``steps`` steps against a frozen ``generator``.

    The steps run as ``steps // log_every`` blocks of ``log_every`` steps (Keras epochs): the
    logged numbers are means over a block, and the held-out scores are taken at its end.

    Parameters
    ----------
    discriminator
        ``[B, 28, 28, 1] -> [B, 1]`` logits; updated in place.
    generator
        ``[B, noise_dim] -> [B, 28, 28, 1]``; its weights (and batch-norm statistics) do not change.
    real_images
        float ``[N, 28, 28, 1]`` in ``[-1, 1]``, e.g. ``scale_images(load_mnist()[0], "tanh")``.
    steps, batch_size
        Number of steps (a multiple of ``log_every``); real (and fake) images per step.
    seed
        Fixes the order of the real images and the noise (weights: call ``set_seed`` before
        building the discriminator).
    held_out
        Optional float ``[M, 28, 28, 1]`` real images the discriminator never trains on; after
        every block it is scored on them and on ``M`` fresh fakes.
    log_every
        Steps per block.
    optimizer, label_smoothing
        As in :meth:`DiscriminatorTrainer.compile`.

    Returns
    -------
    dict of np.ndarray
        One entry per block: ``step`` (steps done at its end), block means of ``d_loss``,
        ``d_real``, ``d_fake`` and ``accuracy`` on the training batches; with ``held_out`` also
        ``heldout_accuracy``, ``heldout_real_accuracy``, ``heldout_fake_accuracy``,
        ``heldout_d_real`` and ``heldout_d_fake`` (see :func:`evaluate_discriminator`).
    """
    check_positive_int(steps, "steps")
    check_positive_int(batch_size, "batch_size")
    check_positive_int(log_every, "log_every")
    if steps % log_every:
        raise ValueError(f"steps ({steps}) must be a multiple of log_every ({log_every})")
    real_images = _tanh_images(real_images, "train_discriminator (real_images)")
    if held_out is not None:
        held_out = _tanh_images(held_out, "train_discriminator (held_out)")
    trainer = DiscriminatorTrainer(discriminator, generator, seed=seed)
    trainer.compile(optimizer, label_smoothing=label_smoothing)
    rng = np.random.default_rng([seed, 1])

    def fresh_fakes():
        noise = rng.standard_normal((len(held_out), trainer.noise_dim)).astype(np.float32)
        return apply_in_batches(generator, noise)

    data = (
        tf.data.Dataset.from_tensor_slices(real_images)
        .shuffle(len(real_images), seed=seed, reshuffle_each_iteration=True)
        .repeat()
        .batch(batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )
    scores = _HeldOut(held_out, fresh_fakes)
    logs = trainer.fit(
        data, epochs=steps // log_every, steps_per_epoch=log_every, verbose=0, shuffle=False,
        callbacks=[scores] if held_out is not None else [],
    ).history
    history = {"step": np.arange(log_every, steps + 1, log_every)}
    history.update({k: np.asarray(logs[k], dtype=np.float64) for k in ("d_loss", "d_real", "d_fake", "accuracy")})
    for key in ("accuracy", "real_accuracy", "fake_accuracy", "d_real", "d_fake") if scores.scores else ():
        history[f"heldout_{key}"] = np.array([s[key] for s in scores.scores])
    return history


def input_gradients(
    discriminator: keras.Model, images: np.ndarray, loss: GeneratorLoss = "non_saturating", batch_size: int = 500
) -> np.ndarray:
    r"""The gradient of the generator's loss with respect to each image.

    For each image :math:`x` the per-image loss is :math:`-\log D(x)` (``"non_saturating"``) or
    :math:`\log(1 - D(x))` (``"minimax"``); the result is its gradient :math:`\nabla_x`, the
    signal a generator receives through :math:`x = G(z)`. Stepping *against* it (``x - η∇``)
    raises :math:`D(x)`. The discriminator runs in inference mode.

    Parameters
    ----------
    images
        float ``[B, 28, 28, 1]`` (any range).
    loss
        ``"non_saturating"`` or ``"minimax"``.

    Returns
    -------
    np.ndarray
        float32 ``[B, 28, 28, 1]``.
    """
    _check_discriminator(discriminator)
    _check_loss(loss)
    check_positive_int(batch_size, "batch_size")
    images = _tanh_images(images, "input_gradients", check_range=False)
    chunks = []
    for i in range(0, len(images), batch_size):
        x = tf.convert_to_tensor(images[i : i + batch_size])
        with tf.GradientTape() as tape:
            tape.watch(x)
            logits = discriminator(x, training=False)
            per_image_sum = generator_loss(logits, loss) * ops.cast(ops.shape(x)[0], "float32")
        chunks.append(tape.gradient(per_image_sum, x).numpy())
    return np.concatenate(chunks)


def push_towards_real(
    discriminator: keras.Model,
    images: np.ndarray,
    steps: int = 10,
    step_size: float = 0.5,
    loss: GeneratorLoss = "non_saturating",
) -> dict[str, np.ndarray]:
    r"""Change the images themselves by small steps down the generator's loss.

    Each step moves every image a distance ``step_size`` (Euclidean, over its 784 pixels) along
    :math:`-\nabla_x` of :func:`input_gradients`, then clips the pixels to ``[-1, 1]``.

    Parameters
    ----------
    images
        float ``[B, 28, 28, 1]`` in ``[-1, 1]``.
    steps, step_size
        Number of steps and the length of each.

    Returns
    -------
    dict
        ``images``: float32 ``[steps + 1, B, 28, 28, 1]`` (index 0: the input);
        ``d``: float32 ``[steps + 1, B]``, :math:`D(x)` after each step.
    """
    check_positive_int(steps, "steps")
    if not np.isfinite(step_size) or step_size <= 0:
        raise ValueError(f"step_size must be a positive number, got {step_size!r}")
    x = _tanh_images(images, "push_towards_real").copy()
    path = [x]
    for _ in range(steps):
        grad = input_gradients(discriminator, x, loss)
        norm = np.sqrt((grad**2).sum(axis=(1, 2, 3), keepdims=True))
        x = np.clip(x - step_size * grad / np.maximum(norm, 1e-12), -1.0, 1.0).astype(np.float32)
        path.append(x)
    path = np.stack(path)
    logits = apply_in_batches(discriminator, path.reshape(-1, *IMAGE_SHAPE))[:, 0]
    d = 1.0 / (1.0 + np.exp(-np.clip(logits, -60, 60)))
    return {"images": path, "d": d.reshape(steps + 1, -1).astype(np.float32)}


def generator_gradient_norm(
    generator: keras.Model, discriminator: keras.Model, noise, loss: GeneratorLoss = "non_saturating"
) -> float:
    """Global L2 norm of the gradient of the generator's mean loss over its weights.

    Both networks run in inference mode, so nothing (batch-norm statistics included) changes.

    Parameters
    ----------
    noise
        float ``[B, noise_dim]``.
    loss
        ``"non_saturating"`` or ``"minimax"``.
    """
    noise_dim = _check_generator(generator)
    _check_discriminator(discriminator)
    _check_loss(loss)
    noise = np.asarray(noise, dtype=np.float32)
    if noise.ndim != 2 or noise.shape[1] != noise_dim or len(noise) == 0:
        raise ValueError(f"noise must have shape [B, {noise_dim}] with B > 0, got {list(noise.shape)}")
    if not generator.trainable_variables:  # the norm over no weights would be a silent 0
        raise ValueError(
            f"generator {generator.name!r} has no trainable weights (a frozen copy, such as "
            "GAN.averaged_generator() returns?), so there is no gradient over its weights to measure; "
            "pass a trainable network with the same weights, e.g. gan.generator after "
            "gan.generator.set_weights(gan.averaged_generator().get_weights())"
        )
    with tf.GradientTape() as tape:
        value = generator_loss(discriminator(generator(noise, training=False), training=False), loss)
    grads = tape.gradient(value, generator.trainable_variables)
    return float(tf.linalg.global_norm([g for g in grads if g is not None]))


def _leaky_layers(discriminator: keras.Model) -> list:
    layers = [layer for layer in discriminator.layers if isinstance(layer, keras.layers.LeakyReLU)]
    if not layers:
        raise ValueError(f"{discriminator.name} has no LeakyReLU layers")
    return layers


def negative_fraction(discriminator: keras.Model, images: np.ndarray, over: str = "activations") -> dict[str, float]:
    """Where a ReLU would stop the gradient: negative inputs to each LeakyReLU, over ``images``.

    At a negative input a ReLU outputs 0 and passes back a gradient of exactly 0; the LeakyReLU
    passes back ``negative_slope`` times it.

    Parameters
    ----------
    images
        float ``[B, 28, 28, 1]``.
    over
        ``"activations"``: share of all ``B × units`` inputs that are negative;
        ``"units"``: share of units (position × channel) negative for *every* image, through
        which a ReLU would pass no gradient for any of them.

    Returns
    -------
    dict
        ``{layer name: fraction in [0, 1]}``, in the order of the layers.
    """
    _check_discriminator(discriminator)
    if over not in ("activations", "units"):
        raise ValueError(f"over must be 'activations' or 'units', got {over!r}")
    images = _tanh_images(images, "negative_fraction", check_range=False)
    layers = _leaky_layers(discriminator)
    probe = keras.Model(discriminator.input, [layer.input for layer in layers])
    outputs = probe(images, training=False)
    fractions = {}
    for layer, out in zip(layers, outputs):
        negative = keras.ops.convert_to_numpy(out) < 0
        fractions[layer.name] = float(negative.mean() if over == "activations" else negative.all(axis=0).mean())
    return fractions


def relu_copy(discriminator: keras.Model) -> keras.Model:
    """The same network with every LeakyReLU replaced by a ReLU (weights copied): for comparisons."""
    _check_discriminator(discriminator)
    _leaky_layers(discriminator)

    def swap(layer):
        if isinstance(layer, keras.layers.LeakyReLU):
            return keras.layers.ReLU(name=layer.name.replace("leaky_re_lu", "re_lu"))
        return layer.__class__.from_config(layer.get_config())

    copy = keras.models.clone_model(discriminator, clone_function=swap)
    copy.set_weights(discriminator.get_weights())
    return copy
