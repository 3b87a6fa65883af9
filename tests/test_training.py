"""GAN and Autoencoder training: what fit logs, that they learn, bad input, non-finite losses."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from aegan_tutorial import data, models, set_seed
from aegan_tutorial.callbacks import NonFiniteLossError, StopAfter
from conftest import changed, make_autoencoder, make_gan, weights_of


def small_gan(seed=0) -> models.GAN:
    """The book's DCGAN (noise 100, width 32), compiled with the recommended optimizers."""
    return make_gan(seed=seed)


def tiny_gan(seed=0, **compile_kwargs) -> models.GAN:
    """A narrow DCGAN (noise 16, width 8) for tests of the training loop rather than of learning."""
    return make_gan(noise_dim=16, filters=8, seed=seed, **compile_kwargs)


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
    assert before < 0.05 and real > 0.75  # measured: 0.0 and 0.82
    assert after > 0.5, f"after 300 steps only {after:.2f} of the pixels are background"  # measured: 0.64


def test_gan_accepts_image_label_pairs_and_ignores_the_labels(mnist_train):
    images, labels = mnist_train[0][:256], mnist_train[1][:256]
    trained = {}
    for name, dataset in {
        "images": data.make_dataset(images, batch_size=64, seed=0),
        "pairs": data.make_dataset(images, labels, batch_size=64, seed=0),
        "wrong labels": data.make_dataset(images, (labels + 1) % 10, batch_size=64, seed=0),
    }.items():
        gan = tiny_gan()
        history = gan.fit(dataset, epochs=1, verbose=0)
        trained[name] = (weights_of(gan), history.history)
    # the same images in the same order: the labels, right or wrong, change nothing
    for name in ("pairs", "wrong labels"):
        assert trained[name][1] == trained["images"][1]
        for a, b in zip(trained[name][0], trained["images"][0]):
            np.testing.assert_array_equal(a, b)
    assert changed(weights_of(tiny_gan()), trained["images"][0])  # and the run did train


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


def constant_discriminator(logit: float) -> keras.Model:
    """A discriminator that says ``logit`` for every image (zero kernel, bias ``logit``)."""
    image = keras.Input((28, 28, 1))
    dense = keras.layers.Dense(1, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(logit))
    return keras.Model(image, dense(keras.layers.Flatten()(image)))


def softplus(x: float) -> float:
    return float(np.logaddexp(0.0, x))


@pytest.mark.parametrize("loss", ["minimax", "non_saturating"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_the_step_uses_the_chosen_generator_loss_and_label_smoothing(loss, smoothing, train_images):
    """With D(x) = sigmoid(c) everywhere (a discriminator that does not learn), both losses have closed forms."""
    c = 1.5
    set_seed(0)
    gan = models.GAN(models.build_generator(16, 8), constant_discriminator(c), noise_dim=16, seed=0)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.0), loss=loss, label_smoothing=smoothing)
    history = gan.fit(data.make_dataset(train_images[:128], batch_size=64), epochs=1, verbose=0).history
    # d_loss = −[(1 − s)·log D(x) + s·log(1 − D(x))] − log(1 − D(G(z))), with log D = −softplus(−c), log(1 − D) = −softplus(c)
    d_loss = (1 - smoothing) * softplus(-c) + smoothing * softplus(c) + softplus(c)
    # minimax: log(1 − D(G(z))); non-saturating: −log D(G(z))
    g_loss = -softplus(c) if loss == "minimax" else softplus(-c)
    assert history["d_loss"][0] == pytest.approx(d_loss, rel=1e-5)
    assert history["g_loss"][0] == pytest.approx(g_loss, rel=1e-5)


def test_minimax_loss_and_label_smoothing_train_both_players(train_images):
    gan = tiny_gan(loss="minimax", label_smoothing=0.1)
    g_before, d_before = weights_of(gan.generator), weights_of(gan.discriminator)
    history = gan.fit(data.make_dataset(train_images[:256], batch_size=64, seed=0), epochs=1, verbose=0).history
    assert np.isfinite(history["d_loss"][0]) and np.isfinite(history["g_loss"][0])
    assert changed(g_before, weights_of(gan.generator)) and changed(d_before, weights_of(gan.discriminator))
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 4


