"""Helpers of the stacked-GAN chapter: noise use, the wall-time budget, the experiment's shape."""

from __future__ import annotations

import time

import keras
import numpy as np
import pytest

from aegan_tutorial import data
from aegan_tutorial.chapters import stacked_gans as chapter
from aegan_tutorial.evaluation import classifier_features

SMALL = {"feature_dim": 16, "noise_dim": 4, "filters": 4}


def test_build_stack_copies_a_trained_encoder(train_images, train_labels):
    trained = chapter.build_stack(0, **SMALL)
    trained.train_encoder(data.scale_images(train_images[:128], "tanh"), train_labels[:128], epochs=1)
    copy = chapter.build_stack(1, encoder_from=trained, lambda_ent=0.0, **SMALL)
    assert copy.compiled and copy.top.lambda_ent == 0.0 and copy.bottom.lambda_ent == 0.0
    for a, b in zip(trained.bottom.encoder.weights + trained.top.encoder.weights,
                    copy.bottom.encoder.weights + copy.top.encoder.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    with pytest.raises(ValueError, match="the encoders differ in shape"):
        chapter.copy_encoder(trained, chapter.build_stack(0, feature_dim=8, noise_dim=4, filters=4))


def test_noise_spread_is_zero_for_a_generator_that_ignores_its_noise(train_images):
    stack = chapter.build_stack(0, **SMALL)
    features = chapter.fixed_features(stack, train_images[:3])
    assert features.shape == (3, 16)
    assert chapter.noise_spread(stack, features, draws=8) > 1e-3  # an untrained G_0 reads its noise (measured 0.03)
    embedding = stack.bottom.generator.get_layer("noise_embedding")
    embedding.kernel.assign(np.zeros(embedding.kernel.shape, np.float32))  # z_0 no longer reaches the image
    assert chapter.noise_spread(stack, features, draws=8) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="draws"):
        chapter.noise_spread(stack, features, draws=1)


def test_noise_recovery_is_one_when_q_guesses_the_mean():
    stack = chapter.build_stack(0, **SMALL)
    last = stack.top.discriminator.get_layer("noise_recovered")
    last.kernel.assign(np.zeros(last.kernel.shape, np.float32))
    last.bias.assign(np.full(last.bias.shape, 0.5, np.float32))  # Q always answers E[z] = 1/2
    assert chapter.noise_recovery(stack.top, np.tile(np.arange(10), 300)) == pytest.approx(1.0, abs=0.05)


def test_train_for_seconds_stops_on_time(train_images):
    gan = chapter._race_dcgan(0)
    start = time.perf_counter()
    steps = chapter.train_for_seconds(gan, data.make_dataset(train_images[:128], batch_size=64, scale="tanh"), 2.0)
    assert steps >= 1 and time.perf_counter() - start < 60  # stops after the first step past 2 s
    with pytest.raises(ValueError, match="seconds must be positive"):
        chapter.train_for_seconds(gan, None, 0)


def test_the_experiment_gives_every_arm_for_every_seed(train_images, train_labels):
    reference = classifier_features(train_images[-20:])
    held = train_images[-3:]
    results = chapter.experiment(train_images[:128], train_labels[:128], held, reference, seeds=[0, 1], epochs=2,
                                 joint_epochs=1, race_seconds=1.0, samples=20)
    assert results["seeds"] == [0, 1]
    for arm in ("independent", "joint", "no entropy loss"):
        assert {"fd", "precision", "recall", "class_accuracy", "noise_spread", "noise_recovery_0",
                "noise_recovery_1"} <= set(results[arm])
        assert all(len(v) == 2 and np.all(np.isfinite(v)) for v in results[arm].values())
    for arm in ("coarse to fine", "dcgan"):
        assert {"fd", "precision", "recall", "steps"} == set(results[arm])
        assert min(results[arm]["steps"]) >= 1
    with pytest.raises(ValueError, match="joint_epochs \\(2\\) must be fewer than epochs \\(2\\)"):
        chapter.experiment(train_images[:128], train_labels[:128], held, reference, [0], 2, 2, 1.0, 20)


def test_the_end_to_end_experiment_starts_both_arms_from_one_state(train_images, train_labels):
    reference = classifier_features(train_images[-20:])
    results = chapter.end_to_end_experiment(train_images[:128], train_labels[:128], train_images[-3:], reference,
                                            seeds=[0, 1], epochs=2, joint_epochs=1, weight=0.5, samples=20)
    assert results["seeds"] == [0, 1] and results["weight"] == 0.5
    for arm in ("joint", "end to end"):
        assert {"fd", "class_accuracy", "noise_spread", "noise_recovery_1", "seconds"} <= set(results[arm])
        assert all(len(v) == 2 and np.all(np.isfinite(v)) for v in results[arm].values())
    assert results["joint"]["fd"] != results["end to end"]["fd"]  # the term changes what G_1 learns
    with pytest.raises(ValueError, match="weight must be > 0"):
        chapter.end_to_end_experiment(train_images[:128], train_labels[:128], train_images[-3:], reference, [0], 2, 1, 0.0)


def test_the_shipped_end_to_end_results_pair_both_arms_on_every_seed():
    """The chapter's verdict on the end-to-end term rests on this file: both arms, every measure, every seed."""
    from aegan_tutorial import results

    saved = results.load("stacked_gans_end_to_end")
    m, seeds = saved["measurements"], saved["seeds"]
    assert len(seeds) >= 3 and m["seeds"] == seeds and m["weight"] == saved["settings"]["end_to_end"] > 0
    assert set(m["joint"]) == set(m["end to end"]) >= {"fd", "recall", "class_accuracy", "noise_spread", "seconds"}
    assert all(len(values) == len(seeds) for arm in ("joint", "end to end") for values in m[arm].values())
    assert saved["settings"]["joint_epochs"] < saved["settings"]["epochs"]
