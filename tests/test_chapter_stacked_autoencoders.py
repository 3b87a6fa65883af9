"""The chapter's helpers: schedules of equal length, level profiles, and the few-label classifiers."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from aegan_tutorial import data
from aegan_tutorial.chapters import stacked_autoencoders as sa
from conftest import weights_of


@pytest.fixture(scope="module")
def unit_images(train_images) -> np.ndarray:
    return data.scale_images(train_images[:600], "sigmoid")


@pytest.fixture(scope="module")
def labels(train_labels) -> np.ndarray:
    return train_labels[:600]


def test_every_schedule_takes_the_same_number_of_steps(unit_images):
    counts = {}
    for schedule in sa.SCHEDULES:
        stack = sa.train_schedule(schedule, unit_images, steps=12, sizes=(32, 8), batch_size=64)
        if schedule in ("end-to-end", "tied"):
            counts[schedule] = int(stack.optimizer.iterations)
        assert stack.tied == (schedule == "tied")
    assert counts == {"end-to-end": 12, "tied": 12}
    fine_tuned = sa.train_schedule("greedy + fine-tune", unit_images, steps=12, sizes=(32, 8), batch_size=64)
    assert int(fine_tuned.optimizer.iterations) == 6  # the end-to-end half; each level had 3 before it
    with pytest.raises(ValueError, match=r"multiple of 2·L = 4"):
        sa.train_schedule("greedy", unit_images, steps=10, sizes=(32, 8))
    with pytest.raises(ValueError, match="schedule must be one of"):
        sa.train_schedule("backwards", unit_images, steps=12)


def test_a_schedule_reruns_bit_for_bit(unit_images):
    a = sa.train_schedule("greedy + fine-tune", unit_images, steps=8, sizes=(32, 8), seed=3)
    b = sa.train_schedule("greedy + fine-tune", unit_images, steps=8, sizes=(32, 8), seed=3)
    for x, y in zip(weights_of(a), weights_of(b)):
        np.testing.assert_array_equal(x, y)


def test_level_profile_and_what_units_respond_to(unit_images, labels):
    stack = sa.train_schedule("greedy", unit_images, steps=24, sizes=(32, 8), batch_size=64)
    rows = sa.level_profile(stack, unit_images[:400], labels[:400], unit_images[400:], labels[400:], probe_epochs=2)
    assert [(r["level"], r["size"]) for r in rows] == [(0, 784), (1, 32), (2, 8)]
    assert rows[0]["reconstruction_mse"] == 0.0 and all(r["reconstruction_mse"] > 0 for r in rows[1:])
    assert all(0 <= r["probe_accuracy"] <= 1 for r in rows)
    pictures = sa.preferred_images(stack, unit_images, level=1, units=[0, 5], top=10)
    h = sa.codes(stack, unit_images, 1)
    np.testing.assert_allclose(pictures[1], unit_images[np.argsort(-h[:, 5], kind="stable")[:10]].mean(axis=0), rtol=1e-6)
    assert pictures.shape == (2, 28, 28, 1)
    with pytest.raises(ValueError, match="level 2 has units 0..7"):
        sa.preferred_images(stack, unit_images, level=2, units=[8])
    dead = sa.dead_units(stack, unit_images, 1)
    assert all(h[:, u].max() <= 0 for u in dead) and all(h[:, u].max() > 0 for u in set(range(32)) - set(dead))


def test_labelled_subsets_are_balanced_and_drawn_by_the_seed(labels):
    first = sa.labelled_subset(labels, 3, seed=0)
    assert len(first) == 30 and np.all(np.bincount(labels[first], minlength=10) == 3)
    np.testing.assert_array_equal(first, sa.labelled_subset(labels, 3, seed=0))
    assert not np.array_equal(first, sa.labelled_subset(labels, 3, seed=1))
    with pytest.raises(ValueError, match="fewer than per_class = 1000"):
        sa.labelled_subset(labels, 1000)


def test_a_frozen_classifier_leaves_the_encoder_alone_and_a_fine_tuned_one_moves_it(unit_images, labels):
    stack = sa.train_schedule("greedy", unit_images, steps=12, sizes=(32, 8), batch_size=64)
    copy = sa.copy_stack(stack)
    encoder_weights = lambda s: [keras.ops.convert_to_numpy(w) for e in s.encoders for w in e.weights]
    before = encoder_weights(copy)
    frozen = sa.train_classifier(copy, unit_images[:100], labels[:100], steps=20, frozen=True)
    for x, y in zip(before, encoder_weights(copy)):
        np.testing.assert_array_equal(x, y)
    assert all(e.trainable for e in copy.encoders)  # trainable again afterwards
    sa.train_classifier(copy, unit_images[:100], labels[:100], steps=20)
    assert any(not np.array_equal(x, y) for x, y in zip(before, encoder_weights(copy)))
    for x, y in zip(encoder_weights(stack), before):  # the copy's training left the original alone
        np.testing.assert_array_equal(x, y)
    score = sa.accuracy(frozen, unit_images[100:300], labels[100:300])
    assert 0.1 < score <= 1.0  # 8 greedy features, 100 labels: measured 0.56


def test_unit_purity_is_the_majority_share_of_a_units_favourite_digits(unit_images, labels):
    stack = sa.train_schedule("greedy", unit_images, steps=12, sizes=(16, 4), batch_size=64)
    purity = sa.unit_purity(stack, unit_images, labels, level=1, top=10)
    live = np.setdiff1d(np.arange(16), sa.dead_units(stack, unit_images, 1))
    h = sa.codes(stack, unit_images, 1)
    favourite = labels[np.argsort(-h[:, live[0]], kind="stable")[:10]]
    assert len(purity) == len(live) and purity[0] == np.bincount(favourite).max() / 10
    assert np.all((purity >= 0.1) & (purity <= 1.0))
