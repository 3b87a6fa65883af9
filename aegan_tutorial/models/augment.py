"""Differentiable augmentation: the discriminator sees real and generated images through the same random transforms.

With few training images a discriminator memorises them: it calls its training images real
and everything else, held-out real digits included, fake, and its gradient stops teaching the
generator anything about digits. DiffAugment (Zhao et al. 2020) transforms *both* the real
and the generated images with the same random, differentiable operations before the
discriminator judges them, in both players' steps. The generator's gradient flows through the
transform, and since fakes are augmented exactly like reals, the generator is not pushed to
make augmented-looking digits. (ADA, Karras et al. 2020, adapts the strength on the fly; here
it is fixed.)

:class:`DiffAugment` is a layer that transforms only in training mode; :func:`with_diff_augment`
puts it in front of a discriminator, so that the GAN's step is unchanged::

    discriminator:  [B, 28, 28, 1] --DiffAugment (training only)--> [B, 28, 28, 1] --D--> [B, 1]

The policies, for ``[B, 28, 28, 1]`` images in ``[-1, 1]`` (as in the paper's code):

``"color"``
    brightness ``x + (u − 0.5)`` and contrast ``(x − m)(u + 0.5) + m`` (``u ~ U(0, 1)`` per
    image, ``m`` its mean); the paper's saturation changes nothing in one channel and is left out.
``"translation"``
    a shift by up to ``translation × 28`` pixels (4) in each direction, the vacated border set to ``fill``.
``"cutout"``
    a square of side ``cutout × 28`` pixels (14) set to ``fill``, at a random place (it may hang over the edge).

``fill`` is 0 in the paper's code, mid-grey for its colour photographs; on MNIST, whose
background is −1, that paints grey frames and squares that no real digit has. ``fill=-1``
paints background instead (the chapter "Cost, data and speed" measures both).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf
from keras import layers

from ..data import IMAGE_SHAPE
from ..training import replica_seed

POLICIES = ("color", "translation", "cutout")
"""The transforms :class:`DiffAugment` knows, in the order it applies them."""


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class DiffAugment(layers.Layer):
    """Random, differentiable transforms of ``[B, H, W, C]`` images in ``[-1, 1]``, in training mode only.

    Parameters
    ----------
    policy
        Which of :data:`POLICIES` to apply (the paper's low-data choice: all three).
    translation
        Largest shift, as a fraction of the image side (0.125: 4 of 28 pixels).
    cutout
        Side of the cut-out square, as a fraction of the image side (0.5: 14 of 28 pixels).
    fill
        The value of the vacated border and of the cut-out square (0, as in the paper's code; −1 is
        MNIST's background in ``[-1, 1]``).
    seed
        Seed of the transforms (``None``: from the global seed); the layer's random state is
        saved with the model. Under a distribution strategy every replica draws its own
        transforms (:func:`~aegan_tutorial.training.replica_seed`).
    """

    def __init__(self, policy: Sequence[str] = POLICIES, translation: float = 0.125, cutout: float = 0.5,
                 seed: int | None = None, fill: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        policy = tuple(policy)
        unknown = [p for p in policy if p not in POLICIES]
        if unknown or len(set(policy)) != len(policy):
            raise ValueError(f"policy must be distinct names among {POLICIES}, got {list(policy)}")
        if not 0.0 < translation < 0.5:
            raise ValueError(f"translation must lie in (0, 0.5) of the image side, got {translation!r}")
        if not 0.0 < cutout < 1.0:
            raise ValueError(f"cutout must lie in (0, 1) of the image side, got {cutout!r}")
        if not -1.0 <= fill <= 1.0:
            raise ValueError(f"fill must lie in [-1, 1], the images' range, got {fill!r}")
        self.policy = tuple(p for p in POLICIES if p in policy)
        self.translation, self.cutout, self.seed, self.fill = float(translation), float(cutout), seed, float(fill)
        self.seed_generator = keras.random.SeedGenerator(seed, name="augment_seed")

    def call(self, images, training: bool = False):
        """``[B, H, W, C] -> [B, H, W, C]``: transformed when ``training``, unchanged otherwise."""
        if not training:
            return images
        x = images
        if "color" in self.policy:
            x = self._color(x)
        if "translation" in self.policy:
            x = self._translate(x)
        if "cutout" in self.policy:
            x = self._cut_out(x)
        return x

    def _seed(self):
        """The next seed of the transforms, this replica's own, as ``keras.random`` casts it (int32 ``[2]``).

        On one device it is the seed ``keras.random.uniform(..., seed=self.seed_generator)``
        would use, so the transforms are the ones the layer always drew.
        """
        return tf.cast(tf.math.floormod(replica_seed(self.seed_generator), tf.int32.max - 1), tf.int32)

    def _uniform(self, shape):
        dtype = self.compute_dtype
        return tf.random.stateless_uniform(shape, seed=self._seed(), minval=tf.cast(0.0, dtype),
                                           maxval=tf.cast(1.0, dtype), dtype=dtype)

    def _integers(self, shape, low: int, high: int):
        """Integers in ``[low, high)``."""
        return tf.random.stateless_uniform(shape, seed=self._seed(), minval=low, maxval=high, dtype=tf.int32)

    def _color(self, x):
        batch = tf.shape(x)[0]
        x = x + (self._uniform((batch, 1, 1, 1)) - 0.5)  # brightness
        mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
        return (x - mean) * (self._uniform((batch, 1, 1, 1)) + 0.5) + mean  # contrast

    def _translate(self, x):
        batch, height, width = tf.shape(x)[0], x.shape[1], x.shape[2]
        shift = int(height * self.translation + 0.5)
        offsets = self._integers((batch, 2), -shift, shift + 1)
        padded = tf.pad(x, [[0, 0], [shift, shift], [shift, shift], [0, 0]],
                        constant_values=tf.cast(self.fill, x.dtype))  # the vacated border
        rows = (shift - offsets[:, :1]) + tf.range(height)[None, :]
        cols = (shift - offsets[:, 1:]) + tf.range(width)[None, :]
        x = tf.gather(padded, rows, axis=1, batch_dims=1)
        return tf.gather(x, cols, axis=2, batch_dims=1)

    def _cut_out(self, x):
        batch, height, width = tf.shape(x)[0], x.shape[1], x.shape[2]
        size = int(height * self.cutout + 0.5)
        centre = self._integers((batch, 2), 0, height + (1 - size % 2))
        start = centre - size // 2
        rows = tf.range(height)[None, :] - start[:, :1]  # [B, H]: inside when 0 <= rows < size
        cols = tf.range(width)[None, :] - start[:, 1:]
        inside_rows = tf.logical_and(rows >= 0, rows < size)[:, :, None]
        inside_cols = tf.logical_and(cols >= 0, cols < size)[:, None, :]
        cut = tf.cast(tf.logical_and(inside_rows, inside_cols), x.dtype)[:, :, :, None]
        return x * (1.0 - cut) + tf.cast(self.fill, x.dtype) * cut

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "policy": list(self.policy), "translation": self.translation,
                "cutout": self.cutout, "seed": self.seed, "fill": self.fill}


def with_diff_augment(discriminator: keras.Model, policy: Sequence[str] = POLICIES, seed: int | None = None,
                      **options) -> keras.Model:
    """``discriminator`` behind a :class:`DiffAugment` layer: ``[B, 28, 28, 1] -> [B, 1]`` logits.

    In training mode (both players' steps of :class:`~aegan_tutorial.models.GAN`) every image,
    real or generated, is transformed before it is judged; in inference mode the model is
    ``discriminator`` itself. The two share their weights.
    """
    if tuple(discriminator.input_shape[1:]) != IMAGE_SHAPE:
        raise ValueError(f"with_diff_augment needs a discriminator of [B, 28, 28, 1] images, got input "
                         f"{list(discriminator.input_shape)}")
    image = keras.Input(IMAGE_SHAPE, name="image")
    augmented = DiffAugment(policy, seed=seed, name="diff_augment", **options)(image)
    return keras.Model(image, discriminator(augmented), name=f"augmented_{discriminator.name}")
