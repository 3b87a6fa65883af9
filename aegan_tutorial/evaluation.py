"""Evaluation: which classifier judges, which real images a model is compared with, and one scorer.

:mod:`~aegan_tutorial.metrics` computes numbers from images or features; this module decides
*what* they are computed on, so every chapter, the command line and the training runs score
a model the same way:

* the judge is the package's pretrained digit classifier (:func:`default_classifier`), whose
  128 penultimate activations (:func:`classifier_features`) are the space the Fréchet distance
  and precision/recall work in;
* generated samples are compared with :func:`evaluation_images`, a fixed random subset of the
  test set, and the Fréchet distance is read against :func:`reference_points` (its floor,
  train vs test images, and a ceiling, uniform noise vs test images);
* :func:`score_samples` is the one function that scores a generator's samples: FD,
  precision, recall, and class accuracy when the samples' labels are given;
* :func:`evaluate_model` scores any of the book's models by its kind (what ``python -m
  aegan_tutorial evaluate`` prints and what the training runs record).

Every function takes images as :func:`~aegan_tutorial.data.load_mnist` gives them: ``uint8``
``[N, 28, 28]`` or ``[N, 28, 28, 1]``. Model outputs go through
:func:`~aegan_tutorial.data.to_uint8` first, so real and generated images are measured alike.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import keras
import numpy as np

from . import pretrained
from ._checks import apply_in_batches, check_positive_int
from .data import check_labels, check_pixels, load_mnist, scale_images, to_uint8
from .metrics import (
    PrecisionRecall,
    frechet_distance_from_features,
    precision_recall_from_features,
    psnr,
    reconstruction_mse,
)
from .models.classifier import feature_extractor

__all__ = [
    "EVAL_SEED",
    "EVALUATED_ON",
    "class_accuracy",
    "classifier_features",
    "default_classifier",
    "evaluate_model",
    "evaluation_images",
    "frechet_distance",
    "precision_recall",
    "predict_digits",
    "reconstruction_scores",
    "reference_images",
    "reference_points",
    "score_features",
    "score_samples",
]

EVAL_SEED = 0
"""Seed of the noise behind the samples that are scored."""
MAX_EVAL = 10_000
"""The most images a set can be compared with: the test set's size."""

EVALUATED_ON = {
    "classifier": "{n:,} test images",
    "autoencoder": "{n:,} test images",
    "generator": "{n:,} samples against {n:,} test images",
    "conditional_generator": "{n:,} samples (digits 0-9 in turn) against {n:,} test images",
}
"""What :func:`evaluate_model` scores for each kind of model, as a template with ``{n}``."""


@functools.lru_cache(maxsize=1)
def default_classifier() -> keras.Model:
    """The pretrained digit classifier (``pretrained.load("classifier")``), loaded once, in float32.

    It computes in float32 whatever the global dtype policy is (under ``mixed_float16`` its
    features would drift, and every FD with them), so its scores match the manifest's.
    """
    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        return pretrained.load("classifier")
    finally:
        keras.config.set_dtype_policy(policy)


@functools.lru_cache(maxsize=4)
def _extractor(classifier: keras.Model) -> keras.Model:
    return feature_extractor(classifier)


def _unit(images, what: str = "images", minimum: int = 1) -> np.ndarray:
    """uint8 pixels, checked, as the classifier reads them: float32 ``[N, 28, 28, 1]`` in ``[0, 1]``."""
    return scale_images(check_pixels(images, what, minimum), "sigmoid")


def _checked(images, what: str) -> np.ndarray:
    return check_pixels(images, what, minimum=2)


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
    x = _unit(images)
    model = _extractor(classifier or default_classifier())
    return apply_in_batches(model, x, batch_size).astype(np.float64)


def predict_digits(images, classifier: keras.Model | None = None, batch_size: int = 1000) -> np.ndarray:
    """The digit the classifier reads in each image: int ``[N]`` in 0–9 (uint8 images in)."""
    x = _unit(images)
    logits = apply_in_batches(classifier or default_classifier(), x, batch_size)
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
        classifier_features(_checked(images_a, "images_a"), classifier),
        classifier_features(_checked(images_b, "images_b"), classifier),
    )


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
        classifier_features(_checked(real, "real"), classifier),
        classifier_features(_checked(fake, "fake"), classifier),
        k,
    )


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
    mse = reconstruction_mse(autoencoder, _unit(images))
    return {"mse": mse, "psnr": psnr(mse)}



