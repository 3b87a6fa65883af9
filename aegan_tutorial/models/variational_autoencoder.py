r"""The variational autoencoder (Kingma & Welling 2014): the prior enforced by a KL term.

The encoder outputs the mean :math:`\mu(x)` and the log-variance :math:`\log\sigma^2(x)` of a
Gaussian :math:`q(z \mid x)`; a code is drawn from it with the reparameterisation
:math:`z = \mu + \sigma \odot \varepsilon`, :math:`\varepsilon \sim N(0, I)`, so the gradient
flows through :math:`\mu` and :math:`\sigma`. Training minimises the negative evidence lower
bound, per image

.. math::

    \mathcal{L}(x) = \underbrace{-\log p(x \mid z)}_{\text{reconstruction}}
      + \beta\,\underbrace{\tfrac12 \textstyle\sum_j \left(\sigma_j^2 + \mu_j^2 - 1 - \log\sigma_j^2\right)}_{\mathrm{KL}(q(z\mid x)\,\|\,N(0, I))},

with a Bernoulli decoder (the reconstruction term is the binary cross-entropy summed over the
784 pixels). The encoder is :func:`~aegan_tutorial.models.build_encoder` with ``2k`` outputs,
the decoder :func:`~aegan_tutorial.models.build_decoder` with ``k`` inputs.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from ..training import gradient_step, guard_optimizer
from .generative_autoencoder import PriorAutoencoder, reconstruction_error
from .priors import GaussianPrior

__all__ = ["VariationalAutoencoder", "kl_to_standard_normal"]


def kl_to_standard_normal(mean, log_var):
    """``KL(N(mean, diag(exp(log_var))) ‖ N(0, I))`` per row, float32 ``[B]`` for ``[B, k]`` inputs."""
    mean, log_var = ops.cast(mean, "float32"), ops.cast(log_var, "float32")
    return 0.5 * ops.sum(ops.exp(log_var) + ops.square(mean) - 1.0 - log_var, axis=1)


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class VariationalAutoencoder(PriorAutoencoder):
    """A VAE: ``fit`` on images in ``[0, 1]``; logs ``loss``, ``reconstruction`` and ``kl`` (nats per image).

    Parameters
    ----------
    encoder
        ``[B, 28, 28, 1] -> [B, 2k]``: the first ``k`` outputs are the mean, the last ``k`` the
        log-variance.
    decoder
        ``[B, k] -> [B, 28, 28, 1]``, sigmoid.
    beta
        Weight of the KL term (1: the evidence lower bound).
    seed
        Seed of the reparameterisation's noise.
    """

    code_factor = 2

    def __init__(self, encoder: keras.Model, decoder: keras.Model, beta: float = 1.0, seed: int | None = None,
                 prior=None, **kwargs):
        kwargs.setdefault("name", "vae")
        super().__init__(encoder, decoder, prior, seed, **kwargs)
        if not isinstance(self.prior, GaussianPrior):
            raise ValueError(f"the VAE's KL term is written for the N(0, I) prior, got {self.prior!r}")
        if not beta > 0:
            raise ValueError(f"beta must be positive, got {beta!r}")
        self.beta = float(beta)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.built = True

    @property
    def metrics(self) -> list:
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def code_of(self, encoder_output):
        """The mean ``μ(x)``: the code a VAE reconstructs from outside training."""
        return encoder_output[..., : self.latent_dim]

    def compile(self, optimizer=None, **kwargs):
        """``optimizer`` (default Adam, learning rate 1e-3), guarded against non-finite updates."""
        for key in ("loss", "loss_weights", "metrics"):
            if kwargs.get(key) is not None:
                raise TypeError(f"VariationalAutoencoder.compile takes an optimizer only; its loss is the ELBO, not {key}")
        super().compile(optimizer=guard_optimizer(optimizer or keras.optimizers.Adam(1e-3), self.dtype_policy), **kwargs)
        self.optimizer.build(self.trainable_variables)

    def compile_from_config(self, config: dict) -> None:
        self.compile(**keras.saving.deserialize_keras_object(config))

    def train_step(self, data):
        x, condition = self.unpack(data)
        k = self.latent_dim
        with tf.GradientTape() as tape:
            statistics = tf.cast(self.encoder(x, training=True), tf.float32)
            mean, log_var = statistics[:, :k], statistics[:, k:]
            # the reparameterisation: z = μ + σ ⊙ ε, ε ~ N(0, I)
            epsilon = tf.random.stateless_normal(tf.shape(mean), seed=self.noise_seed())
            z = mean + tf.exp(0.5 * log_var) * epsilon
            reconstruction = ops.mean(reconstruction_error(x, self.decoder(self.decoder_inputs(z, condition), training=True)))
            kl = ops.mean(kl_to_standard_normal(mean, log_var))
            loss = reconstruction + self.beta * kl
        gradient_step(self.optimizer, tape, loss, self.trainable_variables)
        for tracker, value in zip(self.metrics, (loss, reconstruction, kl)):
            tracker.update_state(value)
        return {m.name: m.result() for m in self.metrics}

    def get_config(self) -> dict:
        return {**super().get_config(), "beta": self.beta}
