"""The generator, the discriminator, and the GAN that trains them against each other.

Shapes (``B`` images, noise size ``n``, width ``f``)::

    generator:      [B, n] --> [B, 7, 7, 2f] --deconv s2--> [B, 14, 14, f] --deconv s2--> [B, 28, 28, 1] (tanh)
    discriminator:  [B, 28, 28, 1] --conv s2--> [B, 14, 14, f] --conv s2--> [B, 7, 7, 2f] --> [B, 1] (logit)

The GAN's ``train_step`` alternates one discriminator step and one generator step on
the value function of :mod:`aegan_tutorial.losses`.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from ..data import IMAGE_SHAPE
from ..losses import GENERATOR_LOSSES, GeneratorLoss, discriminator_loss, generator_loss
from ..training import check_fit_images, gradient_step, guard_optimizer, with_nonfinite_guard
from ._checks import apply_in_batches, check_positive_int, output_scale


def build_generator(noise_dim: int = 100, filters: int = 32, name: str = "generator") -> keras.Model:
    """A DCGAN generator: noise in, a tanh image out.

    Parameters
    ----------
    noise_dim
        Size ``n`` of the noise vector ``z``.
    filters
        Width ``f``: channels at 14×14 (twice as many at 7×7).

    Returns
    -------
    keras.Model
        ``[B, noise_dim] -> [B, 28, 28, 1]``, pixels in ``[-1, 1]`` (float32 also under
        mixed precision).
    """
    check_positive_int(noise_dim, "noise_dim")
    check_positive_int(filters, "filters")
    noise = keras.Input((noise_dim,), name="noise")
    return keras.Model(noise, upsample_to_image(noise, filters), name=name)


def upsample_to_image(x, filters: int, kernel_size: int = 4, upsampling: str = "transposed"):
    """The generator's body: ``[B, d] -> [B, 7, 7, 2f] -> [B, 14, 14, f] -> [B, 28, 28, 1]`` (tanh).

    Each ×2 step is a ``Conv2DTranspose(kernel_size, strides=2)`` (``"transposed"``: the
    book's generator, with ``kernel_size=4``) or a nearest-neighbour resize followed by a
    ``Conv2D(kernel_size)`` (``"resize"``).
    """
    if upsampling not in ("transposed", "resize"):
        raise ValueError(f"upsampling must be 'transposed' or 'resize', got {upsampling!r}")

    def up(x, channels: int, size: str, bias: bool):
        if upsampling == "transposed":
            # kernel 4 = 2 × stride: the transposed convolutions overlap evenly (no checkerboard)
            return layers.Conv2DTranspose(channels, kernel_size, strides=2, padding="same", use_bias=bias,
                                          name=f"deconv_{size}")(x)
        x = layers.UpSampling2D(2, interpolation="nearest", name=f"resize_{size}")(x)
        return layers.Conv2D(channels, kernel_size, padding="same", use_bias=bias, name=f"conv_{size}")(x)

    x = layers.Dense(7 * 7 * 2 * filters, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((7, 7, 2 * filters))(x)
    x = up(x, filters, "14x14", bias=False)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    return layers.Activation("tanh", dtype="float32", name="image")(up(x, 1, "28x28", bias=True))


def build_discriminator(filters: int = 32, dropout: float = 0.0, name: str = "discriminator") -> keras.Model:
    """A convolutional real-versus-fake classifier that outputs logits.

    Parameters
    ----------
    filters
        Width ``f``: channels at 14×14 (twice as many at 7×7).
    dropout
        Rate of the dropout after each LeakyReLU, in ``[0, 1)`` (0: no dropout layers).

    Returns
    -------
    keras.Model
        ``[B, 28, 28, 1] -> [B, 1]`` logits ``ℓ``; ``D(x) = sigmoid(ℓ)`` is the probability
        that ``x`` is real (float32 also under mixed precision).
    """
    image = keras.Input(IMAGE_SHAPE, name="image")
    logit = layers.Dense(1, dtype="float32", name="logit")(image_features(image, filters, dropout))
    return keras.Model(image, logit, name=name)


def image_features(image, filters: int, dropout: float = 0.0, flatten_name: str | None = None):
    """The discriminator's body: ``[B, 28, 28, 1] -> [B, 14, 14, f] -> [B, 7, 7, 2f]``, flattened to ``[B, 98f]``."""
    check_positive_int(filters, "filters")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")
    x = layers.Conv2D(filters, 4, strides=2, padding="same", name="conv_14x14")(image)
    x = layers.LeakyReLU(0.2)(x)
    if dropout:
        x = layers.Dropout(dropout)(x)
    x = layers.Conv2D(2 * filters, 4, strides=2, padding="same", name="conv_7x7")(x)
    x = layers.LeakyReLU(0.2)(x)
    if dropout:
        x = layers.Dropout(dropout)(x)
    return layers.Flatten(name=flatten_name)(x)


def recommended_optimizers() -> tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer]:
    """``(d_optimizer, g_optimizer)``: Adam with β₁ = 0.5, as in the DCGAN paper."""
    return (
        keras.optimizers.Adam(2e-4, beta_1=0.5, name="d_adam"),
        keras.optimizers.Adam(2e-4, beta_1=0.5, name="g_adam"),
    )


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class GAN(keras.Model):
    """A generator and a discriminator, trained by alternating gradient steps.

    ``fit`` takes real images only (a ``tf.data.Dataset`` of float ``[B, 28, 28, 1]``
    batches in ``[-1, 1]``, e.g. :func:`~aegan_tutorial.data.make_dataset`; datasets of
    ``(images, labels)`` pairs work too, the labels are ignored) and logs ``d_loss`` and
    ``g_loss``. Calling the model maps noise to images.

    Parameters
    ----------
    generator
        ``[B, noise_dim] -> [B, 28, 28, 1]``, tanh output.
    discriminator
        ``[B, 28, 28, 1] -> [B, 1]`` logits.
    noise_dim
        Size of the noise ``z``; must match the generator's input.
    seed
        Seed of the noise drawn during training (``None``: from the global seed).
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        noise_dim: int,
        seed: int | None = None,
        **kwargs,
    ):
        kwargs.setdefault("name", "gan")
        super().__init__(**kwargs)
        check_positive_int(noise_dim, "noise_dim")
        self._check_players(generator, discriminator, noise_dim)
        self.generator = generator
        self.discriminator = discriminator
        self.noise_dim = noise_dim
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="noise_seed")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.built = True

    @staticmethod
    def _check_players(generator: keras.Model, discriminator: keras.Model, noise_dim: int) -> None:
        """A clear error when the generator and the discriminator do not fit together."""
        if generator.input_shape[-1] != noise_dim:
            raise ValueError(
                f"noise_dim is {noise_dim} but the generator reads noise of size "
                f"{generator.input_shape[-1]}"
            )
        made, judged = tuple(generator.output_shape[1:]), tuple(discriminator.input_shape[1:])
        if made != IMAGE_SHAPE or judged != IMAGE_SHAPE:
            raise ValueError(
                f"the generator must make and the discriminator must judge [B, 28, 28, 1] images; "
                f"got generator output {list(generator.output_shape)}, discriminator input "
                f"{list(discriminator.input_shape)}"
            )
        if tuple(discriminator.output_shape[1:]) != (1,):
            raise ValueError(
                f"the discriminator must output one logit per image, [B, 1]; got {list(discriminator.output_shape)}"
            )

    @property
    def metrics(self) -> list:
        return [self.d_loss_tracker, self.g_loss_tracker]

    def call(self, noise, training: bool = False):
        """``[B, noise_dim] -> [B, 28, 28, 1]``: the generator."""
        return self.generator(noise, training=training)

    def compile(
        self,
        d_optimizer: keras.optimizers.Optimizer | None = None,
        g_optimizer: keras.optimizers.Optimizer | None = None,
        loss: GeneratorLoss = "non_saturating",
        label_smoothing: float = 0.0,
        **kwargs,
    ) -> None:
        """Choose the optimizers and the generator's loss.

        Parameters
        ----------
        d_optimizer, g_optimizer
            ``None`` picks :func:`recommended_optimizers`. Both are wrapped by
            :func:`~aegan_tutorial.training.guard_optimizer` (loss scaling under
            ``mixed_float16``; non-finite updates skipped).
        loss
            The generator's loss: ``"non_saturating"`` or ``"minimax"``.
        label_smoothing
            One-sided label smoothing of the discriminator's real targets, in ``[0, 1)``.
        **kwargs
            Passed to ``keras.Model.compile``: ``jit_compile``, ``steps_per_execution``,
            ``run_eagerly``.
        """
        if loss not in GENERATOR_LOSSES:
            raise ValueError(f"loss must be one of {GENERATOR_LOSSES}, got {loss!r}")
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must lie in [0, 1), got {label_smoothing!r}")
        super().compile(**kwargs)
        default_d, default_g = recommended_optimizers()
        self.d_optimizer = guard_optimizer(d_optimizer or default_d, self.dtype_policy)
        self.g_optimizer = guard_optimizer(g_optimizer or default_g, self.dtype_policy)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        self.loss_kind = loss
        self.label_smoothing = float(label_smoothing)
        self._compile_args = dict(loss=loss, label_smoothing=self.label_smoothing, **kwargs)

    def sample_noise(self, batch_size) -> tf.Tensor:
        """``z ~ N(0, I)`` of shape ``[batch_size, noise_dim]``, different on every replica."""
        seed = self.seed_generator.next()
        replica = tf.distribute.get_replica_context()
        if replica is not None:
            seed += tf.stack([tf.cast(replica.replica_id_in_sync_group, seed.dtype), tf.zeros((), seed.dtype)])
        return tf.random.stateless_normal((batch_size, self.noise_dim), seed=seed)

    def train_step(self, data):
        real = data[0] if isinstance(data, tuple) else data
        batch_size = tf.shape(real)[0]

        # Discriminator: maximise V(D, G), i.e. minimise the cross-entropy real→1, fake→0.
        fake = self.generator(self.sample_noise(batch_size), training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = discriminator_loss(real_logits, fake_logits, self.label_smoothing)
        gradient_step(self.d_optimizer, tape, d_loss, self.discriminator.trainable_variables)

        # Generator: fool the updated discriminator with fresh samples.
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(self.sample_noise(batch_size), training=True), training=True)
            g_loss = generator_loss(fake_logits, self.loss_kind)
        gradient_step(self.g_optimizer, tape, g_loss, self.generator.trainable_variables)

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}

    def fit(self, x=None, y=None, callbacks=None, **kwargs):
        """Keras's ``fit`` on real images, checked first: float ``[B, 28, 28, 1]`` in ``[-1, 1]``."""
        if y is not None:
            raise TypeError(
                "GAN.fit takes real images only (x); the generator draws its own noise and the "
                "targets real→1, fake→0 are built inside train_step, so pass no y"
            )
        check_fit_images(x, output_scale(self.generator), "GAN.fit")
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)  # a dataset shuffles itself
        return super().fit(x, callbacks=with_nonfinite_guard(callbacks), **kwargs)

    def generate(self, n: int, seed: int | None = None, batch_size: int = 1024) -> np.ndarray:
        """Draw ``n`` samples.

        Parameters
        ----------
        n
            Number of images.
        seed
            Fix the noise (same seed, same images); ``None`` draws fresh noise.

        Returns
        -------
        np.ndarray
            float32 ``[n, 28, 28, 1]`` in the generator's range (``[-1, 1]``).
        """
        check_positive_int(n, "n")
        noise = keras.random.normal((n, self.noise_dim), seed=seed)
        return apply_in_batches(self.generator, noise, batch_size)

    def save_own_variables(self, store) -> None:
        """Save the training-noise seed state too, so a loaded GAN trains on exactly as it would have."""
        super().save_own_variables(store)
        store["noise_seed_state"] = self.seed_generator.state

    def load_own_variables(self, store) -> None:
        if "noise_seed_state" in store.keys():
            self.seed_generator.state.assign(store["noise_seed_state"])
        super().load_own_variables({k: store[k] for k in store.keys() if k != "noise_seed_state"})

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "noise_dim": self.noise_dim,
            "seed": self.seed,
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
        }

    @classmethod
    def from_config(cls, config: dict) -> "GAN":
        config = dict(config)
        generator = keras.saving.deserialize_keras_object(config.pop("generator"))
        discriminator = keras.saving.deserialize_keras_object(config.pop("discriminator"))
        return cls(generator, discriminator, **config)

    def get_compile_config(self) -> dict:
        if not self.compiled:
            return {}
        return {
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
            **self._compile_args,
        }

    def compile_from_config(self, config: dict) -> None:
        """Re-compile a loaded GAN as it was saved; the optimizers' state loads next."""
        config = dict(config)
        self.compile(
            d_optimizer=keras.saving.deserialize_keras_object(config.pop("d_optimizer")),
            g_optimizer=keras.saving.deserialize_keras_object(config.pop("g_optimizer")),
            **config,
        )
