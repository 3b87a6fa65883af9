"""BEGAN: the autoencoder discriminator, its losses, the balance k, M_global, saving and reruns."""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest

from aegan_tutorial import data, models, set_seed
from aegan_tutorial.losses import generator_loss
from aegan_tutorial.models.began import reconstruction_loss_model
from conftest import make_gan, weights_of


def make_began(seed: int = 0, compile_kwargs: dict | None = None, **kwargs) -> models.BEGAN:
    """A small compiled BEGAN (noise 16, width 8, code 16), ``set_seed(seed)`` first."""
    set_seed(seed)
    began = models.BEGAN(models.build_generator(16, 8), models.build_autoencoder_discriminator(8, 16, scale="tanh"), 16,
                         seed=seed, **kwargs)
    began.compile(**(compile_kwargs or {}))
    return began


def numbers(x) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(x))


class KLog(keras.callbacks.Callback):
    """``k`` after every step."""

    def __init__(self):
        super().__init__()
        self.ks: list[float] = []

    def on_train_batch_end(self, batch, logs=None):
        self.ks.append(float(logs["k"]))


def test_the_discriminator_is_the_reconstruction_loss_of_an_autoencoder(train_images):
    began = make_began()
    images = data.scale_images(train_images[:6], "tanh")
    reconstructions = numbers(began.autoencoder(images))
    assert reconstructions.shape == (6, 28, 28, 1) and reconstructions.dtype == np.float32
    assert np.all(np.abs(reconstructions) <= 1.0)  # tanh
    losses = numbers(began.discriminator(images))
    assert losses.shape == (6, 1) and losses.dtype == np.float32
    np.testing.assert_allclose(losses[:, 0], np.abs(images - reconstructions).mean(axis=(1, 2, 3)), rtol=1e-6)
    # its weights are the autoencoder's: one set, trained by the discriminator's optimizer
    assert [id(w) for w in began.discriminator.weights] == [id(w) for w in began.autoencoder.weights]


def test_the_objectives_are_the_began_losses():
    began = make_began()
    began.k.assign(0.25)
    real, fake = np.array([[0.2], [0.4]], np.float32), np.array([[0.1], [0.3]], np.float32)
    assert float(began.discriminator_objective(real, fake)) == pytest.approx(0.3 - 0.25 * 0.2)  # L(x) − k L(G(z))
    assert float(began.generator_objective(fake)) == pytest.approx(0.2)  # L(G(z))
    # the hook's default is the GAN's loss chosen in compile
    for kind in ("non_saturating", "minimax"):
        gan = make_gan(noise_dim=8, filters=4, loss=kind)
        assert float(gan.generator_objective(real)) == pytest.approx(float(generator_loss(real, kind)))


def losses_of_the_discriminator_step(began: models.BEGAN, real) -> tuple[float, float]:
    """``(L(x), L(G(z)))`` as the next ``train_step`` computes them before updating anything."""
    state, generator_weights = numbers(began.seed_generator.state), began.generator.get_weights()
    fake = began.generator(began.sample_noise(len(real)), training=True)  # the step's first noise draw
    began.seed_generator.state.assign(state)
    began.generator.set_weights(generator_weights)  # undo the batch-norm statistics' update
    return (float(np.mean(numbers(began.discriminator(real, training=True)))),
            float(np.mean(numbers(began.discriminator(fake, training=True)))))


def test_one_step_logs_the_losses_m_global_and_the_updated_k(train_images):
    began = make_began(gamma=0.2, lambda_k=0.1, compile_kwargs={"run_eagerly": True, "steps_per_execution": 1})
    began.k.assign(0.3)  # a known state
    batch = data.make_dataset(train_images[:32], batch_size=32, scale="tanh", shuffle=False)
    real_L, fake_L = losses_of_the_discriminator_step(began, next(iter(batch)))
    seed_state, generator_weights = numbers(began.seed_generator.state), began.generator.get_weights()
    logs = {key: values[-1] for key, values in began.fit(batch, epochs=1, verbose=0).history.items()}
    balance = 0.2 * real_L - fake_L
    assert balance < -0.05  # so M_global needs its absolute value (measured -0.213: L(x) 0.887, L(G(z)) 0.391)
    assert logs["d_loss"] == pytest.approx(real_L - 0.3 * fake_L, rel=1e-5)  # with k before the update
    assert logs["m_global"] == pytest.approx(real_L + abs(balance), rel=1e-5)
    assert logs["k"] == pytest.approx(0.3 + 0.1 * balance, rel=1e-5) == float(began.k)
    # L_G: the updated discriminator on the step's second noise draw, through the generator before its update
    began.seed_generator.state.assign(seed_state)
    began.sample_noise(32)
    began.generator.set_weights(generator_weights)
    fakes = began.generator(began.sample_noise(32), training=True)
    assert logs["g_loss"] == pytest.approx(float(np.mean(numbers(began.discriminator(fakes, training=True)))), rel=1e-5)


