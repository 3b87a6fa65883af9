"""The evaluation metrics: conversions, the Fréchet distance, precision and recall, class accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from aegan_tutorial import metrics
from aegan_tutorial.data import load_mnist


@pytest.fixture(scope="module")
def test_set(mnist_dir):
    return load_mnist("test", mnist_dir)


def test_to_uint8_maps_both_ranges_onto_pixels():
    tanh = np.array([-1.0, -0.5, 0.0, 1.0, 1.5], np.float32)
    images = np.broadcast_to(tanh[:, None, None, None], (5, 28, 28, 1))
    pixels = metrics.to_uint8(images, "tanh")
    assert pixels.dtype == np.uint8 and pixels.shape == (5, 28, 28)
    assert pixels[:, 0, 0].tolist() == [0, 64, 128, 255, 255]  # 1.5 is clipped
    sigmoid = np.broadcast_to(np.array([0.0, 0.5, 1.0], np.float32)[:, None, None], (3, 28, 28))
    assert metrics.to_uint8(sigmoid, "sigmoid")[:, 0, 0].tolist() == [0, 128, 255]


def test_to_uint8_round_trips_loader_pixels(test_set):
    from aegan_tutorial.data import scale_images

    images = test_set[0][:100]
    for scale in ("tanh", "sigmoid"):
        assert np.array_equal(metrics.to_uint8(scale_images(images, scale), scale), images)


def test_to_uint8_names_bad_input():
    with pytest.raises(TypeError, match="already pixels"):
        metrics.to_uint8(np.zeros((2, 28, 28), np.uint8), "tanh")
    with pytest.raises(ValueError, match=r"\[N, 28, 28\]"):
        metrics.to_uint8(np.zeros((2, 32, 32, 1), np.float32), "tanh")
    with pytest.raises(ValueError, match="non-finite"):
        metrics.to_uint8(np.full((2, 28, 28), np.nan, np.float32), "tanh")
    with pytest.raises(ValueError, match="scale"):
        metrics.to_uint8(np.zeros((2, 28, 28), np.float32), "relu")


def test_metrics_refuse_floats_and_point_to_to_uint8():
    floats = np.zeros((10, 28, 28, 1), np.float32)
    pixels = np.zeros((10, 28, 28), np.uint8)
    for call in (lambda: metrics.frechet_distance(floats, pixels),
                 lambda: metrics.precision_recall(pixels, floats),
                 lambda: metrics.class_accuracy(floats, np.zeros(10, int))):
        with pytest.raises(TypeError, match="to_uint8"):
            call()
    with pytest.raises(ValueError, match="at least 2"):
        metrics.frechet_distance(pixels[:1], pixels)


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
    assert metrics.frechet_distance_from_features(a, b) == pytest.approx(2.0, abs=0.02)  # (0-1)² + (1-2)²


def test_frechet_distance_survives_a_collapsed_set():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(500, 8))
    collapsed = np.repeat(real[:1], 500, axis=0)  # zero covariance: a singular product
    distance = metrics.frechet_distance_from_features(real, collapsed)
    assert np.isfinite(distance) and distance > 0.5 * np.trace(np.cov(real, rowvar=False))


def test_precision_and_recall_on_known_clouds():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(1000, 4))
    same = metrics.precision_recall_from_features(real, rng.normal(size=(1000, 4)))
    assert same.precision > 0.9 and same.recall > 0.9
    far = metrics.precision_recall_from_features(real, rng.normal(size=(1000, 4)) + 100.0)
    assert far == (0.0, 0.0)
    # collapsed: every sample is near one real point, realistic but covering little
    collapsed = metrics.precision_recall_from_features(real, real[:1] + 1e-3 * rng.normal(size=(1000, 4)))
    assert collapsed.precision == 1.0 and collapsed.recall < 0.05
    # off the manifold in a new direction: real data lies in a plane, fakes float above it
    flat = np.c_[real[:, :2], np.zeros((1000, 2))]
    above = np.c_[rng.normal(size=(1000, 2)), np.full((1000, 2), 0.5)]
    blurry = metrics.precision_recall_from_features(flat, above)
    assert blurry.precision < 0.1


def test_pretrained_classifier_reads_test_digits(test_set):
    images, labels = test_set
    assert metrics.class_accuracy(images, labels) >= 0.99
    assert metrics.class_accuracy(images[:2000], np.roll(labels[:2000], 1)) < 0.2
    assert metrics.predict_digits(images[:5]).dtype == np.int32


def test_generative_metrics_rank_real_digits_above_noise(test_set, mnist_dir):
    images, _ = test_set
    train, _ = load_mnist("train", mnist_dir)
    noise = np.random.default_rng(0).integers(0, 256, size=(1000, 28, 28), dtype=np.uint8)
    real_fd = metrics.frechet_distance(train[:1000], images[:1000])
    noise_fd = metrics.frechet_distance(noise, images[:1000])
    assert 0 < real_fd < noise_fd / 10  # 1,000 images per set: the floor is higher than at 10,000
    real_pr = metrics.precision_recall(images[:1000], train[:1000])
    noise_pr = metrics.precision_recall(images[:1000], noise)
    assert real_pr.precision > 0.6 and real_pr.recall > 0.6
    # noise covers none of the digits; its features huddle in one spot, which may fall inside a
    # few outlying digits' balls, so precision alone would not expose it
    assert noise_pr.recall == 0.0


def test_evaluation_images_are_a_fixed_fair_sample_of_the_test_set(test_set):
    images, labels = metrics.evaluation_images(2000)
    again, _ = metrics.evaluation_images(2000)
    assert images.dtype == np.uint8 and images.shape == (2000, 28, 28) and np.array_equal(images, again)
    assert not np.array_equal(images, test_set[0][:2000])  # not the prefix: the halves differ in writers
    counts = np.bincount(labels, minlength=10) / len(labels)
    assert np.all(np.abs(counts - np.bincount(test_set[1], minlength=10) / 10_000) < 0.02)
    whole, whole_labels = metrics.evaluation_images(10_000)
    assert sorted(map(bytes, whole)) == sorted(map(bytes, test_set[0]))  # all of them, reordered
    with pytest.raises(ValueError, match="at most 10000"):
        metrics.evaluation_images(10_001)


def test_reference_points_bracket_the_scale(mnist_dir):
    points = metrics.reference_points(2000)
    assert 0 < points["floor"] < points["ceiling"] / 20
    assert points == metrics.reference_points(2000)  # deterministic
    sets = metrics.reference_images(2000)
    assert {k: v.shape for k, v in sets.items()} == {k: (2000, 28, 28) for k in ("test", "train", "noise")}
    assert points["floor"] == pytest.approx(metrics.frechet_distance(sets["train"], sets["test"]), rel=1e-9)
    with pytest.raises(ValueError, match="at most"):
        metrics.reference_points(20_000)


def test_reconstruction_scores_of_known_models(test_set):
    images = test_set[0][:50]
    perfect = metrics.reconstruction_scores(lambda x: x, images)
    assert perfect == {"mse": 0.0, "psnr": float("inf")}
    blank = metrics.reconstruction_scores(lambda x: x * 0.0, images)
    expected = np.mean((images / 255.0) ** 2)
    assert blank["mse"] == pytest.approx(expected, rel=1e-6)
    assert blank["psnr"] == pytest.approx(10 * np.log10(1 / expected), rel=1e-6)
