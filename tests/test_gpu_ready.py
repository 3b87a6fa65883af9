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

from aegan_tutorial import data, evaluation, models, pretrained, set_seed
from conftest import ROOT, changed, make_cgan, weights_of


def gan_of(kind: str, train_images=None) -> models.GAN:
    """A DCGAN, a small conditional GAN or a small self-conditioned GAN (its clusters fitted on
    ``train_images``), built under the current dtype policy (not compiled)."""
    if kind == "scgan":
        set_seed(0)
        gan = models.SelfConditionedGAN(
            models.build_conditional_generator(100, num_classes=5, filters=8),
            models.build_conditional_discriminator(num_classes=5, filters=8),
            models.build_encoder(8), noise_dim=100, num_clusters=5, ema_decay=0.999,
        )
        gan.fit_clusters(train_images[:256])
        return gan
    if kind == "cgan":
        small = make_cgan(noise_dim=100, compile=False)
        return models.ConditionalGAN(small.generator, small.discriminator, noise_dim=100, ema_decay=0.999)
    set_seed(0)
    return models.GAN(models.build_generator(), models.build_discriminator(), noise_dim=100, ema_decay=0.999)


def batches_for(kind: str, train_images, train_labels, n: int = 256):
    """Training batches of 64 for ``kind``: images, with their labels for the conditional GAN."""
    if kind == "cgan":
        return data.make_dataset(train_images[:n], batch_size=64, labels=train_labels[:n])
    return data.make_dataset(train_images[:n], batch_size=64)


@pytest.mark.parametrize("kind", ["dcgan", "cgan", "scgan"])
@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_gan_trains_under_mixed_precision(policy, kind, train_images, train_labels):
    keras.mixed_precision.set_global_policy(policy)
    gan = gan_of(kind, train_images)
    gan.compile()
    compute = policy.split("_")[1]
    assert gan.generator.layers[1].compute_dtype == compute  # layers compute in low precision
    assert all(v.dtype == "float32" for v in gan.generator.trainable_variables)  # weights stay float32
    expected_scale = 2.0**15 if policy == "mixed_float16" else 1.0
    assert float(gan.d_optimizer.scale_loss(1.0)) == float(gan.g_optimizer.scale_loss(1.0)) == expected_scale
    before = weights_of(gan.generator)
    history = gan.fit(batches_for(kind, train_images, train_labels), epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0]) and np.isfinite(history.history["g_loss"][0])
    assert int(gan.g_optimizer.iterations) > 0  # loss-scaled steps were applied, not all skipped
    assert changed(before, weights_of(gan.generator))
    assert all(v.dtype == "float32" for v in gan.ema_weights) and float(gan.ema_updates) == 4
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


@pytest.mark.parametrize("kind", ["dcgan", "cgan", "scgan"])
def test_gan_trains_with_xla(kind, train_images, train_labels):
    gan = gan_of(kind, train_images)
    set_seed(0, deterministic=False)  # Keras declines XLA while TF op determinism is on
    gan.compile(jit_compile=True)
    assert gan.jit_compile
    g_before, d_before = weights_of(gan.generator), weights_of(gan.discriminator)
    history = gan.fit(batches_for(kind, train_images, train_labels), epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0]) and np.isfinite(history.history["g_loss"][0])
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 4
    assert changed(g_before, weights_of(gan.generator)) and changed(d_before, weights_of(gan.discriminator))
    set_seed(0)  # back to the deterministic default


def test_determinism_is_a_choice_that_decides_xla():
    gan = gan_of("dcgan")
    set_seed(0, deterministic=True)
    gan.compile()
    assert gan.jit_compile is False  # "auto" resolves to off (on a CPU, and on a GPU while deterministic)
    with pytest.warns(UserWarning, match="jit_compile"):
        gan.compile(jit_compile=True)  # downgraded: Keras declines XLA under op determinism
    assert gan.jit_compile is False
    set_seed(0, deterministic=False)
    gan.compile(jit_compile=True)
    assert gan.jit_compile is True
    set_seed(0)
    from aegan_tutorial.reproducibility import default_determinism

    assert default_determinism() is True  # this machine has no GPU: runs repeat bit for bit by default


