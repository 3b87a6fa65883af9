"""Builders give the documented shapes; trainers refuse mismatched parts with a clear message."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from aegan_tutorial import models


@pytest.mark.parametrize("latent_dim", [1, 2, 7, 32, 100])
def test_encoder_and_decoder_shapes_for_any_code_size(latent_dim):
    encoder, decoder = models.build_encoder(latent_dim), models.build_decoder(latent_dim)
    images = np.random.default_rng(0).uniform(size=(3, 28, 28, 1)).astype(np.float32)
    codes = encoder(images)
    assert tuple(codes.shape) == (3, latent_dim)
    out = keras.ops.convert_to_numpy(decoder(codes))
    assert out.shape == (3, 28, 28, 1)  # exactly 28x28, whatever the code size
    assert out.min() >= 0.0 and out.max() <= 1.0  # sigmoid output


def test_decoder_output_activations():
    code = np.random.default_rng(0).normal(size=(16, 8)).astype(np.float32) * 10
    tanh = keras.ops.convert_to_numpy(models.build_decoder(8, "tanh")(code))
    assert tanh.min() >= -1.0 and tanh.min() < 0.0
    with pytest.raises(ValueError, match="output_activation must be"):
        models.build_decoder(8, "relu")


def test_generator_makes_tanh_images_from_noise():
    generator = models.build_generator(noise_dim=64)
    images = keras.ops.convert_to_numpy(generator(np.random.default_rng(0).normal(size=(5, 64)).astype(np.float32)))
    assert images.shape == (5, 28, 28, 1)
    assert -1.0 <= images.min() and images.max() <= 1.0
    assert [layer.output.shape[1:3] for layer in generator.layers if isinstance(layer, keras.layers.Conv2DTranspose)] == [(14, 14), (28, 28)]


def test_discriminator_outputs_unbounded_logits():
    discriminator = models.build_discriminator()
    assert discriminator.output_shape == (None, 1)
    assert discriminator.layers[-1].activation.__name__ == "linear"  # logits, not probabilities


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "8"])
def test_sizes_must_be_positive_integers(bad):
    with pytest.raises(ValueError, match="must be a positive integer"):
        models.build_encoder(bad)
    with pytest.raises(ValueError, match="must be a positive integer"):
        models.build_generator(bad)


def test_autoencoder_rejects_a_latent_size_mismatch():
    with pytest.raises(ValueError, match="encoder makes codes of size 16 but the decoder reads codes of size 32"):
        models.Autoencoder(models.build_encoder(16), models.build_decoder(32))


def test_gan_rejects_mismatched_parts():
    with pytest.raises(ValueError, match="noise_dim is 64 but the generator reads noise of size 100"):
        models.GAN(models.build_generator(100), models.build_discriminator(), noise_dim=64)
    # a generator that makes 32x32 images for a 28x28 discriminator
    noise = keras.Input((100,))
    x = keras.layers.Reshape((8, 8, 4))(keras.layers.Dense(256)(noise))
    x = keras.layers.Conv2DTranspose(1, 4, strides=4, padding="same", activation="tanh")(x)
    wrong = keras.Model(noise, x)
    with pytest.raises(ValueError, match=r"generator output \[None, 32, 32, 1\], discriminator input \[None, 28, 28, 1\]"):
        models.GAN(wrong, models.build_discriminator(), noise_dim=100)
    two_logits = keras.Model(*(lambda i: (i, keras.layers.Dense(2)(keras.layers.Flatten()(i))))(keras.Input((28, 28, 1))))
    with pytest.raises(ValueError, match=r"one logit per image, \[B, 1\]"):
        models.GAN(models.build_generator(), two_logits, noise_dim=100)


def test_gan_compile_rejects_bad_options():
    gan = models.GAN(models.build_generator(), models.build_discriminator(), noise_dim=100)
    with pytest.raises(ValueError, match="loss must be one of"):
        gan.compile(loss="hinge")
    with pytest.raises(ValueError, match=r"label_smoothing must lie in \[0, 1\)"):
        gan.compile(label_smoothing=1.0)