def test_k_is_clipped_to_the_unit_interval():
    began = make_began(gamma=0.5, lambda_k=1.0)
    zero = np.zeros((), np.float32)
    for start, real, fake, expected in ((0.5, 2.0, 0.1, 1.0), (0.5, 0.1, 2.0, 0.0), (0.5, 0.4, 0.1, 0.6)):
        began.k.assign(start)
        logs = began.record(zero, zero, np.full((4, 1), real, np.float32), np.full((4, 1), fake, np.float32))
        # k ← clip(k + λ_k (γ L(x) − L(G(z))), 0, 1)
        assert float(logs["k"]) == float(began.k) == pytest.approx(expected)


@pytest.mark.parametrize("gamma, lambda_k", [(0.5, 0.001), (0.5, 100.0), (0.05, 100.0)])
def test_k_stays_in_the_unit_interval_while_training(train_images, gamma, lambda_k):
    began = make_began(gamma=gamma, lambda_k=lambda_k)
    images = data.make_dataset(train_images[:256], batch_size=64, scale="tanh", seed=0)
    log = KLog()
    began.fit(images, epochs=8, verbose=0, callbacks=[log])  # 32 steps
    ks = np.array(log.ks)
    assert len(ks) == 32 and np.all((ks >= 0.0) & (ks <= 1.0))
    if lambda_k == 0.001:
        assert 0.001 < ks[-1] < 0.01  # k creeps up from 0 (measured 0.00166 after 32 steps)
    else:
        # λ_k · (γ L(x) − L(G(z))) is far past the bounds (about +5 for γ = 0.5 and −35 for γ = 0.05 on the
        # first step, with the L(x) 0.89 and L(G(z)) 0.39 measured at the start of the one-step test above):
        # k sits on a bound, the top while the fakes are too well reconstructed
        assert set(ks) <= {0.0, 1.0} and ks[0] == (1.0 if gamma == 0.5 else 0.0)


def test_keras_round_trip_keeps_k_samples_and_training_on(train_images, tmp_path):
    began = make_began(gamma=0.6, lambda_k=0.05)
    began.fit(data.make_dataset(train_images[:256], batch_size=64, scale="tanh", seed=0), epochs=1, verbose=0)
    assert float(began.k) > 0.0  # k has moved off its start, so loading it is tested (measured 0.0282)
    began.save(tmp_path / "began.keras")
    loaded = keras.saving.load_model(tmp_path / "began.keras")
    assert isinstance(loaded, models.BEGAN) and (loaded.gamma, loaded.lambda_k, loaded.noise_dim) == (0.6, 0.05, 16)
    assert float(loaded.k) == float(began.k)
    np.testing.assert_array_equal(loaded.generate(8, seed=1), began.generate(8, seed=1))
    assert int(loaded.d_optimizer.iterations) == int(began.d_optimizer.iterations) == 4
    assert float(loaded.d_optimizer.learning_rate) == pytest.approx(1e-4)
    # training on from the file continues exactly as training on in memory
    more = data.make_dataset(train_images[256:384], batch_size=64, scale="tanh", shuffle=False)
    history = began.fit(more, epochs=1, verbose=0).history
    assert loaded.fit(more, epochs=1, verbose=0).history == history
    assert float(loaded.k) == float(began.k)
    for a, b in zip(weights_of(began), weights_of(loaded)):
        np.testing.assert_array_equal(a, b)


def test_two_seeded_runs_are_bit_identical(train_images):
    def run(seed):
        began = make_began(seed)
        history = began.fit(data.make_dataset(train_images[:128], batch_size=64, scale="tanh", seed=0),
                            epochs=1, verbose=0).history
        return weights_of(began), history, float(began.k)

    (first, history, k), (again, history_again, k_again) = run(3), run(3)
    assert history == history_again and k == k_again
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert run(4)[1] != history  # another seed, another run


