"""Evaluating what a model learned: sample quality, diversity, class control and reconstruction.

Every metric takes images as :func:`~aegan_tutorial.data.load_mnist` gives them: ``uint8``
``[N, 28, 28]`` or ``[N, 28, 28, 1]``. Model outputs (floats in the tanh or sigmoid range)
go through :func:`to_uint8` first, so real and generated images are measured the same way.

The generative metrics compare images in the feature space of the package's pretrained
digit classifier (``pretrained.load("classifier")``, its 128 penultimate activations):

* :func:`frechet_distance`: the Fréchet distance between Gaussians fitted to two feature
  clouds (Heusel et al., 2017), with :func:`reference_points` giving its floor (train vs
  test images) and a ceiling (uniform noise vs test images);
* :func:`precision_recall`: the share of generated images that fall within the real
  images' k-nearest-neighbour manifold, and vice versa (Kynkäänniemi et al., 2019);
* :func:`class_accuracy`: how often the classifier reads the digit a conditional model was
  asked for.
"""

from __future__ import annotations

import functools
import warnings
from typing import Callable, NamedTuple

import keras
import numpy as np
import scipy.linalg

from .data import IMAGE_SHAPE, Scale, check_labels, load_mnist
from .models._checks import apply_in_batches, check_positive_int
from .reconstruction import psnr, reconstruction_mse

__all__ = [
    "PrecisionRecall",
    "class_accuracy",
    "classifier_features",
    "evaluation_images",
    "frechet_distance",
    "frechet_distance_from_features",
    "knn_radii",
    "precision_recall",
    "precision_recall_from_features",
    "predict_digits",
    "reconstruction_scores",
    "reference_images",
    "reference_points",
    "to_uint8",
]

_RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}


def to_uint8(images, scale: Scale) -> np.ndarray:
    """Turn model outputs into pixels as the data loader gives them.

    Parameters
    ----------
    images
        Float ``[N, 28, 28, 1]`` (or ``[N, 28, 28]``) in the model's output range.
    scale
        ``"tanh"`` for ``[-1, 1]`` (generators), ``"sigmoid"`` for ``[0, 1]`` (decoders).

    Returns
    -------
    np.ndarray
        ``uint8 [N, 28, 28]``, 0 (black) to 255 (white); values outside the range are clipped.
    """
    if scale not in _RANGES:
        raise ValueError(f"scale must be 'tanh' or 'sigmoid', got {scale!r}")
    x = np.asarray(keras.ops.convert_to_numpy(images) if not isinstance(images, np.ndarray) else images)
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"to_uint8 converts float model outputs; got {x.dtype} images (already pixels?)")
    x = _squeeze_channel(x, "images")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"images contain {int(np.sum(~np.isfinite(x)))} non-finite values (NaN or inf)")
    low, high = _RANGES[scale]
    unit = (np.clip(x.astype(np.float64), low, high) - low) / (high - low)
    return np.rint(unit * 255.0).astype(np.uint8)


def _squeeze_channel(x: np.ndarray, what: str) -> np.ndarray:
    if x.ndim == 4 and x.shape[1:] == IMAGE_SHAPE:
        return x[..., 0]
    if x.ndim == 3 and x.shape[1:] == IMAGE_SHAPE[:2]:
        return x
    raise ValueError(f"{what} must have shape [N, 28, 28] or [N, 28, 28, 1], got {list(x.shape)}")


def _pixels(images, what: str, minimum: int = 1) -> np.ndarray:
    """Check uint8 images ``[N, 28, 28(, 1)]`` and return float32 ``[N, 28, 28, 1]`` in [0, 1]."""
    x = np.asarray(images)
    if x.dtype != np.uint8:
        raise TypeError(
            f"{what} must be uint8 pixels as load_mnist returns them, got {x.dtype}; convert "
            "model outputs with metrics.to_uint8(images, scale='tanh' or 'sigmoid')"
        )
    x = _squeeze_channel(x, what)
    if len(x) < minimum:
        raise ValueError(f"{what} must hold at least {minimum} images, got {len(x)}")
    return (x.astype(np.float32) / 255.0)[..., None]


