"""PCA (chapters.encoder): orthonormal directions by variance, exact at full rank, optimal among rank-k projections."""

from __future__ import annotations

import numpy as np
import pytest

from aegan_tutorial.chapters.encoder import PCA


def test_recovers_a_known_direction_and_reconstructs_exactly_at_full_rank():
    rng = np.random.default_rng(0)
    direction = np.array([3.0, 4.0]) / 5.0
    x = rng.normal(size=(500, 1)) * 10 * direction + rng.normal(size=(500, 2)) * 0.1 + [1.0, -2.0]
    pca = PCA(1).fit(x)
    assert abs(pca.components[0] @ direction) == pytest.approx(1.0, abs=1e-3)
    assert pca.explained_variance_ratio[0] > 0.99
    full = PCA(2).fit(x)
    np.testing.assert_allclose(full.components @ full.components.T, np.eye(2), atol=1e-10)
    np.testing.assert_allclose(full.inverse_transform(full.transform(x)), x, atol=1e-10)


def test_error_falls_with_more_components_on_images():
    rng = np.random.default_rng(1)
    images = rng.uniform(size=(200, 8, 8))
    errors = []
    for k in (1, 4, 16, 64):
        pca = PCA(k).fit(images)
        errors.append(np.mean((pca.inverse_transform(pca.transform(images), (8, 8)) - images) ** 2))
    assert errors == sorted(errors, reverse=True) and errors[-1] < 1e-20


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match="n_components must be a positive integer"):
        PCA(0)
    with pytest.raises(ValueError, match=r"n_components=5 exceeds min\(N, D\) = 3"):
        PCA(5).fit(np.zeros((3, 10)))
