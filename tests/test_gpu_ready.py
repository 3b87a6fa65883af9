"""The GPU path, exercised on the CPU: mixed precision, XLA, and a MirroredStrategy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from aegan_tutorial import data, models, set_seed
from conftest import ROOT, changed, weights_of


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_gan_trains_under_mixed_precision(policy, train_images):
    set_seed(0)
    keras.mixed_precision.set_global_policy(policy)
    gan = models.GAN(models.build_generator(), models.build_discriminator(), noise_dim=100)
    gan.compile()
    compute = policy.split("_")[1]
    assert gan.generator.layers[1].compute_dtype == compute  # layers compute in low precision
    assert all(v.dtype == "float32" for v in gan.generator.trainable_variables)  # weights stay float32
    expected_scale = 2.0**15 if policy == "mixed_float16" else 1.0
    assert float(gan.d_optimizer.scale_loss(1.0)) == float(gan.g_optimizer.scale_loss(1.0)) == expected_scale
    before = weights_of(gan.generator)
    history = gan.fit(data.make_dataset(train_images[:256], batch_size=64), epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0]) and np.isfinite(history.history["g_loss"][0])
    assert int(gan.g_optimizer.iterations) > 0  # loss-scaled steps were applied, not all skipped
    assert changed(before, weights_of(gan.generator))
    samples = gan.generate(4, seed=0)
    assert samples.dtype == np.float32 and np.isfinite(samples).all()


def test_autoencoder_trains_under_mixed_float16(train_images):
    keras.mixed_precision.set_global_policy("mixed_float16")
    autoencoder = models.Autoencoder(models.build_encoder(8), models.build_decoder(8))
    autoencoder.compile()
    assert isinstance(autoencoder.optimizer, keras.optimizers.LossScaleOptimizer)
    assert float(autoencoder.optimizer.scale_loss(1.0)) == 2.0**15
    x = data.scale_images(train_images[:256], "sigmoid")
    before = weights_of(autoencoder)
    history = autoencoder.fit(x, x, batch_size=64, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert int(autoencoder.optimizer.iterations) == 8  # loss-scaled steps were applied, not all skipped
    assert changed(before, weights_of(autoencoder))
    assert autoencoder.predict(x[:2], verbose=0).dtype == np.float32


def test_gan_trains_with_xla(train_images):
    set_seed(0, deterministic=False)  # Keras declines XLA while TF op determinism is on
    gan = models.GAN(models.build_generator(), models.build_discriminator(), noise_dim=100)
    gan.compile(jit_compile=True)
    assert gan.jit_compile
    g_before, d_before = weights_of(gan.generator), weights_of(gan.discriminator)
    history = gan.fit(data.make_dataset(train_images[:256], batch_size=64), epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0]) and np.isfinite(history.history["g_loss"][0])
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 4
    assert changed(g_before, weights_of(gan.generator)) and changed(d_before, weights_of(gan.discriminator))


MIRRORED = textwrap.dedent(
    """
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import numpy as np
    from aegan_tutorial import data, models, set_seed

    set_seed(0)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        gan = models.GAN(models.build_generator(), models.build_discriminator(), noise_dim=100, seed=0)
        gan.compile()
    images, _ = data.load_mnist("train")
    before = [v.numpy() for v in gan.generator.trainable_variables]
    history = gan.fit(data.make_dataset(images[:512], batch_size=64), epochs=2, verbose=0)
    after = [v.numpy() for v in gan.generator.trainable_variables]
    # the two replicas must hold the same weights
    replicas_agree = all(
        all(np.array_equal(v.value.values[0].numpy(), r.numpy()) for r in v.value.values)
        for v in gan.trainable_variables
    )
    # inside the step, each replica must draw its own noise
    @tf.function
    def draw():
        return strategy.run(lambda: gan.sample_noise(4))
    noise = strategy.experimental_local_results(draw())
    json.dump({
        "replicas": strategy.num_replicas_in_sync,
        "variable_type": type(gan.generator.trainable_variables[0].value).__name__,
        "history": history.history,
        "changed": any(not np.array_equal(a, b) for a, b in zip(before, after)),
        "replicas_agree": replicas_agree,
        "noise_differs": not np.array_equal(np.array(noise[0]), np.array(noise[1])),
        "d_steps": int(gan.d_optimizer.iterations.numpy()),
    }, sys.stdout)
    """
)


def test_gan_trains_under_a_mirrored_strategy_on_two_cpu_devices(mnist_dir):
    env = {**os.environ, "AEGAN_DATA_DIR": str(mnist_dir), "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-c", MIRRORED], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert "Mirrored" in result["variable_type"]
    assert all(np.isfinite(result["history"]["d_loss"] + result["history"]["g_loss"]))
    assert result["changed"] and result["replicas_agree"] and result["noise_differs"]
    assert result["d_steps"] == 16  # 2 epochs of 8 global batches
