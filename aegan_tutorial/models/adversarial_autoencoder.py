r"""The adversarial autoencoder (Makhzani et al. 2016): the prior enforced by a GAN on the codes.

Each batch takes two phases. In the **reconstruction phase** the encoder :math:`q` and the
decoder :math:`p` minimise the reconstruction error of :math:`x`. In the **regularisation
phase** a GAN plays on the codes: a *code discriminator* :math:`D` learns to tell draws of the
prior :math:`z \sim p(z)` (real) from the codes :math:`q(x)` of the training images (fake),

.. math::

    \min_D\; -\mathbb{E}_{z \sim p(z)}[\log D(z)] - \mathbb{E}_{x}[\log(1 - D(q(x)))],

and then the **encoder, acting as the generator**, fools it: :math:`\min_q -\mathbb{E}_x[\log D(q(x))]`
(the non-saturating loss of :mod:`aegan_tutorial.losses`). The decoder never meets the
discriminator. When the game is won, the codes of the data fill the prior, so
``decoder(z)``, ``z ~ p(z)``, draws digits.

The supervised variant feeds the decoder the one-hot label next to the code
(:func:`build_label_decoder`): the label carries the digit, so the code is left with the style.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers, ops

from .._checks import check_positive_int
from ..losses import discriminator_loss, generator_loss
from ..training import gradient_step, guard_optimizer
from .autoencoder import build_decoder
from .gan import PlayerOptimizers
from .generative_autoencoder import PriorAutoencoder, reconstruction_error

__all__ = ["AdversarialAutoencoder", "build_code_discriminator", "build_label_decoder", "recommended_aae_optimizers"]


def build_code_discriminator(latent_dim: int, units: int = 256, batchnorm: bool = False,
                             name: str = "code_discriminator") -> keras.Model:
    """The regularisation phase's discriminator: a code in, a logit out.

    Parameters
    ----------
    latent_dim
        Size ``k`` of the codes it judges.
    units
        Width of its two hidden LeakyReLU layers (the paper: 1,000).
    batchnorm
        Put BatchNorm after each hidden layer. A trap kept for the chapter to measure: a
        batch of prior draws and a batch of codes are normalised separately, each with its
        own statistics, which erases the very differences of mean and spread the
        discriminator is there to see.

    Returns
    -------
    keras.Model
        ``[B, latent_dim] -> [B, 1]`` logits (float32).
    """
    check_positive_int(latent_dim, "latent_dim")
    check_positive_int(units, "units")
    code = keras.Input((latent_dim,), name="code")
    x = code
    for i in (1, 2):
        x = layers.Dense(units, name=f"hidden_{i}")(x)
        if batchnorm:
            x = layers.BatchNormalization(name=f"batchnorm_{i}")(x)
        x = layers.LeakyReLU(0.2)(x)
    return keras.Model(code, layers.Dense(1, dtype="float32", name="logit")(x), name=name)


def build_label_decoder(latent_dim: int, num_classes: int = 10, name: str = "decoder") -> keras.Model:
    """A decoder that reads the one-hot label next to the code (the supervised AAE's).

    Returns
    -------
    keras.Model
        ``[[B, latent_dim], [B, num_classes]] -> [B, 28, 28, 1]``, sigmoid: the body of
        :func:`~aegan_tutorial.models.build_decoder` on the concatenation.
    """
    check_positive_int(latent_dim, "latent_dim")
    check_positive_int(num_classes, "num_classes", minimum=2)
    code = keras.Input((latent_dim,), name="code")
    label = keras.Input((num_classes,), name="label")
    body = build_decoder(latent_dim + num_classes, "sigmoid", name="decoder_body")
    return keras.Model([code, label], body(layers.Concatenate()([code, label])), name=name)


def recommended_aae_optimizers(ae_learning_rate: float = 1e-3, d_learning_rate: float = 2e-4,
                               g_learning_rate: float = 5e-4) -> tuple:
    """``(ae_optimizer, d_optimizer, g_optimizer)``: Adam 1e-3 for reconstruction, Adam with β₁ = 0.5 for the code GAN.

    The encoder-as-generator learns at ``g_learning_rate`` (5e-4), faster than the code
    discriminator (2e-4). With 8-dimensional codes, 10 epochs of the 19,690-image subset and
    seed 0: at 2e-4 the discriminator won (it told 99 % of codes from prior draws, the codes
    stayed 16.7 from the prior); at 1e-3 the encoder won but the reconstruction suffered (test
    MSE 0.034 against 0.023); 5e-4 kept both (code distance 0.56, MSE 0.023).
    """
    return (
        keras.optimizers.Adam(ae_learning_rate, name="ae_adam"),
        keras.optimizers.Adam(d_learning_rate, beta_1=0.5, name="d_adam"),
        keras.optimizers.Adam(g_learning_rate, beta_1=0.5, name="g_adam"),
    )


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class AdversarialAutoencoder(PriorAutoencoder):
    """An AAE: ``fit`` on images in ``[0, 1]`` (and labels, with a label decoder).

    Logs ``reconstruction`` (binary cross-entropy summed over the pixels, per image),
    ``d_loss`` and ``g_loss`` of the code GAN, and ``d_accuracy``, the share of prior draws
    and codes the code discriminator tells apart (0.5: it cannot).

    Parameters
    ----------
    encoder
        ``[B, 28, 28, 1] -> [B, k]``.
    decoder
        ``[B, k] -> [B, 28, 28, 1]`` sigmoid, or :func:`build_label_decoder`.
    discriminator
        ``[B, k] -> [B, 1]`` logits (:func:`build_code_discriminator`).
    prior
        A :class:`~aegan_tutorial.models.priors.Prior` over ``k`` dimensions (default ``N(0, I)``).
    seed
        Seed of the prior draws.
    """

    submodels = ("encoder", "decoder", "discriminator")

    def __init__(self, encoder: keras.Model, decoder: keras.Model, discriminator: keras.Model, prior=None,
                 seed: int | None = None, **kwargs):
        kwargs.setdefault("name", "aae")
        super().__init__(encoder, decoder, prior, seed, **kwargs)
        judged = int(discriminator.input_shape[-1])
        if judged != self.latent_dim or tuple(discriminator.output_shape[1:]) != (1,):
            raise ValueError(
                f"the code discriminator must read codes of size {self.latent_dim} and output [B, 1] logits; "
                f"got input {list(discriminator.input_shape)}, output {list(discriminator.output_shape)}"
            )
        self.discriminator = discriminator
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("reconstruction", "d_loss", "g_loss", "d_accuracy")}
        self.built = True

    @property
    def metrics(self) -> list:
        return list(self.trackers.values())

    def compile(self, ae_optimizer=None, d_optimizer=None, g_optimizer=None, **kwargs):
        """One optimizer per phase's player: the autoencoder's, the code discriminator's, the encoder-as-generator's.

        ``None`` picks :func:`recommended_aae_optimizers`. ``**kwargs`` go to
        ``keras.Model.compile`` (``jit_compile``, ``steps_per_execution``, ``run_eagerly``).
        """
        for key in ("optimizer", "loss", "loss_weights", "metrics"):
            if kwargs.get(key) is not None:
                raise TypeError(
                    f"AdversarialAutoencoder.compile takes ae_optimizer, d_optimizer and g_optimizer, not {key}: "
                    "its two phases are separate steps, not one weighted loss"
                )
        super().compile(optimizer=None, **kwargs)
        defaults = recommended_aae_optimizers()
        chosen = (ae_optimizer, d_optimizer, g_optimizer)
        self.ae_optimizer, self.d_optimizer, self.g_optimizer = (
            guard_optimizer(given or default, self.dtype_policy) for given, default in zip(chosen, defaults)
        )
        self.ae_optimizer.build(self.encoder.trainable_variables + self.decoder.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.encoder.trainable_variables)
        self.optimizer = PlayerOptimizers(self.ae_optimizer, self.d_optimizer, self.g_optimizer)
        self._compile_args = dict(kwargs)

    def train_step(self, data):
        x, condition = self.unpack(data)
        q, p, D = self.encoder, self.decoder, self.discriminator

        # Reconstruction phase: the encoder q and the decoder p minimise the error of p(q(x)).
        with tf.GradientTape() as tape:
            rebuilt = p(self.decoder_inputs(q(x, training=True), condition), training=True)
            reconstruction = ops.mean(reconstruction_error(x, rebuilt))
        gradient_step(self.ae_optimizer, tape, reconstruction, q.trainable_variables + p.trainable_variables)

        # Regularisation phase, a GAN on codes. D: prior draws are real, the codes q(x) are fake.
        prior_draws = self.prior.draw(tf.shape(x)[0], self.noise_seed())
        codes = q(x, training=True)
        with tf.GradientTape() as tape:
            real_logits, fake_logits = D(prior_draws, training=True), D(codes, training=True)
            d_loss = discriminator_loss(real_logits, fake_logits)
        gradient_step(self.d_optimizer, tape, d_loss, D.trainable_variables)

        # ... and the encoder, the generator of this GAN, fools the updated discriminator.
        with tf.GradientTape() as tape:
            g_loss = generator_loss(D(q(x, training=True), training=True))
        gradient_step(self.g_optimizer, tape, g_loss, q.trainable_variables)

        told_apart = ops.concatenate([ops.cast(real_logits > 0, "float32"), ops.cast(fake_logits < 0, "float32")])
        for name, value in zip(self.trackers, (reconstruction, d_loss, g_loss, ops.mean(told_apart))):
            self.trackers[name].update_state(value)
        return {m.name: m.result() for m in self.metrics}

    def get_config(self) -> dict:
        return {**super().get_config(), "discriminator": keras.saving.serialize_keras_object(self.discriminator)}

    def get_compile_config(self) -> dict:
        if not self.compiled:
            return {}
        return {
            "ae_optimizer": keras.saving.serialize_keras_object(self.ae_optimizer),
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
            **self._compile_args,
        }

    def compile_from_config(self, config: dict) -> None:
        config = dict(config)
        optimizers = {k: keras.saving.deserialize_keras_object(config.pop(k)) for k in ("ae_optimizer", "d_optimizer", "g_optimizer")}
        self.compile(**optimizers, **config)
