"""A self-conditioned GAN: a conditional GAN whose labels are clusters of an autoencoder's codes.

An unconditional generator must map one connected cloud of noise onto ten separate digit
shapes, so some of its samples fall between digits and some digits are drawn too rarely. A
conditional GAN avoids both with labels; this model makes its own. A frozen encoder (the
book's autoencoder's) maps each real image to a code, k-means splits the training codes into
``K`` clusters, and the GAN is conditioned on the cluster of each real image exactly as the
conditional GAN is on its digit. To draw a sample, pick a cluster ``c`` with its share of the
training images, then ``G(z, c)``: no label is used anywhere. With ``K`` well above ten, each
cluster holds mostly one digit in one style.

Liu et al. (2020, "Diverse image generation via self-conditioned GANs") cluster the
discriminator's own features and re-cluster during training; here the clusters come from a
pretrained autoencoder and stay fixed, so a run's conditions are known before it starts.

Shapes (``B`` images, noise size ``n``, ``K`` clusters, code size ``d``)::

    cluster of a real image:  c(x) = argmin_j ‖E(x) − μ_j‖²      E: [B, 28, 28, 1] -> [B, d], μ: [K, d]
    generator:      G(z, c): [B, n], [B] -> [B, 28, 28, 1] (tanh)  (the conditional GAN's)
    discriminator:  D(x, c): [B, 28, 28, 1], [B] -> [B, 1]         (the conditional GAN's)

    min_G max_D  E_{x~data}[log D(x, c(x))] + E_{z~N(0,I), c~data}[log(1 - D(G(z, c), c))]
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from .._checks import apply_in_batches, check_positive_int
from ..clustering import cluster_shares, kmeans
from ..data import IMAGE_SHAPE, scale_images
from .conditional_gan import ConditionalGAN
from .gan import GAN, deserialize_submodels


@keras.saving.register_keras_serializable(package="aegan_tutorial")
class SelfConditionedGAN(ConditionalGAN):
    """A :class:`ConditionalGAN` conditioned on the cluster of each real image's code.

    Call :meth:`fit_clusters` once with the training images (it clusters their codes), then
    ``compile`` and ``fit`` on the images alone, as a :class:`GAN`: every training step finds
    the cluster of each real image itself. The centres and the clusters' shares are weights of
    the model, saved and loaded with it.

    Parameters
    ----------
    generator, discriminator
        Conditional players for ``num_clusters`` classes
        (:func:`~aegan_tutorial.models.build_conditional_generator` and
        :func:`~aegan_tutorial.models.build_conditional_discriminator`).
    encoder
        ``[B, 28, 28, 1]`` images in ``[0, 1]`` → ``[B, d]`` codes; frozen (its weights are set
        by :meth:`fit_clusters`, or loaded).
    noise_dim, seed, ema_decay
        As in :class:`GAN`.
    num_clusters
        ``K``, the number of clusters (the players' number of classes).
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, encoder: keras.Model, noise_dim: int,
                 num_clusters: int, seed: int | None = None, **kwargs):
        kwargs.setdefault("name", "self_conditioned_gan")
        check_positive_int(num_clusters, "num_clusters")
        if tuple(encoder.inputs[0].shape[1:]) != IMAGE_SHAPE or len(encoder.output_shape) != 2:
            raise ValueError(
                f"the encoder must map [B, 28, 28, 1] images to [B, d] codes; {encoder.name} maps "
                f"{list(encoder.inputs[0].shape)} to {list(encoder.output_shape)}"
            )
        super().__init__(generator, discriminator, noise_dim, num_classes=num_clusters, seed=seed, **kwargs)
        encoder.trainable = False
        self.encoder = encoder
        self.num_clusters = num_clusters
        code_size = int(encoder.output_shape[-1])
        self.centres = self.add_weight(shape=(num_clusters, code_size), initializer="zeros", trainable=False,
                                       autocast=False, name="cluster_centres")
        self.shares = self.add_weight(shape=(num_clusters,), initializer="zeros", trainable=False,
                                      autocast=False, name="cluster_shares")

    # --- the clusters ---------------------------------------------------------------------------

    @property
    def has_clusters(self) -> bool:
        """Whether :meth:`fit_clusters` has run (or clusters were loaded)."""
        return bool(np.isclose(float(np.sum(keras.ops.convert_to_numpy(self.shares))), 1.0))

    def codes(self, images, batch_size: int = 1000) -> np.ndarray:
        """float32 ``[N, d]``: the encoder's codes of uint8 ``[N, 28, 28]`` (or ``[N, 28, 28, 1]``) images."""
        return apply_in_batches(self.encoder, scale_images(np.asarray(images), "sigmoid"), batch_size)

    def fit_clusters(self, images, encoder: keras.Model | None = None, seed: int = 0) -> np.ndarray:
        """Cluster the codes of the training ``images``; return each image's cluster.

        Parameters
        ----------
        images
            uint8 ``[N, 28, 28]`` training images, ``N ≥ num_clusters``.
        encoder
            A trained encoder of the same architecture whose weights this model's encoder takes
            (e.g. ``pretrained.load("autoencoder").encoder``); ``None`` keeps the current ones.
        seed
            Seeds k-means.

        Returns
        -------
        np.ndarray
            int32 ``[N]``: the cluster of each image.
        """
        if encoder is not None:
            self.encoder.set_weights(encoder.get_weights())
        found = kmeans(self.codes(images), self.num_clusters, seed=seed)
        self.centres.assign(found.centres)
        self.shares.assign(cluster_shares(found.assignments, self.num_clusters).astype("float32"))
        return found.assignments

    def assign_clusters(self, images):
        """``c(x)``: int32 ``[B]`` nearest centre of each image's code; images ``[B, 28, 28, 1]`` in ``[-1, 1]``."""
        codes = tf.cast(self.encoder((tf.cast(images, "float32") + 1.0) / 2.0, training=False), "float32")
        centres = tf.convert_to_tensor(self.centres)
        distances = (tf.reduce_sum(codes**2, 1, keepdims=True) - 2.0 * tf.matmul(codes, centres, transpose_b=True)
                     + tf.reduce_sum(centres**2, 1)[None, :])
        return tf.argmin(distances, axis=1, output_type=tf.int32)

    def clusters_for(self, n: int, seed: int | None = None) -> np.ndarray:
        """int32 ``[n]`` clusters drawn with the training images' shares (``seed`` fixes the draw)."""
        check_positive_int(n, "n")
        if not self.has_clusters:
            raise RuntimeError("this model has no clusters yet: call fit_clusters(training images) first")
        shares = keras.ops.convert_to_numpy(self.shares).astype(np.float64)
        return np.random.default_rng(seed).choice(self.num_clusters, size=n, p=shares / shares.sum()).astype(np.int32)

    # --- what differs from ConditionalGAN: the condition is found, not given ---------------------

    def unpack(self, data):
        """``(real images, their clusters c(x))``: the batch carries images only."""
        real = data[0] if isinstance(data, tuple) else data
        return real, self.assign_clusters(real)

    def check_fit_data(self, x, y):
        """``fit`` takes real images only, as :class:`GAN`, once the clusters are known."""
        if not self.has_clusters:
            raise RuntimeError(
                "call fit_clusters(training images, encoder) before fit: the clusters of the codes are "
                "this GAN's labels"
            )
        return GAN.check_fit_data(self, x, y)

    def generate(self, n: int, clusters=None, seed: int | None = None, batch_size: int = 1024) -> np.ndarray:
        """Draw ``n`` samples.

        Parameters
        ----------
        n
            Number of images.
        clusters
            ``None``: each image's cluster drawn with the training images' shares (the model's
            distribution: no label is chosen); an int: all from that cluster; an int array ``[n]``.
        seed
            Fix the noise and the clusters drawn (same seed, same images).

        Returns
        -------
        np.ndarray
            float32 ``[n, 28, 28, 1]`` in ``[-1, 1]``.
        """
        check_positive_int(n, "n")
        chosen = self.clusters_for(n, seed) if clusters is None else self.labels_for(n, clusters)
        return self._generate(n, tf.constant(chosen), seed, batch_size)

    # --- saving ---------------------------------------------------------------------------------

    def get_config(self) -> dict:
        config = {**super().get_config(), "num_clusters": self.num_clusters,
                  "encoder": keras.saving.serialize_keras_object(self.encoder)}
        config.pop("num_classes")
        return config

    @classmethod
    def from_config(cls, config: dict) -> "SelfConditionedGAN":
        return cls(**deserialize_submodels(config, "generator", "discriminator", "encoder"))
