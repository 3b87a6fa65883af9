"""The adversarial losses match the value function, stay finite, and saturate as the book says."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from aegan_tutorial.losses import discriminator_loss, generator_loss


def log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def test_discriminator_loss_is_minus_the_value_function():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(64, 1)).astype(np.float32), rng.normal(size=(64, 1)).astype(np.float32)
    value = log_sigmoid(real).mean() + log_sigmoid(-fake).mean()  # E log D(x) + E log(1 - D(G(z)))
    assert float(discriminator_loss(real, fake)) == pytest.approx(-value, rel=1e-5)


def test_a_perfect_discriminator_has_zero_loss_and_chance_has_2_log_2():
    big = np.full((8, 1), 50.0, np.float32)
    assert float(discriminator_loss(big, -big)) == pytest.approx(0.0, abs=1e-6)
    zero = np.zeros((8, 1), np.float32)
    assert float(discriminator_loss(zero, zero)) == pytest.approx(2 * np.log(2), rel=1e-6)


def test_losses_stay_finite_for_extreme_logits():
    extreme = np.array([[1e4], [-1e4]], np.float32)
    assert np.isfinite(float(discriminator_loss(extreme, extreme)))
    assert np.isfinite(float(generator_loss(extreme, "non_saturating")))
    assert np.isfinite(float(generator_loss(extreme, "minimax")))


def test_generator_losses_match_their_formulas():
    logits = np.array([[-2.0], [0.5], [3.0]], np.float32)
    assert float(generator_loss(logits, "non_saturating")) == pytest.approx(-log_sigmoid(logits).mean(), rel=1e-6)
    assert float(generator_loss(logits, "minimax")) == pytest.approx(log_sigmoid(-logits).mean(), rel=1e-6)


def test_minimax_loss_saturates_where_the_non_saturating_one_does_not():
    # a confident discriminator: D(G(z)) = sigmoid(-8) ≈ 3e-4 for every fake
    logits = tf.Variable(np.full((4, 1), -8.0, np.float32))
    grads = {}
    for kind in ("minimax", "non_saturating"):
        with tf.GradientTape() as tape:
            loss = generator_loss(logits, kind)
        grads[kind] = float(tf.reduce_sum(tf.abs(tape.gradient(loss, logits))))
    assert grads["minimax"] < 1e-3 and grads["non_saturating"] > 0.99


def test_label_smoothing_moves_the_real_target():
    real, fake = np.full((4, 1), 30.0, np.float32), np.full((4, 1), -30.0, np.float32)
    # with target 0.9 a hugely confident real logit is penalised: 0.1 * 30
    assert float(discriminator_loss(real, fake, label_smoothing=0.1)) == pytest.approx(3.0, rel=1e-3)


def test_unknown_generator_loss_is_rejected():
    with pytest.raises(ValueError, match="generator loss must be one of"):
        generator_loss(np.zeros((1, 1), np.float32), "wasserstein")
