"""The generator chapter's codes against the prior (chapters.generator): fitted Gaussians, distances, typical regions."""

from __future__ import annotations

import numpy as np
import pytest

from aegan_tutorial.chapters import generator as latent


def test_fit_and_sample_recover_a_known_gaussian():
    rng = np.random.default_rng(0)
    mean, cov = np.array([3.0, -1.0]), np.array([[4.0, 1.5], [1.5, 1.0]])
    codes = rng.multivariate_normal(mean, cov, size=50_000)
    fitted = latent.fit_gaussian(codes)
    np.testing.assert_allclose(fitted.mean, mean, atol=0.05)  # measured: 0.0063 off
    np.testing.assert_allclose(fitted.cov, cov, atol=0.1)  # measured: 0.0077 off
    draws = latent.sample_gaussian(fitted, 50_000, seed=1)
    assert draws.shape == (50_000, 2) and draws.dtype == np.float32
    np.testing.assert_allclose(np.cov(draws.T), cov, atol=0.15)  # measured: 0.0089 off
    np.testing.assert_array_equal(draws, latent.sample_gaussian(fitted, 50_000, seed=1))


def test_distances_to_the_prior_are_zero_only_for_the_prior():
    prior = latent.CodeGaussian(np.zeros(3), np.eye(3))
    assert latent.frechet_to_prior(prior) == pytest.approx(0.0, abs=1e-9)
    assert latent.kl_to_prior(prior) == pytest.approx(0.0, abs=1e-12)
    shifted = latent.CodeGaussian(np.array([1.0, 0.0, 0.0]), 4 * np.eye(3))
    assert latent.frechet_to_prior(shifted) == pytest.approx(1.0 + 3 * (2 - 1) ** 2)
    assert latent.kl_to_prior(shifted) == pytest.approx(0.5 * (12 + 1 - 3 - 3 * np.log(4)))


def test_typical_region_holds_its_coverage_and_rejects_far_points():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(5000, 8)) * 5 + 20
    assert latent.typical_region(codes, codes, coverage=0.9).mean() == pytest.approx(0.9, abs=0.01)  # measured: 0.9000
    prior = rng.normal(size=(1000, 8))
    assert latent.typical_region(prior, codes).mean() == 0.0
    assert latent.typical_region(codes, prior).mean() == 0.0


@pytest.mark.parametrize("call,message", [
    (lambda: latent.fit_gaussian(np.ones(5)), "shape"),
    (lambda: latent.fit_gaussian(np.ones((1, 3))), "at least 2"),
    (lambda: latent.fit_gaussian(np.full((4, 2), np.inf)), "NaN"),
    (lambda: latent.sample_gaussian(latent.CodeGaussian(np.zeros(2), np.eye(3)), 5), "cov"),
    (lambda: latent.sample_gaussian(latent.CodeGaussian(np.zeros(2), np.eye(2)), 0), "n must"),
    (lambda: latent.kl_to_prior(latent.CodeGaussian(np.zeros(2), np.zeros((2, 2)))), "singular"),
    (lambda: latent.mahalanobis_sq(np.ones((3, 4)), latent.CodeGaussian(np.zeros(2), np.eye(2))), "coordinates"),
    (lambda: latent.typical_region(np.ones((3, 2)), np.ones((5, 2)), coverage=0.0), "coverage"),
])
def test_bad_input_is_refused_with_a_message_naming_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()
