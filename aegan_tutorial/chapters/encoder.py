"""Helpers of the chapter "The encoder": linear probes of a representation, and PCA, the linear baseline.

A *linear probe* (Alain and Bengio, 2017) freezes a representation (pixels, PCA
coordinates, an encoder's codes) and trains only a multinomial logistic regression on top
of it. Its test accuracy measures how *linearly separable* the classes are in that
representation; it says nothing about how well the representation reconstructs, generates
or transfers. :func:`encode` turns images into codes with a frozen encoder; :func:`linear_probe`
trains and scores the read-out (:func:`fit_linear_probe` keeps it, to score several test sets); :func:`majority_baseline` is the floor it must clear;
:class:`PCA` is the best *linear* encoder of each code size.

Shapes: ``N`` examples with ``D`` features each. Features may be given as ``[N, D]`` or
as ``[N, ...]`` (images), which are flattened to ``[N, D]``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._checks import apply_in_batches, check_positive_int
from ..data import NUM_CLASSES, check_labels


def encode(encoder, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Run a (frozen) encoder over many images and return the codes as a NumPy array.

    The encoder is called directly on slices of ``images`` (in inference mode), without the
    ``tf.data`` pipeline that ``Model.predict`` builds; the result equals
    ``encoder.predict(images)``.

    Parameters
    ----------
    encoder
        A ``keras.Model`` such as :func:`~aegan_tutorial.models.build_encoder` returns,
        ``[B, 28, 28, 1] -> [B, k]``.
    images
        ``[N, *input_shape]`` float images in the range the encoder was trained on.
    batch_size
        Images per call.

    Returns
    -------
    np.ndarray
        float32 ``[N, k]`` codes.
    """
    images = np.asarray(images)
    expected = tuple(encoder.input_shape[1:])
    if images.ndim != len(expected) + 1 or tuple(images.shape[1:]) != expected:
        raise ValueError(
            f"{encoder.name} reads images of shape [N, {', '.join(map(str, expected))}], got "
            f"{list(images.shape)}"
            + (" (add the channel axis: images[..., None])" if tuple(images.shape[1:]) == expected[:-1] else "")
        )
    if not np.issubdtype(images.dtype, np.floating):
        raise TypeError(f"encode expects float images (scale_images(...) makes them), got {images.dtype}")
    if len(images) == 0:
        return np.zeros((0, *encoder.output_shape[1:]), np.float32)
    return apply_in_batches(encoder, images, batch_size)


