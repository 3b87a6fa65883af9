"""The generator, the discriminator, and the GAN that trains them against each other.

Shapes (``B`` images, noise size ``n``, width ``f``)::

    generator:      [B, n] --> [B, 7, 7, 2f] --deconv s2--> [B, 14, 14, f] --deconv s2--> [B, 28, 28, 1] (tanh)
    discriminator:  [B, 28, 28, 1] --conv s2--> [B, 14, 14, f] --conv s2--> [B, 7, 7, 2f] --> [B, 1] (logit)

The GAN's ``train_step`` alternates one discriminator step and one generator step on
the value function of :mod:`aegan_tutorial.losses`, and, when asked to, updates an exponential
moving average of the generator's weights (the *averaged generator*, which ``generate`` then draws from). It is the one GAN step of the package:
:class:`~aegan_tutorial.models.ConditionalGAN` changes only how the label reaches each
player, and the trainers of the chapters (a discriminator trained against a frozen
generator, the 1-D Gaussian game) change only what they log or which way the
discriminator climbs.
"""

from __future__ import annotations

from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from .._checks import apply_in_batches, check_positive_int
from ..callbacks import with_nonfinite_guard
from ..data import IMAGE_SHAPE, output_scale
from ..losses import GENERATOR_LOSSES, GeneratorLoss, discriminator_loss, generator_loss
from ..training import check_fit_images, gradient_step, guard_optimizer, replica_seed


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


def build_discriminator(filters: int = 32, dropout: float = 0.0, hidden: int = 0,
                        name: str = "discriminator") -> keras.Model:
    """A convolutional real-versus-fake classifier that outputs logits.

    Parameters
    ----------
    filters
        Width ``f``: channels at 14×14 (twice as many at 7×7).
    dropout
        Rate of the dropout after each LeakyReLU, in ``[0, 1)`` (0: no dropout layers).
    hidden
        Units of a fully connected LeakyReLU layer between the features and the logit (0: the
        logit reads the features directly, a linear read-out of local patterns).

    Returns
    -------
    keras.Model
        ``[B, 28, 28, 1] -> [B, 1]`` logits ``ℓ``; ``D(x) = sigmoid(ℓ)`` is the probability
        that ``x`` is real (float32 also under mixed precision).
    """
    check_positive_int(hidden, "hidden", minimum=0)
    image = keras.Input(IMAGE_SHAPE, name="image")
    # the logit layer is made first: Keras seeds each initializer when its layer is made, so this
    # order keeps the initial weights (and every seeded run) of the discriminator without `hidden`
    read_out = layers.Dense(1, dtype="float32", name="logit")
    x = image_features(image, filters, dropout)
    if hidden:
        x = layers.LeakyReLU(0.2)(layers.Dense(hidden, name="hidden")(x))
    return keras.Model(image, read_out(x), name=name)


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


def recommended_optimizers(learning_rate: float = 2e-4) -> tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer]:
    """``(d_optimizer, g_optimizer)``: Adam with β₁ = 0.5 and learning rate 2e-4, as in the DCGAN paper."""
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    return (
        keras.optimizers.Adam(learning_rate, beta_1=0.5, name="d_adam"),
        keras.optimizers.Adam(learning_rate, beta_1=0.5, name="g_adam"),
    )


def check_ema_decay(ema_decay) -> float | None:
    """``ema_decay`` as a float in ``(0, 1)``, or ``None`` (no average); a ``ValueError`` otherwise."""
    if ema_decay is None:
        return None
    if isinstance(ema_decay, bool) or not isinstance(ema_decay, (int, float, np.floating)) or not 0.0 < ema_decay < 1.0:
        raise ValueError(f"ema_decay must be a number in (0, 1) (e.g. 0.999) or None for no average, got {ema_decay!r}")
    return float(ema_decay)


def deserialize_submodels(config: dict, *names: str) -> dict:
    """``config`` with the serialized sub-models under ``names`` rebuilt: what ``from_config`` passes to ``cls``."""
    config = dict(config)
    for name in names:
        config[name] = keras.saving.deserialize_keras_object(config[name])
    return config


class Fakes(NamedTuple):
    """The fakes of one step, as the objectives see them.

    Attributes
    ----------
    noise
        ``[B, noise_dim]``: the noise ``z`` they were drawn from.
    samples
        ``G(z)`` (``G(z, c)`` with a condition): what the generator made, e.g. ``[B, 28, 28, 1]`` images.
    condition
        What the generator was told besides the noise (labels, features of the level above), or ``None``.
    """

    noise: tf.Tensor
    samples: tf.Tensor
    condition: object


