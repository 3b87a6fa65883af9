"""Metrics: images or features in, numbers out.

Nothing here loads a model or a data set: :mod:`~aegan_tutorial.evaluation` chooses the
classifier whose features are compared, and the test images they are compared with.

* :func:`frechet_distance_from_features`: the Fréchet distance between Gaussians fitted to two
  feature clouds (Heusel et al., 2017); :func:`gaussian_frechet_distance` the same for two
  Gaussians given by their moments;
* :func:`precision_recall_from_features`: the share of generated points inside the real
  points' k-nearest-neighbour manifold, and vice versa (Kynkäänniemi et al., 2019), with
  :func:`knn_radii` the balls' radii;
* :func:`pairwise_distances`: Euclidean distances between two sets of rows;
* :func:`reconstruction_mse` and :func:`psnr`: reconstruction error per pixel, and in decibels;
  :func:`mean_image_mse` the baseline every reconstruction is read against.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import scipy.linalg

from ._checks import apply_in_batches, check_positive_int
from .data import check_unit_images

__all__ = [
    "PrecisionRecall",
    "frechet_distance_from_features",
    "gaussian_frechet_distance",
    "knn_radii",
    "pairwise_distances",
    "precision_recall_from_features",
    "psnr",
    "reconstruct",
    "reconstruction_mse",
]


def frechet_distance_from_features(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets.

    ``‖μ_a − μ_b‖² + tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^{1/2})``, with SciPy's matrix square root.

    Parameters
    ----------
    features_a, features_b
        ``[N_a, d]`` and ``[N_b, d]``, each with at least 2 rows.

    Returns
    -------
    float
        ``>= 0``; 0 for identical statistics.
    """
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"features must be [N, d] arrays with the same d, got {list(a.shape)} and {list(b.shape)}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"each feature set needs at least 2 rows to estimate a covariance, got {len(a)} and {len(b)}")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    return gaussian_frechet_distance(mu_a, cov_a, mu_b, cov_b)


def gaussian_frechet_distance(mu_a: np.ndarray, cov_a: np.ndarray, mu_b: np.ndarray, cov_b: np.ndarray) -> float:
    """Squared Fréchet (2-Wasserstein) distance between ``N(mu_a, cov_a)`` and ``N(mu_b, cov_b)``.

    ``‖μ_a − μ_b‖² + tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^{1/2})``: means ``[d]``, covariances ``[d, d]``.
    """
    with warnings.catch_warnings():
        # Features that never fire (ReLU units dead on MNIST) make the product singular; SciPy
        # warns, but the square root of a singular PSD product is still accurate.
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        root = scipy.linalg.sqrtm(cov_a @ cov_b)
        if not np.all(np.isfinite(root)):  # failed outright: nudge both covariances
            eps = 1e-6 * np.eye(len(cov_a))
            root = scipy.linalg.sqrtm((cov_a + eps) @ (cov_b + eps))
    root = np.real(root)  # round-off can leave a tiny imaginary part
    distance = float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(root))
    return max(distance, 0.0)


class PrecisionRecall(NamedTuple):
    """Improved precision and recall (Kynkäänniemi et al., 2019), each in ``[0, 1]``."""

    precision: float
    """Share of generated images inside the real images' manifold: are the samples realistic?"""
    recall: float
    """Share of real images inside the generated images' manifold: is all of the data covered?"""


def pairwise_distances(a: np.ndarray, b: np.ndarray, squared: bool = False) -> np.ndarray:
    """Euclidean distances between every row of ``a`` and every row of ``b``.

    Parameters
    ----------
    a, b
        ``[N, d]`` and ``[M, d]`` (images ``[N, ...]`` are flattened).
    squared
        Return squared distances (cheaper; what nearest-neighbour searches compare).

    Returns
    -------
    np.ndarray
        float64 ``[N, M]``, ``>= 0``.
    """
    a = np.asarray(a, np.float64).reshape(len(a), -1)
    b = np.asarray(b, np.float64).reshape(len(b), -1)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"the rows of a and b must have the same size, got {list(a.shape)} and {list(b.shape)}")
    d = np.maximum(np.sum(a**2, axis=1)[:, None] + np.sum(b**2, axis=1)[None, :] - 2.0 * a @ b.T, 0.0)
    return d if squared else np.sqrt(d)


def _knn_radii(points: np.ndarray, k: int, chunk: int) -> np.ndarray:
    """Squared distance from each point to its k-th nearest other point."""
    radii = np.empty(len(points))
    for i in range(0, len(points), chunk):
        d = pairwise_distances(points[i : i + chunk], points, squared=True)
        radii[i : i + chunk] = np.partition(d, k, axis=1)[:, k]  # column 0 of the order is the point itself
    return radii


def knn_radii(features: np.ndarray, k: int = 3, chunk: int = 1000) -> np.ndarray:
    """Radius of each point's ball in :func:`precision_recall`: the distance to its ``k``-th nearest other point.

    Parameters
    ----------
    features
        ``[N, d]``, more than ``k`` rows.

    Returns
    -------
    np.ndarray
        float64 ``[N]``.
    """
    check_positive_int(k, "k")
    points = np.asarray(features, np.float64)
    if points.ndim != 2 or len(points) <= k:
        raise ValueError(f"features must be [N, d] with more than k={k} rows, got {list(points.shape)}")
    return np.sqrt(_knn_radii(points, k, chunk))


