"""ConditionalGAN: the label reaches both players, generate() obeys the labels asked for, training is checked."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from aegan_tutorial import data, models, set_seed
from conftest import weights_of


def small_cgan(seed: int = 0) -> models.ConditionalGAN:
    set_seed(seed)
    gan = models.ConditionalGAN(
        models.build_conditional_generator(noise_dim=16, filters=8),
        models.build_conditional_discriminator(filters=8),
        noise_dim=16,
        seed=seed,
    )
    gan.compile()
    return gan


def test_players_read_the_label():
    generator = models.build_conditional_generator(noise_dim=16, filters=8)
    discriminator = models.build_conditional_discriminator(filters=8)
    noise = np.random.default_rng(0).normal(size=(4, 16)).astype(np.float32)
    images = keras.ops.convert_to_numpy(generator([noise, np.array([0, 1, 2, 3], np.int32)]))
    assert images.shape == (4, 28, 28, 1) and -1 <= images.min() and images.max() <= 1
    other = keras.ops.convert_to_numpy(generator([noise, np.array([9, 9, 9, 9], np.int32)]))
    assert not np.allclose(images, other)  # same noise, other digit: another image
    # the discriminator's verdict on one image depends on the digit it is said to show
    logits = [keras.ops.convert_to_numpy(discriminator([images[:1], np.array([k], np.int32)]))[0, 0] for k in range(10)]
    assert len(set(np.round(logits, 6))) > 1


def test_generate_follows_the_labels(mnist_train):
    gan = small_cgan()
    assert list(gan.labels_for(12)) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]  # balanced by default
    assert set(gan.labels_for(5, 7)) == {7}
    a = gan.generate(6, labels=[3, 3, 3, 3, 3, 3], seed=1)
    b = gan.generate(6, labels=3, seed=1)
    assert a.shape == (6, 28, 28, 1) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    # batching does not change the images
    np.testing.assert_allclose(gan.generate(7, seed=2, batch_size=3), gan.generate(7, seed=2), atol=1e-6)


@pytest.mark.parametrize(
    "labels, message",
    [([0, 1], "got 3 images but 2 labels"), ([0, 10, 1], "0-9"), ([0.5, 1.0, 2.0], "integers"), ([[0, 1, 2]], r"shape \[N\]")],
)
def test_generate_rejects_bad_labels(labels, message):
    with pytest.raises((ValueError, TypeError), match=message):
        small_cgan().generate(3, labels=labels)


def test_fit_needs_labels_and_trains_both_players(mnist_train):
    images, labels = mnist_train[0][:256], mnist_train[1][:256]
    gan = small_cgan()
    with pytest.raises(ValueError, match="labels"):
        gan.fit(data.make_dataset(images, batch_size=64), epochs=1, verbose=0)
    g_before, d_before = weights_of(gan.generator), weights_of(gan.discriminator)
    history = gan.fit(data.make_dataset(images, labels, batch_size=64, seed=0), epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0]) and np.isfinite(history.history["g_loss"][0])
    assert any(not np.array_equal(a, b) for a, b in zip(g_before, weights_of(gan.generator)))
    assert any(not np.array_equal(a, b) for a, b in zip(d_before, weights_of(gan.discriminator)))
    # arrays work too: fit(images, labels)
    gan.fit(data.scale_images(images, "tanh"), labels, batch_size=64, epochs=1, verbose=0)


def test_training_is_bit_reproducible(mnist_train):
    images, labels = mnist_train[0][:192], mnist_train[1][:192]
    runs = []
    for _ in range(2):
        gan = small_cgan(seed=3)
        gan.fit(data.make_dataset(images, labels, batch_size=64, seed=3), epochs=1, verbose=0)
        runs.append(weights_of(gan.generator))
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_save_and_load_keep_the_model(tmp_path, mnist_train):
    gan = small_cgan()
    gan.fit(data.make_dataset(mnist_train[0][:64], mnist_train[1][:64], batch_size=64), epochs=1, verbose=0)
    gan.save(tmp_path / "cgan.keras")
    loaded = keras.saving.load_model(tmp_path / "cgan.keras")
    assert isinstance(loaded, models.ConditionalGAN) and loaded.num_classes == 10
    np.testing.assert_array_equal(loaded.generate(5, labels=4, seed=0), gan.generate(5, labels=4, seed=0))


def test_mismatched_players_get_a_clear_error():
    with pytest.raises(ValueError, match="build_conditional_generator"):
        models.ConditionalGAN(models.build_generator(16, 8), models.build_conditional_discriminator(filters=8), noise_dim=16)
    with pytest.raises(ValueError, match="build_conditional_discriminator"):
        models.ConditionalGAN(models.build_conditional_generator(16, filters=8), models.build_discriminator(8), noise_dim=16)
    with pytest.raises(ValueError, match="noise_dim is 32"):
        models.ConditionalGAN(
            models.build_conditional_generator(16, filters=8), models.build_conditional_discriminator(filters=8), noise_dim=32
        )