def test_a_frozen_generator_stays_put_while_the_discriminator_learns(train_images):
    gan = tiny_gan(train_generator=False)
    assert gan.g_optimizer is None and gan.optimizer.optimizers == [gan.d_optimizer]
    g_before, d_before = weights_of(gan.generator), weights_of(gan.discriminator)
    history = gan.fit(data.make_dataset(train_images[:256], batch_size=64, seed=0), epochs=2, verbose=0).history
    assert set(history) == {"d_loss"}  # no generator step, no generator loss
    assert history["d_loss"][1] < history["d_loss"][0]  # measured: 1.243 -> 1.174
    for a, b in zip(g_before, weights_of(gan.generator)):  # BatchNorm statistics too: fakes drawn in inference mode
        np.testing.assert_array_equal(a, b)
    assert changed(d_before, weights_of(gan.discriminator))
    assert int(gan.d_optimizer.iterations) == 8
    # compiled again with the generator in play, both players train
    gan.compile()
    assert gan.g_optimizer is not None and gan.optimizer.optimizers == [gan.d_optimizer, gan.g_optimizer]
    assert set(gan.fit(data.make_dataset(train_images[:64], batch_size=64), verbose=0).history) == {"d_loss", "g_loss"}
    assert changed(g_before, weights_of(gan.generator))


def test_model_optimizer_holds_the_two_players_optimizers(train_images):
    gan = tiny_gan()
    assert isinstance(gan.optimizer, models.PlayerOptimizers)
    assert not isinstance(gan.optimizer, keras.optimizers.Optimizer)  # no third optimizer that never steps
    assert gan.optimizer.optimizers == [gan.d_optimizer, gan.g_optimizer]
    assert "d_adam" in repr(gan.optimizer) and "g_adam" in repr(gan.optimizer)
    gan.fit(data.make_dataset(train_images[:128], batch_size=64), epochs=1, verbose=0)
    assert [int(o.iterations) for o in gan.optimizer.optimizers] == [2, 2]  # both are the ones that stepped
    with pytest.raises(TypeError, match="takes d_optimizer and g_optimizer, not optimizer"):
        gan.compile(optimizer="adam")


def test_keras_learning_rate_callbacks_act_on_both_players(train_images):
    gan = tiny_gan(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(2e-3))
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):  # after the scheduler's own on_epoch_begin
            seen.append([float(o.learning_rate.numpy()) for o in gan.optimizer.optimizers])

    halve = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else lr / 2)
    gan.fit(data.make_dataset(train_images[:128], batch_size=64), epochs=3, callbacks=[halve, Record()], verbose=0)
    np.testing.assert_allclose(seen, [[1e-3, 2e-3], [5e-4, 1e-3], [2.5e-4, 5e-4]], rtol=1e-6)
    # ReduceLROnPlateau too, on a loss that cannot improve enough
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="d_loss", mode="min", factor=0.1, patience=0, min_delta=1e9)
    gan.fit(data.make_dataset(train_images[:128], batch_size=64), epochs=2, callbacks=[plateau], verbose=0)  # cut after epoch 2
    np.testing.assert_allclose([float(o.learning_rate.numpy()) for o in gan.optimizer.optimizers], [2.5e-5, 5e-5],
                               rtol=1e-6)


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
    assert len(snapshots) == 3  # the run stopped after the poisoned batch
    assert all(np.isfinite(w).all() for w in weights_of(gan))
    for kept, now in zip(snapshots[1], weights_of(gan.discriminator)):
        np.testing.assert_array_equal(kept, now)  # the poisoned update was skipped


