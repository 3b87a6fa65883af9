"""The conditional GAN of Mirza and Osindero (2014): both players are told the digit ``y``.

The generator draws ``G(z, y)``; the discriminator judges the pair ``D(x, y)``: "is ``x`` a
real image *of digit y*?". The generator reads the one-hot label beside the noise; the
discriminator projects its image features on a learned vector of the label.

Shapes (``B`` images, noise size ``n``, ``K`` classes, width ``f``)::

    generator:      [B, n] ⊕ one_hot(y) [B, K] --> [B, 7, 7, 2f] --deconv s2--> [B, 14, 14, f]
                        --deconv s2--> [B, 28, 28, 1] (tanh)
    discriminator:  [B, 28, 28, 1] --conv s2--> [B, 14, 14, f] --conv s2--> [B, 7, 7, 2f] = h
                        --> logit w·h + b + v_y·h  [B, 1]  (projection of h on the class vector v_y)

The value function is the GAN's with every term conditioned on the label::

    min_G max_D  E_{(x,y)~data}[log D(x, y)] + E_{z~N(0,I), y~data}[log(1 - D(G(z, y), y))]
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from .._checks import check_positive_int
from ..data import IMAGE_SHAPE, NUM_CLASSES, check_labels, output_scale
from ..training import check_fit_images
from .gan import GAN, image_features, upsample_to_image


def _one_hot(labels, num_classes: int, name: str):
    return layers.CategoryEncoding(num_tokens=num_classes, output_mode="one_hot", name=name)(labels)


def build_conditional_generator(
    noise_dim: int = 100, num_classes: int = NUM_CLASSES, filters: int = 32, name: str = "conditional_generator"
) -> keras.Model:
    """The DCGAN generator of :func:`~aegan_tutorial.models.build_generator`, also fed the label.

    Parameters
    ----------
    noise_dim
        Size ``n`` of the noise vector ``z``.
    num_classes
        Number of labels ``K`` (10 digits).
    filters
        Width ``f``: channels at 14×14 (twice as many at 7×7).

    Returns
    -------
    keras.Model
        ``[noise [B, n], labels int [B]] -> [B, 28, 28, 1]``, pixels in ``[-1, 1]``.
    """
    check_positive_int(noise_dim, "noise_dim")
    check_positive_int(num_classes, "num_classes")
    check_positive_int(filters, "filters")
    noise = keras.Input((noise_dim,), name="noise")
    label = keras.Input((), dtype="int32", name="label")
    x = layers.Concatenate(name="noise_and_label")([noise, _one_hot(label, num_classes, "one_hot")])
    image = upsample_to_image(x, filters)
    return keras.Model([noise, label], image, name=name)


def build_conditional_discriminator(
    num_classes: int = NUM_CLASSES, filters: int = 32, dropout: float = 0.0, name: str = "conditional_discriminator"
) -> keras.Model:
    """The DCGAN discriminator of :func:`~aegan_tutorial.models.build_discriminator`, also fed the label.

    The label enters by projection (Miyato and Koyama, 2018): with ``h`` the flattened
    ``7×7×2f`` features of the image, the logit is ``w·h + b + v_y·h``, where ``v_y`` is a
    learned vector per class: ``w·h + b`` asks "does this image look real?" and ``v_y·h``
    "does it look like a *y*?".

    Returns
    -------
    keras.Model
        ``[images [B, 28, 28, 1], labels int [B]] -> [B, 1]`` logits of "real image of this digit".
    """
    check_positive_int(num_classes, "num_classes")
    image = keras.Input(IMAGE_SHAPE, name="image")
    label = keras.Input((), dtype="int32", name="label")
    features = image_features(image, filters, dropout, flatten_name="features")
    unconditional = layers.Dense(1, name="logit_any_digit")(features)
    class_vector = layers.Embedding(num_classes, 7 * 7 * 2 * filters, name="class_embedding")(label)
    projection = layers.Dot(axes=1, name="projection")([class_vector, features])
    logit = layers.Add(dtype="float32", name="logit")([unconditional, projection])
    return keras.Model([image, label], logit, name=name)


def _digit_labels(labels, n: int, num_classes: int) -> np.ndarray:
    """int32 ``[n]`` labels, checked by :func:`~aegan_tutorial.data.check_labels` against the model's ``num_classes``."""
    return check_labels(labels, n, num_classes)