@functools.lru_cache(maxsize=1)
def _default_classifier() -> keras.Model:
    from . import pretrained

    return pretrained.load("classifier")


@functools.lru_cache(maxsize=4)
def _extractor(classifier: keras.Model) -> keras.Model:
    from .models.classifier import feature_extractor

    return feature_extractor(classifier)


def classifier_features(images, classifier: keras.Model | None = None, batch_size: int = 1000) -> np.ndarray:
    """The classifier's penultimate activations, the space the generative metrics work in.

    Parameters
    ----------
    images
        ``uint8 [N, 28, 28]`` or ``[N, 28, 28, 1]``.
    classifier
        A model from :func:`~aegan_tutorial.models.build_classifier`; default: the pretrained one.

    Returns
    -------
    np.ndarray
        float64 ``[N, 128]``.
    """
    x = _pixels(images, "images")
    model = _extractor(classifier or _default_classifier())
    return apply_in_batches(model, x, batch_size).astype(np.float64)


def predict_digits(images, classifier: keras.Model | None = None, batch_size: int = 1000) -> np.ndarray:
    """The digit the classifier reads in each image: int ``[N]`` in 0–9 (uint8 images in)."""
    x = _pixels(images, "images")
    logits = apply_in_batches(classifier or _default_classifier(), x, batch_size)
    return logits.argmax(axis=1).astype(np.int32)


def class_accuracy(images, labels, classifier: keras.Model | None = None) -> float:
    """Share of ``images`` the classifier reads as their ``labels``.

    For conditional samples: ``labels[i]`` is the digit image ``i`` was generated for.

    Parameters
    ----------
    images
        ``uint8 [N, 28, 28]`` or ``[N, 28, 28, 1]``.
    labels
        int ``[N]``, digits 0–9.

    Returns
    -------
    float
        In ``[0, 1]``.
    """
    x = np.asarray(images)
    labels = check_labels(labels, len(x))
    return float(np.mean(predict_digits(x, classifier) == labels))


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


def frechet_distance(images_a, images_b, classifier: keras.Model | None = None) -> float:
    """Fréchet distance between two image sets, on the classifier's features.

    Parameters
    ----------
    images_a, images_b
        ``uint8 [N, 28, 28]`` or ``[N, 28, 28, 1]``, at least 2 images each. Compare sets
        of equal size: the estimate is biased upwards for small sets (use 10,000 when you
        compare with :func:`reference_points`).

    Returns
    -------
    float
        Lower is closer; see :func:`reference_points` for the scale.
    """
    return frechet_distance_from_features(
        classifier_features(_pixels_u8(images_a, "images_a"), classifier),
        classifier_features(_pixels_u8(images_b, "images_b"), classifier),
    )


def _pixels_u8(images, what: str) -> np.ndarray:
    _pixels(images, what, minimum=2)  # checks only
    return np.asarray(images)


