r"""Stacked GANs (Huang et al. 2017, "Stacked Generative Adversarial Networks"): one GAN per level of an encoder.

A bottom-up encoder :math:`E` maps an image to a level of features and the features to a
class, :math:`x = h_0 \xrightarrow{E_0} h_1 \xrightarrow{E_1} h_2 = y`. The stack inverts it top
down: at each level :math:`i` a generator draws the level below from the level above and its
own noise, :math:`\hat h_i = G_i(h_{i+1}, z_i)`, and a discriminator :math:`D_i` tells real
:math:`h_i` from generated ones. Sampling runs the generators in turn,
:math:`y \to G_1 \to \hat h_1 \to G_0 \to \hat x`.

Each generator minimises three terms,

.. math::

    \mathcal L_{G_i} = \lambda_\text{adv}\,\mathcal L^\text{adv}_{G_i}
        + \lambda_\text{cond}\,\mathcal L^\text{cond}_{G_i} + \lambda_\text{ent}\,\mathcal L^\text{ent}_{G_i},

- the *adversarial* loss, the non-saturating GAN loss against :math:`D_i`;
- the *conditional* loss: the frozen encoder maps the generated level back up, and it must give
  the condition it was drawn from, :math:`\ell\bigl(E_i(\hat h_i), h_{i+1}\bigr)` (cross-entropy
  when :math:`h_{i+1}` is a label, squared distance when it is a feature vector);
- the *entropy* loss: a head :math:`Q_i` on the discriminator's body recovers the noise from the
  sample, :math:`\mathcal L^\text{ent} = \operatorname{mean}\,(Q_i(\hat h_i) - z_i)^2` with
  :math:`z_i \sim U(0, 1)` (guessing the mean gives 1/12). Minimising it
  over :math:`G_i` maximises a lower bound on the entropy of :math:`\hat h_i` given the condition:
  a generator whose samples ignore :math:`z_i` cannot have its noise recovered.

The discriminator minimises the GAN's cross-entropy plus :math:`\lambda_\text{ent}\,\mathcal L^\text{ent}`
(so :math:`Q_i` learns to recover the noise). Training has two stages, one switch:
*independent* (:math:`G_0` is fed real features :math:`E_0(x)`; the levels learn in parallel)
and *joint* (:math:`G_0` is fed :math:`G_1`'s samples, so it learns to turn the features the stack
actually makes into images).

The same trainer builds an image-space hierarchy ("coarse to fine", as LAPGAN, Denton et al.
2015): the "encoder" is 2×2 average pooling, the top level draws a 14×14 digit, and the bottom
one adds the detail up to 28×28 while its pooled output must give back the coarse digit.

Shapes (``B`` samples, feature size ``d``, noise sizes ``n_1``, ``n_0``)::

    encoder:   [B, 28, 28, 1] --E_0--> h_1 [B, d] --E_1--> logits [B, 10]
    level 1:   G_1([labels [B], z_1 [B, n_1]]) -> [B, d];    D_1([B, d]) -> [logit [B, 1], z_1 recovered [B, n_1]]
    level 0:   G_0([h_1 [B, d], z_0 [B, n_0]]) -> [B, 28, 28, 1];  D_0(image) -> [logit [B, 1], z_0 recovered [B, n_0]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from .._checks import apply_in_batches, check_positive_int
from ..callbacks import with_nonfinite_guard
from ..data import IMAGE_SHAPE, NUM_CLASSES, check_labels, output_scale
from ..losses import discriminator_loss, generator_loss
from ..training import check_fit_images
from .conditional_gan import labels_to_draw
from .gan import GAN, Fakes, deserialize_submodels, recommended_optimizers, upsample_to_image

CONDITIONS = ("labels", "features", None)
"""What a level is conditioned on: a digit label, a feature vector or image, or nothing (the top of a stack
without labels)."""


# --- the encoder the stack inverts ------------------------------------------------------------------


def build_encoder_levels(feature_dim: int = 256, num_classes: int = NUM_CLASSES) -> tuple[keras.Model, keras.Model]:
    """The bottom-up encoder of a stacked GAN, as its two levels ``(E_0, E_1)``.

    ``E_0``: two 5×5 convolutions with 2×2 max-pooling, then a dense ReLU layer, as in the
    SGAN paper's MNIST encoder; ``E_1``: a linear read-out of the digit. Trained together as a
    classifier (:meth:`StackedGAN.train_encoder`), then frozen.

    Returns
    -------
    tuple of keras.Model
        ``E_0``: ``[B, 28, 28, 1]`` in ``[-1, 1]`` → features ``[B, feature_dim]`` (≥ 0);
        ``E_1``: ``[B, feature_dim]`` → logits ``[B, num_classes]``.
    """
    check_positive_int(feature_dim, "feature_dim")
    check_positive_int(num_classes, "num_classes", minimum=2)
    image = keras.Input(IMAGE_SHAPE, name="image")
    x = image
    for size in ("24x24", "8x8"):
        x = layers.Conv2D(32, 5, activation="relu", name=f"conv_{size}")(x)
        x = layers.MaxPooling2D(name=f"pool_{size}")(x)
    features = layers.Dense(feature_dim, activation="relu", name="features")(layers.Flatten()(x))
    bottom = keras.Model(image, features, name="encoder_0")
    h = keras.Input((feature_dim,), name="features")
    top = keras.Model(h, layers.Dense(num_classes, dtype="float32", name="logits")(h), name="encoder_1")
    return bottom, top


def build_pooling_encoder(name: str = "pooling_encoder") -> keras.Model:
    """The "encoder" of a coarse-to-fine stack: ``[B, 28, 28, 1] -> [B, 14, 14, 1]`` by 2×2 average pooling."""
    image = keras.Input(IMAGE_SHAPE, name="image")
    return keras.Model(image, layers.AveragePooling2D(2, name="pool_14x14")(image), name=name)


# --- the players of a level ------------------------------------------------------------------------


def build_feature_generator(feature_dim: int = 256, noise_dim: int = 50, num_classes: int = NUM_CLASSES,
                            units: int = 512, name: str = "generator_1") -> keras.Model:
    """``G_1``: a label and noise to a feature vector (two dense ReLU layers with batch norm, ReLU output).

    Returns
    -------
    keras.Model
        ``[labels int [B], noise [B, noise_dim]] -> [B, feature_dim]``, ≥ 0 like ``E_0``'s features.
    """
    for value, what in ((feature_dim, "feature_dim"), (noise_dim, "noise_dim"), (units, "units")):
        check_positive_int(value, what)
    label = keras.Input((), dtype="int32", name="label")
    noise = keras.Input((noise_dim,), name="noise")
    one_hot = layers.CategoryEncoding(num_tokens=num_classes, output_mode="one_hot", name="one_hot")(label)
    x = layers.Concatenate(name="label_and_noise")([one_hot, noise])
    for i in (1, 2):
        x = layers.ReLU()(layers.BatchNormalization()(layers.Dense(units, use_bias=False, name=f"dense_{i}")(x)))
    features = layers.Dense(feature_dim, activation="relu", dtype="float32", name="features")(x)
    return keras.Model([label, noise], features, name=name)


def build_image_generator(feature_dim: int = 256, noise_dim: int = 50, filters: int = 32,
                          name: str = "generator_0") -> keras.Model:
    """``G_0``: features and noise to an image; the noise is embedded (dense, batch norm) beside the features.

    The body is the DCGAN generator's (:func:`~aegan_tutorial.models.gan.upsample_to_image`).

    Returns
    -------
    keras.Model
        ``[features [B, feature_dim], noise [B, noise_dim]] -> [B, 28, 28, 1]``, pixels in ``[-1, 1]``.
    """
    for value, what in ((feature_dim, "feature_dim"), (noise_dim, "noise_dim"), (filters, "filters")):
        check_positive_int(value, what)
    features = keras.Input((feature_dim,), name="features")
    noise = keras.Input((noise_dim,), name="noise")
    embedded = layers.BatchNormalization(name="noise_bn")(layers.Dense(128, use_bias=False, name="noise_embedding")(noise))
    x = layers.Concatenate(name="features_and_noise")([features, embedded])
    return keras.Model([features, noise], upsample_to_image(x, filters), name=name)


def build_coarse_generator(noise_dim: int = 64, filters: int = 32, name: str = "coarse_generator") -> keras.Model:
    """The top of a coarse-to-fine stack: noise to a 14×14 digit.

    Returns
    -------
    keras.Model
        ``[B, noise_dim] -> [B, 14, 14, 1]``, pixels in ``[-1, 1]``.
    """
    check_positive_int(noise_dim, "noise_dim")
    check_positive_int(filters, "filters")
    noise = keras.Input((noise_dim,), name="noise")
    x = layers.Dense(7 * 7 * 2 * filters, use_bias=False)(noise)
    x = layers.Reshape((7, 7, 2 * filters))(layers.ReLU()(layers.BatchNormalization()(x)))
    x = layers.Conv2DTranspose(1, 4, strides=2, padding="same", name="deconv_14x14")(x)
    return keras.Model(noise, layers.Activation("tanh", dtype="float32", name="image")(x), name=name)


def build_detail_generator(noise_dim: int = 16, filters: int = 32, name: str = "detail_generator") -> keras.Model:
    """The bottom of a coarse-to-fine stack: a 14×14 digit and noise to the 28×28 digit.

    The coarse digit, upsampled to 28×28, is read beside a 28×28 map of the noise; two 3×3
    convolutions with batch norm and a third to one channel draw the detail.

    Returns
    -------
    keras.Model
        ``[coarse [B, 14, 14, 1], noise [B, noise_dim]] -> [B, 28, 28, 1]``, pixels in ``[-1, 1]``.
    """
    check_positive_int(noise_dim, "noise_dim")
    check_positive_int(filters, "filters")
    coarse = keras.Input((14, 14, 1), name="coarse")
    noise = keras.Input((noise_dim,), name="noise")
    up = layers.UpSampling2D(2, interpolation="bilinear", name="upsampled")(coarse)
    noise_map = layers.Reshape((28, 28, 1))(layers.Dense(28 * 28, name="noise_map")(noise))
    x = layers.Concatenate(name="coarse_and_noise")([up, noise_map])
    for i in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv_{i}")(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Conv2D(1, 3, padding="same", name="conv_out")(x)
    return keras.Model([coarse, noise], layers.Activation("tanh", dtype="float32", name="image")(x), name=name)


def build_level_discriminator(sample_shape: Sequence[int], noise_dim: int, units: int = 256, filters: int = 32,
                              name: str = "discriminator") -> keras.Model:
    """``D_i`` with its ``Q_i`` head: a shared body, then a real-or-fake logit and the recovered noise.

    A feature vector goes through two dense LeakyReLU layers; an image (28×28 or 14×14) through
    two strided 4×4 convolutions and one dense LeakyReLU layer.

    Returns
    -------
    keras.Model
        ``[B, *sample_shape] -> [logit [B, 1], noise recovered [B, noise_dim]]``.
    """
    sample_shape = tuple(int(s) for s in sample_shape)
    check_positive_int(noise_dim, "noise_dim")
    check_positive_int(units, "units")
    sample = keras.Input(sample_shape, name="sample")
    if len(sample_shape) == 1:
        x = sample
        for i in (1, 2):
            x = layers.LeakyReLU(0.2)(layers.Dense(units, name=f"dense_{i}")(x))
    elif len(sample_shape) == 3:
        x = layers.LeakyReLU(0.2)(layers.Conv2D(filters, 4, strides=2, padding="same", name="conv_1")(sample))
        x = layers.LeakyReLU(0.2)(layers.Conv2D(2 * filters, 4, strides=2, padding="same", name="conv_2")(x))
        x = layers.LeakyReLU(0.2)(layers.Dense(units, name="dense")(layers.Flatten()(x)))
    else:
        raise ValueError(f"a level's samples are vectors [d] or images [h, w, c], got shape {list(sample_shape)}")
    logit = layers.Dense(1, dtype="float32", name="logit")(x)
    recovered = layers.Dense(noise_dim, dtype="float32", name="noise_recovered")(x)
    return keras.Model(sample, [logit, recovered], name=name)


# --- one level of the stack: a GAN with two more terms -----------------------------------------------


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class StackLevel(GAN):
    """Level ``i`` of a stack: ``G_i(h_{i+1}, z_i) → ĥ_i`` against ``D_i``, with the conditional and entropy losses.

    The step is :class:`~aegan_tutorial.models.GAN`'s; this class says how the condition reaches
    the generator (:meth:`generator_inputs`) and adds the two terms to the objectives. It is
    trained by :class:`StackedGAN`, which feeds it ``(real h_i, condition h_{i+1})`` batches.

    Parameters
    ----------
    generator
        ``[condition, noise [B, noise_dim]] -> ĥ_i`` (``noise -> ĥ_i`` when ``condition`` is ``None``).
    discriminator
        ``ĥ_i -> [logit [B, 1], noise recovered [B, noise_dim]]``.
    encoder
        The frozen ``E_i``: ``h_i -> h_{i+1}`` (labels: logits), for the conditional loss; ``None`` for an
        unconditioned level.
    noise_dim
        Size of ``z_i``.
    condition
        ``"labels"`` (cross-entropy of ``E_i(ĥ_i)`` with the label), ``"features"`` (squared distance of
        ``E_i(ĥ_i)`` to the condition) or ``None`` (no condition, no conditional loss).
    lambda_cond, lambda_ent
        Weights of the conditional and entropy losses (the adversarial loss has weight 1). The
        SGAN paper's MNIST settings are 1 and 10.
    level
        The level's index ``i``, which names its logs (``d1_loss``, ``g1_cond``, …).
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, encoder: keras.Model | None,
                 noise_dim: int, condition: str | None = "features", lambda_cond: float = 1.0,
                 lambda_ent: float = 10.0, level: int = 0, seed: int | None = None, **kwargs):
        if condition not in CONDITIONS:
            raise ValueError(f"condition must be one of {CONDITIONS}, got {condition!r}")
        if (encoder is None) != (condition is None):
            raise ValueError("a conditioned level needs the encoder that maps its samples back to the condition, "
                             f"and an unconditioned one none; got condition={condition!r} and "
                             f"encoder={'None' if encoder is None else encoder.name}")
        for value, what in ((lambda_cond, "lambda_cond"), (lambda_ent, "lambda_ent")):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ValueError(f"{what} must be a number ≥ 0, got {value!r}")
        check_positive_int(level, "level", minimum=0)
        kwargs.setdefault("name", f"level_{level}")
        self.condition_kind = condition
        super().__init__(generator, discriminator, noise_dim, seed=seed, **kwargs)
        self.encoder = encoder
        if encoder is not None:
            encoder.trainable = False
        self.lambda_cond, self.lambda_ent, self.level = float(lambda_cond), float(lambda_ent), level
        self.downstream: Callable | None = None  # set by StackedGAN for end-to-end training, read when traced
        self.cond_tracker = keras.metrics.Mean(name="g_cond")
        self.ent_tracker = keras.metrics.Mean(name="g_ent")

    def _check_players(self, generator: keras.Model, discriminator: keras.Model, noise_dim: int) -> None:
        inputs = generator.inputs if self.condition_kind is not None else [None, generator.inputs[0]]
        if len(generator.inputs) != (2 if self.condition_kind is not None else 1):
            raise ValueError(f"a level conditioned on {self.condition_kind} has a generator of "
                             f"{2 if self.condition_kind else 1} input(s); {generator.name} takes {len(generator.inputs)}")
        if tuple(inputs[1].shape[1:]) != (noise_dim,):
            raise ValueError(f"noise_dim is {noise_dim} but {generator.name} reads noise of shape {list(inputs[1].shape[1:])}")
        made, judged = tuple(generator.output_shape[1:]), tuple(discriminator.inputs[0].shape[1:])
        if made != judged:
            raise ValueError(f"{generator.name} makes {list(made)} samples but {discriminator.name} judges {list(judged)}")
        if len(discriminator.outputs) != 2 or tuple(discriminator.outputs[1].shape[1:]) != (noise_dim,):
            raise ValueError(f"{discriminator.name} must output [logit [B, 1], noise recovered [B, {noise_dim}]]: "
                             "build it with build_level_discriminator()")

    @property
    def metrics(self) -> list:
        return [self.d_loss_tracker, self.g_loss_tracker, self.cond_tracker, self.ent_tracker]

    def call(self, inputs, training: bool = False):
        """``[condition, noise] -> ĥ_i`` (``noise -> ĥ_i`` unconditioned): the generator."""
        return self.generator(inputs, training=training)

    def sample_noise(self, batch_size) -> tf.Tensor:
        """``z_i ~ U(0, 1)^noise_dim``, as in the SGAN paper (its λ_ent = 10 is set for this noise: chance L_ent = 1/12)."""
        return tf.random.stateless_uniform((batch_size, self.noise_dim), seed=self.noise_seed())

    def unpack(self, data):
        """``(real h_i, condition h_{i+1})``."""
        return data

    def generator_inputs(self, noise, condition):
        """``G_i(h_{i+1}, z_i)``: the condition and the noise (the noise alone at an unconditioned level)."""
        return noise if self.condition_kind is None else [condition, noise]

    # --- the objectives: the GAN's, plus the conditional and entropy losses ---------------------------

    def entropy_loss(self, fake_outputs, noise):
        """``L_ent = mean (Q_i(ĥ_i) − z_i)²``: how badly the noise is recovered from the samples (1/12 at chance)."""
        return ops.mean(ops.square(fake_outputs[1] - ops.cast(noise, "float32")))

    def conditional_loss(self, samples, condition):
        """``ℓ(E_i(ĥ_i), h_{i+1})``: cross-entropy with the label, or the squared distance to the features."""
        if self.condition_kind is None:
            return ops.zeros(())
        encoded = ops.cast(self.encoder(samples, training=False), "float32")
        if self.condition_kind == "labels":
            return ops.mean(keras.losses.sparse_categorical_crossentropy(condition, encoded, from_logits=True))
        return ops.mean(ops.square(encoded - ops.cast(condition, "float32")))

    def discriminator_objective(self, real_outputs, fake_outputs, fakes: Fakes | None = None):
        """``L_D = cross-entropy(real → 1, fake → 0) + λ_ent L_ent``: ``Q_i`` learns with the discriminator."""
        adversarial = discriminator_loss(real_outputs[0], fake_outputs[0], self.label_smoothing)
        return adversarial + self.lambda_ent * self.entropy_loss(fake_outputs, fakes.noise)

    def generator_objective(self, fake_outputs, fakes: Fakes | None = None, track: bool = True):
        """``L_G = L_adv + λ_cond L_cond + λ_ent L_ent``; the two extra terms are logged as ``g_cond``, ``g_ent``.

        With :attr:`downstream` set (a stack trained end to end), ``+ downstream(ĥ_i)``: the
        weighted loss of the level below, fed these samples, so that the gradient reaches ``G_i``.
        ``track=False`` leaves the logs alone (the level above computing this level's loss).
        """
        adversarial = generator_loss(fake_outputs[0], self.loss_kind)
        conditional = self.conditional_loss(fakes.samples, fakes.condition)
        entropy = self.entropy_loss(fake_outputs, fakes.noise)
        if track:
            self.cond_tracker.update_state(conditional)
            self.ent_tracker.update_state(entropy)
        loss = adversarial + self.lambda_cond * conditional + self.lambda_ent * entropy
        return loss if self.downstream is None else loss + self.downstream(fakes.samples)

    def record(self, d_loss, g_loss, real_outputs, fake_outputs) -> dict:
        """The logs of the step, named by the level: ``d{i}_loss``, ``g{i}_loss``, ``g{i}_cond``, ``g{i}_ent``."""
        logs = super().record(d_loss, g_loss, real_outputs, fake_outputs)
        return {name[0] + str(self.level) + name[1:]: value for name, value in logs.items()}

    def get_config(self) -> dict:
        return {**super().get_config(), "condition": self.condition_kind, "lambda_cond": self.lambda_cond,
                "lambda_ent": self.lambda_ent, "level": self.level,
                "encoder": keras.saving.serialize_keras_object(self.encoder) if self.encoder is not None else None}

    @classmethod
    def from_config(cls, config: dict) -> "StackLevel":
        config = dict(config)
        encoder = config.pop("encoder")
        config = deserialize_submodels(config, "generator", "discriminator")
        return cls(encoder=keras.saving.deserialize_keras_object(encoder) if encoder else None, **config)


