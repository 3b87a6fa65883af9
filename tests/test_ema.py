"""The average of the generator's weights: its formula, what draws from it, and that it survives saving."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from aegan_tutorial import data, models
from aegan_tutorial.callbacks import FixedNoiseSamples
from conftest import make_cgan, weights_of


def small_gan(ema_decay=0.999, seed: int = 0) -> models.GAN:
    from aegan_tutorial import set_seed

    set_seed(seed)
    gan = models.GAN(models.build_generator(16, 8), models.build_discriminator(8), noise_dim=16, seed=seed,
                     ema_decay=ema_decay)
    gan.compile()
    return gan


def one_batch(train_images, n: int = 32):
    return tf.data.Dataset.from_tensor_slices(data.scale_images(train_images[:n])).batch(n)


def test_the_average_follows_the_generator_by_its_formula(train_images):
    gan = small_gan()
    start = weights_of(gan.generator)
    assert all(np.array_equal(a.numpy(), w) for a, w in zip(gan.ema_weights, start))  # θ̄ starts at θ
    gan.fit(one_batch(train_images), epochs=1, verbose=0)
    beta = (1 + 1) / (10 + 1)  # the first update: min(0.999, (1 + t) / (10 + t)) with t = 1
    for average, before, after in zip(gan.ema_weights, start, weights_of(gan.generator)):
        np.testing.assert_allclose(average.numpy(), beta * before + (1 - beta) * after, rtol=1e-5, atol=1e-7)
    assert float(gan.ema_updates) == 1
    gan.fit(one_batch(train_images), epochs=3, verbose=0)
    assert float(gan.ema_updates) == 4  # one update per generator step
    assert not np.allclose(gan.ema_weights[0].numpy(), gan.generator.weights[0].numpy())  # it lags behind


def test_generate_and_calling_the_model_draw_from_the_average(train_images):
    gan = small_gan()
    gan.fit(one_batch(train_images, 64), epochs=4, verbose=0)
    noise = keras.random.normal((6, 16), seed=3)
    averaged = gan.averaged_generator()(noise, training=False).numpy()
    trained = gan.generator(noise, training=False).numpy()
    assert np.abs(averaged - trained).max() > 1e-3  # the two generators differ
    np.testing.assert_array_equal(gan.generate(6, seed=3), averaged)
    np.testing.assert_allclose(gan(noise).numpy(), averaged, atol=1e-6)
    grids = FixedNoiseSamples(noise.numpy())
    grids.set_model(gan)
    grids.on_train_begin()
    np.testing.assert_array_equal(grids.sample(), data.to_uint8(averaged, "tanh"))
    assert gan.averaged_generator() not in gan._flatten_layers()  # the copy is not part of the GAN's weights


def test_without_an_average_generate_uses_the_generator_as_trained(train_images):
    gan = small_gan(ema_decay=None)
    gan.fit(one_batch(train_images), epochs=1, verbose=0)
    assert gan.ema_weights == [] and gan.averaged_generator() is gan.generator
    noise = keras.random.normal((3, 16), seed=5)
    np.testing.assert_array_equal(gan.generate(3, seed=5), gan.generator(noise, training=False).numpy())


def test_the_average_does_not_change_how_the_players_train(train_images):
    with_average, without = small_gan(0.9), small_gan(None)
    for gan in (with_average, without):
        gan.fit(data.make_dataset(train_images[:128], batch_size=32, seed=0), epochs=2, verbose=0)
    for a, b in zip(weights_of(with_average.generator) + weights_of(with_average.discriminator),
                    weights_of(without.generator) + weights_of(without.discriminator)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, True, "0.999"])
def test_a_bad_decay_is_refused_with_a_clear_error(bad):
    with pytest.raises(ValueError, match=r"ema_decay must be a number in \(0, 1\)"):
        models.GAN(models.build_generator(16, 8), models.build_discriminator(8), noise_dim=16, ema_decay=bad)


def test_the_average_is_saved_and_loaded(train_images, tmp_path):
    gan = small_gan()
    gan.fit(one_batch(train_images, 64), epochs=3, verbose=0)
    gan.save(tmp_path / "gan.keras")
    loaded = keras.saving.load_model(tmp_path / "gan.keras")
    assert loaded.ema_decay == 0.999 and float(loaded.ema_updates) == 3
    for a, b in zip(gan.ema_weights, loaded.ema_weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(loaded.generate(5, seed=1), gan.generate(5, seed=1))
    # weights alone, into a freshly built GAN
    gan.save_weights(tmp_path / "gan.weights.h5")
    fresh = small_gan(seed=1)
    fresh.load_weights(tmp_path / "gan.weights.h5")
    np.testing.assert_array_equal(fresh.generate(5, seed=1), gan.generate(5, seed=1))
    # a file without an average does not load into a GAN that keeps one
    small_gan(None).save_weights(tmp_path / "plain.weights.h5")
    with pytest.raises(ValueError):
        small_gan().load_weights(tmp_path / "plain.weights.h5")


def test_the_average_is_off_by_default():
    gan = models.GAN(models.build_generator(16, 8), models.build_discriminator(8), noise_dim=16)
    assert gan.ema_decay is None and gan.averaged_generator() is gan.generator


def test_the_conditional_gan_keeps_an_average_too(train_images, mnist_train):
    small = make_cgan(compile=False)
    gan = models.ConditionalGAN(small.generator, small.discriminator, noise_dim=16, seed=0, ema_decay=0.999)
    gan.compile()
    labels = mnist_train[1]
    gan.fit(data.make_dataset(train_images[:128], batch_size=64, labels=labels[:128]), epochs=1, verbose=0)
    assert float(gan.ema_updates) == 2
    noise = keras.random.normal((10, 16), seed=2)
    digits = tf.range(10, dtype="int32")
    np.testing.assert_array_equal(gan.generate(10, labels=digits, seed=2),
                                  gan.averaged_generator()([noise, digits], training=False).numpy())