def evaluation_images(n: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` test images (and labels) that generated samples are compared with.

    A fixed random subset of the 10,000 test images (all of them for ``n = 10,000``), the
    same on every call. Not the first ``n``: the two halves of MNIST's test set were written
    by different groups of people, so a prefix is not a fair sample of the test digits.

    Returns
    -------
    tuple
        ``uint8 [n, 28, 28]`` images and int ``[n]`` labels.
    """
    check_positive_int(n, "n")
    images, labels = load_mnist("test")
    if n > len(images):
        raise ValueError(f"n must be at most {len(images)} (the test images), got {n}")
    index = np.random.default_rng(0).permutation(len(images))[:n]
    return images[index], labels[index]


def reference_images(n: int = 10_000, seed: int = 0) -> dict[str, np.ndarray]:
    """The image sets behind :func:`reference_points`, each ``uint8 [n, 28, 28]``.

    ``test``: :func:`evaluation_images`; ``train``: ``n`` training images drawn at random
    (seeded); ``noise``: uniform noise, every pixel 0–255 with equal probability.
    """
    check_positive_int(n, "n")
    train, _ = load_mnist("train")
    if n > min(10_000, len(train)):
        raise ValueError(f"n must be at most {min(10_000, len(train))} (the images available), got {n}")
    rng = np.random.default_rng(seed)
    return {
        "test": evaluation_images(n)[0],
        "train": train[rng.permutation(len(train))[:n]],
        "noise": rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8),
    }


def reference_points(n: int = 10_000, seed: int = 0, classifier: keras.Model | None = None) -> dict[str, float]:
    """The Fréchet distance's scale on MNIST, measured.

    Parameters
    ----------
    n
        Images per set (at most 10,000).
    seed
        Seed of the training subset and of the noise images.

    Returns
    -------
    dict
        ``floor``: FD between ``n`` random training images and :func:`evaluation_images`,
        what a perfect model of the digits would score (different images of the same
        distribution); ``ceiling``: FD between ``n`` images of uniform noise and the same
        test images (see :func:`reference_images`).
    """
    images = reference_images(n, seed)
    test = classifier_features(images["test"], classifier)
    return {
        "floor": frechet_distance_from_features(classifier_features(images["train"], classifier), test),
        "ceiling": frechet_distance_from_features(classifier_features(images["noise"], classifier), test),
    }


class PrecisionRecall(NamedTuple):
    """Improved precision and recall (Kynkäänniemi et al., 2019), each in ``[0, 1]``."""

    precision: float
    """Share of generated images inside the real images' manifold: are the samples realistic?"""
    recall: float
    """Share of real images inside the generated images' manifold: is all of the data covered?"""


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = np.sum(a**2, axis=1)[:, None] + np.sum(b**2, axis=1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d, 0.0)


def _knn_radii(points: np.ndarray, k: int, chunk: int) -> np.ndarray:
    """Squared distance from each point to its k-th nearest other point."""
    radii = np.empty(len(points))
    for i in range(0, len(points), chunk):
        d = _squared_distances(points[i : i + chunk], points)
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
        hits[i : i + chunk] = np.any(_squared_distances(queries[i : i + chunk], centres) <= radii[None, :], axis=1)
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


def precision_recall(real, fake, k: int = 3, classifier: keras.Model | None = None) -> PrecisionRecall:
    """Improved precision and recall of generated images (Kynkäänniemi et al., 2019).

    Around every real image's features draw a ball reaching its ``k``-th nearest real
    neighbour; the union of the balls estimates the manifold of real digits. Precision is
    the share of generated images inside it; recall swaps the roles (balls around the
    generated images, real images counted). Samples that are not digits cost precision;
    samples that cover too few kinds of digit (a collapsed model) cost recall. Read the two together: a collapsed set can even score a high precision,
    when its few distinct points happen to fall inside the large balls of some outlying
    real images (uniform noise does so in the classifier's feature space), but never a high
    recall.

    Parameters
    ----------
    real, fake
        ``uint8 [N, 28, 28]`` or ``[N, 28, 28, 1]``, more than ``k`` images each (use equal
        sizes: the radii shrink as a set grows).
    k
        Neighbour that sets each ball's radius.

    Returns
    -------
    PrecisionRecall
        ``(precision, recall)``, each in ``[0, 1]``.
    """
    return precision_recall_from_features(
        classifier_features(_pixels_u8(real, "real"), classifier),
        classifier_features(_pixels_u8(fake, "fake"), classifier),
        k,
    )


def reconstruction_scores(autoencoder: Callable, images) -> dict[str, float]:
    """Reconstruction error of an autoencoder with a sigmoid output, on pixels in ``[0, 1]``.

    Parameters
    ----------
    autoencoder
        ``[B, 28, 28, 1] -> [B, 28, 28, 1]``, both in ``[0, 1]``.
    images
        ``uint8 [N, 28, 28]`` or ``[N, 28, 28, 1]``.

    Returns
    -------
    dict
        ``mse``: mean squared error per pixel; ``psnr``: the same in decibels (peak 1).
    """
    mse = reconstruction_mse(autoencoder, _pixels(images, "images"))
    return {"mse": mse, "psnr": psnr(mse)}