def test_the_evaluation_classifier_computes_in_float32_under_mixed_precision():
    images = evaluation.evaluation_images(300)[0]
    evaluation.default_classifier.cache_clear()
    try:
        expected = evaluation.classifier_features(images)
        evaluation.default_classifier.cache_clear()
        keras.mixed_precision.set_global_policy("mixed_float16")
        classifier = evaluation.default_classifier()  # first loaded under the mixed policy
        assert {layer.compute_dtype for layer in classifier.layers if layer.weights} == {"float32"}
        assert keras.mixed_precision.global_policy().name == "mixed_float16"  # the policy is left as it was
        features = evaluation.classifier_features(images)
        assert features.dtype == np.float64
        np.testing.assert_array_equal(features, expected)  # the same numbers, so FDs match the manifest's
        # a model built under the policy still computes in float16
        assert models.build_generator().layers[1].compute_dtype == "float16"
    finally:
        evaluation.default_classifier.cache_clear()


MIRRORED = textwrap.dedent(
    """
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import numpy as np
    from aegan_tutorial import data, models, set_seed

    conditional = sys.argv[1] == "cgan"
    set_seed(0)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    images, labels = data.load_mnist("train")
    with strategy.scope():
        if sys.argv[1] == "scgan":   # its clusters are found inside the step, on each replica's images
            gan = models.SelfConditionedGAN(models.build_conditional_generator(100, num_classes=5, filters=8),
                                            models.build_conditional_discriminator(num_classes=5, filters=8),
                                            models.build_encoder(8), noise_dim=100, num_clusters=5, seed=0,
                                            ema_decay=0.999)
            gan.fit_clusters(images[:512])
        elif conditional:
            gan = models.ConditionalGAN(models.build_conditional_generator(100, filters=8),
                                        models.build_conditional_discriminator(filters=8), noise_dim=100, seed=0,
                                        ema_decay=0.999)
        else:
            gan = models.GAN(models.build_generator(), models.build_discriminator(), noise_dim=100, seed=0,
                             ema_decay=0.999)
        gan.compile()
    before = [v.numpy() for v in gan.generator.trainable_variables]
    batches = data.make_dataset(images[:512], batch_size=64, labels=labels[:512] if conditional else None)
    history = gan.fit(batches, epochs=2, verbose=0)
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
    averages_agree = all(
        all(np.array_equal(v.value.values[0].numpy(), r.numpy()) for r in v.value.values) for v in gan.ema_weights
    )
    json.dump({
        "averages_agree": averages_agree,
        "ema_updates": float(gan.ema_updates.numpy()),
        "samples_finite": bool(np.isfinite(gan.generate(8, seed=0)).all()),
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


def in_two_replica_process(script: str, mnist_dir, *args: str) -> dict:
    """Run ``script`` in a fresh Python whose CPU is split in two devices; return the JSON it prints last."""
    env = {**os.environ, "AEGAN_DATA_DIR": str(mnist_dir), "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("kind", ["dcgan", "cgan", "scgan"])
def test_gan_trains_under_a_mirrored_strategy_on_two_cpu_devices(kind, mnist_dir):
    env = {**os.environ, "AEGAN_DATA_DIR": str(mnist_dir), "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-c", MIRRORED, kind], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert "Mirrored" in result["variable_type"]
    assert all(np.isfinite(result["history"]["d_loss"] + result["history"]["g_loss"]))
    assert result["changed"] and result["replicas_agree"] and result["noise_differs"]
    assert result["d_steps"] == 16  # 2 epochs of 8 global batches
    assert result["averages_agree"] and result["ema_updates"] == 16 and result["samples_finite"]


REPLICAS = textwrap.dedent(
    """
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    import numpy as np
    from keras import layers
    from aegan_tutorial import data, models, set_seed
    from aegan_tutorial.models import gan as gan_module

    conditional = sys.argv[1] in ("cgan", "scgan")
    images, labels = data.load_mnist("train")
    real = data.scale_images(images[:64])

    def fixed_fakes_generator():
        # the fakes ignore the noise (zero kernel), so every replica's fakes equal the 1-device ones
        noise = keras.Input((100,))
        inputs = [noise, keras.Input((), dtype="int32")] if conditional else noise
        x = layers.Dense(784, kernel_initializer="zeros", bias_initializer=keras.initializers.RandomUniform(-1, 1, seed=1))(noise)
        return keras.Model(inputs, layers.Activation("tanh")(layers.Reshape((28, 28, 1))(x)))

    def one_discriminator_step(strategy):
        with strategy.scope():
            set_seed(0)
            if sys.argv[1] == "scgan":   # the conditions: clusters found in the step, on each replica's half
                gan = models.SelfConditionedGAN(fixed_fakes_generator(),
                                                models.build_conditional_discriminator(num_classes=5, filters=8),
                                                models.build_encoder(8), noise_dim=100, num_clusters=5, seed=0)
                gan.fit_clusters(images[:512])
            elif conditional:
                gan = models.ConditionalGAN(fixed_fakes_generator(), models.build_conditional_discriminator(filters=8),
                                            noise_dim=100, seed=0)
            else:
                gan = models.GAN(fixed_fakes_generator(), models.build_discriminator(8), noise_dim=100, seed=0)
            gan.compile(keras.optimizers.SGD(0.5), train_generator=False)
        before = [w.numpy() for w in gan.discriminator.weights]
        batch = tf.data.Dataset.from_tensor_slices((real, labels[:64]) if sys.argv[1] == "cgan" else real).batch(64)
        gan.fit(batch, epochs=1, verbose=0)  # one step on the global batch of 64
        after = [w.numpy() for w in gan.discriminator.weights]
        return after, max(float(np.abs(a - b).max()) for a, b in zip(after, before))

    def gap(a, b):
        return max(float(np.abs(x - y).max()) for x, y in zip(a, b))

    one, moved = one_discriminator_step(tf.distribute.OneDeviceStrategy("/cpu:0"))
    two, _ = one_discriminator_step(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))

    # the same step with the 1/replicas factor left out: the replicas' gradients summed, not averaged
    right = gan_module.gradient_step
    def without_the_factor(optimizer, tape, loss, variables):
        grads = tape.gradient(loss, variables, output_gradients=optimizer.scale_loss(tf.constant(1.0)))
        optimizer.apply(grads, variables)
    gan_module.gradient_step = without_the_factor
    doubled, _ = one_discriminator_step(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
    gan_module.gradient_step = right
    json.dump({"moved": moved, "gap": gap(one, two), "gap_without_factor": gap(one, doubled)}, sys.stdout)
    """
)


@pytest.mark.parametrize("kind", ["dcgan", "cgan", "scgan"])
def test_a_discriminator_step_on_two_replicas_equals_the_same_global_batch_on_one_device(kind, mnist_dir):
    result = in_two_replica_process(REPLICAS, mnist_dir, kind)
    assert result["moved"] > 1e-3  # the step changed the weights (measured: about 0.05)
    assert result["gap"] < 1e-5, result  # measured: about 1e-7 (float32 sums in another order)
    assert result["gap_without_factor"] > 100 * max(result["gap"], 1e-7), result  # a missing 1/2 is caught


REPLICA_DRAWS = textwrap.dedent(
    """
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    import numpy as np
    from keras import layers
    from aegan_tutorial import models

    K, B = 4, 8
    images = tf.random.stateless_uniform((B, 28, 28, 1), seed=[1, 2])  # every replica steps on this same batch

    def replica_id():
        return int(tf.get_static_value(tf.distribute.get_replica_context().replica_id_in_sync_group))

    def drawn_in_a_step(strategy, model, wrap):
        # one train_step on every replica (compiled, as fit runs it); `wrap` puts a spy where the draw is used
        drawn = {}
        def spy(fn):
            def recorded(*args):
                out = fn(*args)
                drawn.setdefault(replica_id(), out)
                return out
            return recorded
        wrap(spy)
        @tf.function
        def step():
            drawn.clear()
            strategy.run(model.train_step, args=(images,))
            return dict(drawn)
        return {k: v.numpy() for k, v in step().items()}

    def zero_encoder(outputs):
        return keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(),
                                 layers.Dense(outputs, kernel_initializer="zeros")])

    def vae(strategy):
        # ε of the reparameterisation: the encoder outputs μ = 0 and log σ² = 0, so the decoder's codes are ε
        with strategy.scope():
            model = models.VariationalAutoencoder(zero_encoder(2 * K), models.build_decoder(K), seed=3)
            model.compile()
        seed = model.seed_generator.state.numpy()
        def wrap(spy):
            model.decoder_inputs = spy(model.decoder_inputs)
        return drawn_in_a_step(strategy, model, wrap), tf.random.stateless_normal((B, K), seed=seed).numpy()

    def aae(strategy):
        # the prior draws the code discriminator is shown as real
        with strategy.scope():
            model = models.AdversarialAutoencoder(zero_encoder(K), models.build_decoder(K),
                                                  models.build_code_discriminator(K, units=8),
                                                  prior=models.GaussianMixturePrior(K), seed=3)
            model.compile()
        seed = model.seed_generator.state.numpy()
        def wrap(spy):
            model.prior.draw = spy(model.prior.draw)
        return drawn_in_a_step(strategy, model, wrap), models.GaussianMixturePrior(K).draw(B, seed).numpy()

    def augment(strategy):
        # the transformed images; the direct draw is the layer's code before the replica offset: keras.random
        # fed the seed generator itself
        with strategy.scope():
            layer = models.DiffAugment(seed=3)
        twin = models.DiffAugment(seed=3)
        twin._uniform = lambda shape: keras.random.uniform(shape, seed=twin.seed_generator, dtype=twin.compute_dtype)
        twin._integers = lambda shape, low, high: keras.random.randint(shape, low, high, seed=twin.seed_generator,
                                                                       dtype="int32")
        @tf.function
        def step():
            return strategy.experimental_local_results(strategy.run(lambda: layer(images, training=True)))
        return dict(enumerate(x.numpy() for x in step())), twin(images, training=True).numpy()

    results = {}
    # one strategy for all three: with a new one per model, the second model's step failed (collective shape mismatch)
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    for name, draws in {"vae": vae, "aae": aae, "augment": augment}.items():
        one, direct = draws(tf.distribute.get_strategy())  # no strategy: one replica
        two, two_direct = draws(mirrored)
        results[name] = {
            "replicas": [len(one), len(two)],
            "one_is_direct": np.array_equal(one[0], direct),
            "first_replica_is_direct": np.array_equal(two[0], two_direct),
            "replicas_differ": not np.array_equal(two[0], two[1]),
            "drawn_something": bool(np.std(direct) > 0),
        }
    json.dump(results, sys.stdout)
    """
)


@pytest.fixture(scope="module")
def replica_draws(mnist_dir) -> dict:
    return in_two_replica_process(REPLICA_DRAWS, mnist_dir)


@pytest.mark.parametrize("kind", ["vae", "aae", "augment"])
def test_every_replica_draws_its_own_noise_and_one_replica_draws_what_it_always_drew(kind, replica_draws):
    """The VAE's ε, the AAE's prior draws and DiffAugment's transforms, inside the step on two CPU replicas."""
    result = replica_draws[kind]
    assert result["replicas"] == [1, 2] and result["drawn_something"], result
    assert result["one_is_direct"], result  # one replica: the seed generator's own seed, no offset
    assert result["first_replica_is_direct"], result  # replica 0 adds 0
    assert result["replicas_differ"], result  # replica 1 adds 1 to the seed