@pytest.mark.parametrize("gamma", [0, -0.5, 1.5, float("nan"), True, "0.5"])
def test_gamma_must_lie_in_the_half_open_unit_interval(gamma):
    with pytest.raises(ValueError, match=r"gamma must be a number in \(0, 1\] .*got " + re.escape(repr(gamma))):
        models.BEGAN(models.build_generator(4, 2), models.build_autoencoder_discriminator(2, 2, scale="tanh"), 4, gamma=gamma)


@pytest.mark.parametrize("lambda_k", [0, -0.001, float("inf"), None])
def test_lambda_k_must_be_positive(lambda_k):
    with pytest.raises(ValueError, match="lambda_k must be a positive number .*got " + re.escape(repr(lambda_k))):
        models.BEGAN(models.build_generator(4, 2), models.build_autoencoder_discriminator(2, 2, scale="tanh"), 4, lambda_k=lambda_k)


@pytest.mark.parametrize("discriminator, described", [
    (lambda: models.build_discriminator(4), r"discriminator, which maps \[None, 28, 28, 1\] to \[None, 1\]"),
    (lambda: models.build_decoder(12, "tanh"), r"decoder, which maps \[None, 12\] to \[None, 28, 28, 1\]"),
    (lambda: keras.layers.Dense(1), "a Dense, not a keras.Model"),
])
def test_a_discriminator_that_is_not_an_image_autoencoder_is_refused(discriminator, described):
    refused = r"BEGAN's discriminator must be an autoencoder mapping \[B, 28, 28, 1\] images to \[B, 28, 28, 1\] "
    with pytest.raises(ValueError, match=refused + r"reconstructions .*got " + described):
        models.BEGAN(models.build_generator(4, 2), discriminator(), 4)
    with pytest.raises(ValueError, match=described):
        reconstruction_loss_model(discriminator())


def test_compile_defaults_to_the_paper_rate_and_refuses_gan_losses():
    began = make_began()
    for optimizer in (began.d_optimizer, began.g_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(1e-4) and float(optimizer.inner_optimizer.beta_1) == 0.5
    for option in ({"loss": "minimax"}, {"label_smoothing": 0.1}):
        with pytest.raises(TypeError, match=f"BEGAN.compile takes no {next(iter(option))}: BEGAN's losses are"):
            began.compile(**option)


def test_the_generator_and_the_autoencoder_must_share_a_pixel_range():
    with pytest.raises(ValueError, match="the generator writes pixels for scale 'tanh' but the autoencoder reconstructs "
                                         "them for scale 'sigmoid'"):
        models.BEGAN(models.build_generator(4, 2), models.build_autoencoder_discriminator(2, 2, scale="sigmoid"), 4)


def test_the_default_generator_and_autoencoder_make_a_began_as_written():
    # Both default to tanh pixels, so the obvious construction works and trains one step.
    began = models.BEGAN(models.build_generator(8, 4), models.build_autoencoder_discriminator(4, 4), 8, gamma=0.7)
    began.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    logs = began.fit(images, batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(logs["d_loss"][0]) and 0 <= logs["k"][0] <= 1


@pytest.mark.parametrize("batchnorm", [True, False])
def test_with_batchnorm_a_batch_of_copies_is_reconstructed_regardless_of_the_image(train_images, batchnorm):
    # BEGAN's autoencoder codes each image against its batch while training: copies of one image
    # are coded to the batch mean, so what the decoder draws no longer depends on the image
    set_seed(0)
    autoencoder = models.build_autoencoder_discriminator(8, 4, batchnorm=batchnorm, scale="tanh")
    a, b = (np.repeat(data.scale_images(train_images[i : i + 1], "tanh"), 8, axis=0) for i in (0, 1))
    rebuilt_a, rebuilt_b = numbers(autoencoder(a, training=True)), numbers(autoencoder(b, training=True))
    if batchnorm:
        np.testing.assert_allclose(rebuilt_a, rebuilt_b, atol=1e-6)
    else:
        assert np.abs(rebuilt_a - rebuilt_b).max() > 1e-3
    # a batch of different images is reconstructed image by image either way
    mixed = numbers(autoencoder(np.concatenate([a[:4], b[:4]]), training=True))
    assert np.abs(mixed[0] - mixed[-1]).max() > 1e-3


@pytest.mark.parametrize("option, value, message", [
    ("filters", 0, "filters must be a positive integer"),
    ("code_dim", 1.5, "code_dim must be a positive integer"),
    ("scale", "relu", "scale must be 'tanh' or 'sigmoid'"),
])
def test_the_autoencoder_builder_names_a_bad_option(option, value, message):
    with pytest.raises((ValueError, TypeError), match=message):
        models.build_autoencoder_discriminator(**{option: value})
