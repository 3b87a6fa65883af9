"""Principal component analysis, the linear baseline for encoders and autoencoders."""

from __future__ import annotations

import numpy as np


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
        if isinstance(n_components, bool) or not isinstance(n_components, int) or n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {n_components!r}")
        self.n_components = n_components

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