def labels_to_draw(n: int, labels=None, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """The int32 ``[n]`` labels of ``n`` conditional samples.

    ``None``: the digits in turn, ``0, 1, …, K−1, 0, …`` (balanced); an int: all ``n`` of that
    digit; an int array ``[n]``: one label per sample. Checked against ``num_classes``.
    """
    if labels is None:
        return (np.arange(n) % num_classes).astype(np.int32)
    if np.ndim(labels) == 0:
        return _digit_labels(np.full(n, labels), n, num_classes)
    return _digit_labels(labels, n, num_classes)


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class ConditionalGAN(GAN):
    """A conditional generator ``G(z, y)`` and discriminator ``D(x, y)``, trained like :class:`GAN`.

    ``fit`` takes ``(images, labels)`` batches (a ``tf.data.Dataset`` such as
    :func:`~aegan_tutorial.data.make_dataset` with labels): float ``[B, 28, 28, 1]`` images in
    ``[-1, 1]`` and int ``[B]`` digits. Every fake of a step is drawn for the labels of the
    real batch, so the fakes' labels follow the data's. ``compile``, ``fit`` and the training
    step are :class:`GAN`'s: this class only says how the label reaches each player
    (:meth:`unpack`, :meth:`generator_inputs`, :meth:`discriminator_inputs`).

    Parameters
    ----------
    generator
        ``[noise [B, noise_dim], labels [B]] -> [B, 28, 28, 1]``, tanh output.
    discriminator
        ``[images [B, 28, 28, 1], labels [B]] -> [B, 1]`` logits.
    num_classes
        Number of labels; must match both players.
    noise_dim, seed
        As in :class:`GAN`: the size of the noise (the generator's noise input), and the seed
        of the noise drawn during training.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, noise_dim: int,
                 num_classes: int = NUM_CLASSES, seed: int | None = None, **kwargs):
        kwargs.setdefault("name", "conditional_gan")
        check_positive_int(num_classes, "num_classes")
        self.num_classes = num_classes
        super().__init__(generator, discriminator, noise_dim, seed=seed, **kwargs)

    @staticmethod
    def _check_players(generator: keras.Model, discriminator: keras.Model, noise_dim: int) -> None:
        for model, role in ((generator, "generator"), (discriminator, "discriminator")):
            if len(model.inputs) != 2:
                raise ValueError(
                    f"a conditional {role} takes two inputs, ({'noise' if role == 'generator' else 'images'}, labels); "
                    f"{model.name} takes {len(model.inputs)}: build it with "
                    f"build_conditional_{role}() (a plain GAN takes build_{role}())"
                )
        noise_shape = tuple(generator.inputs[0].shape[1:])
        if noise_shape != (noise_dim,):
            raise ValueError(f"noise_dim is {noise_dim} but the generator reads noise of shape {list(noise_shape)}")
        made, judged = tuple(generator.output_shape[1:]), tuple(discriminator.inputs[0].shape[1:])
        if made != IMAGE_SHAPE or judged != IMAGE_SHAPE:
            raise ValueError(
                f"the generator must make and the discriminator must judge [B, 28, 28, 1] images; "
                f"got generator output {list(generator.output_shape)}, discriminator input {list(judged)}"
            )
        if tuple(discriminator.output_shape[1:]) != (1,):
            raise ValueError(
                f"the discriminator must output one logit per image, [B, 1]; got {list(discriminator.output_shape)}"
            )

    def call(self, inputs, training: bool = False):
        """``[noise [B, noise_dim], labels [B]] -> [B, 28, 28, 1]``: the generator."""
        noise, labels = inputs
        return self.generator([noise, labels], training=training)

    # --- what differs from GAN: the label reaches both players ---------------------------------

    def unpack(self, data):
        """``(real images, their labels)``: the labels are the condition."""
        if not isinstance(data, tuple) or len(data) < 2:
            raise ValueError("ConditionalGAN.fit needs (images, labels) batches")
        return data[0], tf.cast(data[1], tf.int32)

    def generator_inputs(self, noise, labels):
        """``G(z, y)``: the generator reads the noise and the label."""
        return [noise, labels]

    def discriminator_inputs(self, images, labels):
        """``D(x, y)``: the discriminator judges the pair, "is x a real image of digit y?"."""
        return [images, labels]

    def check_fit_data(self, x, y):
        """``fit`` takes ``(images, labels)`` batches, or an image array with the labels as ``y``."""
        if y is not None:
            y = _digit_labels(y, len(x), self.num_classes)
        elif isinstance(x, tf.data.Dataset):
            spec = x.element_spec
            if not isinstance(spec, tuple) or len(spec) < 2:
                raise ValueError(
                    "ConditionalGAN.fit needs (images, labels) batches: build the dataset with its labels, "
                    "e.g. make_dataset(images, labels, ...)"
                )
        else:
            raise ValueError("ConditionalGAN.fit needs the digit labels: fit(images, labels) or a dataset of pairs")
        check_fit_images(x, output_scale(self.generator), "ConditionalGAN.fit")
        return x, y

    def generate(self, n: int, labels=None, seed: int | None = None, batch_size: int = 1024) -> np.ndarray:
        """Draw ``n`` samples of chosen digits.

        Parameters
        ----------
        n
            Number of images.
        labels
            ``None``: the digits in turn, ``0, 1, …, 9, 0, 1, …`` (balanced); an int: all ``n``
            of that digit; an int array ``[n]``: image ``i`` shows digit ``labels[i]``.
        seed
            Fix the noise (same seed, same images); ``None`` draws fresh noise.

        Returns
        -------
        np.ndarray
            float32 ``[n, 28, 28, 1]`` in ``[-1, 1]``.
        """
        check_positive_int(n, "n")
        return self._generate(n, tf.constant(self.labels_for(n, labels)), seed, batch_size)

    def labels_for(self, n: int, labels=None) -> np.ndarray:
        """The int32 ``[n]`` labels :meth:`generate` draws for ``labels`` (see there)."""
        return labels_to_draw(n, labels, self.num_classes)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_classes": self.num_classes}
