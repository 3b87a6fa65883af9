"""Helpers of the adversarial-autoencoder chapter: equal arms, equal steps, one way of scoring."""

from __future__ import annotations

import numpy as np
import pytest

from aegan_tutorial import data, models, results
from aegan_tutorial.chapters import adversarial_autoencoders as aa


def test_the_arms_share_the_encoder_and_decoder_and_differ_only_in_the_prior_term():
    built = {arm: aa.build_arm(arm, latent_dim=4, seed=0) for arm in aa.ARMS + aa.TRAPS}
    assert isinstance(built["plain"], models.Autoencoder)
    assert isinstance(built["vae"], models.VariationalAutoencoder)
    assert isinstance(built["aae"], models.AdversarialAutoencoder)
    decoders = {arm: [w.shape for w in m.decoder.get_weights()] for arm, m in built.items()}
    assert all(shapes == decoders["plain"] for shapes in decoders.values())
    encoders = {arm: [w.shape for w in m.encoder.get_weights()] for arm, m in built.items()}
    assert encoders["aae"] == encoders["plain"] and encoders["vae"][:-2] == encoders["plain"][:-2]  # all but the code layer
    assert encoders["vae"][-1] == (8,)  # mean and log-variance
    assert any("batchnorm" in layer.name for layer in built["aae + batchnorm"].discriminator.layers)
    assert not any("batchnorm" in layer.name for layer in built["aae"].discriminator.layers)
    with pytest.raises(ValueError, match="arm must be one of 'plain', 'vae', 'aae', 'aae \\+ batchnorm'; got 'gan'"):
        aa.build_arm("gan")
    with pytest.raises(ValueError, match="only the adversarial autoencoder has the supervised"):
        aa.build_arm("vae", labels=True)


def test_train_arm_takes_exactly_the_steps_asked_for(train_images):
    model = aa.build_arm("aae", latent_dim=4, seed=0)
    logs = aa.train_arm(model, train_images[:500], steps=130, seed=0)
    assert len(logs["reconstruction"]) == 130 and set(logs) == {"reconstruction", "d_loss", "g_loss", "d_accuracy"}
    assert int(model.ae_optimizer.iterations) == int(model.d_optimizer.iterations) == 130


def test_score_arm_measures_codes_reconstructions_and_samples(train_images, mnist_train):
    test = data.scale_images(train_images[-300:], "sigmoid")
    for arm in ("plain", "vae"):
        model = aa.build_arm(arm, latent_dim=4, seed=0)
        aa.train_arm(model, train_images[:1000], steps=30, seed=0)
        scores = aa.score_arm(model, test, samples=200)
        assert set(scores) == {"code_distance", "mse", "fd", "precision", "recall", "reconstruction_fd"}
        assert 0 < scores["mse"] < 0.2 and scores["fd"] > 0 and 0 <= scores["recall"] <= 1
    with pytest.raises(ValueError, match="need at least 400 test images to score 400 samples, got 300"):
        aa.score_arm(model, test, samples=400)


def test_posterior_draws_spread_around_the_means(train_images):
    vae = aa.build_arm("vae", latent_dim=4, seed=0)
    images = data.scale_images(train_images[:2000], "sigmoid")
    means, draws = vae.encode(images), aa.posterior_draws(vae, images, seed=0)
    assert draws.shape == means.shape == (2000, 4)
    np.testing.assert_allclose(draws.mean(axis=0), means.mean(axis=0), atol=0.1)
    assert draws.var(axis=0).mean() > means.var(axis=0).mean()  # total variance = variance of means + posterior variance
    np.testing.assert_array_equal(draws, aa.posterior_draws(vae, images, seed=0))


def test_the_shipped_results_file_compares_every_arm_over_three_seeds():
    saved = results.load("adversarial_autoencoders")
    assert len(saved["seeds"]) >= 3
    for arm in aa.ARMS + aa.TRAPS:
        for key in ("code_distance", "mse", "fd", "precision", "recall", "reconstruction_fd", "seconds"):
            assert len(saved["measurements"][arm][key]) == len(saved["seeds"])
    assert saved["command"].startswith("python benchmarks/adversarial_autoencoders.py")
