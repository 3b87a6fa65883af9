"""The registry of the book's named models: how each is built, recognised and pictured."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from aegan_tutorial import models, runs
from aegan_tutorial.data import load_mnist, to_uint8
from aegan_tutorial.models import registry


def test_every_model_builds_compiled_or_bare_and_copies_without_optimizers():
    assert list(registry.MODELS) == ["classifier", "autoencoder", "dcgan", "cgan", "scgan", "began", "sgan", "aae", "vae"]
    for name, spec in registry.MODELS.items():
        assert registry.get(name) is spec and spec.name == name
        trained = registry.build(name)
        bare = registry.build(name, training=False)
        assert isinstance(trained, spec.model_class) and trained.compiled and not bare.compiled
        copy = registry.inference_copy(trained, name)
        assert not copy.compiled
        for a, b in zip(trained.get_weights(), copy.get_weights()):
            np.testing.assert_array_equal(a, b)


def test_build_applies_the_config_and_the_seed_and_refuses_unknown_options():
    assert registry.build("dcgan", {"filters": 8}).generator.get_layer("deconv_14x14").filters == 8
    assert registry.build("cgan", {"noise_dim": 12}, training=False).noise_dim == 12
    assert registry.build("dcgan", seed=5, training=False).seed == 5  # the seed of the training noise
    wide_d = registry.build("dcgan", {"filters": 8, "d_filters": 16, "d_hidden": 12, "learning_rate": 1e-3,
                                      "g_learning_rate": None, "ema_decay": None})   # None: G at D's rate
    assert wide_d.discriminator.get_layer("conv_14x14").filters == 16 and wide_d.ema_decay is None
    assert wide_d.discriminator.get_layer("hidden").units == 12
    assert float(wide_d.d_optimizer.learning_rate) == float(wide_d.g_optimizer.learning_rate) == pytest.approx(1e-3)
    fast_g = registry.build("dcgan", {"filters": 8, "g_learning_rate": 1e-3})    # the generator's own rate
    assert float(fast_g.d_optimizer.learning_rate) == pytest.approx(2e-4)
    assert float(fast_g.g_optimizer.learning_rate) == pytest.approx(1e-3)
    recipe = registry.build("dcgan", {"filters": 8})    # the defaults: G ten times faster, with the average
    assert float(recipe.g_optimizer.learning_rate) == pytest.approx(10 * float(recipe.d_optimizer.learning_rate))
    assert recipe.ema_decay == 0.999
    with pytest.raises(ValueError, match=r"dcgan takes no option\(s\) \['width'\]; it takes \['d_filters', 'd_hidden', 'ema_decay', "
                                         r"'filters', 'g_learning_rate', 'learning_rate', 'noise_dim'\]"):
        registry.build("dcgan", {"width": 8})
    with pytest.raises(ValueError, match="unknown model 'wgan'; choose one of: classifier, autoencoder, dcgan, cgan, scgan, began, sgan, aae, vae"):
        registry.get("wgan")
    with pytest.raises(ValueError, match="unknown model 'wgan'"):
        registry.build("wgan")
    mixture = registry.build("aae", {"latent_dim": 2, "prior": "gaussian_mixture"}, seed=4, training=False)
    assert isinstance(mixture.prior, models.GaussianMixturePrior) and mixture.prior.dim == 2 and mixture.seed == 4
    with pytest.raises(ValueError, match="prior must be 'gaussian' or 'gaussian_mixture', got 'uniform'"):
        registry.build("aae", {"prior": "uniform"})
    aae = registry.build("aae", {"g_learning_rate": 1e-3})
    assert float(aae.g_optimizer.learning_rate) == pytest.approx(1e-3) and float(aae.d_optimizer.learning_rate) == pytest.approx(2e-4)
    assert registry.build("vae", {"latent_dim": 3, "beta": 2.0}, training=False).encoder.output_shape == (None, 6)
    began = registry.build("began", {"gamma": 0.3, "d_batchnorm": False}, seed=2)
    assert isinstance(began, models.BEGAN) and (began.gamma, began.lambda_k, began.seed) == (0.3, 0.01, 2)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in began.autoencoder.layers)
    assert float(began.g_optimizer.learning_rate) == pytest.approx(5 * float(began.d_optimizer.learning_rate))
    sgan = registry.build("sgan", {"lambda_ent": 0.0, "g_learning_rate": 1e-3}, seed=5)
    assert isinstance(sgan, models.StackedGAN) and (sgan.top.lambda_ent, sgan.bottom.lambda_ent) == (0.0, 0.0)
    assert (sgan.top.seed, sgan.bottom.seed, sgan.top.condition_kind, sgan.bottom.condition_kind) == (5, 6, "labels", "features")
    assert float(sgan.bottom.g_optimizer.learning_rate) == pytest.approx(1e-3)
    assert float(sgan.top.d_optimizer.learning_rate) == pytest.approx(1e-4)  # the SGAN paper's rate


def test_spec_of_recognises_each_model_by_its_most_specific_class():
    for name in registry.MODELS:
        assert registry.spec_of(registry.build(name, {"filters": 4} if "gan" in name else None, training=False)).name == name
    # a ConditionalGAN is also a GAN: the more specific spec wins
    assert issubclass(models.ConditionalGAN, models.GAN)
    with pytest.raises(ValueError, match="Dense is none of the book's models"):
        registry.spec_of(keras.layers.Dense(1))


def test_epoch_pictures_show_what_each_kind_is_judged_on(mnist_dir):
    test_images, test_labels = load_mnist("test")
    for name, count in (("dcgan", 64), ("cgan", 100), ("began", 64), ("sgan", 100), ("aae", 64), ("vae", 64)):
        spec = registry.get(name)
        gan = registry.build(name, {"filters": 4} if "gan" in name else None, training=False)
        picture = runs.epoch_picture(gan, spec)
        assert picture.dtype == np.uint8 and picture.shape == (count, 28, 28)
        np.testing.assert_array_equal(picture, runs.epoch_picture(gan, spec))  # fixed noise: SAMPLE_SEED
    cgan = registry.build("cgan", {"filters": 4}, training=False)
    expected = to_uint8(cgan.generate(100, labels=np.repeat(np.arange(10), 10), seed=runs.SAMPLE_SEED), "tanh")
    np.testing.assert_array_equal(runs.epoch_picture(cgan, registry.get("cgan")), expected)  # a digit per row
    assert registry.get("cgan").columns == 10

    autoencoder = registry.build("autoencoder", training=False)
    pairs = runs.epoch_picture(autoencoder, registry.get("autoencoder"))
    assert pairs.shape == (64, 28, 28)
    np.testing.assert_array_equal(pairs[0::2], test_images[:32])  # each test digit, then its reconstruction
    assert not np.array_equal(pairs[1::2], test_images[:32])

    from aegan_tutorial.evaluation import default_classifier, predict_digits

    classifier = default_classifier()
    wrong = runs.epoch_picture(classifier, registry.get("classifier"))
    assert 0 < len(wrong) <= 64
    misread = predict_digits(test_images, classifier) != test_labels
    np.testing.assert_array_equal(wrong, test_images[misread][:64])
