"""The discriminator chapter's helpers (chapters.discriminator): a discriminator trained alone, and its gradients."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from aegan_tutorial.chapters import discriminator as dsc
from aegan_tutorial import set_seed
from aegan_tutorial.data import scale_images
from aegan_tutorial.models import GAN, build_discriminator, build_generator
from conftest import changed, weights_of


@pytest.fixture(scope="module")
def real(train_images) -> np.ndarray:
    return scale_images(train_images[:2000], "tanh")


@pytest.fixture(scope="module")
def won(real):
    """A discriminator trained for 30 steps against a frozen untrained generator."""
    import keras

    set_seed(0)
    generator = build_generator(noise_dim=16, filters=8)
    before = weights_of(generator)
    discriminator = build_discriminator(filters=8)
    history = dsc.train_discriminator(
        discriminator, generator, real[:1500], steps=30, batch_size=32, held_out=real[1500:1700], log_every=10,
        optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
    )
    return generator, discriminator, history, before


def test_alone_against_a_frozen_generator_the_discriminator_wins(won):
    generator, discriminator, history, _ = won
    assert list(history["step"]) == [10, 20, 30]
    # measured: held-out accuracy 1.0, D(real) 0.9993, D(fake) 0.0086, d_loss 0.81 -> 0.021
    assert history["heldout_accuracy"][-1] >= 0.95
    assert history["heldout_d_real"][-1] > 0.8 > 0.2 > history["heldout_d_fake"][-1]
    assert history["d_loss"][-1] < history["d_loss"][0]
    assert all(len(v) == 3 and np.all(np.isfinite(v)) for v in history.values())


def test_the_frozen_generator_does_not_change(won):
    generator, _, _, before = won
    for a, b in zip(before, weights_of(generator)):
        np.testing.assert_array_equal(a, b)


def test_the_trainer_is_the_gan_step_with_the_generator_frozen(real, tmp_path):
    import keras

    set_seed(1)
    generator, discriminator = build_generator(noise_dim=8, filters=4), build_discriminator(filters=4)
    trainer = dsc.DiscriminatorTrainer(discriminator, generator, seed=0)
    trainer.compile(keras.optimizers.Adam(1e-3), train_generator=True)  # the generator stays frozen regardless
    assert isinstance(trainer, GAN) and not trainer.train_generator and trainer.g_optimizer is None
    g_before, d_before = weights_of(generator), weights_of(discriminator)
    logs = trainer.fit(real[:128], batch_size=32, epochs=1, verbose=0).history
    assert set(logs) == {"d_loss", "d_real", "d_fake", "accuracy"}
    assert not changed(g_before, weights_of(generator)) and changed(d_before, weights_of(discriminator))
    trainer.save(tmp_path / "trainer.keras")
    loaded = keras.saving.load_model(tmp_path / "trainer.keras")
    assert isinstance(loaded, dsc.DiscriminatorTrainer) and loaded.g_optimizer is None
    assert int(loaded.d_optimizer.iterations) == 4


def test_training_is_reproducible(real):
    runs = []
    for _ in range(2):
        set_seed(3)
        generator, discriminator = build_generator(noise_dim=8, filters=4), build_discriminator(filters=4)
        runs.append(dsc.train_discriminator(discriminator, generator, real[:256], steps=4, batch_size=16, log_every=2))
    np.testing.assert_array_equal(runs[0]["d_loss"], runs[1]["d_loss"])


def test_evaluate_discriminator_scores_each_side(won, real):
    generator, discriminator, _, _ = won
    fake = np.asarray(generator(np.random.default_rng(0).standard_normal((50, 16)).astype("float32")))
    scores = dsc.evaluate_discriminator(discriminator, real[1700:1800], fake)
    assert scores["accuracy"] == pytest.approx((scores["real_accuracy"] + scores["fake_accuracy"]) / 2)
    assert scores["fake_accuracy"] >= 0.95 and 0 <= scores["d_fake"] < scores["d_real"] <= 1  # measured: 1.0


def test_input_gradients_have_the_image_shape_and_raise_d(won):
    generator, discriminator, _, _ = won
    fake = np.asarray(generator(np.random.default_rng(1).standard_normal((8, 16)).astype("float32")))
    for loss in ("non_saturating", "minimax"):
        grad = dsc.input_gradients(discriminator, fake, loss)
        assert grad.shape == (8, 28, 28, 1) and np.all(np.isfinite(grad))
    pushed = dsc.push_towards_real(discriminator, fake, steps=5, step_size=1.0)
    assert pushed["images"].shape == (6, 8, 28, 28, 1) and pushed["d"].shape == (6, 8)
    assert np.all(pushed["d"][-1] > pushed["d"][0])
    assert pushed["images"].min() >= -1 and pushed["images"].max() <= 1


def test_the_minimax_gradient_vanishes_when_the_discriminator_is_confident(won):
    generator, discriminator, _, _ = won
    noise = np.random.default_rng(2).standard_normal((32, 16)).astype("float32")
    fake = np.asarray(generator(noise))
    saturating = dsc.generator_gradient_norm(generator, discriminator, noise, "minimax")
    non_saturating = dsc.generator_gradient_norm(generator, discriminator, noise, "non_saturating")
    assert 0 < saturating < 0.2 * non_saturating  # measured: 0.195 against 23.4
    per_image = [np.linalg.norm(dsc.input_gradients(discriminator, fake, k).reshape(32, -1), axis=1)
                 for k in ("minimax", "non_saturating")]
    assert np.all(per_image[0] < per_image[1])


def test_relu_copy_and_negative_fraction(won, real):
    _, discriminator, _, _ = won
    copy = dsc.relu_copy(discriminator)
    images = real[:16]
    assert copy.count_params() == discriminator.count_params()
    assert not any("leaky" in type(layer).__name__.lower() for layer in copy.layers)
    share = dsc.negative_fraction(discriminator, images)
    always = dsc.negative_fraction(discriminator, images, over="units")
    assert len(share) == 2 and all(0 < v < 1 for v in share.values())
    assert all(always[k] <= share[k] for k in share)


def test_bad_inputs_raise_clear_errors(won, real):
    generator, discriminator, _, _ = won
    with pytest.raises(ValueError, match=r"\[batch, 28, 28, 1\]"):
        dsc.input_gradients(discriminator, real[:4, ..., 0])
    with pytest.raises(ValueError, match="loss must be one of"):
        dsc.input_gradients(discriminator, real[:4], loss="hinge")
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        dsc.train_discriminator(discriminator, generator, (real[:64] + 1) * 127.5, steps=2, log_every=1)
    with pytest.raises(ValueError, match="multiple of log_every"):
        dsc.train_discriminator(discriminator, generator, real[:64], steps=5, log_every=2)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        dsc.train_discriminator(discriminator, generator, real[:64], steps=0)
    with pytest.raises(ValueError, match="discriminator must map"):
        dsc.train_discriminator(generator, generator, real[:64], steps=2, log_every=1)
    with pytest.raises(ValueError, match=r"noise must have shape \[B, 16\]"):
        dsc.generator_gradient_norm(generator, discriminator, np.zeros((4, 3)))
    frozen = keras.models.clone_model(generator)
    frozen.trainable = False                     # as GAN.averaged_generator() returns it
    with pytest.raises(ValueError, match="no trainable weights.*trainable network with the same weights"):
        dsc.generator_gradient_norm(frozen, discriminator, np.zeros((4, 16), "float32"))
    with pytest.raises(ValueError, match="step_size"):
        dsc.push_towards_real(discriminator, real[:2], step_size=0)
