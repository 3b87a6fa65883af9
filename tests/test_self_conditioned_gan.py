"""The self-conditioned GAN: clusters of its encoder's codes as labels, and samples drawn without any."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from aegan_tutorial import data, models, pretrained, runs, set_seed
from aegan_tutorial.clustering import nearest_centre
from aegan_tutorial.models import registry
from conftest import changed, weights_of

CLUSTERS = 6


def small_scgan(seed: int = 0, num_clusters: int = CLUSTERS) -> models.SelfConditionedGAN:
    set_seed(seed)
    return models.SelfConditionedGAN(
        models.build_conditional_generator(16, num_classes=num_clusters, filters=8),
        models.build_conditional_discriminator(num_classes=num_clusters, filters=8),
        models.build_encoder(8),
        noise_dim=16,
        num_clusters=num_clusters,
        seed=seed,
        ema_decay=0.99,
    )


def test_fit_is_refused_until_the_clusters_are_known(train_images):
    gan = small_scgan()
    gan.compile()
    assert not gan.has_clusters
    with pytest.raises(RuntimeError, match=r"call fit_clusters\(training images, encoder\) before fit"):
        gan.fit(data.make_dataset(train_images[:64], batch_size=32), epochs=1, verbose=0)
    with pytest.raises(RuntimeError, match="no clusters yet"):
        gan.generate(4)


def test_the_training_step_finds_the_clusters_k_means_found(train_images):
    """Each real image's condition in train_step is the cluster fit_clusters gave it."""
    gan = small_scgan()
    images = train_images[:300]
    assignments = gan.fit_clusters(images, seed=1)
    assert assignments.shape == (300,) and assignments.dtype == np.int32
    assert gan.has_clusters and sorted(set(assignments.tolist())) == list(range(CLUSTERS))
    shares = keras.ops.convert_to_numpy(gan.shares)
    np.testing.assert_allclose(shares, np.bincount(assignments, minlength=CLUSTERS) / 300, rtol=1e-6)
    np.testing.assert_array_equal(nearest_centre(gan.codes(images), keras.ops.convert_to_numpy(gan.centres)),
                                  assignments)
    in_step = keras.ops.convert_to_numpy(gan.assign_clusters(data.scale_images(images, "tanh")))
    assert np.mean(in_step == assignments) > 0.99  # float32 in the graph against float64 in k-means


def test_it_trains_on_images_alone_and_draws_clusters_with_their_shares(train_images):
    gan = small_scgan()
    gan.fit_clusters(train_images[:256])
    gan.compile()
    g_before, d_before = weights_of(gan.generator), weights_of(gan.discriminator)
    e_before = weights_of(gan.encoder)
    history = gan.fit(data.make_dataset(train_images[:256], batch_size=64), epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0]) and np.isfinite(history.history["g_loss"][0])
    assert changed(g_before, weights_of(gan.generator)) and changed(d_before, weights_of(gan.discriminator))
    assert not changed(e_before, weights_of(gan.encoder))  # the encoder is frozen
    with pytest.raises(TypeError, match="takes real images only"):
        gan.fit(data.scale_images(train_images[:64], "tanh"), np.zeros(64, "int32"), verbose=0)

    samples = gan.generate(10, seed=3)
    assert samples.shape == (10, 28, 28, 1) and samples.dtype == np.float32
    np.testing.assert_array_equal(samples, gan.generate(10, seed=3))  # the seed fixes noise and clusters
    drawn = gan.clusters_for(20_000, seed=0)
    np.testing.assert_allclose(np.bincount(drawn, minlength=CLUSTERS) / 20_000,
                               keras.ops.convert_to_numpy(gan.shares), atol=0.015)
    # a chosen cluster is the conditional GAN's label
    np.testing.assert_array_equal(gan.generate(3, clusters=2, seed=1),
                                  models.ConditionalGAN.generate(gan, 3, labels=2, seed=1))
    with pytest.raises(ValueError, match=f"labels must lie in 0-{CLUSTERS - 1}"):
        gan.generate(2, clusters=CLUSTERS)


def test_the_clusters_and_the_encoder_are_saved_and_loaded(train_images, tmp_path):
    gan = small_scgan()
    gan.fit_clusters(train_images[:200])
    gan.compile()
    gan.save(tmp_path / "scgan.keras")
    loaded = keras.saving.load_model(tmp_path / "scgan.keras")
    assert isinstance(loaded, models.SelfConditionedGAN) and loaded.num_clusters == CLUSTERS and loaded.has_clusters
    for a, b in zip(weights_of(gan), weights_of(loaded)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(gan.generate(5, seed=2), loaded.generate(5, seed=2))

    gan.save_weights(tmp_path / "scgan.weights.h5")
    bare = small_scgan(seed=9)
    bare.load_weights(tmp_path / "scgan.weights.h5")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(bare.centres), keras.ops.convert_to_numpy(gan.centres))


def test_a_bad_encoder_is_refused():
    with pytest.raises(ValueError, match=r"the encoder must map \[B, 28, 28, 1\] images to \[B, d\] codes"):
        models.SelfConditionedGAN(
            models.build_conditional_generator(16, num_classes=3, filters=8),
            models.build_conditional_discriminator(num_classes=3, filters=8),
            models.build_decoder(8), noise_dim=16, num_clusters=3,
        )


@pytest.mark.slow
def test_a_run_clusters_the_shipped_autoencoders_codes_and_resumes_bit_identically(tmp_path, mnist_dir):
    """``train scgan``: the shipped encoder's codes clustered before epoch 1; an interrupted run resumes exactly."""
    from test_runs import Interrupted, InterruptAt, assert_same_weights

    options = dict(epochs=2, train_images=320, batch_size=64, eval_samples=20, final_samples=20, seed=3,
                   progress=False, config={"num_clusters": 10, "filters": 8})
    keras.backend.clear_session()
    record = runs.train("scgan", tmp_path / "straight", **options)
    assert record["status"] == "complete" and set(record["metrics"]) == {"fd", "precision", "recall"}
    model = registry.build("scgan", record["config"], training=False)
    model.load_weights(tmp_path / "straight" / "model.weights.h5")
    for a, b in zip(weights_of(model.encoder), weights_of(pretrained.load("autoencoder").encoder)):
        np.testing.assert_array_equal(a, b)
    assert model.has_clusters

    keras.backend.clear_session()
    with pytest.raises(Interrupted):
        runs.train("scgan", tmp_path / "resumed", callbacks=[InterruptAt(7)], **options)
    keras.backend.clear_session()
    runs.train("scgan", tmp_path / "resumed", **options)
    assert_same_weights(tmp_path / "straight", tmp_path / "resumed")
    assert json.loads((tmp_path / "resumed" / "run.json").read_text())["metrics"] == record["metrics"]
