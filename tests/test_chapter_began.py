"""Helpers of the BEGAN chapter: the runs it compares, what it records per epoch, rank correlation."""

from __future__ import annotations

import numpy as np
import pytest

from aegan_tutorial import models
from aegan_tutorial.chapters import began as chapter
from aegan_tutorial.evaluation import classifier_features


def test_rank_correlation_reads_ranks_not_values():
    fd = [300.0, 120.0, 90.0, 80.0, 70.0]
    assert chapter.rank_correlation([0.3, 0.1, 0.05, 0.04, 0.01], fd) == pytest.approx(1.0)  # falls with the FD
    assert chapter.rank_correlation([1, 2, 3, 4, 50], fd) == pytest.approx(-1.0)  # rises as the FD falls
    assert abs(chapter.rank_correlation([3, 1, 5, 2, 4], fd)) < 0.5


@pytest.mark.parametrize("values, quality, message", [
    ([1, 2], [2, 1], "at least 3 values"),
    ([1, 2, 3], [1, 2], "equally long"),
    ([1, 1, 1], [1, 2, 3], "constant sequence"),
])
def test_rank_correlation_refuses_what_has_none(values, quality, message):
    with pytest.raises(ValueError, match=message):
        chapter.rank_correlation(values, quality)


def test_build_run_changes_the_recipe_and_averages_no_weights():
    began = chapter.build_run("began", seed=1, gamma=0.3, d_batchnorm=False)
    assert isinstance(began, models.BEGAN) and began.gamma == 0.3 and began.lambda_k == 0.01
    assert began.ema_decay is None and began.compiled
    assert not any("batch_normalization" in type(layer).__name__.lower() for layer in began.autoencoder.layers)
    assert chapter.build_run("dcgan").ema_decay is None
    with pytest.raises(ValueError, match="model must be 'began' or 'dcgan', got 'aae'"):
        chapter.build_run("aae")


def test_follow_run_records_the_logs_and_the_scores_of_every_epoch(train_images):
    reference = classifier_features(train_images[-16:])
    history = chapter.follow_run(chapter.build_run("began"), train_images[:128], 2, reference, samples=16)
    assert {"d_loss", "g_loss", "k", "m_global", "fd", "precision", "recall", "seconds"} <= set(history)
    assert all(len(values) == 2 and np.all(np.isfinite(values)) for values in history.values())
    assert 0.0 < history["k"][-1] <= 1.0  # k leaves 0 in the first steps (measured 0.0049 after 4 steps)
    with pytest.raises(ValueError, match="need at least 32 reference features to score 32 samples, got 16"):
        chapter.follow_run(chapter.build_run("dcgan"), train_images[:128], 1, reference, samples=32)


def test_controller_losses_are_the_training_steps_and_leave_the_model_as_it_was():
    began = chapter.build_run("began", seed=0)
    real = np.random.default_rng(0).uniform(-1, 1, (70, 28, 28, 1)).astype("float32")
    before = [v.numpy().copy() for v in began.variables]
    real_loss, fake_loss = chapter.controller_losses(began, real, seed=3, batch_size=16)
    after = [v.numpy() for v in began.variables]
    assert all(np.array_equal(a, b) for a, b in zip(before, after)), "BatchNorm's running statistics are restored"
    # L(x) is the training-mode mean absolute reconstruction error of the first 16 images
    rebuilt = began.autoencoder(real[:16], training=True).numpy()
    assert real_loss == pytest.approx(float(np.abs(real[:16] - rebuilt).mean()), rel=1e-5)
    assert fake_loss > 0 and chapter.controller_losses(began, real, seed=3, batch_size=16)[1] == pytest.approx(fake_loss, rel=1e-5)
    with pytest.raises(ValueError, match="need at least batch_size=64 real images, got 10"):
        chapter.controller_losses(began, real[:10])
