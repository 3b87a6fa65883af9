"""Every model saves and loads as .keras and .weights.h5 and gives identical outputs after."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from aegan_tutorial import data, models, set_seed
from conftest import weights_of

rng = np.random.default_rng(0)
IMAGES = rng.uniform(size=(4, 28, 28, 1)).astype(np.float32)


def builders():
    return {
        "encoder": (lambda: models.build_encoder(12), IMAGES),
        "decoder": (lambda: models.build_decoder(12, "tanh"), rng.normal(size=(4, 12)).astype(np.float32)),
        "generator": (lambda: models.build_generator(100), rng.normal(size=(4, 100)).astype(np.float32)),
        "discriminator": (lambda: models.build_discriminator(), IMAGES * 2 - 1),
        "classifier": (lambda: models.build_classifier(), IMAGES),
        "autoencoder": (lambda: models.Autoencoder(models.build_encoder(12), models.build_decoder(12)), IMAGES),
    }


@pytest.mark.parametrize("name", list(builders()))
def test_keras_format_round_trip(name, tmp_path):
    build, inputs = builders()[name]
    model = build()
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(inputs)), keras.ops.convert_to_numpy(loaded(inputs)))


@pytest.mark.parametrize("name", list(builders()))
def test_weights_round_trip(name, tmp_path):
    build, inputs = builders()[name]
    model, fresh = build(), build()
    path = tmp_path / f"{name}.weights.h5"
    model.save_weights(path)
    assert not np.array_equal(keras.ops.convert_to_numpy(model(inputs)), keras.ops.convert_to_numpy(fresh(inputs)))
    fresh.load_weights(path)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(inputs)), keras.ops.convert_to_numpy(fresh(inputs)))


def trained_gan(train_images):
    set_seed(0)
    gan = models.GAN(models.build_generator(), models.build_discriminator(), noise_dim=100, seed=0)
    gan.compile(loss="minimax", label_smoothing=0.1)
    gan.fit(data.make_dataset(train_images[:256], batch_size=64, seed=0), epochs=1, verbose=0)
    return gan


def test_gan_keras_round_trip_keeps_samples_compile_state_and_optimizers(train_images, tmp_path):
    gan = trained_gan(train_images)
    gan.save(tmp_path / "gan.keras")
    loaded = keras.saving.load_model(tmp_path / "gan.keras")
    assert isinstance(loaded, models.GAN) and loaded.noise_dim == 100
    np.testing.assert_array_equal(gan.generate(8, seed=5), loaded.generate(8, seed=5))
    assert loaded.loss_kind == "minimax" and loaded.label_smoothing == pytest.approx(0.1)
    assert int(loaded.d_optimizer.iterations) == int(gan.d_optimizer.iterations) == 4
    for a, b in zip(gan.d_optimizer.variables, loaded.d_optimizer.variables):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    # training on from the file continues exactly as training on in memory
    more = data.make_dataset(train_images[256:512], batch_size=64, shuffle=False)
    gan.fit(more, epochs=1, verbose=0)
    loaded.fit(more, epochs=1, verbose=0)
    for a, b in zip(weights_of(gan), weights_of(loaded)):
        np.testing.assert_array_equal(a, b)


def test_gan_weights_round_trip(train_images, tmp_path):
    gan = trained_gan(train_images)
    gan.save_weights(tmp_path / "gan.weights.h5")
    fresh = models.GAN(models.build_generator(), models.build_discriminator(), noise_dim=100)
    fresh.load_weights(tmp_path / "gan.weights.h5")
    np.testing.assert_array_equal(gan.generate(8, seed=5), fresh.generate(8, seed=5))
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(gan.discriminator(IMAGES)), keras.ops.convert_to_numpy(fresh.discriminator(IMAGES))
    )


def test_autoencoder_keras_round_trip_after_training(train_images, tmp_path):
    set_seed(0)
    autoencoder = models.Autoencoder(models.build_encoder(8), models.build_decoder(8))
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    x = data.scale_images(train_images[:256], "sigmoid")
    autoencoder.fit(x, x, batch_size=64, verbose=0)
    autoencoder.save(tmp_path / "ae.keras")
    loaded = keras.saving.load_model(tmp_path / "ae.keras")
    np.testing.assert_array_equal(autoencoder.predict(x[:8], verbose=0), loaded.predict(x[:8], verbose=0))
    assert loaded.compiled and int(loaded.optimizer.iterations) == 4
