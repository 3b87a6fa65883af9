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


def test_the_augmentation_takes_its_policy_and_fill():
    gan = chapter.scarcity_gan(0, augment=True, policy=("color",), fill=-1.0)
    layer = next(layer for layer in gan.discriminator.layers if isinstance(layer, DiffAugment))
    assert layer.policy == ("color",) and layer.fill == -1.0
    assert set(chapter.ABLATION_ARMS) == {"none", "all", "all, fill 0", "color", "translation", "cutout"}


def test_discriminator_accuracy_is_the_share_called_real(train_images):
    gan = chapter.scarcity_gan(0)
    logit = gan.discriminator.get_layer("logit")
    logit.kernel.assign(np.zeros(logit.kernel.shape, np.float32))
    logit.bias.assign([1.0])
    assert chapter.discriminator_accuracy(gan, train_images[:10]) == 1.0
    logit.bias.assign([-1.0])
    assert chapter.discriminator_accuracy(gan, train_images[:10]) == 0.0
    assert chapter.fakes_called_real(gan, 10) == 0.0
    logit.bias.assign([1.0])
    assert chapter.fakes_called_real(gan, 10) == 1.0


def test_a_short_run_records_a_curve_per_check(train_images):
    test_like = train_images[-200:]
    reference = classifier_features(test_like)
    run = chapter.scarcity_run(train_images[:128], test_like[:150], reference, augment=True, seed=0, steps=4,
                               check_every=2, samples=100, check_samples=100)
    assert run["curve"]["step"] == [2, 4]
    assert len(run["curve"]["fd"]) == 2 and run["fd"] > 0 and 0 <= run["d_held_out"] <= 1
    assert run["d_train"] == run["curve"]["d_train"][-1] and run["d_fake"] == run["curve"]["d_fake"][-1]
    assert run["copying_control"] > 0 and {"border_ink", "grey_share", "centre_offset"} <= set(run)
    assert run["generate"](3).shape == (3, 28, 28, 1)
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


def test_pareto_front_counts_overlapping_ranges_as_a_tie():
    # b is cheaper than a only within the noise of its cost, so its lower loss does not push a off
    costs, losses = [(2.0, 3.0), (2.5, 3.5), (4.0, 5.0)], [77.0, (54.0, 78.0), 80.0]
    assert chapter.pareto_front(costs, losses) == [0, 1]               # c: surely dearer, loss no better
    assert chapter.pareto_front([2.5, 3.0, 4.5], [77.0, 66.0, 80.0]) == [0, 1]   # as plain numbers a and b stay
    assert chapter.pareto_front([(2.0, 3.0), (3.1, 3.5)], [77.0, 78.0]) == [0]     # surely cheaper and no worse
    with pytest.raises(ValueError, match=r"costs: an interval must be \(low, high\) with low <= high, got \(3, 2\)"):
        chapter.pareto_front([(3, 2)], [1.0])


def test_predicted_minutes_divide_the_images_by_the_measured_speeds():
    predicted, low, high = chapter.predicted_minutes(6000, [100.0, 50.0], extra_seconds=[30.0, 90.0])
    assert predicted == pytest.approx((6000 / 75 + 60) / 60)
    assert (low, high) == pytest.approx(((60 + 30) / 60, (120 + 90) / 60))
    with pytest.raises(ValueError, match="need positive rates"):
        chapter.predicted_minutes(6000, [100.0, 0.0])


def test_the_race_rows_carry_their_predicted_time_from_the_dcgan_recipes_speed():
    saved, speeds = results.load("pretrained_generator"), results.load("model_cost")["measurements"]
    rows = {r["name"]: r for r in chapter.race_rows(saved, speeds)}
    images = rows["scratch"]["steps"] * saved["settings"]["batch_size"]
    rate = np.mean(speeds["dcgan"]["train_images_per_second"])
    assert rows["scratch"]["predicted_minutes"][0] == pytest.approx(images / rate / 60)
    pretraining = np.mean(saved["measurements"]["pretrain_seconds"]) / 60
    assert rows["decoder"]["predicted_minutes"][0] == pytest.approx(images / rate / 60 + pretraining)
    assert "predicted_minutes" not in chapter.race_rows(saved)[0]


