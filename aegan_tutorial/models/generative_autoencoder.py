"""What the variational and the adversarial autoencoder share: a decoder that is also a generator.

Both train an encoder and a decoder on images and push the codes towards a prior ``p(z)``
(:mod:`~aegan_tutorial.models.priors`); afterwards ``decoder(z)``, ``z ~ p(z)``, draws new
images. :class:`PriorAutoencoder` holds the parts, checks that they fit, and gives the
methods a reader uses after training: :meth:`~PriorAutoencoder.encode`,
:meth:`~PriorAutoencoder.reconstruct`, :meth:`~PriorAutoencoder.generate` (in ``[-1, 1]``,
like every generator of the package, so the evaluation scores it as it scores a GAN).

Shapes (``B`` images, code size ``k``)::

    encoder:  [B, 28, 28, 1] -> [B, k]   (the VAE's: [B, 2k], the mean and the log-variance)
    decoder:  [B, k] -> [B, 28, 28, 1]   (sigmoid: pixels in [0, 1]; or [code, one-hot label])
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from .._checks import apply_in_batches, check_positive_int
from ..callbacks import with_nonfinite_guard
from ..data import IMAGE_SHAPE, check_images, output_scale
from ..training import check_fit_images
from .gan import SavesNoiseSeed, deserialize_submodels
from .priors import GaussianPrior, Prior, prior_from_config

__all__ = ["PriorAutoencoder", "reconstruction_error"]


def reconstruction_error(images, reconstructions, kind: str = "bce"):
    """Per-image reconstruction error, float32 ``[B]``: summed over the 784 pixels.

    ``"bce"``: ``−Σ [x log x̂ + (1 − x) log(1 − x̂)]``, the negative log-likelihood of a
    Bernoulli decoder (pixels in ``[0, 1]``); ``"mse"``: ``Σ (x − x̂)²``.
    """
    x = ops.reshape(ops.cast(images, "float32"), (ops.shape(images)[0], -1))
    x_hat = ops.reshape(ops.cast(reconstructions, "float32"), (ops.shape(reconstructions)[0], -1))
    if kind == "bce":
        x_hat = ops.clip(x_hat, 1e-7, 1.0 - 1e-7)
        return -ops.sum(x * ops.log(x_hat) + (1.0 - x) * ops.log(1.0 - x_hat), axis=1)
    if kind == "mse":
        return ops.sum(ops.square(x - x_hat), axis=1)
    raise ValueError(f"the reconstruction error must be 'bce' or 'mse', got {kind!r}")


class PriorAutoencoder(SavesNoiseSeed, keras.Model):
    """An encoder, a decoder that reads codes from a prior, and the noise both trainers draw.

    Subclasses write ``train_step``; a conditional decoder (``[code, one-hot label]``) is fed
    through the hooks :meth:`unpack` and :meth:`decoder_inputs`.

    Parameters
    ----------
    encoder
        ``[B, 28, 28, 1] -> [B, code_factor · k]``.
    decoder
        ``[B, k] -> [B, 28, 28, 1]``, or ``[[B, k], [B, num_classes]] -> [B, 28, 28, 1]``.
    prior
        A :class:`~aegan_tutorial.models.priors.Prior` over ``k``-dimensional codes (default
        ``N(0, I)``), or its config.
    seed
        Seed of the noise drawn while training (``None``: from the global seed).
    """

    code_factor = 1
    """How many numbers per code dimension the encoder outputs (the VAE's: 2, mean and log-variance)."""

    def __init__(self, encoder: keras.Model, decoder: keras.Model, prior: Prior | dict | None = None,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = self._conditional_size(decoder)
        code_in = int(self._decoder_code_shape(decoder)[-1])
        code_out = int(encoder.output_shape[-1])
        if code_out != self.code_factor * code_in:
            raise ValueError(
                f"the decoder reads codes of size {code_in}, so the encoder must output "
                f"{self.code_factor * code_in} numbers per image, but it outputs {code_out}"
            )
        image_out = tuple((decoder.output_shape[0] if isinstance(decoder.output_shape, list) else decoder.output_shape)[1:])
        if tuple(encoder.input_shape[1:]) != IMAGE_SHAPE or image_out != IMAGE_SHAPE:
            raise ValueError(
                f"the encoder must read and the decoder must write [B, 28, 28, 1] images; got encoder input "
                f"{list(encoder.input_shape)}, decoder output {list(decoder.output_shape)}"
            )
        prior = GaussianPrior(code_in) if prior is None else prior_from_config(prior)
        if prior.dim != code_in:
            raise ValueError(f"the prior is over codes of size {prior.dim} but the decoder reads codes of size {code_in}")
        self.encoder, self.decoder, self.prior = encoder, decoder, prior
        self.latent_dim = code_in
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="noise_seed")

    @staticmethod
    def _decoder_code_shape(decoder: keras.Model):
        return decoder.input_shape[0] if isinstance(decoder.input_shape, list) else decoder.input_shape

    @staticmethod
    def _conditional_size(decoder: keras.Model) -> int | None:
        """The label's one-hot size for a decoder with two inputs, else ``None``."""
        if not isinstance(decoder.input_shape, list):
            return None
        if len(decoder.input_shape) != 2:
            raise ValueError(f"a conditional decoder reads [code, one-hot label]; got inputs {decoder.input_shape}")
        return int(decoder.input_shape[1][-1])

    @property
    def output_scale(self):
        """``"sigmoid"`` or ``"tanh"``: the pixel range the decoder writes (and ``fit`` takes)."""
        return output_scale(self.decoder)

    # --- the hooks: what the decoder is fed ------------------------------------------------------

    def unpack(self, data):
        """``(images, one-hot labels or None)`` from a batch (labels only for a conditional decoder)."""
        if isinstance(data, tuple):
            images, labels = data[0], (data[1] if len(data) > 1 else None)
        else:
            images, labels = data, None
        if self.num_classes is None:
            return images, None
        if labels is None:
            raise ValueError("this autoencoder's decoder reads the label: fit it on (images, labels)")
        return images, tf.one_hot(tf.cast(labels, tf.int32), self.num_classes)

    def decoder_inputs(self, codes, condition):
        """What the decoder reads: the codes (and the one-hot label, for a conditional decoder)."""
        return codes if condition is None else [codes, condition]

    def call(self, images, training: bool = False):
        """``[B, 28, 28, 1] -> [B, 28, 28, 1]``: reconstructions (of an unconditional model)."""
        if self.num_classes is not None:
            raise TypeError("this decoder reads the label too: use reconstruct(images, labels)")
        return self.decoder(self.code_of(self.encoder(images, training=training)), training=training)

    def code_of(self, encoder_output):
        """The code the decoder reconstructs from: the encoder's output (the VAE's: its mean)."""
        return encoder_output

    # --- after training --------------------------------------------------------------------------

    def _labels(self, labels, n: int):
        if self.num_classes is None:
            if labels is not None:
                raise ValueError("this decoder reads no label; pass labels=None")
            return None
        if labels is None:
            raise ValueError(f"this decoder reads the label: pass labels, int [N] in 0..{self.num_classes - 1}")
        labels = np.asarray(labels)
        if labels.shape != (n,) or labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(f"labels must be int [{n}] in 0..{self.num_classes - 1}, got shape {list(labels.shape)}")
        return np.eye(self.num_classes, dtype=np.float32)[labels]

    def encode(self, images, batch_size: int = 1000) -> np.ndarray:
        """The codes of ``images`` (float ``[N, 28, 28, 1]`` in the decoder's range): float32 ``[N, k]``."""
        check_images(images, self.output_scale or "tanh", "encode", check_range=self.output_scale is not None)
        return self.code_of(apply_in_batches(self.encoder, images, batch_size))

    def decode(self, codes, labels=None, batch_size: int = 1000) -> np.ndarray:
        """Images of ``codes [N, k]`` (and ``labels [N]`` for a conditional decoder), in the decoder's range."""
        codes = self.prior.check_codes(codes, "decode").astype(np.float32)
        condition = self._labels(labels, len(codes))
        return apply_in_batches(self.decoder, self.decoder_inputs(codes, condition), batch_size)

    def reconstruct(self, images, labels=None, batch_size: int = 1000) -> np.ndarray:
        """``decoder(encoder(images))``, float32 ``[N, 28, 28, 1]`` in the decoder's range."""
        return self.decode(self.encode(images, batch_size), labels, batch_size)

    def generate(self, n: int, seed: int | None = None, labels=None, batch_size: int = 1000) -> np.ndarray:
        """``n`` new images, ``decoder(z)`` with ``z ~ p(z)``, as float32 ``[n, 28, 28, 1]``.

        In ``[-1, 1]``, the range of every generator of the package: a sigmoid decoder's
        ``[0, 1]`` is mapped there, a tanh decoder's output is already in it (a linear
        decoder's is returned as it is). The same ``seed`` gives the same images; ``labels``
        (int ``[n]``) for a conditional decoder.
        """
        check_positive_int(n, "n")
        images = self.decode(self.prior.sample(n, seed), labels, batch_size)
        return 2.0 * images - 1.0 if self.output_scale == "sigmoid" else images

    # --- fit and saving --------------------------------------------------------------------------

    def fit(self, x=None, y=None, callbacks=None, **kwargs):
        """Keras's ``fit`` on images (and labels, for a conditional decoder) in the decoder's range.

        Stops at the first non-finite loss with the last finite weights.
        """
        if not self.compiled:
            raise RuntimeError(f"compile the {type(self).__name__} before fit")
        if y is not None and self.num_classes is None:
            raise TypeError(f"{type(self).__name__}.fit takes images only: the images are their own targets")
        check_fit_images(x, self.output_scale, f"{type(self).__name__}.fit")
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)  # a dataset shuffles itself
        return super().fit(x, y, callbacks=with_nonfinite_guard(callbacks), **kwargs)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "seed": self.seed,
            "prior": self.prior.get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
        }

    @classmethod
    def from_config(cls, config: dict):
        return cls(**deserialize_submodels(config, *cls.submodels))

    submodels = ("encoder", "decoder")
