"""k-means: points in, a cluster number per point out.

The self-conditioned GAN (:class:`~aegan_tutorial.models.SelfConditionedGAN`) trains on the
clusters of an encoder's codes in place of digit labels; this module finds those clusters.

* :func:`kmeans`: Lloyd's algorithm (1982) from the k-means++ start of Arthur and Vassilvitskii
  (2007), seeded, so the same points and seed give the same clusters;
* :func:`nearest_centre`: which of ``k`` centres each point is closest to;
* :func:`cluster_shares`: the share of the points in each cluster.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import check_positive_int

__all__ = ["Clusters", "cluster_shares", "kmeans", "nearest_centre"]


class Clusters(NamedTuple):
    """What :func:`kmeans` found."""

    assignments: np.ndarray
    """int32 ``[N]``: the cluster of each point, ``0 … k-1``."""
    centres: np.ndarray
    """float32 ``[k, d]``: the mean of each cluster's points."""
    iterations: int
    """Lloyd iterations run (fewer than allowed when the assignments stopped changing)."""


def _check_points(points, what: str = "points") -> np.ndarray:
    array = np.asarray(points)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{what} must have shape [N, d] with N, d >= 1, got {list(array.shape)}")
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{what} must be real numbers, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} hold {int(np.sum(~np.isfinite(array)))} non-finite values (NaN or inf)")
    return array


def _squared_distances(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """``[N, k]``: ‖x_i − c_j‖², as ‖x‖² − 2 x·c + ‖c‖² (no ``[N, k, d]`` array), never below 0."""
    d2 = (points**2).sum(1)[:, None] - 2.0 * points @ centres.T + (centres**2).sum(1)[None, :]
    return np.maximum(d2, 0.0)


def nearest_centre(points, centres) -> np.ndarray:
    """int32 ``[N]``: for each row of ``points [N, d]``, the index of the closest row of ``centres [k, d]``."""
    points, centres = _check_points(points), _check_points(centres, "centres")
    if points.shape[1] != centres.shape[1]:
        raise ValueError(f"points have {points.shape[1]} dimensions but the centres {centres.shape[1]}")
    return _squared_distances(points, centres).argmin(1).astype(np.int32)


def kmeans(points, k: int, seed: int = 0, max_iterations: int = 100) -> Clusters:
    """Split ``points`` into ``k`` clusters that minimise the squared distance to their centres.

    The start is k-means++: the first centre a random point, each next one a point drawn with
    probability proportional to its squared distance from the nearest centre so far. Then
    Lloyd's two steps alternate: assign each point to its nearest centre, move each centre to
    its points' mean (a centre left without points stays where it is).

    Parameters
    ----------
    points
        ``[N, d]`` real numbers, e.g. an encoder's codes of ``N`` images.
    k
        Number of clusters, ``1 ≤ k ≤ N``.
    seed
        Seeds the k-means++ draws.
    max_iterations
        Stop after this many Lloyd iterations if the assignments still change.

    Returns
    -------
    Clusters
        ``assignments`` int32 ``[N]``, ``centres`` float32 ``[k, d]``, ``iterations``.
    """
    x = _check_points(points)
    check_positive_int(k, "k")
    check_positive_int(max_iterations, "max_iterations")
    if k > len(x):
        raise ValueError(f"cannot split {len(x)} points into k = {k} clusters: k must be at most the number of points")
    rng = np.random.default_rng(seed)
    centres = np.empty((k, x.shape[1]))
    centres[0] = x[rng.integers(len(x))]
    closest = _squared_distances(x, centres[:1])[:, 0]
    for j in range(1, k):
        total = closest.sum()
        # all points already on a centre (fewer distinct points than k): any point will do
        index = rng.choice(len(x), p=closest / total) if total > 0 else rng.integers(len(x))
        centres[j] = x[index]
        closest = np.minimum(closest, _squared_distances(x, centres[j : j + 1])[:, 0])
    assignments = np.full(len(x), -1)
    for iteration in range(1, max_iterations + 1):
        new = _squared_distances(x, centres).argmin(1)
        if np.array_equal(new, assignments):
            return Clusters(assignments.astype(np.int32), centres.astype(np.float32), iteration - 1)
        assignments = new
        counts = np.bincount(assignments, minlength=k)
        sums = np.zeros_like(centres)
        np.add.at(sums, assignments, x)
        filled = counts > 0
        centres[filled] = sums[filled] / counts[filled, None]
    return Clusters(assignments.astype(np.int32), centres.astype(np.float32), max_iterations)


def cluster_shares(assignments, k: int) -> np.ndarray:
    """float64 ``[k]``: the share of ``assignments`` (ints ``0 … k-1``) in each cluster; sums to 1."""
    check_positive_int(k, "k")
    a = np.asarray(assignments)
    if a.ndim != 1 or a.size == 0 or not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"assignments must be a non-empty int array [N], got {a.dtype} {list(a.shape)}")
    if a.min() < 0 or a.max() >= k:
        raise ValueError(f"assignments must lie in 0..{k - 1}, found {int(a.min())}..{int(a.max())}")
    return np.bincount(a, minlength=k) / a.size
