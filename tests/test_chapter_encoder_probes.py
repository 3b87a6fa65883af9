"""Linear probes (chapters.encoder) score what a linear read-out can find, repeat exactly, and refuse bad inputs clearly."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from aegan_tutorial.models import build_encoder
from aegan_tutorial.chapters.encoder import encode, linear_probe, majority_baseline, standardise


def clusters(n: int, seed: int, dim: int = 12, spread: float = 0.3):
    """Ten well-separated Gaussian blobs: ``[n, dim]`` features and their ``[n]`` labels."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(123).normal(size=(10, dim)) * 3.0  # same centres for every split
    labels = rng.integers(0, 10, n)
    return (centres[labels] + spread * rng.normal(size=(n, dim))).astype(np.float32), labels


def test_probe_separates_linearly_separable_classes():
    x_train, y_train = clusters(1000, seed=0)
    x_test, y_test = clusters(500, seed=1)
    assert linear_probe(x_train, y_train, x_test, y_test) >= 0.99  # measured: 1.0


def test_probe_is_at_chance_on_random_labels():
    rng = np.random.default_rng(0)
    x_train, x_test = rng.normal(size=(1000, 20)), rng.normal(size=(2000, 20))
    y_train, y_test = rng.integers(0, 10, 1000), rng.integers(0, 10, 2000)
    accuracy = linear_probe(x_train, y_train, x_test, y_test)
    assert abs(accuracy - 0.1) < 0.04  # chance is 1/10; the standard error here is about 0.007; measured: 0.110


def test_probe_repeats_exactly_and_ignores_feature_scales():
    x_train, y_train = clusters(600, seed=0, spread=2.0)  # overlapping blobs: accuracy well below 1
    x_test, y_test = clusters(600, seed=1, spread=2.0)
    first = linear_probe(x_train, y_train, x_test, y_test, epochs=3, seed=5)
    assert 0.3 < first < 0.99  # measured: 0.937
    assert linear_probe(x_train, y_train, x_test, y_test, epochs=3, seed=5) == first
    # standardisation with the training statistics makes units and offsets irrelevant
    scale, shift = np.geomspace(1e-3, 1e3, x_train.shape[1]), 50.0
    rescaled = linear_probe(x_train * scale + shift, y_train, x_test * scale + shift, y_test, epochs=3, seed=5)
    assert rescaled == pytest.approx(first, abs=0.01)  # measured: equal


def test_probe_reads_image_shaped_features_as_flat_rows():
    x_train, y_train = clusters(300, seed=0, spread=2.0)
    x_test, y_test = clusters(300, seed=1, spread=2.0)
    flat = linear_probe(x_train, y_train, x_test, y_test, epochs=2)
    images = linear_probe(x_train.reshape(300, 3, 4, 1), y_train, x_test.reshape(300, 3, 4, 1), y_test, epochs=2)
    assert images == flat


def test_standardise_uses_training_statistics_and_survives_constant_features():
    rng = np.random.default_rng(0)
    train = np.column_stack([rng.normal(5.0, 3.0, 500), np.full(500, 7.0)])
    test = np.array([[5.0, 7.0], [8.0, 7.0]])
    train_z, test_z = standardise(train, test)
    assert train_z.dtype == np.float32 and test_z.shape == (2, 2)
    np.testing.assert_allclose(train_z[:, 0].mean(), 0.0, atol=1e-5)
    np.testing.assert_allclose(train_z[:, 0].std(), 1.0, atol=1e-5)
    np.testing.assert_array_equal(train_z[:, 1], 0.0)  # a constant column is centred, not divided by 0
    np.testing.assert_allclose(test_z[:, 0], (test[:, 0] - train[:, 0].mean()) / train[:, 0].std(), rtol=1e-5)


def test_majority_baseline_answers_the_most_frequent_training_digit():
    assert majority_baseline([3, 3, 3, 1], [3, 1, 3, 0]) == 0.5
    with pytest.raises(ValueError, match="must not be empty"):
        majority_baseline([], [1])


GOOD = np.zeros((20, 4), np.float32), np.arange(20) % 10


@pytest.mark.parametrize(
    "change, error, message",
    [
        ({"train_codes": np.zeros(20)}, ValueError, r"train_codes must have shape \[N, D\].*\[20\]"),
        ({"test_codes": np.zeros((20, 5))}, ValueError, "4 features per example but test_codes have 5"),
        ({"train_labels": np.arange(19) % 10}, ValueError, "train_codes hold 20 examples but train_labels hold 19"),
        ({"test_labels": np.arange(20)}, ValueError, "test_labels: labels must lie in 0-9.*e.g. 10"),
        ({"train_labels": np.arange(20) / 2}, TypeError, "train_labels: labels must be integers"),
        ({"train_codes": np.full((20, 4), np.nan)}, ValueError, "train_codes holds 80 non-finite values"),
        ({"test_codes": np.zeros((0, 4)), "test_labels": np.zeros(0, int)}, ValueError, "test_codes is empty"),
        ({"epochs": 0}, ValueError, "epochs must be a positive integer, got 0"),
        ({"seed": -1}, ValueError, r"seed must be an integer >= 0, got -1"),
    ],
)
def test_probe_rejects_bad_inputs_naming_the_problem(change, error, message):
    arguments = {"train_codes": GOOD[0], "train_labels": GOOD[1], "test_codes": GOOD[0], "test_labels": GOOD[1]}
    arguments.update(change)
    with pytest.raises(error, match=message):
        linear_probe(**arguments)


def test_encode_matches_predict_in_any_batch_size():
    encoder = build_encoder(3)
    images = np.random.default_rng(0).uniform(size=(7, 28, 28, 1)).astype(np.float32)
    codes = encode(encoder, images, batch_size=3)  # batches of 3, 3 and 1
    assert codes.shape == (7, 3) and codes.dtype == np.float32
    np.testing.assert_allclose(codes, keras.ops.convert_to_numpy(encoder(images)), rtol=1e-5, atol=1e-6)


def test_encode_rejects_images_the_encoder_cannot_read():
    encoder = build_encoder(3)
    with pytest.raises(ValueError, match=r"add the channel axis"):
        encode(encoder, np.zeros((2, 28, 28), np.float32))
    with pytest.raises(TypeError, match="float images"):
        encode(encoder, np.zeros((2, 28, 28, 1), np.uint8))