def standardise(train: np.ndarray, test: np.ndarray, eps: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Centre and scale both sets with the *training* mean and standard deviation.

    Parameters
    ----------
    train
        ``[N, D]`` training features.
    test
        ``[M, D]`` test features.
    eps
        Features whose training standard deviation is below ``eps`` (constant ones, such
        as MNIST's corner pixels) are only centred, not divided by a near-zero number.

    Returns
    -------
    train_z, test_z : np.ndarray
        float32 ``[N, D]`` and ``[M, D]``; every non-constant column of ``train_z`` has
        mean 0 and standard deviation 1.
    """
    train = np.asarray(train, np.float32)
    test = np.asarray(test, np.float32)
    mean = train.mean(axis=0, dtype=np.float64)
    std = train.std(axis=0, dtype=np.float64)
    scale = np.where(std < eps, 1.0, std)
    mean, scale = mean.astype(np.float32), scale.astype(np.float32)
    return (train - mean) / scale, (test - mean) / scale


def linear_probe(
    train_codes: np.ndarray,
    train_labels: np.ndarray,
    test_codes: np.ndarray,
    test_labels: np.ndarray,
    epochs: int = 10,
    batch_size: int = 512,
    learning_rate: float = 1e-2,
    seed: int = 0,
) -> float:
    """Test accuracy of a multinomial logistic regression trained on frozen features.

    The features are standardised with the training statistics (:func:`standardise`), then
    a single ``Dense(10, activation="softmax")`` layer, started from zero weights, is
    trained with Adam on the cross-entropy. The problem is convex, so the zero start
    loses nothing; the only randomness is the order of the mini-batches, drawn from
    ``seed`` (and TensorFlow's global seed, which :func:`aegan_tutorial.set_seed` fixes),
    so a rerun on the same machine returns the same accuracy.

    The probe needs many more training examples than features: Adam moves every weight
    at a similar pace, so with a few hundred examples of hundreds of mostly irrelevant
    features (raw pixels) it fits the irrelevant ones too and its test accuracy drops.

    Parameters
    ----------
    train_codes
        ``[N, D]`` (or ``[N, ...]``, flattened) features the probe is trained on.
    train_labels
        ``[N]`` integer digits 0–9.
    test_codes
        ``[M, D]`` (or ``[M, ...]``) features it is evaluated on; same ``D``.
    test_labels
        ``[M]`` integer digits 0–9.
    epochs
        Passes over the training features.
    batch_size
        Examples per Adam step.
    learning_rate
        Adam's step size.
    seed
        Seed of the mini-batch shuffling.

    Returns
    -------
    float
        Share of the ``M`` test examples whose arg-max prediction equals the label, in
        ``[0, 1]``.

    Raises
    ------
    ValueError
        Mismatched numbers of features and labels, different feature sizes for train
        and test, empty or non-finite features, labels outside 0–9, or bad settings.
    TypeError
        Labels that are not integers.
    """
    check_positive_int(epochs, "epochs")
    x_test = _features(test_codes, "test_codes")
    probe = fit_linear_probe(train_codes, train_labels, epochs, batch_size, learning_rate, seed)
    if probe.mean.shape[0] != x_test.shape[1]:
        raise ValueError(
            f"train_codes have {probe.mean.shape[0]} features per example but test_codes have "
            f"{x_test.shape[1]}; encode both sets with the same encoder"
        )
    return probe.accuracy(x_test, test_labels)


class LinearProbe(NamedTuple):
    """A trained linear read-out: standardise with ``mean`` and ``scale`` ``[D]``, then ``weights`` ``[D, 10]`` and ``bias`` ``[10]``."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: np.ndarray

    def predict(self, codes) -> np.ndarray:
        """``[M]`` predicted digits of ``codes`` ``[M, D]`` (or ``[M, ...]``, flattened)."""
        x = _features(codes, "codes")
        if x.shape[1] != self.mean.shape[0]:
            raise ValueError(f"the probe reads {self.mean.shape[0]} features per example, got {x.shape[1]}")
        # the arg-max of the softmax is the arg-max of the logits x W + b: read it in NumPy
        return np.argmax(((x - self.mean) / self.scale) @ self.weights + self.bias, axis=1)

    def accuracy(self, codes, labels) -> float:
        """Share of ``codes`` ``[M, D]`` whose predicted digit equals ``labels`` ``[M]``, in ``[0, 1]``."""
        x = _features(codes, "codes")
        return float(np.mean(self.predict(x) == _labels(labels, len(x), "test")))


def fit_linear_probe(train_codes: np.ndarray, train_labels: np.ndarray, epochs: int = 10, batch_size: int = 512,
                     learning_rate: float = 1e-2, seed: int = 0) -> LinearProbe:
    """Train the read-out of :func:`linear_probe` on frozen features and return it, to score several test sets.

    Same parameters as :func:`linear_probe` (without the test set).
    """
    import keras
    import tensorflow as tf

    check_positive_int(epochs, "epochs")
    check_positive_int(batch_size, "batch_size")
    check_positive_int(seed, "seed", minimum=0)
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")

    x_train = _features(train_codes, "train_codes")
    y_train = _labels(train_labels, len(x_train), "train")
    mean = x_train.mean(axis=0, dtype=np.float64)
    std = x_train.std(axis=0, dtype=np.float64)
    mean, scale = mean.astype(np.float32), np.where(std < 1e-6, 1.0, std).astype(np.float32)
    x_train = (x_train - mean) / scale  # as standardise() does

    probe = keras.Sequential(
        [
            keras.Input((x_train.shape[1],), name="features"),
            keras.layers.Dense(NUM_CLASSES, activation="softmax", kernel_initializer="zeros", name="read_out"),
        ],
        name="linear_probe",
    )
    steps = -(-len(x_train) // int(batch_size))  # mini-batches per epoch
    # one compiled call runs a whole epoch: the steps are tiny, so Python overhead would dominate
    probe.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        steps_per_execution=steps,
    )
    # shuffle indices, not rows, and gather each batch: cheap even for wide features
    features, targets = tf.constant(x_train), tf.constant(y_train)
    batches = (
        tf.data.Dataset.range(len(x_train))
        .shuffle(len(x_train), seed=int(seed), reshuffle_each_iteration=True)
        .batch(int(batch_size))
        .map(lambda index: (tf.gather(features, index), tf.gather(targets, index)))
        .repeat(int(epochs))  # a fresh order each pass; one fit call, so no per-epoch overhead
        .prefetch(tf.data.AUTOTUNE)
    )
    probe.fit(batches, epochs=1, steps_per_epoch=steps * int(epochs), shuffle=False, verbose=0)
    weights, bias = probe.get_layer("read_out").get_weights()
    return LinearProbe(mean, scale, weights, bias)


def majority_baseline(train_labels: np.ndarray, test_labels: np.ndarray) -> float:
    """Test accuracy of always answering the most frequent training digit.

    The floor any probe must clear: about ``0.11`` on MNIST, where the classes are
    nearly balanced.

    Parameters
    ----------
    train_labels
        ``[N]`` integer digits 0–9.
    test_labels
        ``[M]`` integer digits 0–9.
    """
    if not np.size(train_labels) or not np.size(test_labels):
        raise ValueError("train_labels and test_labels must not be empty")
    train = _labels(train_labels, None, "train")
    test = _labels(test_labels, None, "test")
    most_frequent = np.bincount(train, minlength=NUM_CLASSES).argmax()
    return float(np.mean(test == most_frequent))


def _features(codes, name: str) -> np.ndarray:
    codes = np.asarray(codes)
    if codes.ndim < 2:
        raise ValueError(
            f"{name} must have shape [N, D] (one row of features per example), got "
            f"{list(codes.shape)}; for a single feature use codes[:, None]"
        )
    if not (np.issubdtype(codes.dtype, np.floating) or np.issubdtype(codes.dtype, np.integer)):
        raise TypeError(f"{name} must be numbers, got dtype {codes.dtype}")
    if codes.size == 0:
        raise ValueError(f"{name} is empty (shape {list(codes.shape)})")
    codes = codes.reshape(len(codes), -1)
    if not np.all(np.isfinite(codes)):
        bad = int(np.sum(~np.isfinite(codes)))
        raise ValueError(f"{name} holds {bad} non-finite values (NaN or inf)")
    return codes


def _labels(labels, n: int | None, which: str) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim == 1 and n is not None and len(labels) != n:
        raise ValueError(f"{which}_codes hold {n} examples but {which}_labels hold {len(labels)} labels")
    try:
        return check_labels(labels)
    except (ValueError, TypeError) as err:
        raise type(err)(f"{which}_labels: {err}") from None


class PCA:
    """PCA by singular value decomposition.

    Parameters
    ----------
    n_components
        Number ``k`` of principal directions kept.

    Attributes (after :meth:`fit`)
    ------------------------------
    mean : np.ndarray
        ``[D]`` the data mean.
    components : np.ndarray
        ``[k, D]`` orthonormal principal directions, by decreasing variance.
    explained_variance_ratio : np.ndarray
        ``[k]`` share of the total variance along each direction.
    """

    def __init__(self, n_components: int):
        self.n_components = check_positive_int(n_components, "n_components")

    def fit(self, x: np.ndarray) -> "PCA":
        """Fit on ``x`` of shape ``[N, ...]`` (flattened to ``[N, D]``)."""
        x = _flat(x)
        if self.n_components > min(x.shape):
            raise ValueError(f"n_components={self.n_components} exceeds min(N, D) = {min(x.shape)}")
        self.mean = x.mean(axis=0)
        _, singular, vt = np.linalg.svd(x - self.mean, full_matrices=False)
        variance = singular**2
        self.components = vt[: self.n_components]
        self.explained_variance_ratio = variance[: self.n_components] / variance.sum()
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """``[N, ...] -> [N, k]`` coordinates along the principal directions."""
        return (_flat(x) - self.mean) @ self.components.T

    def inverse_transform(self, codes: np.ndarray, shape: tuple[int, ...] | None = None) -> np.ndarray:
        """``[N, k] -> [N, D]`` (or ``[N, *shape]``): the best rank-``k`` linear reconstruction."""
        x = np.asarray(codes, np.float64) @ self.components + self.mean
        return x if shape is None else x.reshape((len(x), *shape))


def _flat(x) -> np.ndarray:
    x = np.asarray(x, np.float64)
    return x.reshape(len(x), -1)
