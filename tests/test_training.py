"""GAN and Autoencoder training: what fit logs, that they learn, bad input, non-finite losses."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from aegan_tutorial import data, models, set_seed
from aegan_tutorial.training import NonFiniteLossError, StopAfter
from conftest import weights_of


def small_gan(seed=0) -> models.GAN:
    set_seed(seed)
    gan = models.GAN(models.build_generator(), models.build_discriminator(), noise_dim=100, seed=seed)
    gan.compile()
    return gan


def background_share(images: np.ndarray) -> float:
    """Share of pixels that are (nearly) blank paper, -1 in the tanh range: about 0.8 for MNIST."""
    return float((images < -0.9).mean())


def test_gan_fit_logs_its_two_losses_and_learns_the_background(train_images):
    gan = small_gan()
    before = background_share(gan.generate(256, seed=1))
    history = gan.fit(data.make_dataset(train_images[:9600], batch_size=64, seed=0), epochs=2, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"}
    assert all(np.isfinite(history.history["d_loss"] + history.history["g_loss"]))
    after = background_share(gan.generate(256, seed=1))
    real = background_share(data.scale_images(train_images[:256]))
    assert before < 0.05 and real > 0.75
    assert after > 0.5, f"after 300 steps only {after:.2f} of the pixels are background"


def test_gan_accepts_image_label_pairs_and_ignores_the_labels(mnist_train):
    images, labels = mnist_train[0][:256], mnist_train[1][:256]
    gan = small_gan()
    history = gan.fit(data.make_dataset(images, labels, batch_size=64), epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])


def test_generate_is_reproducible_with_a_seed():
    gan = small_gan()
    a, b, c = gan.generate(10, seed=3), gan.generate(10, seed=3), gan.generate(10, seed=4)
    assert a.shape == (10, 28, 28, 1) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert gan.generate(2500).shape == (2500, 28, 28, 1)  # more than one chunk


def test_gan_fit_rejects_unscaled_and_misshapen_images(train_images):
    gan = small_gan()
    raw = tf.data.Dataset.from_tensor_slices(train_images[:128, :, :, None]).batch(32)
    with pytest.raises(TypeError, match=r"GAN.fit got uint8 images; scale them to floats in \[-1, 1\]"):
        gan.fit(raw, verbose=0)
    unscaled = raw.map(lambda x: tf.cast(x, tf.float32))
    with pytest.raises(ValueError, match=r"GAN.fit expects pixel values in \[-1, 1\].*got values in \[0, 255\]"):
        gan.fit(unscaled, verbose=0)
    flat = tf.data.Dataset.from_tensor_slices(data.scale_images(train_images[:64]).reshape(64, 784)).batch(32)
    with pytest.raises(ValueError, match=r"GAN.fit expects images of shape \[batch, 28, 28, 1\], got \[32, 784\]"):
        gan.fit(flat, verbose=0)
    with pytest.raises(TypeError, match="GAN.fit takes real images only"):
        gan.fit(np.zeros((8, 100), np.float32), [np.zeros((8, 28, 28, 1)), np.zeros((8, 28, 28, 1))])


def test_minimax_loss_and_label_smoothing_train(train_images):
    set_seed(0)
    gan = models.GAN(models.build_generator(), models.build_discriminator(), noise_dim=100)
    gan.compile(loss="minimax", label_smoothing=0.1)
    history = gan.fit(data.make_dataset(train_images[:512], batch_size=64), epochs=1, verbose=0)
    assert history.history["g_loss"][0] < 0  # log(1 - D(G(z))) is negative


def test_nan_images_stop_gan_training_at_that_step_with_finite_weights(train_images):
    gan = small_gan()
    batches = data.scale_images(train_images[:96]).reshape(3, 32, 28, 28, 1)
    batches[2, 0, 10, 10, 0] = np.nan  # the third batch is poisoned
    snapshots = []

    class KeepWeights(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            snapshots.append(weights_of(gan.discriminator))

    dataset = tf.data.Dataset.from_tensor_slices(batches)
    with pytest.raises(NonFiniteLossError, match=r"d_loss became nan at step 3 \(epoch 1\).*last finite") as err:
        gan.fit(dataset, epochs=2, callbacks=[KeepWeights()], verbose=0)
    assert err.value.step == 3 and err.value.name == "d_loss"
    assert len(snapshots) == 2  # the run stopped at once
    assert all(np.isfinite(w).all() for w in weights_of(gan))
    for kept, now in zip(snapshots[-1], weights_of(gan.discriminator)):
        np.testing.assert_array_equal(kept, now)  # the poisoned update was skipped


def test_stop_after_ends_training_on_time(train_images):
    gan = small_gan()
    clock = StopAfter(1.0)
    gan.fit(data.make_dataset(train_images[:4096], batch_size=32), epochs=100, callbacks=[clock], verbose=0)
    assert clock.elapsed >= 1.0 and 0 < clock.steps < 100 * 128
    with pytest.raises(ValueError, match="seconds must be positive"):
        StopAfter(0)


def test_autoencoder_learns_to_reconstruct(train_images):
    set_seed(0)
    autoencoder = models.Autoencoder(models.build_encoder(16), models.build_decoder(16))
    autoencoder.compile(optimizer="adam", loss="mse")
    x = data.scale_images(train_images[:4096], "sigmoid")
    history = autoencoder.fit(x, x, batch_size=64, epochs=4, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    held_out = data.scale_images(train_images[-512:], "sigmoid")
    mse = float(np.mean((autoencoder.predict(held_out, verbose=0) - held_out) ** 2))
    mean_image_mse = float(np.mean((x.mean(axis=0) - held_out) ** 2))  # about 0.07
    assert mse < 0.7 * mean_image_mse
    assert autoencoder.encoder(held_out[:4]).shape == (4, 16)


def test_autoencoder_fits_a_dataset_of_images_or_of_pairs(train_images):
    set_seed(0)
    autoencoder = models.Autoencoder(models.build_encoder(8), models.build_decoder(8))
    autoencoder.compile()
    images = data.make_dataset(train_images[:256], batch_size=64, scale="sigmoid")
    first = autoencoder.fit(images, epochs=2, verbose=0).history["loss"]  # targets = inputs
    assert first[1] < first[0]
    noisy_pairs = images.map(lambda x: (tf.clip_by_value(x + 0.3 * tf.random.normal(tf.shape(x)), 0.0, 1.0), x))
    assert np.isfinite(autoencoder.fit(noisy_pairs, verbose=0).history["loss"][0])  # a denoising set-up
    tanh_targets = images.map(lambda x: (x, x * 2 - 1))
    with pytest.raises(ValueError, match=r"Autoencoder.fit \(targets\) expects pixel values in \[0, 1\]"):
        autoencoder.fit(tanh_targets, verbose=0)


def test_autoencoder_fit_rejects_bad_images(train_images):
    autoencoder = models.Autoencoder(models.build_encoder(8), models.build_decoder(8))
    autoencoder.compile()
    raw = train_images[:64, :, :, None]
    with pytest.raises(TypeError, match="Autoencoder.fit got uint8 images"):
        autoencoder.fit(raw, raw, verbose=0)
    tanh = data.scale_images(train_images[:64], "tanh")
    with pytest.raises(ValueError, match=r"Autoencoder.fit \(targets\) expects pixel values in \[0, 1\]"):
        autoencoder.fit(tanh, tanh, verbose=0)
    with pytest.raises(ValueError, match=r"shape \[batch, 28, 28, 1\], got \[64, 28, 28\]"):
        autoencoder.fit(tanh[..., 0], tanh[..., 0], verbose=0)


def test_nan_input_stops_autoencoder_training_with_finite_weights(train_images):
    set_seed(0)
    autoencoder = models.Autoencoder(models.build_encoder(8), models.build_decoder(8))
    autoencoder.compile()
    x = data.scale_images(train_images[:128], "sigmoid")
    x[100, 5, 5, 0] = np.nan  # in the fourth batch of 32
    with pytest.raises(NonFiniteLossError, match=r"loss became nan at step 4"):
        autoencoder.fit(x, x, batch_size=32, shuffle=False, epochs=1, verbose=0)
    assert all(np.isfinite(w).all() for w in weights_of(autoencoder))
