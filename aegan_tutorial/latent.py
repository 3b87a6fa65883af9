"""Where an autoencoder's codes lie, compared with the prior ``N(0, I)`` a generator reads.

A decoder trained inside an autoencoder only ever sees the codes its encoder makes. Nothing
asks those codes to look like draws from ``N(0, I)``: they can sit off-centre, with any
spread and with correlated coordinates. This module fits a Gaussian to a set of codes
(:func:`fit_gaussian`), draws from it (:func:`sample_gaussian`), says how far it is from the
prior (:func:`frechet_to_prior`, :func:`kl_to_prior`) and whether points fall where the codes
typically lie (:func:`typical_region`).

Shapes: ``N`` codes of size ``k``: ``codes [N, k]``, ``mean [k]``, ``cov [k, k]``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .metrics import gaussian_frechet_distance


class Gaussian(NamedTuple):
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


def _gaussian(gaussian: Gaussian) -> tuple[np.ndarray, np.ndarray]:
    mean, cov = np.asarray(gaussian.mean, dtype=np.float64), np.asarray(gaussian.cov, dtype=np.float64)
    k = mean.shape[0] if mean.ndim == 1 else -1
    if mean.ndim != 1 or cov.shape != (k, k):
        raise ValueError(f"a Gaussian needs mean [k] and cov [k, k], got {list(mean.shape)} and {list(cov.shape)}")
    return mean, cov


def fit_gaussian(codes) -> Gaussian:
    """The maximum-likelihood Gaussian of ``codes [N, k]`` (``N > k`` keeps ``cov`` invertible).

    Returns
    -------
    Gaussian
        ``mean [k]`` and ``cov [k, k]`` (divided by ``N``).
    """
    x = _codes(codes, minimum=2)
    mean = x.mean(axis=0)
    centred = x - mean
    return Gaussian(mean, centred.T @ centred / len(x))


def sample_gaussian(gaussian: Gaussian, n: int, seed: int = 0) -> np.ndarray:
    """``n`` draws of ``N(mean, cov)``, float32 ``[n, k]`` (``cov`` may be singular)."""
    mean, cov = _gaussian(gaussian)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    rng = np.random.default_rng(seed)
    return rng.multivariate_normal(mean, cov, size=int(n), method="eigh").astype(np.float32)


def frechet_to_prior(gaussian: Gaussian) -> float:
    """Squared 2-Wasserstein (Fréchet) distance from ``N(mean, cov)`` to ``N(0, I)``.

    ``‖mean‖² + tr(cov + I − 2 cov^{1/2})``: 0 only for the prior itself. The same formula as
    the FD of :mod:`aegan_tutorial.metrics`, with the prior as the second Gaussian.
    """
    mean, cov = _gaussian(gaussian)
    return gaussian_frechet_distance(mean, cov, np.zeros_like(mean), np.eye(len(mean)))


def kl_to_prior(gaussian: Gaussian) -> float:
    """``KL(N(mean, cov) ‖ N(0, I))`` in nats: ``½ (tr cov + ‖mean‖² − k − log det cov)``.

    Raises ``ValueError`` when ``cov`` is singular (the divergence is infinite).
    """
    mean, cov = _gaussian(gaussian)
    sign, logdet = np.linalg.slogdet(cov)
    if sign <= 0:
        raise ValueError("cov is singular or not positive definite: the KL divergence is infinite")
    return float(0.5 * (np.trace(cov) + mean @ mean - len(mean) - logdet))


def mahalanobis_sq(points, gaussian: Gaussian) -> np.ndarray:
    """Squared Mahalanobis distance of each row of ``points [M, k]`` under ``gaussian``: ``[M]``."""
    mean, cov = _gaussian(gaussian)
    x = _codes(points, "points", minimum=1)
    if x.shape[1] != len(mean):
        raise ValueError(f"points have {x.shape[1]} coordinates but the Gaussian has {len(mean)}")
    centred = x - mean
    solved = np.linalg.lstsq(cov, centred.T, rcond=None)[0].T
    return np.einsum("ij,ij->i", centred, solved)


def typical_region(points, reference, coverage: float = 0.99) -> np.ndarray:
    """Which ``points [M, k]`` fall in the region that holds ``coverage`` of the ``reference [N, k]``.

    The region is the ellipsoid of the Gaussian fitted to ``reference`` whose squared
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