@functools.lru_cache(maxsize=4)
def _evaluation_features(n: int) -> np.ndarray:
    """Features of :func:`evaluation_images` ``(n)`` under the default classifier (computed once per ``n``)."""
    return classifier_features(evaluation_images(n)[0])


def score_features(fake_features: np.ndarray, real_features: np.ndarray, k: int = 3) -> dict[str, float]:
    """FD, precision and recall of generated features ``[N, d]`` against real ones ``[M, d]``.

    The feature-level half of :func:`score_samples`, for sets whose features are already at
    hand. Returns ``{"fd", "precision", "recall"}``.
    """
    pr = precision_recall_from_features(real_features, fake_features, k)
    return {
        "fd": frechet_distance_from_features(fake_features, real_features),
        "precision": pr.precision,
        "recall": pr.recall,
    }


def score_samples(samples, labels=None, reference=None, k: int = 3) -> dict[str, float]:
    """Score a generator's samples: FD, precision, recall, and class accuracy when ``labels`` are given.

    Parameters
    ----------
    samples
        ``uint8 [N, 28, 28]`` or ``[N, 28, 28, 1]`` (model outputs: :func:`~aegan_tutorial.data.to_uint8`
        first), more than ``k`` of them.
    labels
        Optional int ``[N]``: the digit each sample was generated for (a conditional model).
    reference
        Real ``uint8`` images to compare with; default :func:`evaluation_images` ``(N)``, the same
        number of test images as samples (the FD is biased by the set size: compare equal sizes).
    k
        Neighbour that sets each ball's radius in precision and recall.

    Returns
    -------
    dict
        ``fd`` (read it against :func:`reference_points` ``(N)``), ``precision``, ``recall``
        (each in ``[0, 1]``) and, with ``labels``, ``class_accuracy`` (the share the
        classifier reads as asked).
    """
    samples = check_pixels(samples, "samples", minimum=k + 1)
    if reference is None:
        if len(samples) > MAX_EVAL:
            raise ValueError(f"at most {MAX_EVAL:,} samples can be scored against the test images, got {len(samples):,}")
        real_features = _evaluation_features(len(samples))
    else:
        real_features = classifier_features(check_pixels(reference, "reference", minimum=k + 1))
    scores = score_features(classifier_features(samples), real_features, k)
    if labels is not None:
        scores["class_accuracy"] = class_accuracy(samples, labels)
    return scores


def evaluate_model(model: keras.Model, kind: str, n: int) -> dict[str, float]:
    """Score one of the book's models on ``n`` test images (and ``n`` samples for a generator).

    Parameters
    ----------
    model
        A classifier (pixels in ``[0, 1]`` → logits), an :class:`~aegan_tutorial.models.Autoencoder`,
        a :class:`~aegan_tutorial.models.GAN` or a :class:`~aegan_tutorial.models.ConditionalGAN`.
    kind
        ``"classifier"``, ``"autoencoder"``, ``"generator"`` or ``"conditional_generator"``
        (a model's kind is in :mod:`aegan_tutorial.models.registry`).
    n
        From 2 to 10,000 (4 for generators, whose precision and recall need neighbours).

    Returns
    -------
    dict
        ``test_accuracy``; ``test_mse`` and ``test_psnr``; or the scores of :func:`score_samples`
        for :data:`EVAL_SEED`'s samples (a conditional model draws the digits 0–9 in turn).
    """
    if kind not in EVALUATED_ON:
        raise ValueError(f"kind must be one of {sorted(EVALUATED_ON)}, got {kind!r}")
    check_positive_int(n, "n")
    if not 2 <= n <= MAX_EVAL:
        raise ValueError(f"the number of evaluation images must lie in 2..{MAX_EVAL}, got {n}")
    if kind == "classifier":
        images, labels = evaluation_images(n)
        return {"test_accuracy": float(np.mean(predict_digits(images, model) == labels))}
    if kind == "autoencoder":
        scores = reconstruction_scores(model, evaluation_images(n)[0])
        return {"test_mse": scores["mse"], "test_psnr": scores["psnr"]}
    if kind == "generator":
        return score_samples(to_uint8(model.generate(n, seed=EVAL_SEED), "tanh"))
    labels = model.labels_for(n)
    return score_samples(to_uint8(model.generate(n, labels=labels, seed=EVAL_SEED), "tanh"), labels)