class PlayerOptimizers:
    """The two players' optimizers, where Keras's callbacks look for "the" optimizer.

    ``keras.callbacks.LearningRateScheduler`` and ``ReduceLROnPlateau`` change the learning
    rate of every optimizer in ``model.optimizer.optimizers``, so a schedule given to
    ``GAN.fit`` acts on both players alike. For different schedules, give each optimizer its
    own ``keras.optimizers.schedules.LearningRateSchedule`` as its learning rate in ``compile``.
    """

    built = True

    def __init__(self, *optimizers):
        self.optimizers = [o for o in optimizers if o is not None]

    def __repr__(self) -> str:
        return f"PlayerOptimizers({', '.join(o.name for o in self.optimizers)})"


class SavesNoiseSeed:
    """Mixin for a trainer that draws noise from ``self.seed_generator`` inside ``train_step``.

    :meth:`noise_seed` gives each step's seed, a different one on every replica.

    Its weights files keep the generator's state too, so a loaded model trains on exactly as
    it would have.
    """

    def noise_seed(self) -> tf.Tensor:
        """The next seed of the training noise, this replica's own (:func:`~aegan_tutorial.training.replica_seed`)."""
        return replica_seed(self.seed_generator)

    def save_own_variables(self, store) -> None:
        super().save_own_variables(store)
        store["noise_seed_state"] = self.seed_generator.state

    def load_own_variables(self, store) -> None:
        if "noise_seed_state" in store.keys():
            self.seed_generator.state.assign(store["noise_seed_state"])
        super().load_own_variables({k: store[k] for k in store.keys() if k != "noise_seed_state"})


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class GAN(SavesNoiseSeed, keras.Model):
    """A generator and a discriminator, trained by alternating gradient steps.

    ``fit`` takes real images only (a ``tf.data.Dataset`` of float ``[B, 28, 28, 1]``
    batches in ``[-1, 1]``, e.g. :func:`~aegan_tutorial.data.make_dataset`; datasets of
    ``(images, labels)`` pairs work too, the labels are ignored) and logs ``d_loss`` and
    ``g_loss``. Calling the model maps noise to images.

    With ``ema_decay`` set, after every generator step the GAN updates an exponential moving
    average of the generator's weights (Yazıcı et al. 2019; Karras et al. 2018),
    ``θ̄ ← β θ̄ + (1 − β) θ`` with ``β = min(ema_decay, (1 + t) / (10 + t))`` at update ``t``
    (so a short run is not dominated by the untrained weights). :meth:`generate`, calling the
    model and the package's evaluation then use :meth:`averaged_generator`; the average is
    saved and loaded with the model, so a resumed run continues it. The class leaves it off; the
    registry's ``dcgan`` recipe turns it on (0.999): with that recipe's fast generator (learning
    rate 2e-3) the average lowered the shipped model's FD from 30.89 to 29.20 (10,000 samples),
    while at the DCGAN paper's 2e-4 it made no measurable difference (``benchmarks/ema_effect.py``).

    Subclasses that feed the players something besides noise and images override the
    hooks :meth:`unpack`, :meth:`generator_inputs` and :meth:`discriminator_inputs` (as
    :class:`~aegan_tutorial.models.ConditionalGAN` does with the label), and
    :meth:`record` to log more; :meth:`train_step` stays the same.

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
    ema_decay
        Decay ``β`` of the average of the generator's weights, in ``(0, 1)`` (0.999: about the
        last 1,000 steps); ``None`` (the default): no average, ``generate`` uses the generator as
        trained.
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        noise_dim: int,
        seed: int | None = None,
        ema_decay: float | None = None,
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
        self.train_generator = True
        self.ema_decay = check_ema_decay(ema_decay)
        self.ema_weights: list = []
        if self.ema_decay is not None:
            # θ̄ starts at θ; "mean" aggregation lets every replica update it inside the step
            self.ema_weights = [
                self.add_weight(shape=w.shape, initializer="zeros", trainable=False, autocast=False,
                                aggregation="mean", name=f"ema_{i}")
                for i, w in enumerate(generator.weights)
            ]
            for average, weight in zip(self.ema_weights, generator.weights):
                average.assign(weight)
            self.ema_updates = self.add_weight(shape=(), initializer="zeros", trainable=False, autocast=False,
                                               aggregation="mean", name="ema_updates")
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
        return [self.d_loss_tracker, self.g_loss_tracker] if self.train_generator else [self.d_loss_tracker]

    def call(self, noise, training: bool = False):
        """``[B, noise_dim] -> [B, 28, 28, 1]``: the generator (its average, outside training)."""
        if training or self.ema_decay is None:
            return self.generator(noise, training=training)
        return self.averaged_generator()(noise, training=False)

    # --- the average of the generator's weights -------------------------------------------------

    def update_average(self) -> None:
        """``θ̄ ← β θ̄ + (1 − β) θ``, ``β = min(ema_decay, (1 + t) / (10 + t))``, ``t`` = updates so far."""
        t = self.ema_updates + 1.0
        self.ema_updates.assign(t)
        beta = tf.minimum(self.ema_decay, (1.0 + t) / (10.0 + t))
        for average, weight in zip(self.ema_weights, self.generator.weights):
            average.assign(beta * average + (1.0 - beta) * tf.cast(weight, average.dtype))

    def averaged_generator(self) -> keras.Model:
        """The generator with the averaged weights ``θ̄`` (the trained generator if there is no average).

        A copy of the generator's network, refreshed from the average on every call: what
        :meth:`generate` draws from, and what to save or publish as "the generator".
        """
        if self.ema_decay is None:
            return self.generator
        copy = self.__dict__.get("_averaged_copy")  # kept out of Keras's tracking: not a weight of the GAN
        if copy is None:
            copy = keras.models.clone_model(self.generator)
            copy.trainable = False
            self.__dict__["_averaged_copy"] = copy
        for target, average in zip(copy.weights, self.ema_weights):
            target.assign(average)
        return copy

    def compile(
        self,
        d_optimizer: keras.optimizers.Optimizer | None = None,
        g_optimizer: keras.optimizers.Optimizer | None = None,
        loss: GeneratorLoss = "non_saturating",
        label_smoothing: float = 0.0,
        train_generator: bool = True,
        **kwargs,
    ) -> None:
        """Choose the optimizers and the generator's loss.

        Parameters
        ----------
        d_optimizer, g_optimizer
            ``None`` picks :func:`recommended_optimizers`. Both are wrapped by
            :func:`~aegan_tutorial.training.guard_optimizer` (loss scaling under
            ``mixed_float16``; non-finite updates skipped). To schedule a learning rate, give
            the optimizer a ``keras.optimizers.schedules.LearningRateSchedule``, or pass
            ``LearningRateScheduler``/``ReduceLROnPlateau`` to ``fit`` (they act on both).
        loss
            The generator's loss: ``"non_saturating"`` or ``"minimax"``.
        label_smoothing
            One-sided label smoothing of the discriminator's real targets, in ``[0, 1)``.
        train_generator
            ``False`` freezes the generator: it draws its fakes in inference mode and is
            never updated, so only the discriminator learns (no generator optimizer is made).
        **kwargs
            Passed to ``keras.Model.compile``: ``jit_compile``, ``steps_per_execution``,
            ``run_eagerly``.
        """
        if loss not in GENERATOR_LOSSES:
            raise ValueError(f"loss must be one of {GENERATOR_LOSSES}, got {loss!r}")
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must lie in [0, 1), got {label_smoothing!r}")
        for key in ("optimizer", "loss_weights", "metrics"):
            if kwargs.get(key) is not None:
                raise TypeError(f"{type(self).__name__}.compile takes d_optimizer and g_optimizer, not {key}")
        super().compile(optimizer=None, **kwargs)  # the players' optimizers are ours, not Keras's
        self.train_generator = bool(train_generator)
        default_d, default_g = recommended_optimizers()
        self.d_optimizer = guard_optimizer(d_optimizer or default_d, self.dtype_policy)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer = None
        if self.train_generator:
            self.g_optimizer = guard_optimizer(g_optimizer or default_g, self.dtype_policy)
            self.g_optimizer.build(self.generator.trainable_variables)
        self.optimizer = PlayerOptimizers(self.d_optimizer, self.g_optimizer)
        self.loss_kind = loss
        self.label_smoothing = float(label_smoothing)
        self._compile_args = dict(loss=loss, label_smoothing=self.label_smoothing,
                                  train_generator=self.train_generator, **kwargs)

    def sample_noise(self, batch_size) -> tf.Tensor:
        """``z ~ N(0, I)`` of shape ``[batch_size, noise_dim]``, different on every replica."""
        return tf.random.stateless_normal((batch_size, self.noise_dim), seed=self.noise_seed())

    # --- the hooks: what the players are fed ---------------------------------------------------

    def unpack(self, data):
        """``(real images, condition)`` from a batch; a plain GAN has no condition (labels are ignored)."""
        return (data[0] if isinstance(data, tuple) else data), None

    def generator_inputs(self, noise, condition):
        """What the generator reads: the noise alone."""
        return noise

    def discriminator_inputs(self, images, condition):
        """What the discriminator reads: the images alone."""
        return images

    def discriminator_objective(self, real_logits, fake_logits, fakes: "Fakes | None" = None):
        """What the discriminator minimises: the cross-entropy real→1, fake→0, i.e. −V(D, G).

        ``fakes`` (the noise, samples and condition of the step's fakes) is for objectives with
        more terms than the value function, such as the stacked GAN's; this one does not need it.
        """
        return discriminator_loss(real_logits, fake_logits, self.label_smoothing)

    def generator_objective(self, fake_logits, fakes: "Fakes | None" = None):
        """What the generator minimises: the loss chosen in ``compile`` (non-saturating or minimax)."""
        return generator_loss(fake_logits, self.loss_kind)

    def record(self, d_loss, g_loss, real_logits, fake_logits) -> dict:
        """Update the loss trackers; return the logs of the step."""
        self.d_loss_tracker.update_state(d_loss)
        if g_loss is not None:
            self.g_loss_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}

    # --- the step ------------------------------------------------------------------------------

    def train_step(self, data):
        real, condition = self.unpack(data)
        batch_size = tf.shape(real)[0]

        def G(z, training=True):  # the generator: noise (and the condition, if any) to images
            return self.generator(self.generator_inputs(z, condition), training=training)

        def D(x):  # the discriminator's logits ℓ(x); D(x) = σ(ℓ(x)) is its belief that x is real
            return self.discriminator(self.discriminator_inputs(x, condition), training=True)

        # Discriminator: maximise V(D, G), i.e. minimise the cross-entropy real→1, fake→0.
        noise = self.sample_noise(batch_size)
        fake = G(noise, training=self.train_generator)
        with tf.GradientTape() as tape:
            real_logits, fake_logits = D(real), D(fake)
            d_loss = self.discriminator_objective(real_logits, fake_logits, Fakes(noise, fake, condition))
        gradient_step(self.d_optimizer, tape, d_loss, self.discriminator.trainable_variables)

        # Generator: fool the updated discriminator with fresh samples (unless it is frozen).
        g_loss = None
        if self.train_generator:
            with tf.GradientTape() as tape:
                noise = self.sample_noise(batch_size)
                fake = G(noise)
                g_loss = self.generator_objective(D(fake), Fakes(noise, fake, condition))
            gradient_step(self.g_optimizer, tape, g_loss, self.generator.trainable_variables)
            if self.ema_decay is not None:
                self.update_average()  # θ̄ follows θ

        return self.record(d_loss, g_loss, real_logits, fake_logits)

    # --- fit and generate ----------------------------------------------------------------------

    def check_fit_data(self, x, y):
        """Check what ``fit`` was given; return the ``(x, y)`` to train on.

        A plain GAN takes real images only: float ``[B, 28, 28, 1]`` in the generator's range.
        """
        if y is not None:
            raise TypeError(
                f"{type(self).__name__}.fit takes real images only (x); the generator draws its own noise and the "
                "targets real→1, fake→0 are built inside train_step, so pass no y"
            )
        check_fit_images(x, output_scale(self.generator), f"{type(self).__name__}.fit")
        return x, y

    def fit(self, x=None, y=None, callbacks=None, **kwargs):
        """Keras's ``fit``, after :meth:`check_fit_data`; stops at the first non-finite loss."""
        if not self.compiled:
            raise RuntimeError(f"compile the {type(self).__name__} before fit: model.compile() picks its optimizers")
        x, y = self.check_fit_data(x, y)
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)  # a dataset shuffles itself
        return super().fit(x, y, callbacks=with_nonfinite_guard(callbacks), **kwargs)

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
        return self._generate(n, None, seed, batch_size)

    def _generate(self, n: int, condition, seed: int | None, batch_size: int) -> np.ndarray:
        """The generator in inference mode, in batches, on ``n`` fresh noise vectors (and the condition)."""
        check_positive_int(n, "n")
        noise = keras.random.normal((n, self.noise_dim), seed=seed)
        inputs = self.generator_inputs(noise, condition)
        return apply_in_batches(self.averaged_generator(), inputs, batch_size)

    # --- saving --------------------------------------------------------------------------------

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "noise_dim": self.noise_dim,
            "seed": self.seed,
            "ema_decay": self.ema_decay,
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
        }

    @classmethod
    def from_config(cls, config: dict) -> "GAN":
        return cls(**deserialize_submodels(config, "generator", "discriminator"))

    def get_compile_config(self) -> dict:
        if not self.compiled:
            return {}
        return {
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer) if self.g_optimizer else None,
            **self._compile_args,
        }

    def compile_from_config(self, config: dict) -> None:
        """Re-compile a loaded GAN as it was saved; the optimizers' state loads next."""
        config = dict(config)
        g_optimizer = config.pop("g_optimizer")
        self.compile(
            d_optimizer=keras.saving.deserialize_keras_object(config.pop("d_optimizer")),
            g_optimizer=keras.saving.deserialize_keras_object(g_optimizer) if g_optimizer else None,
            **config,
        )