def test_the_results_files_hold_every_arm_for_every_seed():
    saved = results.load("data_scarcity")
    m, seeds = saved["measurements"], saved["seeds"]
    assert len(seeds) >= 3
    for n in saved["settings"]["sizes"]:
        for augment in (False, True):
            arm = m[chapter.arm_name(n, augment)]
            assert len(arm["fd"]) == len(seeds) and len(arm["curve"]) == len(seeds)
            assert arm["curve"][0]["step"][-1] == saved["settings"]["steps"]
    ablation = results.load("diff_augment")
    settings, measured = ablation["settings"], ablation["measurements"]
    assert set(measured) == {"seeds", "real", *chapter.ABLATION_ARMS}
    for name, arm in chapter.ABLATION_ARMS.items():
        row = measured[name]
        assert row["steps"] == (settings["long_steps"] if arm.get("long") else settings["steps"])
        assert len(row["fd"]) == len(row["curve"]) == len(ablation["seeds"])
        assert row["curve"][0]["step"][-1] == row["steps"] and settings["steps"] in row["curve"][0]["step"]
        assert chapter.decode_images(row["samples"]).shape == (16, 28, 28)
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


def test_the_copying_control_compares_equal_pools(train_images):
    pool, unseen = train_images[:100], train_images[300:600]
    assert chapter.copying_control(pool, pool, unseen) < 0.01  # copies (measured 0.0006)
    # other real digits sit as near one pool of 100 as the other (measured 0.95)
    assert 0.85 < chapter.copying_control(train_images[100:200], pool, unseen) < 1.15
    with pytest.raises(ValueError, match="at least as many held-out"):
        chapter.copying_control(pool[:10], pool, unseen[:50])


def test_sample_statistics_see_shifted_and_grey_digits(train_images):
    digits = train_images[:200]
    real = chapter.sample_statistics(digits)
    # MNIST (measured): border ink 0.008, grey share 0.05, centre of ink 0.77 pixels off centre
    assert real["border_ink"] < 0.02 and real["grey_share"] < 0.1 and real["centre_offset"] < 1.2
    shifted = chapter.sample_statistics(np.roll(digits, 5, axis=2))
    assert 4 < shifted["centre_offset"] < 6 and shifted["border_ink"] > 2 * real["border_ink"]
    grey = chapter.sample_statistics(np.full((4, 28, 28), 128, np.uint8))
    assert grey["grey_share"] == 1.0 and grey["centre_offset"] < 1e-3


def test_images_survive_their_encoding(train_images):
    np.testing.assert_array_equal(chapter.decode_images(chapter.encode_images(train_images[:5])), train_images[:5])


def test_the_ablation_runs_every_arm_for_every_seed(train_images):
    arms = {"none": {"augment": False, "long": True}, "cutout": {"augment": True, "policy": ("cutout",), "fill": -1.0}}
    test_like = train_images[-150:]
    out = chapter.augment_ablation(train_images[:600], test_like[:140], classifier_features(test_like), [0, 1], n=128,
                                   steps=2, long_steps=4, check_every=2, samples=100, keep=4, arms=arms)
    assert out["seeds"] == [0, 1] and set(out) == {"seeds", "real", "none", "cutout"}
    assert out["none"]["steps"] == 4 and out["cutout"]["steps"] == 2 and out["cutout"]["fill"] == -1.0
    assert out["none"]["policy"] == [] and out["cutout"]["policy"] == ["cutout"]
    assert len(out["none"]["fd"]) == 2 and out["none"]["curve"][0]["step"] == [2, 4]
    assert chapter.decode_images(out["cutout"]["samples"]).shape == (4, 28, 28)
