"""Starting a GAN's generator from an autoencoder's decoder: the copy, the code prior, BatchNorm statistics.

A decoder trained inside an autoencoder, ``[B, k] -> [B, 28, 28, 1]``, has the generator's
shape, so a GAN can start from it instead of from random weights. Two things stand between
the decoder and a working generator:

- **The codes are not the prior.** The decoder has only seen its encoder's codes, which lie
  near ``N(μ, Σ)`` for some ``μ, Σ``, not near the ``N(0, I)`` a GAN draws. A :class:`CodePrior`
  layer fitted to the codes maps prior noise onto them, ``z ↦ μ + L z`` with ``L Lᵀ = Σ``
  (the Cholesky factor), so that ``μ + L z`` has the codes' mean and covariance.
- **BatchNorm's moving statistics lag.** In inference mode a BatchNorm layer normalises with
  moving averages that trail the statistics of its inputs by ``1 / (1 - momentum)`` steps (100
  for Keras's 0.99); after a short pretraining, or once the inputs change (prior noise instead
  of codes), they are wrong. :func:`recalibrate_batchnorm` sets them to the statistics of the
  inputs a model is actually given.

:func:`generator_from_decoder` copies a decoder exactly (optionally behind a :class:`CodePrior`)
into a new model that a GAN can train without touching the autoencoder.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from ._checks import apply_in_batches, check_positive_int

__all__ = ["CodePrior", "gaussian_of_codes", "generator_from_decoder", "recalibrate_batchnorm"]


def gaussian_of_codes(codes) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood Gaussian of ``codes [N, k]``: ``mean [k]`` and ``cov [k, k]`` (divided by ``N``), float64."""
    x = np.asarray(codes, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 1:
        raise ValueError(f"codes must have shape [N, k], got {list(np.shape(codes))}")
    if len(x) < 2:
        raise ValueError(f"codes must hold at least 2 rows, got {len(x)}")
    if not np.all(np.isfinite(x)):
        raise ValueError("codes contain NaN or infinite values")
    mean = x.mean(axis=0)
    centred = x - mean
    return mean, centred.T @ centred / len(x)


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class CodePrior(layers.Layer):
    """``[B, k] -> [B, k]``: prior noise ``z`` to ``μ + L z``, a draw from the codes' Gaussian ``N(μ, L Lᵀ)``.

    ``μ`` and ``L`` are weights that training does not move (they are saved with the model).
    Build one from codes with :meth:`from_codes`; ``CodePrior(k)`` alone is the identity.
    """

    def __init__(self, size: int, **kwargs):
        kwargs.setdefault("name", "code_prior")
        super().__init__(**kwargs)
        self.size = check_positive_int(size, "size")
        self.mean = self.add_weight(shape=(self.size,), initializer="zeros", trainable=False, name="mean")
        self.scale_tril = self.add_weight(shape=(self.size, self.size), initializer="identity", trainable=False,
                                          name="scale_tril")

    @classmethod
    def from_codes(cls, codes, ridge: float = 1e-6, **kwargs) -> "CodePrior":
        """The prior fitted to ``codes [N, k]``: their mean, and the Cholesky factor of their covariance.

        ``ridge`` times the mean variance is added to the diagonal first, so that a code
        coordinate that never varies (a dead unit) does not make the factorisation fail.
        """
        mean, cov = gaussian_of_codes(codes)
        if not ridge >= 0:
            raise ValueError(f"ridge must be >= 0, got {ridge!r}")
        jitter = ridge * max(float(np.trace(cov)) / len(cov), 1e-12)
        prior = cls(len(mean), **kwargs)
        prior.mean.assign(mean.astype("float32"))
        prior.scale_tril.assign(np.linalg.cholesky(cov + jitter * np.eye(len(cov))).astype("float32"))
        return prior

    def call(self, noise):
        noise = ops.convert_to_tensor(noise)
        scale = ops.cast(self.scale_tril, noise.dtype)
        return ops.cast(self.mean, noise.dtype) + ops.matmul(noise, ops.transpose(scale))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size}


