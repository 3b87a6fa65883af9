"""Helpers of the chapter "The autoencoder": short training runs, the PCA baseline, and noise.

Everything here works on images as floats in ``[0, 1]`` (the sigmoid scale of
:func:`aegan_tutorial.data.scale_images`), shaped ``[N, 28, 28, 1]``:

* :func:`train_autoencoder` builds, compiles and trains an
  :class:`~aegan_tutorial.models.Autoencoder` for a fixed number of gradient steps,
  on clean images or on ``(input, target)`` pairs (a denoising autoencoder);
* :func:`pca_mse_by_code_size` (and :func:`pca_reconstruction_mse` for one size) is the
  reconstruction error of PCA, the best *linear* encoder–decoder pair of each code size;
* :func:`add_noise` corrupts images with clipped Gaussian noise.

The errors themselves are the core's: :func:`aegan_tutorial.metrics.reconstruction_mse` and
:func:`aegan_tutorial.metrics.psnr`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

import keras
import numpy as np
import tensorflow as tf

from .._checks import check_positive_int
from ..data import check_unit_images
from ..models import Autoencoder, build_decoder, build_encoder
from ..reproducibility import set_seed
from .encoder import PCA


Loss = Literal["mse", "bce"]
_KERAS_LOSSES = {"mse": "mean_squared_error", "bce": "binary_crossentropy"}


def train_autoencoder(
    images: np.ndarray,
    latent_dim: int,
    *,
    targets: np.ndarray | None = None,
    noise_std: float = 0.0,
    loss: Loss = "mse",
    steps: int = 300,
    batch_size: int = 64,
    learning_rate: float = 3e-3,
    seed: int = 0,
) -> Autoencoder:
    """Build ``Autoencoder(build_encoder(k), build_decoder(k))`` and train it with Adam.

    Parameters
    ----------
    images
        Inputs, float ``[N, 28, 28, 1]`` in ``[0, 1]``.
    latent_dim
        Code size ``k``.
    targets
        What the output should match, float ``[N, 28, 28, 1]`` in ``[0, 1]``; defaults to
        ``images`` (a plain autoencoder). Pass clean images with noisy ``images`` for a
        denoising autoencoder with one fixed corruption per image.
    noise_std
        When positive, every batch of inputs is corrupted afresh as :func:`add_noise`
        does (Gaussian noise of this standard deviation, clipped to ``[0, 1]``), while
        the targets stay clean: a denoising autoencoder that never sees the same
        corruption twice.
    loss
        ``"mse"`` (mean squared error) or ``"bce"`` (binary cross-entropy), per pixel.
    steps
        Number of gradient steps (batches); the shuffled data repeats as needed.
    batch_size
        Images per step.
    learning_rate
        Adam's step size.
    seed
        Seeds the weights and the shuffling (:func:`aegan_tutorial.set_seed`), so a CPU
        run repeats exactly.

    Returns
    -------
    Autoencoder
        The trained model, ``[B, 28, 28, 1] -> [B, 28, 28, 1]`` with a sigmoid output.
    """
    if loss not in _KERAS_LOSSES:
        raise ValueError(f"loss must be 'mse' or 'bce', got {loss!r}")
    check_positive_int(steps, "steps")
    check_positive_int(batch_size, "batch_size")
    if not isinstance(noise_std, (int, float, np.floating)) or not math.isfinite(noise_std) or noise_std < 0:
        raise ValueError(f"noise_std must be a finite number >= 0, got {noise_std!r}")
    if not (isinstance(learning_rate, (int, float, np.floating)) and learning_rate > 0 and math.isfinite(learning_rate)):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    x = check_unit_images(images, "images").astype(np.float32, copy=False)
    y = x if targets is None else check_unit_images(targets, "targets").astype(np.float32, copy=False)
    if y.shape != x.shape:
        raise ValueError(f"targets must match images: got images {list(x.shape)}, targets {list(y.shape)}")

    set_seed(seed)
    model = Autoencoder(build_encoder(latent_dim), build_decoder(latent_dim))
    model.compile(keras.optimizers.Adam(learning_rate), _KERAS_LOSSES[loss])
    # shuffle indices, not images: a shuffle buffer of N small integers fills at once, where one
    # of N images would copy the whole training set before the first step (and again per epoch)
    inputs = tf.constant(x)
    outputs = inputs if targets is None else tf.constant(y)
    order = tf.data.Dataset.range(len(x)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    batches = order.repeat().batch(batch_size, drop_remainder=True).take(steps)
    pairs = batches.map(lambda index: (tf.gather(inputs, index), tf.gather(outputs, index)))
    if noise_std > 0:
        # one stateless seed pair per batch, drawn from a seeded stream: fresh noise, same every run
        seeds = tf.data.Dataset.random(seed=seed).batch(2, drop_remainder=True)
        pairs = tf.data.Dataset.zip(pairs, seeds).map(
            lambda xy, pair: (_corrupt(xy[0], noise_std, pair), xy[1])
        )
    pairs = pairs.prefetch(tf.data.AUTOTUNE)
    model.fit(pairs, epochs=1, verbose=0)
    return model


def _corrupt(images, std: float, seed_pair):
    """TensorFlow twin of :func:`add_noise` for a pipeline: clip(images + std·N(0, 1), 0, 1)."""
    noise = tf.random.stateless_normal(tf.shape(images), seed=seed_pair, dtype=images.dtype)
    return tf.clip_by_value(images + std * noise, 0.0, 1.0)


def pca_mse_by_code_size(train: np.ndarray, test: np.ndarray, sizes: Iterable[int]) -> dict[int, float]:
    """Test error of PCA reconstructions for several code sizes, from one fit.

    PCA is fitted once on ``train`` with ``max(sizes)`` components; the rank-``k``
    reconstruction keeps the first ``k`` of them (the principal directions are nested),
    so a whole curve, e.g. ``sizes=range(1, 101)``, costs one fit.

    Parameters
    ----------
    train
        Float ``[N_train, ...]`` in ``[0, 1]``, e.g. ``[N, 28, 28, 1]`` images.
    test
        Float ``[N_test, ...]`` in ``[0, 1]``, same shape per image as ``train``.
    sizes
        Code sizes ``k``, each between 1 and ``min(N_train, D)`` with ``D`` pixels per image.

    Returns
    -------
    dict[int, float]
        ``{k: mean squared error per pixel of the rank-k reconstruction of test}``.
    """
    train = check_unit_images(train, "train", image_shape=False)
    test = check_unit_images(test, "test", image_shape=False)
    if train.shape[1:] != test.shape[1:]:
        raise ValueError(
            f"train and test images must have the same shape, got {list(train.shape[1:])} and {list(test.shape[1:])}"
        )
    sizes = list(sizes)
    if not sizes:
        raise ValueError("sizes is empty; pass at least one code size")
    for k in sizes:
        check_positive_int(k, "each code size")
    pca = PCA(int(max(sizes))).fit(train)  # raises if max(sizes) > min(N_train, D)
    centred = test.reshape(len(test), -1).astype(np.float64) - pca.mean
    codes = centred @ pca.components.T  # [N_test, max k]
    # orthonormal directions: ||residual_k||² = ||centred||² - (sum of the first k squared codes)
    total = float(np.sum(centred**2))
    kept = np.concatenate([[0.0], np.cumsum(np.sum(codes**2, axis=0))])
    return {int(k): max(total - float(kept[k]), 0.0) / centred.size for k in sizes}


def pca_reconstruction_mse(train: np.ndarray, test: np.ndarray, k: int) -> float:
    """Test mean squared error per pixel of PCA with code size ``k`` fitted on ``train``.

    Shapes as in :func:`pca_mse_by_code_size`.
    """
    return next(iter(pca_mse_by_code_size(train, test, [k]).values()))


def add_noise(images: np.ndarray, std: float, seed: int) -> np.ndarray:
    """Add Gaussian noise of standard deviation ``std`` and clip back to ``[0, 1]``.

    Parameters
    ----------
    images
        Float ``[N, ...]`` in ``[0, 1]``.
    std
        Standard deviation of the noise before clipping, ``>= 0``.
    seed
        Non-negative integer; the same seed gives the same noise.

    Returns
    -------
    np.ndarray
        float32, same shape as ``images``, in ``[0, 1]``.
    """
    x = check_unit_images(images, "images", image_shape=False)
    if not isinstance(std, (int, float, np.floating, np.integer)) or not math.isfinite(std) or std < 0:
        raise ValueError(f"std must be a finite number >= 0, got {std!r}")
    check_positive_int(seed, "seed", minimum=0)
    noise = np.random.default_rng(seed).standard_normal(x.shape, dtype=np.float32)
    return np.clip(x.astype(np.float32) + np.float32(std) * noise, 0.0, 1.0)
