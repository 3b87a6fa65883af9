"""Evaluation: the judge (the pretrained classifier), the reference images, and the one scorer of samples."""

from __future__ import annotations

import numpy as np
import pytest

from aegan_tutorial import evaluation
from aegan_tutorial.data import load_mnist, scale_images


@pytest.fixture(scope="module")
def test_set(mnist_dir):
    return load_mnist("test", mnist_dir)


def unused_test_images(n: int, test_set) -> tuple[np.ndarray, np.ndarray]:
    """``n`` test images (and labels) drawn at random from those not among ``evaluation_images(n)``."""
    chosen = {bytes(image) for image in evaluation.evaluation_images(n)[0]}
    others = np.flatnonzero([bytes(image) not in chosen for image in test_set[0]])
    pick = np.random.default_rng(1).choice(others, n, replace=False)
    return test_set[0][pick], test_set[1][pick]


def test_metrics_refuse_floats_and_point_to_to_uint8():
    floats = np.zeros((10, 28, 28, 1), np.float32)
    pixels = np.zeros((10, 28, 28), np.uint8)
    for call in (lambda: evaluation.frechet_distance(floats, pixels),
                 lambda: evaluation.precision_recall(pixels, floats),
                 lambda: evaluation.class_accuracy(floats, np.zeros(10, int))):
        with pytest.raises(TypeError, match="to_uint8"):
            call()
    with pytest.raises(ValueError, match="at least 2"):
        evaluation.frechet_distance(pixels[:1], pixels)


def test_pretrained_classifier_reads_test_digits(test_set):
    images, labels = test_set
    assert evaluation.class_accuracy(images, labels) >= 0.99  # measured: 0.9914
    assert evaluation.class_accuracy(images[:2000], np.roll(labels[:2000], 1)) < 0.2  # measured: 0.100 (chance)
    assert evaluation.predict_digits(images[:5]).dtype == np.int32


def test_generative_metrics_rank_real_digits_above_noise(test_set, mnist_dir):
    images, _ = test_set
    train, _ = load_mnist("train", mnist_dir)
    noise = np.random.default_rng(0).integers(0, 256, size=(1000, 28, 28), dtype=np.uint8)
    real_fd = evaluation.frechet_distance(train[:1000], images[:1000])
    noise_fd = evaluation.frechet_distance(noise, images[:1000])
    # measured: 16.1 and 411.2 (1,000 images per set: the floor is higher than at 10,000)
    assert 0 < real_fd < noise_fd / 10
    real_pr = evaluation.precision_recall(images[:1000], train[:1000])
    noise_pr = evaluation.precision_recall(images[:1000], noise)
    assert real_pr.precision > 0.6 and real_pr.recall > 0.6  # measured: 0.848 and 0.863
    # noise covers none of the digits; its features huddle in one spot, which may fall inside a
    # few outlying digits' balls, so precision alone would not expose it
    assert noise_pr.recall == 0.0


def test_evaluation_images_are_a_fixed_fair_sample_of_the_test_set(test_set):
    images, labels = evaluation.evaluation_images(2000)
    again, _ = evaluation.evaluation_images(2000)
    assert images.dtype == np.uint8 and images.shape == (2000, 28, 28) and np.array_equal(images, again)
    assert not np.array_equal(images, test_set[0][:2000])  # not the prefix: the halves differ in writers
    counts = np.bincount(labels, minlength=10) / len(labels)
    assert np.all(np.abs(counts - np.bincount(test_set[1], minlength=10) / 10_000) < 0.02)
    whole, whole_labels = evaluation.evaluation_images(10_000)
    assert sorted(map(bytes, whole)) == sorted(map(bytes, test_set[0]))  # all of them, reordered
    with pytest.raises(ValueError, match="at most 10000"):
        evaluation.evaluation_images(10_001)


def test_reference_points_bracket_the_scale(mnist_dir):
    points = evaluation.reference_points(2000)
    assert 0 < points["floor"] < points["ceiling"] / 20  # measured: 3.35 and 433.8
    assert points == evaluation.reference_points(2000)  # deterministic
    sets = evaluation.reference_images(2000)
    assert {k: v.shape for k, v in sets.items()} == {k: (2000, 28, 28) for k in ("test", "train", "noise")}
    assert points["floor"] == pytest.approx(evaluation.frechet_distance(sets["train"], sets["test"]), rel=1e-9)
    with pytest.raises(ValueError, match="at most"):
        evaluation.reference_points(20_000)


