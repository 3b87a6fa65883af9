"""The encoder, the decoder, and the autoencoder that chains them.

Shapes (``B`` images, code size ``k``)::

    encoder:  [B, 28, 28, 1] --conv s2--> [B, 14, 14, 32] --conv s2--> [B, 7, 7, 64] --> [B, k]
    decoder:  [B, k] --> [B, 7, 7, 64] --deconv s2--> [B, 14, 14, 32] --deconv s2--> [B, 28, 28, 1]

Every stride-2 step halves or doubles the side exactly (28 → 14 → 7 → 14 → 28), so the
decoder returns 28×28 images whatever ``k`` is.
"""

from __future__ import annotations

from typing import Literal

import keras
import tensorflow as tf
from keras import layers

from .._checks import check_positive_int
from ..callbacks import with_nonfinite_guard
from ..data import IMAGE_SHAPE, Scale, output_scale
from ..training import check_fit_images, guard_optimizer
from .gan import deserialize_submodels

OutputActivation = Literal["sigmoid", "tanh", "linear"]


def build_encoder(latent_dim: int = 32, name: str = "encoder") -> keras.Model:
    """A convolutional encoder.

    Parameters
    ----------
    latent_dim
        Size ``k`` of the code.

    Returns
    -------
    keras.Model
        ``[B, 28, 28, 1] -> [B, latent_dim]`` (float32 codes, also under mixed precision).
    """
    check_positive_int(latent_dim, "latent_dim")
    images = keras.Input(IMAGE_SHAPE, name="image")
    x = layers.Conv2D(32, 3, strides=2, padding="same", name="conv_14x14")(images)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(64, 3, strides=2, padding="same", name="conv_7x7")(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    code = layers.Dense(latent_dim, dtype="float32", name="code")(x)
    return keras.Model(images, code, name=name)


def build_decoder(
    latent_dim: int = 32, output_activation: OutputActivation = "sigmoid", name: str = "decoder"
) -> keras.Model:
    """A transposed-convolution decoder, the mirror of :func:`build_encoder`.

    Parameters
    ----------
    latent_dim
        Size ``k`` of the code it reads.
    output_activation
        ``"sigmoid"`` for pixels in ``[0, 1]``, ``"tanh"`` for ``[-1, 1]``, ``"linear"``.

    Returns
    -------
    keras.Model
        ``[B, latent_dim] -> [B, 28, 28, 1]`` (float32 images).
    """
    check_positive_int(latent_dim, "latent_dim")
    if output_activation not in ("sigmoid", "tanh", "linear"):
        raise ValueError(
            f"output_activation must be 'sigmoid', 'tanh' or 'linear', got {output_activation!r}"
        )
    code = keras.Input((latent_dim,), name="code")
    x = layers.Dense(7 * 7 * 64, activation="relu")(code)
    x = layers.Reshape((7, 7, 64))(x)
    # kernel 4 with stride 2: every output pixel gets the same number of kernel taps,
    # which avoids checkerboard artefacts
    x = layers.Conv2DTranspose(32, 4, strides=2, padding="same", activation="relu", name="deconv_14x14")(x)
    x = layers.Conv2DTranspose(1, 4, strides=2, padding="same", name="deconv_28x28")(x)
    images = layers.Activation(output_activation, dtype="float32", name="image")(x)
    return keras.Model(code, images, name=name)


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class Autoencoder(keras.Model):
    """``decoder(encoder(x))``, trained to reproduce its input.

    Use it as any Keras model: ``compile(optimizer, loss)`` then ``fit(x, x)``. ``fit``
    checks that images are float ``[B, 28, 28, 1]`` and that the targets lie in the
    decoder's output range, and stops at the first non-finite loss
    (:class:`~aegan_tutorial.callbacks.NonFiniteLossError`) with the last finite weights.

    Parameters
    ----------
    encoder
        ``[B, 28, 28, 1] -> [B, k]``.
    decoder
        ``[B, k] -> [B, 28, 28, 1]``; its code size must equal the encoder's.
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, **kwargs):
        kwargs.setdefault("name", "autoencoder")
        super().__init__(**kwargs)
        code_out, code_in = encoder.output_shape[-1], decoder.input_shape[-1]
        if code_out != code_in:
            raise ValueError(
                f"the encoder makes codes of size {code_out} but the decoder reads codes of "
                f"size {code_in}; build both with the same latent_dim"
            )
        if tuple(encoder.input_shape[1:]) != IMAGE_SHAPE or tuple(decoder.output_shape[1:]) != IMAGE_SHAPE:
            raise ValueError(
                f"the encoder must read and the decoder must write [B, 28, 28, 1] images; got "
                f"encoder input {list(encoder.input_shape)}, decoder output {list(decoder.output_shape)}"
            )
        self.encoder = encoder
        self.decoder = decoder
        self.latent_dim = int(code_out)
        self.built = True

    @property
    def output_scale(self) -> Scale | None:
        """``"sigmoid"`` or ``"tanh"`` from the decoder's last activation, else ``None``."""
        return output_scale(self.decoder)

    def call(self, images, training: bool = False):
        """``[B, 28, 28, 1] -> [B, 28, 28, 1]`` reconstructions."""
        return self.decoder(self.encoder(images, training=training), training=training)

    def compile(self, optimizer="adam", loss="mse", **kwargs):
        """Keras's ``compile``, with the optimizer guarded against non-finite updates."""
        super().compile(
            optimizer=guard_optimizer(optimizer, self.dtype_policy), loss=loss, auto_scale_loss=False, **kwargs
        )

    def fit(self, x=None, y=None, callbacks=None, **kwargs):
        """Keras's ``fit``, after checking the images (see the class docstring).

        Without ``y`` the model learns to reproduce ``x``: an array is its own target, and
        a dataset of images becomes a dataset of ``(image, image)`` pairs.
        """
        if y is None and isinstance(x, tf.data.Dataset) and not isinstance(x.element_spec, tuple):
            x = x.map(lambda images: (images, images))
        elif y is None and not isinstance(x, tf.data.Dataset):
            y = x
        check_fit_images(x, None, "Autoencoder.fit")
        targets = y if y is not None else x.map(lambda *element: element[1])
        check_fit_images(targets, self.output_scale, "Autoencoder.fit (targets)")
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)  # a dataset shuffles itself
        return super().fit(x, y, callbacks=with_nonfinite_guard(callbacks), **kwargs)

    def compile_from_config(self, config: dict) -> None:
        """Re-compile a loaded model as it was saved, optimizer state included."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        self.optimizer.build(self.trainable_variables)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
        }

    @classmethod
    def from_config(cls, config: dict) -> "Autoencoder":
        return cls(**deserialize_submodels(config, "encoder", "decoder"))