# --- the stack --------------------------------------------------------------------------------------


class JointStage(keras.callbacks.Callback):
    """Train a :class:`StackedGAN` independently for ``independent_epochs`` epochs, jointly after.

    It sets :attr:`StackedGAN.joint` at the start of every epoch from the epoch's index, so a
    resumed run is in the right stage too. ``None``: independent throughout.
    """

    def __init__(self, independent_epochs: int | None):
        super().__init__()
        if independent_epochs is not None:
            check_positive_int(independent_epochs, "independent_epochs", minimum=0)
        self.independent_epochs = independent_epochs

    def on_epoch_begin(self, epoch, logs=None):
        if self.independent_epochs is not None:
            self.model.joint = epoch >= self.independent_epochs


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class StackedGAN(keras.Model):
    """Two levels of GANs that invert an encoder, top down; trained independently, then jointly.

    ``fit`` takes ``(images, labels)`` batches in ``[-1, 1]`` (labels are ignored by a stack
    whose top level is unconditioned). Each step trains the top level on ``(E_0(x), y)`` and
    the bottom level on ``(x, c)``, where the condition ``c`` is the real features ``E_0(x)``
    (the independent stage) or the top generator's samples ``G_1(y, z_1)`` (the joint stage,
    :attr:`joint`). The encoder is frozen: train it first with :meth:`train_encoder`.

    In the joint stage ``G_0``'s loss stops at ``G_1``'s samples, as in the SGAN authors' MNIST
    code; with ``end_to_end = λ > 0`` it does not: ``G_1``'s objective gains ``λ L_{G_0}``, the
    bottom generator's loss on a fresh ``G_0(G_1(y, z_1), z_0)``, differentiated through ``G_0``
    into ``G_1`` (their CIFAR-10 code, with λ = 0.01). Only ``G_1`` learns from that term.

    Parameters
    ----------
    top, bottom
        The :class:`StackLevel` s 1 and 0. ``bottom.encoder`` is ``E_0`` (image → features),
        ``top.encoder`` is ``E_1`` (features → label logits), or ``None`` for an unconditioned top.
    joint
        Start in the joint stage.
    end_to_end
        λ, the weight of ``G_0``'s loss in ``G_1``'s objective in the joint stage (0: none).
    """

    def __init__(self, top: StackLevel, bottom: StackLevel, joint: bool = False, end_to_end: float = 0.0,
                 **kwargs):
        kwargs.setdefault("name", "stacked_gan")
        super().__init__(**kwargs)
        if not isinstance(top, StackLevel) or not isinstance(bottom, StackLevel):
            raise TypeError("a StackedGAN is made of two StackLevel s (top, bottom)")
        if bottom.condition_kind != "features":
            raise ValueError("the bottom level must be conditioned on the features of the level above (condition='features')")
        made = tuple(top.generator.output_shape[1:])
        read = tuple(bottom.generator.inputs[0].shape[1:])
        encoded = tuple(bottom.encoder.output_shape[1:])
        if not made == read == encoded:
            raise ValueError(f"the top generator makes {list(made)}, the bottom one reads {list(read)} and E_0 gives "
                             f"{list(encoded)}: the three must agree")
        if tuple(bottom.generator.output_shape[1:]) != IMAGE_SHAPE:
            raise ValueError(f"the bottom generator must make [B, 28, 28, 1] images, got {list(bottom.generator.output_shape)}")
        self.top, self.bottom = top, bottom
        self._joint = bool(joint)
        self._end_to_end = 0.0
        self.end_to_end = end_to_end
        self.built = True

    @property
    def joint(self) -> bool:
        """The training stage: ``False`` independent (``G_0`` fed ``E_0(x)``), ``True`` joint (fed ``G_1``'s samples).

        Setting it takes effect at the next training step, also in the middle of ``fit`` (from a callback).
        """
        return self._joint

    @joint.setter
    def joint(self, value: bool) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"joint is True or False, got {value!r}")
        if bool(value) != self._joint:
            self._joint = bool(value)
            if getattr(self, "train_function", None) is not None:
                self.make_train_function(force=True)  # the step reads the stage when it is traced

    @property
    def end_to_end(self) -> float:
        """λ, the weight of ``G_0``'s loss in ``G_1``'s objective in the joint stage (0: ``G_0``'s loss stops at ``G_1``).

        Like :attr:`joint`, setting it takes effect at the next training step.
        """
        return self._end_to_end

    @end_to_end.setter
    def end_to_end(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise ValueError(f"end_to_end must be a number ≥ 0 (the weight of G_0's loss for G_1), got {value!r}")
        if float(value) != self._end_to_end:
            self._end_to_end = float(value)
            if getattr(self, "train_function", None) is not None:
                self.make_train_function(force=True)

    @property
    def labelled(self) -> bool:
        """Whether the top level draws features for a digit label (else from noise alone)."""
        return self.top.condition_kind == "labels"

    @property
    def num_classes(self) -> int:
        """Number of digit labels the top level reads (0 for an unconditioned stack)."""
        return int(self.top.encoder.output_shape[-1]) if self.labelled else 0

    @property
    def encoder(self) -> keras.Model:
        """``E = E_1 ∘ E_0``: ``[B, 28, 28, 1]`` in ``[-1, 1]`` → label logits (a labelled stack only)."""
        if not self.labelled:
            raise ValueError("an unconditioned stack has no label encoder; its E_0 is stack.bottom.encoder")
        image = keras.Input(IMAGE_SHAPE, name="image")
        return keras.Model(image, self.top.encoder(self.bottom.encoder(image)), name="encoder")

    @property
    def metrics(self) -> list:
        return [*self.top.metrics, *self.bottom.metrics]

    def compile(self, optimizers: Sequence[keras.optimizers.Optimizer] | None = None, **kwargs) -> None:
        """Give each of the four players its optimizer: ``(d_1, g_1, d_0, g_0)``; default Adam 1e-4, β₁ = 0.5.

        ``**kwargs`` go to ``keras.Model.compile`` (``jit_compile``, ``run_eagerly``, …).
        """
        if optimizers is None:
            optimizers = [*recommended_optimizers(1e-4), *recommended_optimizers(1e-4)]
        optimizers = list(optimizers)
        if len(optimizers) != 4:
            raise ValueError(f"compile takes four optimizers (d_1, g_1, d_0, g_0), got {len(optimizers)}")
        super().compile(optimizer=None, **kwargs)
        self.top.compile(*optimizers[:2])
        self.bottom.compile(*optimizers[2:])
        self._compile_kwargs = kwargs

    def train_step(self, data):
        images, labels = (data[0], tf.cast(data[1], tf.int32)) if isinstance(data, tuple) else (data, None)
        features = self.bottom.encoder(images, training=False)  # h_1 = E_0(x), the real level-1 samples
        # end to end, G_1's objective also carries λ L_{G_0} (read when the step is traced)
        self.top.downstream = self.bottom_generator_loss if self.joint and self.end_to_end > 0 else None
        logs = self.top.train_step((features, labels if self.labelled else None))
        if self.joint:  # G_0 learns from the features G_1 makes
            noise = self.top.sample_noise(tf.shape(images)[0])
            condition = tf.stop_gradient(self.top.generator(self.top.generator_inputs(noise, labels), training=True))
        else:  # G_0 learns from the real features
            condition = features
        return {**logs, **self.bottom.train_step((images, condition))}

    def bottom_generator_loss(self, condition):
        """``λ L_{G_0}`` of a fresh ``G_0(condition, z_0)`` against ``D_0``, differentiable in ``condition`` ``[B, d]``."""
        noise = self.bottom.sample_noise(tf.shape(condition)[0])
        samples = self.bottom.generator([condition, noise], training=True)
        outputs = self.bottom.discriminator(self.bottom.discriminator_inputs(samples, condition), training=True)
        return self.end_to_end * self.bottom.generator_objective(outputs, Fakes(noise, samples, condition), track=False)

    def check_fit_data(self, x, y):
        """``(images, labels)`` batches, or images with the labels as ``y``; images in ``[-1, 1]``."""
        if self.labelled:
            if y is not None:
                y = check_labels(y, len(x), self.num_classes)
            elif isinstance(x, tf.data.Dataset):
                spec = x.element_spec
                if not isinstance(spec, tuple) or len(spec) < 2:
                    raise ValueError("StackedGAN.fit needs (images, labels) batches: build the dataset with its labels")
            else:
                raise ValueError("StackedGAN.fit needs the digit labels: fit(images, labels) or a dataset of pairs")
        check_fit_images(x, output_scale(self.bottom.generator), "StackedGAN.fit")
        return x, y

    def fit(self, x=None, y=None, callbacks=None, **kwargs):
        """Keras's ``fit``, after :meth:`check_fit_data`; stops at the first non-finite loss."""
        if not self.compiled:
            raise RuntimeError("compile the StackedGAN before fit: model.compile() picks its optimizers")
        x, y = self.check_fit_data(x, y)
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)
        return super().fit(x, y, callbacks=with_nonfinite_guard(callbacks), **kwargs)

    def train_encoder(self, images, labels, epochs: int = 3, batch_size: int = 128, seed: int = 0) -> float:
        """Train ``E = E_1 ∘ E_0`` as a digit classifier (Adam 1e-3), then freeze it.

        Parameters
        ----------
        images
            Float ``[N, 28, 28, 1]`` in ``[-1, 1]``.
        labels
            Int ``[N]`` digits.

        Returns
        -------
        float
            The classifier's accuracy on ``images`` after training.
        """
        check_positive_int(epochs, "epochs")
        labels = check_labels(labels, len(images), self.num_classes)
        encoder = self.encoder
        for part in (self.bottom.encoder, self.top.encoder):
            part.trainable = True
        encoder.compile(keras.optimizers.Adam(1e-3),
                        keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        keras.utils.set_random_seed(seed)
        encoder.fit(images, labels, epochs=epochs, batch_size=batch_size, verbose=0)
        for part in (self.bottom.encoder, self.top.encoder):
            part.trainable = False
        return float(np.mean(np.argmax(apply_in_batches(encoder, images, 1000), -1) == labels))

    # --- sampling -------------------------------------------------------------------------------------

    def labels_for(self, n: int, labels=None) -> np.ndarray:
        """The int32 ``[n]`` labels :meth:`generate` draws for ``labels``: ``None`` gives 0–9 in turn."""
        return labels_to_draw(n, labels, self.num_classes)

    def generate_features(self, n: int, labels=None, seed: int | None = None, batch_size: int = 1024) -> np.ndarray:
        """``ĥ_1 = G_1(y, z_1)``: ``n`` samples of the top level (for ``labels`` as in :meth:`generate`)."""
        check_positive_int(n, "n")
        noise = keras.ops.convert_to_numpy(keras.random.uniform((n, self.top.noise_dim), seed=seed))
        inputs = [self.labels_for(n, labels), noise] if self.labelled else noise
        return apply_in_batches(self.top.generator, inputs, batch_size)

    def generate_from_features(self, features, seed: int | None = None, batch_size: int = 1024) -> np.ndarray:
        """``x̂ = G_0(h_1, z_0)``: one image per row of ``features`` ``[n, d]``, fresh noise ``z_0``."""
        features = np.asarray(features, np.float32)
        noise = keras.ops.convert_to_numpy(keras.random.uniform((len(features), self.bottom.noise_dim), seed=seed))
        return apply_in_batches(self.bottom.generator, [features, noise], batch_size)

    def generate(self, n: int, labels=None, seed: int | None = None, batch_size: int = 1024) -> np.ndarray:
        """Draw ``n`` images down the stack, ``y → G_1 → ĥ_1 → G_0 → x̂``.

        Parameters
        ----------
        n
            Number of images.
        labels
            ``None``: the digits in turn, ``0, 1, …, 9, 0, …``; an int: all of that digit; an int
            array ``[n]``: image ``i`` shows ``labels[i]``. An unconditioned stack takes ``None`` only.
        seed
            Fix both noises (same seed, same images); ``None`` draws fresh noise.

        Returns
        -------
        np.ndarray
            float32 ``[n, 28, 28, 1]`` in ``[-1, 1]``.
        """
        if not self.labelled and labels is not None:
            raise ValueError("this stack's top level draws from noise alone: it takes no labels")
        features = self.generate_features(n, labels, seed, batch_size)
        return self.generate_from_features(features, None if seed is None else seed + 1, batch_size)

    def call(self, inputs, training: bool = False):
        """``[labels [B], z_1, z_0] -> [B, 28, 28, 1]`` (``[z_1, z_0]`` for an unconditioned stack)."""
        *top_inputs, noise = inputs
        features = self.top.generator(top_inputs if self.labelled else top_inputs[0], training=training)
        return self.bottom.generator([features, noise], training=training)

    # --- saving --------------------------------------------------------------------------------------

    def get_config(self) -> dict:
        return {"name": self.name, "joint": self.joint, "end_to_end": self.end_to_end,
                "top": keras.saving.serialize_keras_object(self.top),
                "bottom": keras.saving.serialize_keras_object(self.bottom)}

    @classmethod
    def from_config(cls, config: dict) -> "StackedGAN":
        return cls(**deserialize_submodels(config, "top", "bottom"))

    def get_compile_config(self) -> dict:
        if not self.compiled:
            return {}
        players = (self.top.d_optimizer, self.top.g_optimizer, self.bottom.d_optimizer, self.bottom.g_optimizer)
        return {"optimizers": [keras.saving.serialize_keras_object(o.inner_optimizer) for o in players],
                **self._compile_kwargs}

    def compile_from_config(self, config: dict) -> None:
        config = dict(config)
        optimizers = [keras.saving.deserialize_keras_object(o) for o in config.pop("optimizers")]
        self.compile(optimizers, **config)
