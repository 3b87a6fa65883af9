"""Starting a generator from a decoder: an exact copy, a prior mapped onto the codes, BatchNorm recalibrated."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from aegan_tutorial import models, set_seed
from aegan_tutorial.pretraining import CodePrior, gaussian_of_codes, generator_from_decoder, recalibrate_batchnorm
from conftest import weights_of


def correlated_codes(n: int = 20000, k: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(k, k))
    mean = rng.normal(size=k) * 3
    return rng.normal(size=(n, k)) @ mixing.T + mean, mean, mixing @ mixing.T


def test_the_fitted_prior_turns_standard_noise_into_the_codes_mean_and_covariance():
    codes, mean, cov = correlated_codes()
    prior = CodePrior.from_codes(codes)
    fitted_mean, fitted_cov = gaussian_of_codes(codes)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(prior.scale_tril) @ keras.ops.convert_to_numpy(prior.scale_tril).T,
                               fitted_cov, rtol=1e-4, atol=1e-4)
    z = np.random.default_rng(1).standard_normal((200000, 6)).astype("float32")
    mapped = keras.ops.convert_to_numpy(prior(z)).astype(np.float64)
    np.testing.assert_allclose(mapped.mean(axis=0), fitted_mean, atol=0.05)  # measured: within 0.02
    np.testing.assert_allclose(np.cov(mapped.T), fitted_cov, rtol=0.05, atol=0.1)
    np.testing.assert_allclose(fitted_mean, mean, atol=0.1)
    assert not prior.trainable_weights and len(prior.non_trainable_weights) == 2
    identity = CodePrior(3)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(identity(z[:4, :3])), z[:4, :3])


def test_a_prior_survives_a_dead_code_unit_and_refuses_bad_codes():
    codes, _, _ = correlated_codes(k=4)
    codes[:, 2] = 0.0  # a unit that never varies: singular covariance
    prior = CodePrior.from_codes(codes)
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(prior.scale_tril)))
    with pytest.raises(ValueError, match=r"shape \[N, k\]"):
        CodePrior.from_codes(np.zeros(5))
    with pytest.raises(ValueError, match="NaN"):
        CodePrior.from_codes(np.full((4, 2), np.nan))


def test_generator_from_decoder_copies_the_decoder_exactly_and_independently():
    set_seed(0)
    decoder = models.build_generator(16, filters=8)
    z = np.random.default_rng(0).standard_normal((5, 16)).astype("float32")
    copy = generator_from_decoder(decoder)
    assert not any(isinstance(layer, keras.Model) for layer in copy.layers)  # flat
    for a, b in zip(weights_of(decoder), weights_of(copy)):
        np.testing.assert_array_equal(a, b)
    for training in (False, True):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(decoder(z, training=training)),
                                      keras.ops.convert_to_numpy(copy(z, training=training)))
    copy.layers[1].kernel.assign(copy.layers[1].kernel * 2)  # training the copy leaves the decoder alone
    assert not np.array_equal(keras.ops.convert_to_numpy(decoder.layers[1].kernel), keras.ops.convert_to_numpy(copy.layers[1].kernel))
    codes, _, _ = correlated_codes(k=16)
    prior = CodePrior.from_codes(codes)
    behind = generator_from_decoder(decoder, prior)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(behind(z)), keras.ops.convert_to_numpy(decoder(prior(z))),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="the prior maps 3 numbers but the decoder reads codes of size 16"):
        generator_from_decoder(decoder, CodePrior(3))


def test_recalibrated_batchnorm_gives_in_inference_mode_what_training_mode_gives():
    set_seed(0)
    generator = models.build_generator(16, filters=8)
    noise = np.random.default_rng(0).normal(2.0, 3.0, size=(512, 16)).astype("float32")  # far from what BN expects
    before = np.abs(keras.ops.convert_to_numpy(generator(noise)) - keras.ops.convert_to_numpy(generator(noise, training=True))).max()
    assert recalibrate_batchnorm(generator, noise, batch_size=100) == 2
    after = np.abs(keras.ops.convert_to_numpy(generator(noise)) - keras.ops.convert_to_numpy(generator(noise, training=True))).max()
    assert after < 1e-3 < before  # measured: 0.98 before, 2e-6 after
    nested = keras.Sequential([keras.Input((16,)), models.build_generator(16, filters=8)])
    with pytest.raises(ValueError, match="nest BatchNorm layers"):
        recalibrate_batchnorm(nested, noise)


def test_a_branching_decoder_is_refused():
    x = keras.Input((4,))
    a, b = keras.layers.Dense(3)(x), keras.layers.Dense(3)(x)
    branching = keras.Model(x, keras.layers.Add()([a, b]))
    with pytest.raises(ValueError, match="one chain of layers"):
        generator_from_decoder(branching)


def test_a_generator_behind_a_prior_runs_under_mixed_precision():
    codes, _, _ = correlated_codes(k=16)
    keras.mixed_precision.set_global_policy("mixed_float16")
    prior = CodePrior.from_codes(codes)
    generator = generator_from_decoder(models.build_generator(16, filters=8), prior)
    assert prior.compute_dtype == "float16" and prior.mean.dtype == "float32"
    out = keras.ops.convert_to_numpy(generator(np.random.default_rng(0).standard_normal((4, 16)).astype("float32")))
    assert out.dtype == np.float32 and np.all(np.isfinite(out))