def test_with_several_steps_per_call_the_guard_checks_once_per_call_and_names_the_steps(train_images):
    gan = tiny_gan(steps_per_execution=4)  # a GPU's way to copy the logs to the host less often
    calls = []

    class CountCalls(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            calls.append(batch)

    clean = data.scale_images(train_images[:256]).reshape(8, 32, 28, 28, 1)
    gan.fit(tf.data.Dataset.from_tensor_slices(clean), epochs=1, callbacks=[CountCalls()], verbose=0)
    assert calls == [3, 7]  # 8 steps, two calls: the guard read the losses twice, not eight times
    poisoned = clean.copy()
    poisoned[5, 0, 10, 10, 0] = np.nan  # step 6, in the second call
    with pytest.raises(NonFiniteLossError, match=r"d_loss became nan in steps 5-8 \(epoch 1\)") as err:
        gan.fit(tf.data.Dataset.from_tensor_slices(poisoned), epochs=3, verbose=0)
    assert (err.value.first_step, err.value.step) == (5, 8)
    assert all(np.isfinite(w).all() for w in weights_of(gan))


def test_stop_after_ends_training_on_time(train_images):
    gan = small_gan()
    clock = StopAfter(1.0)
    gan.fit(data.make_dataset(train_images[:4096], batch_size=32), epochs=100, callbacks=[clock], verbose=0)
    assert clock.elapsed >= 1.0 and 0 < clock.steps < 100 * 128
    with pytest.raises(ValueError, match="seconds must be positive"):
        StopAfter(0)


def test_autoencoder_learns_to_reconstruct(train_images):
    autoencoder = make_autoencoder(16, optimizer="adam", loss="mse")
    x = data.scale_images(train_images[:4096], "sigmoid")
    history = autoencoder.fit(x, x, batch_size=64, epochs=4, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    held_out = data.scale_images(train_images[-512:], "sigmoid")
    mse = float(np.mean((autoencoder.predict(held_out, verbose=0) - held_out) ** 2))
    mean_image_mse = float(np.mean((x.mean(axis=0) - held_out) ** 2))
    assert mse < 0.7 * mean_image_mse  # measured: 0.035 against 0.072
    assert autoencoder.encoder(held_out[:4]).shape == (4, 16)


def test_autoencoder_fits_a_dataset_of_images_or_of_pairs(train_images):
    autoencoder = make_autoencoder(8)
    images = data.make_dataset(train_images[:256], batch_size=64, scale="sigmoid")
    first = autoencoder.fit(images, epochs=2, verbose=0).history["loss"]  # targets = inputs
    assert first[1] < first[0]  # measured: 0.2307 -> 0.2276
    # pairs: the second item is the target. Trained to map every digit to a blank page, the
    # outputs fall towards 0, where trained on (x, x) they stay near the digits' mean
    x = data.scale_images(train_images[:8], "sigmoid")
    before = float(autoencoder.predict(x, verbose=0).mean())
    blank = autoencoder.fit(images.map(lambda x: (x, tf.zeros_like(x))), epochs=3, verbose=0).history["loss"]
    after = float(autoencoder.predict(x, verbose=0).mean())
    assert blank[-1] < blank[0] and after < 0.5 * before, (before, after)  # measured: 0.488 -> 0.056
    tanh_targets = images.map(lambda x: (x, x * 2 - 1))
    with pytest.raises(ValueError, match=r"Autoencoder.fit \(targets\) expects pixel values in \[0, 1\]"):
        autoencoder.fit(tanh_targets, verbose=0)


def test_autoencoder_fit_rejects_bad_images(train_images):
    autoencoder = make_autoencoder(8)
    raw = train_images[:64, :, :, None]
    with pytest.raises(TypeError, match="Autoencoder.fit got uint8 images"):
        autoencoder.fit(raw, raw, verbose=0)
    tanh = data.scale_images(train_images[:64], "tanh")
    with pytest.raises(ValueError, match=r"Autoencoder.fit \(targets\) expects pixel values in \[0, 1\]"):
        autoencoder.fit(tanh, tanh, verbose=0)
    with pytest.raises(ValueError, match=r"shape \[batch, 28, 28, 1\], got \[64, 28, 28\]"):
        autoencoder.fit(tanh[..., 0], tanh[..., 0], verbose=0)


def test_nan_input_stops_autoencoder_training_with_finite_weights(train_images):
    autoencoder = make_autoencoder(8)
    x = data.scale_images(train_images[:128], "sigmoid")
    x[100, 5, 5, 0] = np.nan  # in the fourth batch of 32
    with pytest.raises(NonFiniteLossError, match=r"loss became nan at step 4"):
        autoencoder.fit(x, x, batch_size=32, shuffle=False, epochs=1, verbose=0)
    assert all(np.isfinite(w).all() for w in weights_of(autoencoder))


def test_the_float32_loss_scale_starts_at_1_doubles_after_finite_steps_and_is_divided_out_exactly():
    from aegan_tutorial.training import gradient_step, guard_optimizer

    guarded = guard_optimizer(keras.optimizers.SGD(0.1), "float32")
    config = guarded.get_config()
    assert config["initial_scale"] == 1.0 and config["dynamic_growth_steps"] == 2000  # Keras's dynamic scale
    guarded.dynamic_growth_steps = 2  # so that the growth shows within 6 steps
    plain = keras.optimizers.SGD(0.1)
    x = tf.constant([[0.3, -1.7], [2.2, 0.05]])
    w_guarded, w_plain = keras.Variable([[0.5], [-0.25]]), keras.Variable([[0.5], [-0.25]])
    for _ in range(6):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w_guarded) - 1.0))
        gradient_step(guarded, tape, loss, [w_guarded])
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w_plain) - 1.0))
        plain.apply(tape.gradient(loss, [w_plain]), [w_plain])
    assert float(guarded.scale_loss(1.0)) == 8.0  # 1, then 2, 4, 8 after every 2 finite steps
    assert not np.array_equal(w_plain.numpy(), [[0.5], [-0.25]])
    np.testing.assert_array_equal(w_guarded.numpy(), w_plain.numpy())  # a power-of-two scale is divided out exactly
