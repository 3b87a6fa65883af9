"""Helpers of the chapter "Cost, data and speed": subsets, the discriminator's accuracy, the runs, the Pareto front."""

from __future__ import annotations

import numpy as np
import pytest

from aegan_tutorial import results
from aegan_tutorial.chapters import cost_data_speed as chapter
from aegan_tutorial.evaluation import classifier_features
from aegan_tutorial.models.augment import DiffAugment


def test_training_subset_draws_distinct_images_by_seed(train_images):
    a = chapter.training_subset(train_images, 500, seed=0)
    assert a.shape == (500, 28, 28)
    assert len({image.tobytes() for image in a}) == 500
    np.testing.assert_array_equal(a, chapter.training_subset(train_images, 500, seed=0))
    assert not np.array_equal(a, chapter.training_subset(train_images, 500, seed=1))
    assert chapter.training_subset(train_images, len(train_images)) is train_images
    with pytest.raises(ValueError, match="only"):
        chapter.training_subset(train_images, len(train_images) + 1)


def test_the_two_arms_start_from_the_same_generator():
    plain, augmented = chapter.scarcity_gan(3), chapter.scarcity_gan(3, augment=True)
    for a, b in zip(plain.generator.weights, augmented.generator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert any(isinstance(layer, DiffAugment) for layer in augmented.discriminator.layers)
    assert not any(isinstance(layer, DiffAugment) for layer in plain.discriminator.layers)
    assert augmented.ema_decay == plain.ema_decay == 0.999  # the dcgan recipe, average included


def test_discriminator_accuracy_is_the_share_called_real(train_images):
    gan = chapter.scarcity_gan(0)
    logit = gan.discriminator.get_layer("logit")
    logit.kernel.assign(np.zeros(logit.kernel.shape, np.float32))
    logit.bias.assign([1.0])
    assert chapter.discriminator_accuracy(gan, train_images[:10]) == 1.0
    logit.bias.assign([-1.0])
    assert chapter.discriminator_accuracy(gan, train_images[:10]) == 0.0


def test_a_short_run_records_a_curve_per_check(train_images):
    test_like = train_images[-200:]
    reference = classifier_features(test_like)
    run = chapter.scarcity_run(train_images[:128], test_like[:50], reference, augment=True, seed=0, steps=4,
                               check_every=2, samples=100, check_samples=100)
    assert run["curve"]["step"] == [2, 4]
    assert len(run["curve"]["fd"]) == 2 and run["fd"] > 0 and 0 <= run["d_held_out"] <= 1
    assert run["d_train"] == run["curve"]["d_train"][-1]
    with pytest.raises(ValueError, match="multiple"):
        chapter.scarcity_run(train_images[:128], test_like, reference, False, steps=5, check_every=2)
    with pytest.raises(ValueError, match="one batch"):
        chapter.scarcity_run(train_images[:10], test_like, reference, False)


def test_pareto_front_keeps_the_unbeaten():
    costs, losses = [1, 2, 3, 4, 2], [9, 5, 6, 1, 5]
    assert chapter.pareto_front(costs, losses) == [0, 1, 4, 3]  # 3 at cost 3 is beaten by cost 2 with loss 5
    assert chapter.pareto_front([1], [1]) == [0]
    with pytest.raises(ValueError, match="one length"):
        chapter.pareto_front([1, 2], [1])


def test_the_results_files_hold_every_arm_for_every_seed():
    saved = results.load("data_scarcity")
    m, seeds = saved["measurements"], saved["seeds"]
    assert len(seeds) >= 3
    for n in saved["settings"]["sizes"]:
        for augment in (False, True):
            arm = m[chapter.arm_name(n, augment)]
            assert len(arm["fd"]) == len(seeds) and len(arm["curve"]) == len(seeds)
            assert arm["curve"][0]["step"][-1] == saved["settings"]["steps"]
    cost = results.load("model_cost")["measurements"]
    assert set(cost) == {"dcgan", "cgan", "scgan", "began", "sgan", "aae", "vae"}
    assert all(min(v) > 0 for row in cost.values() for k, v in row.items() if k.startswith("train_images"))


def test_nearest_distances_and_the_copying_ratio(train_images):
    pool, unseen = train_images[:300], train_images[300:400]
    # each finds itself (float32 cancellation: measured up to 0.0103; a test digit's nearest training
    # digit lies at a median 4.7)
    np.testing.assert_allclose(chapter.nearest_distances(pool[:50], pool), 0.0, atol=0.02)
    brute = [min(np.linalg.norm(x.astype(float) / 255 - p.astype(float) / 255) for p in pool) for x in unseen[:5]]
    np.testing.assert_allclose(chapter.nearest_distances(unseen[:5], pool), brute, rtol=1e-3)
    assert chapter.copying_ratio(pool[:100], pool, unseen) < 0.01  # copies of training images (measured 0.0007)
    assert 0.8 < chapter.copying_ratio(train_images[400:500], pool, unseen) < 1.25  # other real digits (measured 1.09)