def test_reconstruction_scores_of_known_models(test_set):
    images = test_set[0][:50]
    perfect = evaluation.reconstruction_scores(lambda x: x, images)
    assert perfect == {"mse": 0.0, "psnr": float("inf")}
    blank = evaluation.reconstruction_scores(lambda x: x * 0.0, images)
    expected = np.mean((images / 255.0) ** 2)
    assert blank["mse"] == pytest.approx(expected, rel=1e-6)
    assert blank["psnr"] == pytest.approx(10 * np.log10(1 / expected), rel=1e-6)


def test_score_samples_gives_the_generative_scores_and_class_accuracy_with_labels(test_set):
    images, labels = unused_test_images(500, test_set)
    scores = evaluation.score_samples(images)
    assert set(scores) == {"fd", "precision", "recall"}
    with_labels = evaluation.score_samples(images, labels)
    assert set(with_labels) == {"fd", "precision", "recall", "class_accuracy"}
    assert {k: with_labels[k] for k in scores} == scores  # the labels add a score, change none
    assert with_labels["class_accuracy"] == evaluation.class_accuracy(images, labels)
    assert evaluation.score_samples(images, np.roll(labels, 1))["class_accuracy"] < 0.2  # measured: 0.096
    # the default reference is evaluation_images(N): passing it explicitly changes nothing
    assert evaluation.score_samples(images, reference=evaluation.evaluation_images(500)[0]) == pytest.approx(scores, rel=1e-9)
    # [N, 28, 28, 1] pixels are the same images
    assert evaluation.score_samples(images[..., None]) == pytest.approx(scores, rel=1e-9)


def test_real_test_images_score_near_the_floor_and_noise_near_the_ceiling(test_set):
    n = 1000
    images, labels = unused_test_images(n, test_set)
    points = evaluation.reference_points(n)
    real = evaluation.score_samples(images, labels)
    # measured: fd 4.64 against a floor (train vs test) of 5.50 and a ceiling of 431.7;
    # precision 0.890, recall 0.887, class accuracy 0.986
    assert real["fd"] < 1.5 * points["floor"]
    assert real["precision"] > 0.75 and real["recall"] > 0.75
    assert real["class_accuracy"] > 0.97
    noise = evaluation.score_samples(evaluation.reference_images(n)["noise"])
    assert noise["fd"] == pytest.approx(points["ceiling"], rel=1e-9)  # the ceiling is noise scored the same way
    assert noise["recall"] == 0.0


def test_score_samples_refuses_float_images_and_too_few_or_too_many(test_set):
    floats = scale_images(test_set[0][:10], "tanh")
    with pytest.raises(TypeError, match=r"to_uint8"):
        evaluation.score_samples(floats)
    with pytest.raises(TypeError, match=r"reference.*to_uint8"):
        evaluation.score_samples(test_set[0][:10], reference=floats)
    with pytest.raises(ValueError, match="at least 4"):
        evaluation.score_samples(test_set[0][:3])
    with pytest.raises(ValueError, match="got 10 images but 9 labels"):
        evaluation.score_samples(test_set[0][:10], test_set[1][:9])
    with pytest.raises(ValueError, match="at most 10,000 samples"):
        evaluation.score_samples(np.zeros((10_001, 28, 28), np.uint8))


def test_evaluate_model_scores_by_kind_and_checks_its_arguments():
    classifier = evaluation.default_classifier()
    assert evaluation.default_classifier() is classifier  # loaded once
    scores = evaluation.evaluate_model(classifier, "classifier", 500)
    # measured: 0.990 on these 500 test images
    assert set(scores) == {"test_accuracy"} and scores["test_accuracy"] > 0.98
    perfect = evaluation.evaluate_model(lambda x: x, "autoencoder", 50)
    assert perfect == {"test_mse": 0.0, "test_psnr": float("inf")}
    with pytest.raises(ValueError, match="kind must be one of"):
        evaluation.evaluate_model(classifier, "vae", 50)
    with pytest.raises(ValueError, match=r"2\.\.10000"):
        evaluation.evaluate_model(classifier, "classifier", 10_001)
    assert set(evaluation.EVALUATED_ON) == {"classifier", "autoencoder", "generator", "conditional_generator"}