def _chain(decoder: keras.Model) -> list[layers.Layer]:
    """The decoder's layers after its input, checked to form a single chain."""
    chain = [layer for layer in decoder.layers if not isinstance(layer, layers.InputLayer)]
    previous = decoder.inputs[0]
    for layer in chain:
        if len(layer._inbound_nodes) != 1 or layer.input is not previous:
            raise ValueError(f"generator_from_decoder copies a decoder built as one chain of layers (as "
                             f"build_generator and build_decoder make); {layer.name} breaks the chain")
        previous = layer.output
    return chain


def generator_from_decoder(decoder: keras.Model, prior: CodePrior | None = None, name: str = "generator") -> keras.Model:
    """A new generator ``[B, k] -> [B, 28, 28, 1]`` holding an exact copy of ``decoder``'s weights.

    The copy is flat (one chain of new layers, no nested model), so a GAN that trains it leaves
    the decoder and its autoencoder untouched, and :func:`recalibrate_batchnorm` reaches every
    BatchNorm layer. With ``prior``, noise first goes through it: the generator computes
    ``decoder(μ + L z)``.
    """
    if not isinstance(decoder, keras.Model) or len(decoder.inputs) != 1:
        raise ValueError("generator_from_decoder needs a Keras functional model with one input (a decoder)")
    size = int(decoder.input_shape[-1])
    if prior is not None and prior.size != size:
        raise ValueError(f"the prior maps {prior.size} numbers but the decoder reads codes of size {size}")
    noise = keras.Input((size,), name="noise")
    x = prior(noise) if prior is not None else noise
    copies = []
    for layer in _chain(decoder):
        copy = layer.__class__.from_config(layer.get_config())
        x = copy(x)
        copies.append((layer, copy))
    for layer, copy in copies:
        copy.set_weights(layer.get_weights())
    return keras.Model(noise, x, name=name)


def recalibrate_batchnorm(model: keras.Model, inputs, batch_size: int = 1000) -> int:
    """Set every BatchNorm layer's moving mean and variance to the statistics of its inputs on ``inputs``.

    Layer by layer, from the input up: each layer's inputs are computed in inference mode,
    with the layers below it already recalibrated, and its moving statistics become their
    mean and (biased) variance over ``inputs`` and all positions. Afterwards the model in
    inference mode on ``inputs`` gives what it gives in training mode on the whole of
    ``inputs`` as one batch.

    Parameters
    ----------
    model
        A functional model whose BatchNorm layers are its own (not inside a nested model).
    inputs
        ``[N, ...]``: what the model will be fed, e.g. prior noise for a generator.
    batch_size
        Rows per forward pass.

    Returns
    -------
    int
        The number of BatchNorm layers recalibrated.
    """
    check_positive_int(batch_size, "batch_size")
    nested = [layer.name for layer in model.layers if isinstance(layer, keras.Model)
              and any(isinstance(inner, layers.BatchNormalization) for inner in layer._flatten_layers())]
    if nested:
        raise ValueError(f"{', '.join(nested)} nest BatchNorm layers inside {model.name}: recalibrate the inner "
                         "model, or build a flat one (generator_from_decoder does)")
    count = 0
    for layer in model.layers:
        if not isinstance(layer, layers.BatchNormalization):
            continue
        below = keras.Model(model.input, layer.input)
        h = np.asarray(apply_in_batches(below, inputs, batch_size), dtype=np.float64)
        axes = tuple(i for i in range(h.ndim) if i != (layer.axis if layer.axis >= 0 else h.ndim + layer.axis))
        layer.moving_mean.assign(h.mean(axis=axes).astype("float32"))
        layer.moving_variance.assign(h.var(axis=axes).astype("float32"))
        count += 1
    return count
