"""The pure metrics: the Fréchet distance, precision and recall, distances, reconstruction error and PSNR.

Features and images in, numbers out: nothing here loads a model or a data set (those tests
are in test_evaluation.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from aegan_tutorial import metrics


def test_frechet_distance_matches_its_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 6)) @ rng.normal(size=(6, 6))
    assert metrics.frechet_distance_from_features(a, a) == pytest.approx(0.0, abs=1e-6)
    # b = c·a + s has covariance c²Σ, so (Σ_a Σ_b)^½ = cΣ and FD = ‖μ_a − μ_b‖² + (1 − c)² tr Σ
    c, shift = 2.0, np.arange(6.0)
    b = c * a + shift
    expected = np.sum((a.mean(0) - b.mean(0)) ** 2) + (1 - c) ** 2 * np.trace(np.cov(a, rowvar=False))
    assert metrics.frechet_distance_from_features(a, b) == pytest.approx(expected, rel=1e-6)
    assert metrics.frechet_distance_from_features(b, a) == pytest.approx(expected, rel=1e-6)


def test_frechet_distance_in_one_dimension_is_the_gaussian_formula():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, (200_000, 1)), rng.normal(1, 2, (200_000, 1))
    assert metrics.frechet_distance_from_features(a, b) == pytest.approx(2.0, abs=0.02)  # (0-1)² + (1-2)²; measured 2.017


def test_frechet_distance_survives_a_collapsed_set():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(500, 8))
    collapsed = np.repeat(real[:1], 500, axis=0)  # zero covariance: a singular product
    distance = metrics.frechet_distance_from_features(real, collapsed)
    # measured: 12.2 against tr Σ = 8.06 (the collapsed set keeps ‖μ − x₀‖² + tr Σ)
    assert np.isfinite(distance) and distance > 0.5 * np.trace(np.cov(real, rowvar=False))


def test_precision_and_recall_on_known_clouds():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(1000, 4))
    same = metrics.precision_recall_from_features(real, rng.normal(size=(1000, 4)))
    assert same.precision > 0.9 and same.recall > 0.9  # measured: 0.944 and 0.952
    far = metrics.precision_recall_from_features(real, rng.normal(size=(1000, 4)) + 100.0)
    assert far == (0.0, 0.0)
    # collapsed: every sample is near one real point, realistic but covering little
    collapsed = metrics.precision_recall_from_features(real, real[:1] + 1e-3 * rng.normal(size=(1000, 4)))
    assert collapsed.precision == 1.0 and collapsed.recall < 0.05  # measured recall: 0.001
    # off the manifold in a new direction: real data lies in a plane, fakes float above it
    flat = np.c_[real[:, :2], np.zeros((1000, 2))]
    above = np.c_[rng.normal(size=(1000, 2)), np.full((1000, 2), 0.5)]
    blurry = metrics.precision_recall_from_features(flat, above)
    assert blurry.precision < 0.1  # measured: 0.006


def test_gaussian_frechet_distance_of_known_moments():
    eye = np.eye(3)
    assert metrics.gaussian_frechet_distance(np.zeros(3), eye, np.zeros(3), eye) == pytest.approx(0.0, abs=1e-12)
    # N(m, I) vs N(0, 4I): ‖m‖² + 3·(1 − 2)²
    m = np.array([1.0, 2.0, 2.0])
    assert metrics.gaussian_frechet_distance(m, eye, np.zeros(3), 4 * eye) == pytest.approx(9.0 + 3.0)
    # it is what frechet_distance_from_features computes from the sample moments
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(300, 3)), rng.normal(size=(300, 3)) * 2 + 1
    moments = [(x.mean(0), np.cov(x, rowvar=False)) for x in (a, b)]
    assert metrics.gaussian_frechet_distance(*moments[0], *moments[1]) == pytest.approx(
        metrics.frechet_distance_from_features(a, b), rel=1e-12
    )


def test_frechet_distance_refuses_too_few_rows_or_mismatched_sizes():
    with pytest.raises(ValueError, match="at least 2 rows"):
        metrics.frechet_distance_from_features(np.zeros((1, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="same d"):
        metrics.frechet_distance_from_features(np.zeros((5, 3)), np.zeros((5, 4)))


def test_pairwise_distances_match_the_definition():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(7, 4)), rng.normal(size=(5, 4))
    expected = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    np.testing.assert_allclose(metrics.pairwise_distances(a, b), expected, rtol=1e-10)
    np.testing.assert_allclose(metrics.pairwise_distances(a, b, squared=True), expected**2, rtol=1e-10)
    self_distances = metrics.pairwise_distances(a, a)
    assert self_distances.shape == (7, 7) and np.all(self_distances >= 0)
    np.testing.assert_allclose(np.diag(self_distances), 0.0, atol=1e-6)
    images = rng.uniform(size=(3, 28, 28, 1))  # images are flattened
    np.testing.assert_allclose(metrics.pairwise_distances(images, images[:1])[:, 0],
                               np.linalg.norm((images - images[:1]).reshape(3, -1), axis=1), rtol=1e-10, atol=1e-6)
    with pytest.raises(ValueError, match="same size"):
        metrics.pairwise_distances(a, np.zeros((2, 3)))


def test_knn_radii_are_the_distance_to_the_kth_other_point():
    points = np.array([[0.0], [1.0], [3.0], [6.0], [10.0]])  # gaps 1, 2, 3, 4
    np.testing.assert_allclose(metrics.knn_radii(points, k=1), [1, 1, 2, 3, 4])
    np.testing.assert_allclose(metrics.knn_radii(points, k=2), [3, 2, 3, 4, 7])
    np.testing.assert_allclose(metrics.knn_radii(points, k=2, chunk=2), metrics.knn_radii(points, k=2))
    with pytest.raises(ValueError, match="more than k=5"):
        metrics.knn_radii(points, k=5)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        metrics.knn_radii(points, k=0)


def test_precision_recall_refuses_too_few_points():
    with pytest.raises(ValueError, match="more than k=3"):
        metrics.precision_recall_from_features(np.zeros((3, 2)), np.zeros((10, 2)))


def test_psnr_of_known_errors():
    assert metrics.psnr(0.01) == pytest.approx(20.0)
    assert metrics.psnr(0.001) == pytest.approx(30.0)
    assert metrics.psnr(255.0**2 / 100, peak=255) == pytest.approx(20.0)
    assert metrics.psnr(0.0) == math.inf
    assert metrics.psnr(0.005) - metrics.psnr(0.01) == pytest.approx(10 * math.log10(2))  # halving: +3 dB
    with pytest.raises(ValueError, match="mse must be a finite number >= 0, got -0.1"):
        metrics.psnr(-0.1)
    with pytest.raises(ValueError, match="peak must be a positive number"):
        metrics.psnr(0.1, peak=0)


@pytest.fixture(scope="module")
def digits(train_images) -> np.ndarray:
    """300 digits, float [N, 28, 28, 1] in [0, 1]."""
    from aegan_tutorial.data import scale_images

    return scale_images(train_images[1000:1300], "sigmoid")


def test_reconstruction_mse_of_known_functions(digits):
    test = digits
    assert metrics.reconstruction_mse(lambda x: x, test) == 0.0
    blank = metrics.reconstruction_mse(lambda x: np.zeros_like(x), test)
    assert blank == pytest.approx(float(np.mean(test.astype(np.float64) ** 2)), rel=1e-6)
    # batches are only a memory bound: the answer does not depend on them
    half = lambda x: x / 2  # noqa: E731
    assert metrics.reconstruction_mse(half, test, batch_size=7) == pytest.approx(
        metrics.reconstruction_mse(half, test, batch_size=500), rel=1e-9
    )
    # with targets: how far the (identity) output is from other images
    noisy = np.clip(test + np.random.default_rng(0).normal(0, 0.3, test.shape), 0, 1).astype(np.float32)
    assert metrics.reconstruction_mse(lambda x: x, noisy, targets=test) == pytest.approx(
        float(np.mean((noisy.astype(np.float64) - test) ** 2))
    )


def test_reconstruction_mse_rejects_mismatches(digits):
    test = digits
    with pytest.raises(ValueError, match="targets must match images"):
        metrics.reconstruction_mse(lambda x: x, test, targets=test[:10])
    with pytest.raises(ValueError, match="returned \\[10, 14, 14, 1\\]"):
        metrics.reconstruction_mse(lambda x: x[:, ::2, ::2], test[:10])
    with pytest.raises(ValueError, match="shape \\[N, 28, 28, 1\\], got \\[300, 28, 28\\]"):
        metrics.reconstruction_mse(lambda x: x, test[..., 0])


def test_mean_image_mse_is_the_best_constant_guess(digits):
    train, test = digits[:200], digits[200:]
    baseline = metrics.mean_image_mse(train, test)
    mean = train.astype(np.float64).mean(axis=0)
    assert baseline == pytest.approx(metrics.reconstruction_mse(lambda x: np.broadcast_to(mean, x.shape), test), rel=1e-6)
    # no other constant image does better on the images whose mean it is
    assert metrics.mean_image_mse(test, test) < metrics.mean_image_mse(train, test)
    assert 0.0 < baseline < metrics.reconstruction_mse(lambda x: np.zeros_like(x), test)   # beats a blank image
    with pytest.raises(TypeError, match="test_images must be floats"):
        metrics.mean_image_mse(train, (test * 255).astype(np.uint8))
    with pytest.raises(ValueError, match="train_images must have shape"):
        metrics.mean_image_mse(train[..., 0], test)


def test_reconstruct_runs_in_batches_and_checks_the_output():
    images = np.random.default_rng(6).uniform(size=(11, 28, 28, 1)).astype(np.float32)
    out = metrics.reconstruct(lambda x: 1.0 - x, images, batch_size=4)
    assert out.dtype == np.float32 and out.shape == images.shape
    np.testing.assert_allclose(out, 1.0 - images, atol=1e-7)
    with pytest.raises(TypeError, match="uint8"):
        metrics.reconstruct(lambda x: x, (images * 255).astype(np.uint8))
