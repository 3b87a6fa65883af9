"""Helpers of the chapter "The generator": upsampling shape arithmetic and artefacts, and where codes lie.

Upsampling: :func:`transposed_output_size` is the side a ``Conv2DTranspose`` makes,
:func:`overlap_counts` how many kernel taps reach each output pixel (uneven overlap draws
checkerboards), :func:`checkerboard_score` how much of an image's variance is a period-2
pattern, :func:`build_generator_variant` the book's generator with another upsampling layer.

Codes: a decoder trained inside an autoencoder only ever sees the codes its encoder makes,
and nothing asks them to look like draws from the prior ``N(0, I)`` a generator reads.
:func:`fit_gaussian` fits a :class:`CodeGaussian` to codes ``[N, k]``, :func:`sample_gaussian`
draws from it, :func:`frechet_to_prior` and :func:`kl_to_prior` say how far it is from the
prior, :func:`typical_region` whether points fall where the codes lie.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import keras
import numpy as np

from .._checks import check_positive_int
from ..metrics import gaussian_frechet_distance
from ..models.gan import upsample_to_image
from ..pretraining import gaussian_of_codes


Padding = Literal["same", "valid"]
Method = Literal["transposed", "resize"]


def _check_padding(padding) -> str:
    if padding not in ("same", "valid"):
        raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")
    return padding


def transposed_output_size(size: int, kernel: int, stride: int, padding: Padding = "same") -> int:
    """Side of the output of a ``Conv2DTranspose`` (no ``output_padding``, no dilation).

    ``"same"``: ``size · stride``. ``"valid"``: ``(size - 1) · stride + kernel``, or
    ``size · stride`` when the kernel is smaller than the stride (Keras then pads the gaps
    with zeros), i.e. ``(size - 1) · stride + max(kernel, stride)``.

    Parameters
    ----------
    size
        Side of the input, ``>= 1``.
    kernel, stride
        Kernel side and stride, ``>= 1``.
    padding
        ``"same"`` or ``"valid"``.

    Examples
    --------
    >>> transposed_output_size(7, 4, 2, "same"), transposed_output_size(7, 4, 2, "valid")
    (14, 16)
    """
    size, kernel, stride = check_positive_int(size, "size"), check_positive_int(kernel, "kernel"), check_positive_int(stride, "stride")
    if _check_padding(padding) == "same":
        return size * stride
    return (size - 1) * stride + max(kernel, stride)


def _counts_1d(size: int, kernel: int, stride: int, padding: str, method: str) -> np.ndarray:
    out = transposed_output_size(size, kernel, stride, padding) if method == "transposed" else size * stride
    if method == "resize":
        # nearest-neighbour upsampling, then a kernel-wide 'same' convolution: every output
        # pixel sums `kernel` inputs, fewer only at the border (zero padding)
        ones = np.ones(out)
        before = (kernel - 1) // 2
        padded = np.concatenate([np.zeros(before), ones, np.zeros(kernel - 1 - before)])
        return np.convolve(padded, np.ones(kernel), mode="valid").astype(np.int64)
    full = np.zeros((size - 1) * stride + kernel, dtype=np.int64)
    for i in range(size):
        full[i * stride : i * stride + kernel] += 1
    start = max(kernel - stride, 0) // 2 if padding == "same" else 0
    counts = np.zeros(out, dtype=np.int64)
    piece = full[start : start + out]
    counts[: len(piece)] = piece
    return counts


def overlap_counts(
    size: int, kernel: int, stride: int, padding: Padding = "same", method: Method = "transposed"
) -> np.ndarray:
    """How many kernel taps reach each output pixel of one upsampling layer.

    For ``method="transposed"`` this is the output of a ``Conv2DTranspose`` with an all-ones
    ``kernel × kernel`` kernel and no bias applied to an all-ones ``size × size`` input (one
    channel). For ``method="resize"`` it is the same for nearest-neighbour upsampling by
    ``stride`` followed by a ``kernel × kernel`` ``"same"`` convolution.

    Parameters
    ----------
    size
        Side of the input, ``>= 1``.
    kernel, stride
        Kernel side and upsampling factor, ``>= 1``.
    padding
        ``"same"`` or ``"valid"`` (``method="resize"`` always uses ``"same"``).
    method
        ``"transposed"`` or ``"resize"``.

    Returns
    -------
    np.ndarray
        int64 ``[out, out]``, ``out`` as in :func:`transposed_output_size` (``size · stride``
        for ``"resize"``). Away from the border the counts are uniform exactly when ``stride``
        divides ``kernel`` (transposed) and always (resize).
    """
    size, kernel, stride = check_positive_int(size, "size"), check_positive_int(kernel, "kernel"), check_positive_int(stride, "stride")
    padding = _check_padding(padding)
    if method not in ("transposed", "resize"):
        raise ValueError(f"method must be 'transposed' or 'resize', got {method!r}")
    counts = _counts_1d(size, kernel, stride, padding, method)
    return np.outer(counts, counts)


def _as_batch(images) -> tuple[np.ndarray, bool]:
    x = np.asarray(images, dtype=np.float64)
    single = x.ndim == 2
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if single:
        x = x[None]
    if x.ndim != 3:
        raise ValueError(f"images must have shape [H, W], [B, H, W] or [B, H, W, 1], got {list(np.shape(images))}")
    if x.shape[1] < 2 or x.shape[2] < 2 or len(x) == 0:
        raise ValueError(f"images must be at least 2×2 and the batch non-empty, got shape {list(np.shape(images))}")
    if not np.all(np.isfinite(x)):
        raise ValueError("images contain NaN or infinite values")
    return x, single


def phase_means(images) -> np.ndarray:
    """Mean pixel of each of the four 2×2 phases (even/odd row × even/odd column).

    Parameters
    ----------
    images
        ``[H, W]``, ``[B, H, W]`` or ``[B, H, W, 1]``, any float or integer scale.

    Returns
    -------
    np.ndarray
        ``[2, 2]`` for one image, else ``[B, 2, 2]``; entry ``[a, b]`` averages the pixels at
        rows ``a, a + 2, ...`` and columns ``b, b + 2, ...``.
    """
    x, single = _as_batch(images)
    means = np.stack([np.stack([x[:, a::2, b::2].mean(axis=(1, 2)) for b in (0, 1)], -1) for a in (0, 1)], -2)
    return means[0] if single else means


def checkerboard_score(images):
    """Share of each image's pixel variance that is a period-2 (checkerboard or stripe) pattern.

    Split the pixels into the four 2×2 phases (:func:`phase_means`); the score is the
    between-phase variance divided by the total variance (law of total variance), so it lies
    in ``[0, 1]``. For even sides it equals the share of the image's non-constant Fourier
    energy that sits at the Nyquist frequencies ``(π, 0)``, ``(0, π)`` and ``(π, π)``. A
    constant image scores 0 (no variance at all), a ``±1`` checkerboard 1, white noise about
    ``3 / (H·W − 1)``.

    Parameters
    ----------
    images
        ``[H, W]``, ``[B, H, W]`` or ``[B, H, W, 1]``, sides ``>= 2``, any scale.

    Returns
    -------
    float or np.ndarray
        A float for one ``[H, W]`` image, else float64 ``[B]``.
    """
    x, single = _as_batch(images)
    total = x.var(axis=(1, 2))
    mean = x.mean(axis=(1, 2))
    between = np.zeros(len(x))
    pixels = x.shape[1] * x.shape[2]
    for a in (0, 1):
        for b in (0, 1):
            phase = x[:, a::2, b::2]
            weight = phase.shape[1] * phase.shape[2] / pixels
            between += weight * (phase.mean(axis=(1, 2)) - mean) ** 2
    score = np.where(total > 1e-12 * np.maximum(1.0, mean**2), between / np.where(total > 0, total, 1.0), 0.0)
    score = np.clip(score, 0.0, 1.0)
    return float(score[0]) if single else score


def build_generator_variant(
    kernel_size: int = 4,
    upsampling: Method = "transposed",
    noise_dim: int = 100,
    filters: int = 32,
    name: str | None = None,
) -> keras.Model:
    """The book's DCGAN generator with a chosen upsampling layer, for comparisons.

    The same layers as :func:`aegan_tutorial.models.build_generator` (Dense → 7×7 →
    ×2 → 14×14 → ×2 → 28×28, batch norm and ReLU in between, tanh at the end), except that
    each ×2 step is either a ``Conv2DTranspose(kernel_size, strides=2, padding="same")``
    (``"transposed"``; ``kernel_size=4`` is the package's generator) or nearest-neighbour
    ``UpSampling2D(2)`` followed by ``Conv2D(kernel_size, padding="same")`` (``"resize"``).

    Returns
    -------
    keras.Model
        ``[B, noise_dim] -> [B, 28, 28, 1]``, pixels in ``[-1, 1]``.
    """
    kernel_size = check_positive_int(kernel_size, "kernel_size")
    noise_dim, filters = check_positive_int(noise_dim, "noise_dim"), check_positive_int(filters, "filters")
    noise = keras.Input((noise_dim,), name="noise")
    image = upsample_to_image(noise, filters, kernel_size, upsampling)
    return keras.Model(noise, image, name=name or f"generator_{upsampling}_k{kernel_size}")


class CodeGaussian(NamedTuple):
    """``N(mean, cov)``: ``mean [k]``, ``cov [k, k]`` (symmetric, positive definite)."""

    mean: np.ndarray
    cov: np.ndarray


def _codes(codes, what: str = "codes", minimum: int = 2) -> np.ndarray:
    x = np.asarray(codes, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 1:
        raise ValueError(f"{what} must have shape [N, k], got {list(np.shape(codes))}")
    if len(x) < minimum:
        raise ValueError(f"{what} must hold at least {minimum} rows, got {len(x)}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what} contain NaN or infinite values")
    return x


def _gaussian(gaussian: CodeGaussian) -> tuple[np.ndarray, np.ndarray]:
    mean, cov = np.asarray(gaussian.mean, dtype=np.float64), np.asarray(gaussian.cov, dtype=np.float64)
    k = mean.shape[0] if mean.ndim == 1 else -1
    if mean.ndim != 1 or cov.shape != (k, k):
        raise ValueError(f"a CodeGaussian needs mean [k] and cov [k, k], got {list(mean.shape)} and {list(cov.shape)}")
    return mean, cov


def fit_gaussian(codes) -> CodeGaussian:
    """The maximum-likelihood CodeGaussian of ``codes [N, k]`` (``N > k`` keeps ``cov`` invertible).

    Returns
    -------
    CodeGaussian
        ``mean [k]`` and ``cov [k, k]`` (divided by ``N``).
    """
    return CodeGaussian(*gaussian_of_codes(codes))


def sample_gaussian(gaussian: CodeGaussian, n: int, seed: int = 0) -> np.ndarray:
    """``n`` draws of ``N(mean, cov)``, float32 ``[n, k]`` (``cov`` may be singular)."""
    mean, cov = _gaussian(gaussian)
    check_positive_int(n, "n")
    rng = np.random.default_rng(seed)
    return rng.multivariate_normal(mean, cov, size=int(n), method="eigh").astype(np.float32)


def frechet_to_prior(gaussian: CodeGaussian) -> float:
    """Squared 2-Wasserstein (Fréchet) distance from ``N(mean, cov)`` to ``N(0, I)``.

    ``‖mean‖² + tr(cov + I − 2 cov^{1/2})``: 0 only for the prior itself. The same formula as
    the FD of :mod:`aegan_tutorial.metrics`, with the prior as the second CodeGaussian.
    """
    mean, cov = _gaussian(gaussian)
    return gaussian_frechet_distance(mean, cov, np.zeros_like(mean), np.eye(len(mean)))


def kl_to_prior(gaussian: CodeGaussian) -> float:
    """``KL(N(mean, cov) ‖ N(0, I))`` in nats: ``½ (tr cov + ‖mean‖² − k − log det cov)``.

    Raises ``ValueError`` when ``cov`` is singular (the divergence is infinite).
    """
    mean, cov = _gaussian(gaussian)
    sign, logdet = np.linalg.slogdet(cov)
    if sign <= 0:
        raise ValueError("cov is singular or not positive definite: the KL divergence is infinite")
    return float(0.5 * (np.trace(cov) + mean @ mean - len(mean) - logdet))


def mahalanobis_sq(points, gaussian: CodeGaussian) -> np.ndarray:
    """Squared Mahalanobis distance of each row of ``points [M, k]`` under ``gaussian``: ``[M]``."""
    mean, cov = _gaussian(gaussian)
    x = _codes(points, "points", minimum=1)
    if x.shape[1] != len(mean):
        raise ValueError(f"points have {x.shape[1]} coordinates but the CodeGaussian has {len(mean)}")
    centred = x - mean
    solved = np.linalg.lstsq(cov, centred.T, rcond=None)[0].T
    return np.einsum("ij,ij->i", centred, solved)


def typical_region(points, reference, coverage: float = 0.99) -> np.ndarray:
    """Which ``points [M, k]`` fall in the region that holds ``coverage`` of the ``reference [N, k]``.

    The region is the ellipsoid of the CodeGaussian fitted to ``reference`` whose squared
    Mahalanobis radius is the ``coverage`` quantile of the reference points' own squared
    distances: by construction it holds that share of them. Works both ways: prior draws
    against an encoder's codes (do the draws land where the codes are?), or codes against
    prior draws (do the codes land where the prior puts its mass?).

    Returns
    -------
    np.ndarray
        bool ``[M]``.
    """
    if not 0.0 < coverage <= 1.0:
        raise ValueError(f"coverage must lie in (0, 1], got {coverage!r}")
    reference = _codes(reference, "reference", minimum=2)
    gaussian = fit_gaussian(reference)
    radius = np.quantile(mahalanobis_sq(reference, gaussian), coverage)
    return mahalanobis_sq(points, gaussian) <= radius
