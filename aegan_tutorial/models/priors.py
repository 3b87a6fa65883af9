r"""Priors ``p(z)`` over codes: what a generative autoencoder's decoder is fed to make new images.

A variational or adversarial autoencoder pushes the codes of the training images towards a
prior; afterwards ``decoder(z)``, ``z ~ p(z)``, draws new images. Two priors of
Makhzani et al. (2016):

* :class:`GaussianPrior`, ``N(0, I)`` in ``k`` dimensions;
* :class:`GaussianMixturePrior`, ten (by default) Gaussians with standard deviation ``σ``
  whose means sit evenly on a circle of radius ``r`` in the plane of the first two
  coordinates: ``p(z) = (1/C) Σ_c N(z; m_c, σ² I)``, ``m_c = r (cos 2πc/C, sin 2πc/C, 0, …)``.

Both draw inside a ``train_step`` (:meth:`draw`, from a stateless seed) and outside it
(:meth:`sample`); both know their mean and covariance, so :func:`code_distance_to_prior` is
the exact Fréchet distance between the codes' Gaussian and the prior's moments.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from .._checks import check_positive_int
from ..metrics import gaussian_frechet_distance

__all__ = ["GaussianMixturePrior", "GaussianPrior", "Prior", "code_distance_to_prior", "prior_from_config"]


class Prior:
    """A distribution ``p(z)`` over ``[k]`` codes. Subclasses define :meth:`draw`, :meth:`moments`, :meth:`get_config`."""

    kind = "prior"

    def __init__(self, dim: int):
        self.dim = check_positive_int(dim, "dim")

    def draw(self, n, seed) -> tf.Tensor:
        """``n`` draws, float32 ``[n, k]``, from the stateless seed ``seed`` (int ``[2]``)."""
        raise NotImplementedError

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """``(mean [k], covariance [k, k])`` of the prior, float64."""
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"kind": self.kind, "dim": self.dim}

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` draws as float32 ``[n, k]``; the same ``seed`` gives the same draws (``None``: fresh ones)."""
        check_positive_int(n, "n")
        pair = tf.constant([seed, 0] if seed is not None else np.random.randint(0, 2**31 - 1, size=2), tf.int64)
        return self.draw(n, pair).numpy()

    def check_codes(self, codes, where: str) -> np.ndarray:
        """``codes`` as float64 ``[N, k]``; a ``ValueError`` naming ``where`` if their size is not the prior's."""
        codes = np.asarray(codes, dtype=np.float64)
        if codes.ndim != 2 or codes.shape[1] != self.dim:
            raise ValueError(
                f"{where}: the prior is over codes of size {self.dim} but got codes of shape {list(codes.shape)}"
            )
        return codes

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "kind")
        return f"{type(self).__name__}({options})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Prior) and self.get_config() == other.get_config()


class GaussianPrior(Prior):
    """``N(0, I)`` over codes of size ``dim``."""

    kind = "gaussian"

    def draw(self, n, seed) -> tf.Tensor:
        return tf.random.stateless_normal((n, self.dim), seed=seed)

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.dim), np.eye(self.dim)


class GaussianMixturePrior(Prior):
    """``components`` Gaussians ``N(m_c, sd² I)``, equally likely, means on a circle of ``radius``.

    The means lie in the plane of the first two coordinates, so ``dim`` must be at least 2;
    with ``dim = 2`` the prior is the ten-petal flower of Makhzani et al.'s figures.
    """

    kind = "gaussian_mixture"

    def __init__(self, dim: int, components: int = 10, radius: float = 4.0, sd: float = 0.5):
        super().__init__(dim)
        if self.dim < 2:
            raise ValueError(f"a mixture's means lie on a circle in two coordinates: dim must be >= 2, got {dim!r}")
        self.components = check_positive_int(components, "components")
        if not radius > 0 or not sd > 0:
            raise ValueError(f"radius and sd must be positive, got radius={radius!r}, sd={sd!r}")
        self.radius, self.sd = float(radius), float(sd)
        angles = 2 * math.pi * np.arange(self.components) / self.components
        means = np.zeros((self.components, self.dim))
        means[:, 0], means[:, 1] = self.radius * np.cos(angles), self.radius * np.sin(angles)
        self.means = means
        """float64 ``[C, k]``: the components' means."""

    def draw(self, n, seed) -> tf.Tensor:
        component = self.draw_components(n, seed)
        return self.draw_given(component, tf.random.experimental.stateless_fold_in(seed, 1))

    def draw_components(self, n, seed) -> tf.Tensor:
        """Which component each of ``n`` draws comes from: int32 ``[n]`` in ``0..C-1``, uniform."""
        return tf.random.stateless_uniform((n,), seed=seed, minval=0, maxval=self.components, dtype=tf.int32)

    def draw_given(self, component, seed) -> tf.Tensor:
        """One draw from each named component: ``m_c + sd·ε``, float32 ``[n, k]`` for int ``[n]`` components."""
        centres = tf.gather(tf.constant(self.means, tf.float32), component)
        return centres + self.sd * tf.random.stateless_normal(tf.shape(centres), seed=seed)

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        mean = self.means.mean(axis=0)
        spread = self.means - mean
        return mean, spread.T @ spread / self.components + self.sd**2 * np.eye(self.dim)

    def get_config(self) -> dict:
        return {**super().get_config(), "components": self.components, "radius": self.radius, "sd": self.sd}


PRIORS = {cls.kind: cls for cls in (GaussianPrior, GaussianMixturePrior)}


def prior_from_config(config: dict | Prior) -> Prior:
    """The prior a :meth:`Prior.get_config` describes (a prior passes through)."""
    if isinstance(config, Prior):
        return config
    config = dict(config)
    kind = config.pop("kind", None)
    if kind not in PRIORS:
        raise ValueError(f"unknown prior kind {kind!r}; choose one of {sorted(PRIORS)}")
    return PRIORS[kind](**config)


def code_distance_to_prior(codes, prior: Prior) -> float:
    """Fréchet distance from the Gaussian fitted to ``codes [N, k]`` to the prior's mean and covariance.

    ``‖μ − μ_p‖² + tr(Σ + Σ_p − 2(Σ Σ_p)^{1/2})``: 0 when the codes have the prior's first two
    moments (for :class:`GaussianPrior`, when they look like ``N(0, I)`` to second order). It
    compares moments only: codes in the wrong mixture shape can still score 0.
    """
    codes = prior.check_codes(codes, "code_distance_to_prior")
    if len(codes) < 2:
        raise ValueError(f"need at least 2 codes to fit a Gaussian, got {len(codes)}")
    mean, cov = prior.moments()
    return gaussian_frechet_distance(codes.mean(axis=0), np.cov(codes, rowvar=False), mean, cov)
