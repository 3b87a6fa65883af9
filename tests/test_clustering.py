"""k-means finds the clusters it is shown, repeats itself for a seed, and refuses what it cannot split."""

from __future__ import annotations

import numpy as np
import pytest

from aegan_tutorial.clustering import cluster_shares, kmeans, nearest_centre


def three_blobs(n_each: int = 50, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """150 points in 2-D around (0, 0), (10, 0) and (0, 10), sd 0.5, and which blob each came from."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    blob = np.repeat(np.arange(3), n_each)
    return centres[blob] + 0.5 * rng.standard_normal((3 * n_each, 2)), blob


def test_kmeans_finds_well_separated_blobs():
    points, blob = three_blobs()
    found = kmeans(points, 3, seed=0)
    assert found.assignments.dtype == np.int32 and found.centres.dtype == np.float32
    # one cluster per blob, whatever the numbering
    pairs = set(zip(blob.tolist(), found.assignments.tolist()))
    assert len(pairs) == 3 and len({c for _, c in pairs}) == 3
    for b, c in pairs:
        np.testing.assert_allclose(found.centres[c], points[blob == b].mean(0), rtol=1e-5, atol=1e-5)
    assert 1 <= found.iterations < 100  # converged: the assignments stopped changing
    np.testing.assert_array_equal(nearest_centre(points, found.centres), found.assignments)


def test_kmeans_repeats_itself_for_a_seed_and_its_clusters_cover_every_point():
    points = np.random.default_rng(1).standard_normal((300, 4))
    a, b = kmeans(points, 7, seed=2), kmeans(points, 7, seed=2)
    np.testing.assert_array_equal(a.assignments, b.assignments)
    np.testing.assert_array_equal(a.centres, b.centres)
    assert sorted(set(a.assignments.tolist())) == list(range(7))
    shares = cluster_shares(a.assignments, 7)
    assert shares.shape == (7,) and shares.sum() == pytest.approx(1.0) and (shares > 0).all()


def test_kmeans_with_fewer_distinct_points_than_clusters_still_returns_k_centres():
    points = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0]]), 5, axis=0)
    found = kmeans(points, 4, seed=0)
    assert found.centres.shape == (4, 2) and set(found.assignments.tolist()) <= {0, 1, 2, 3}
    np.testing.assert_array_equal(found.assignments[:5], found.assignments[0])  # equal points, one cluster


def test_bad_input_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="cannot split 3 points into k = 4 clusters"):
        kmeans(np.zeros((3, 2)), 4)
    with pytest.raises(ValueError, match=r"points must have shape \[N, d\].*got \[5\]"):
        kmeans(np.zeros(5), 2)
    with pytest.raises(ValueError, match="1 non-finite values"):
        kmeans(np.array([[0.0], [np.nan], [1.0]]), 2)
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        kmeans(np.zeros((3, 2)), 0)
    with pytest.raises(TypeError, match="points must be real numbers"):
        kmeans(np.array([["a"], ["b"]]), 1)
    with pytest.raises(ValueError, match="points have 2 dimensions but the centres 3"):
        nearest_centre(np.zeros((4, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"assignments must lie in 0..2, found 0..3"):
        cluster_shares(np.array([0, 3]), 3)