def _inside(queries: np.ndarray, centres: np.ndarray, radii: np.ndarray, chunk: int) -> np.ndarray:
    """For each query, whether it lies within some centre's radius."""
    hits = np.empty(len(queries), bool)
    for i in range(0, len(queries), chunk):
        hits[i : i + chunk] = np.any(pairwise_distances(queries[i : i + chunk], centres, squared=True) <= radii[None, :], axis=1)
    return hits


def precision_recall_from_features(
    real_features: np.ndarray, fake_features: np.ndarray, k: int = 3, chunk: int = 1000
) -> PrecisionRecall:
    """:func:`precision_recall` on features ``[N_real, d]`` and ``[N_fake, d]`` (each more than ``k`` rows)."""
    check_positive_int(k, "k")
    real, fake = np.asarray(real_features, np.float64), np.asarray(fake_features, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"features must be [N, d] arrays with the same d, got {list(real.shape)} and {list(fake.shape)}")
    if len(real) <= k or len(fake) <= k:
        raise ValueError(f"each set needs more than k={k} points, got {len(real)} real and {len(fake)} fake")
    precision = _inside(fake, real, _knn_radii(real, k, chunk), chunk).mean()
    recall = _inside(real, fake, _knn_radii(fake, k, chunk), chunk).mean()
    return PrecisionRecall(float(precision), float(recall))


def reconstruct(model: Callable, images: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Run ``model`` over ``images`` in batches.

    Parameters
    ----------
    model
        A Keras model or any function ``[B, 28, 28, 1] -> [B, 28, 28, 1]``.
    images
        Float ``[N, 28, 28, 1]`` in ``[0, 1]``.
    batch_size
        Images per call (bounds the memory).

    Returns
    -------
    np.ndarray
        float32 ``[N, 28, 28, 1]`` outputs.
    """
    x = check_unit_images(images, "images").astype(np.float32, copy=False)
    out = apply_in_batches(model, x, batch_size)
    if out.shape != x.shape:
        raise ValueError(
            f"the model must return one image per input, [B, 28, 28, 1]; for images of "
            f"shape {list(x.shape)} it returned {list(out.shape)}"
        )
    return out


def reconstruction_mse(
    model: Callable, images: np.ndarray, targets: np.ndarray | None = None, batch_size: int = 500
) -> float:
    """Mean squared error per pixel between ``model(images)`` and ``targets``.

    Parameters
    ----------
    model
        A Keras model or any function ``[B, 28, 28, 1] -> [B, 28, 28, 1]``.
    images
        Inputs, float ``[N, 28, 28, 1]`` in ``[0, 1]``.
    targets
        Float ``[N, 28, 28, 1]`` in ``[0, 1]``; defaults to ``images`` (reconstruction).
        For a denoising autoencoder pass noisy ``images`` and clean ``targets``.
    batch_size
        Images per call of ``model``.

    Returns
    -------
    float
        ``mean((model(images) - targets) ** 2)`` over all ``N·28·28`` pixels.
    """
    y = check_unit_images(images if targets is None else targets, "targets")
    outputs = reconstruct(model, images, batch_size)
    if y.shape != outputs.shape:
        raise ValueError(f"targets must match images: got images {list(outputs.shape)}, targets {list(y.shape)}")
    return float(np.mean((outputs.astype(np.float64) - y) ** 2))


def mean_image_mse(train_images: np.ndarray, test_images: np.ndarray) -> float:
    """The reconstruction baseline: MSE per pixel of answering every test image with the mean training image.

    The best constant guess, a model with a code of size 0: an autoencoder that does not beat
    it has learnt nothing about the particular digit it was given.

    Parameters
    ----------
    train_images
        Float ``[N, 28, 28, 1]`` in ``[0, 1]``, whose pixel-wise mean is the guess.
    test_images
        Float ``[M, 28, 28, 1]`` in ``[0, 1]``, the images the guess is scored on. The value
        depends on which images these are: a subset of the test set gives a slightly
        different figure from the whole of it.

    Returns
    -------
    float
        ``mean((mean(train_images) - test_images) ** 2)`` over all ``M·28·28`` pixels.
    """
    train = check_unit_images(train_images, "train_images").astype(np.float64)
    test = check_unit_images(test_images, "test_images")
    return float(np.mean((test - train.mean(axis=0)) ** 2))


def psnr(mse: float, peak: float = 1.0) -> float:
    """Peak signal-to-noise ratio in decibels, ``10·log10(peak² / mse)``.

    Parameters
    ----------
    mse
        Mean squared error per pixel, ``>= 0``; 0 gives ``inf``.
    peak
        Largest possible pixel value: 1 for images in ``[0, 1]``, 255 for uint8.

    Returns
    -------
    float
        Higher is better; every halving of the MSE adds about 3 dB.
    """
    if not isinstance(mse, (int, float, np.floating, np.integer)) or not math.isfinite(mse) or mse < 0:
        raise ValueError(f"mse must be a finite number >= 0, got {mse!r}")
    if not isinstance(peak, (int, float, np.floating, np.integer)) or not math.isfinite(peak) or peak <= 0:
        raise ValueError(f"peak must be a positive number, got {peak!r}")
    if mse == 0:
        return math.inf
    return 10.0 * math.log10(float(peak) ** 2 / float(mse))
