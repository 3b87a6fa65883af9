"""Every model saves and loads as .keras and .weights.h5 and gives identical outputs after."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from aegan_tutorial import data, models
from conftest import ROOT, make_autoencoder, make_cgan, make_gan, weights_of

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
    gan = make_gan(loss="minimax", label_smoothing=0.1)
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
    autoencoder = make_autoencoder(8, optimizer="adam", loss="binary_crossentropy")
    x = data.scale_images(train_images[:256], "sigmoid")
    autoencoder.fit(x, x, batch_size=64, verbose=0)
    autoencoder.save(tmp_path / "ae.keras")
    loaded = keras.saving.load_model(tmp_path / "ae.keras")
    np.testing.assert_array_equal(autoencoder.predict(x[:8], verbose=0), loaded.predict(x[:8], verbose=0))
    assert loaded.compiled and int(loaded.optimizer.iterations) == 4


def test_a_gan_with_a_frozen_generator_loads_as_it_was_compiled(train_images, tmp_path):
    gan = make_gan(noise_dim=16, filters=8, train_generator=False)
    gan.fit(data.make_dataset(train_images[:128], batch_size=64), epochs=1, verbose=0)
    gan.save(tmp_path / "frozen.keras")
    loaded = keras.saving.load_model(tmp_path / "frozen.keras")
    assert not loaded.train_generator and loaded.g_optimizer is None
    assert loaded.optimizer.optimizers == [loaded.d_optimizer]
    assert int(loaded.d_optimizer.iterations) == 2


LOAD_AFTER_A_PLAIN_IMPORT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    {imports}
    out = {{}}
    for path in sys.argv[1:]:
        try:
            model = keras.models.load_model(path)
        except Exception as err:
            out[path] = {{"error": f"{{type(err).__name__}}: {{err}}"}}
            continue
        labels = {{"labels": 3}} if type(model).__name__ == "ConditionalGAN" else {{}}
        np.save(path + ".npy", model.generate(4, seed=0, **labels))
        out[path] = {{"class": type(model).__name__, "compiled": model.compiled}}
    print(json.dumps(out))
    """
)


def load_in_a_fresh_process(imports: str, *paths) -> dict:
    script = LOAD_AFTER_A_PLAIN_IMPORT.format(imports=imports)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-c", script, *map(str, paths)], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_checkpoints_load_in_a_fresh_process_after_a_plain_package_import(train_images, mnist_train, tmp_path):
    gan, cgan = make_gan(noise_dim=16, filters=8), make_cgan()
    gan.fit(data.make_dataset(train_images[:64], batch_size=64), verbose=0)
    cgan.fit(data.make_dataset(mnist_train[0][:64], mnist_train[1][:64], batch_size=64), verbose=0)
    paths = {"GAN": tmp_path / "gan.keras", "ConditionalGAN": tmp_path / "cgan.keras"}
    gan.save(paths["GAN"])
    cgan.save(paths["ConditionalGAN"])

    # `import aegan_tutorial` alone registers the classes: no `import aegan_tutorial.models` needed
    loaded = load_in_a_fresh_process("import aegan_tutorial\nimport keras", *paths.values())
    for name, path in paths.items():
        assert loaded[str(path)] == {"class": name, "compiled": True}
    np.testing.assert_array_equal(np.load(f"{paths['GAN']}.npy"), gan.generate(4, seed=0))
    np.testing.assert_array_equal(np.load(f"{paths['ConditionalGAN']}.npy"), cgan.generate(4, labels=3, seed=0))

    # the control: without the package, Keras does not know the classes
    unknown = load_in_a_fresh_process("import keras", *paths.values())
    assert all("error" in result and "GAN" in result["error"] for result in unknown.values()), unknown
