"""The autoencoder chapter's helpers (chapters.autoencoder): the PCA baseline, noise, and the autoencoder trainer."""

from __future__ import annotations

import numpy as np
import pytest

from aegan_tutorial import metrics, models, set_seed
from aegan_tutorial.chapters import autoencoder as rec
from aegan_tutorial.data import scale_images
from aegan_tutorial.chapters.encoder import PCA


@pytest.fixture(scope="module")
def digits(train_images) -> tuple[np.ndarray, np.ndarray]:
    """(1000 training digits, 300 other digits), float [N, 28, 28, 1] in [0, 1]."""
    x = scale_images(train_images[:1300], "sigmoid")
    return x[:1000], x[1000:]


def test_pca_error_falls_with_code_size_and_vanishes_at_full_rank(digits):
    train, test = digits
    errors = rec.pca_mse_by_code_size(train, test, [1, 8, 64, 784])
    values = [errors[k] for k in (1, 8, 64, 784)]
    assert all(a > b for a, b in zip(values, values[1:])), values
    assert values[0] > 0.04  # one direction leaves most of a digit unexplained; measured: 0.060
    assert values[-1] < 1e-12  # 784 orthonormal directions span every image exactly


def test_pca_error_is_that_of_the_pca_reconstruction(digits):
    train, test = digits
    pca = PCA(8).fit(train)
    rebuilt = pca.inverse_transform(pca.transform(test), shape=test.shape[1:])
    assert rec.pca_reconstruction_mse(train, test, 8) == pytest.approx(float(np.mean((rebuilt - test) ** 2)), rel=1e-9)
    assert rec.pca_reconstruction_mse(train, test, 8) == pytest.approx(
        rec.pca_mse_by_code_size(train, test, [2, 8, 32])[8], rel=1e-9
    )


def test_pca_rejects_bad_sizes_and_shapes(digits):
    train, test = digits
    with pytest.raises(ValueError, match="exceeds min"):
        rec.pca_reconstruction_mse(train[:10], test, 11)
    with pytest.raises(ValueError, match="each code size must be a positive integer, got 0"):
        rec.pca_mse_by_code_size(train, test, [0, 2])
    with pytest.raises(ValueError, match="sizes is empty"):
        rec.pca_mse_by_code_size(train, test, [])
    with pytest.raises(ValueError, match="same shape"):
        rec.pca_reconstruction_mse(train, test[:, :14], 2)


def test_add_noise_is_reproducible_clipped_and_has_the_requested_std():
    grey = np.full((200, 28, 28, 1), 0.5, np.float32)
    noisy = rec.add_noise(grey, std=0.1, seed=3)
    assert noisy.dtype == np.float32 and noisy.shape == grey.shape
    np.testing.assert_array_equal(noisy, rec.add_noise(grey, std=0.1, seed=3))
    assert not np.array_equal(noisy, rec.add_noise(grey, std=0.1, seed=4))
    # 0.5 ± 5 std stays inside [0, 1], so here the clipping changes nothing
    assert np.std(noisy - 0.5) == pytest.approx(0.1, rel=0.01)
    assert abs(np.mean(noisy - 0.5)) < 0.002
    loud = rec.add_noise(grey, std=2.0, seed=3)
    assert loud.min() == 0.0 and loud.max() == 1.0  # clipped, and it did clip
    np.testing.assert_array_equal(rec.add_noise(grey, std=0.0, seed=0), grey)


def test_add_noise_names_the_bad_input():
    grey = np.full((2, 28, 28, 1), 0.5, np.float32)
    with pytest.raises(ValueError, match="std must be a finite number >= 0"):
        rec.add_noise(grey, std=-0.1, seed=0)
    with pytest.raises(ValueError, match=r"seed must be an integer >= 0, got -1"):
        rec.add_noise(grey, std=0.1, seed=-1)
    with pytest.raises(TypeError, match="floats in \\[0, 1\\], got dtype uint8"):
        rec.add_noise(np.zeros((2, 28, 28, 1), np.uint8), std=0.1, seed=0)
    with pytest.raises(ValueError, match="must lie in \\[0, 1\\], got values in \\[-1, 1\\]"):
        rec.add_noise(np.linspace(-1, 1, 2 * 784).reshape(grey.shape), std=0.1, seed=0)


def test_train_autoencoder_learns_and_denoising_runs_repeat_exactly(digits):
    train, test = digits
    set_seed(0)
    untrained = models.Autoencoder(models.build_encoder(8), models.build_decoder(8))
    plain = rec.train_autoencoder(train, 8, steps=40)
    assert metrics.reconstruction_mse(plain, test) < 0.7 * metrics.reconstruction_mse(untrained, test)  # measured: 0.073 vs 0.232
    # fresh noise every batch, drawn from the seed: the same run twice gives the same weights
    noisy = rec.train_autoencoder(train, 8, noise_std=0.3, steps=40)
    again = rec.train_autoencoder(train, 8, noise_std=0.3, steps=40)
    np.testing.assert_array_equal(metrics.reconstruct(noisy, test[:20]), metrics.reconstruct(again, test[:20]))
    assert not np.array_equal(metrics.reconstruct(noisy, test[:20]), metrics.reconstruct(plain, test[:20]))


def test_train_autoencoder_checks_its_arguments(digits):
    train, _ = digits
    with pytest.raises(ValueError, match="loss must be 'mse' or 'bce', got 'l1'"):
        rec.train_autoencoder(train, 8, loss="l1")
    with pytest.raises(ValueError, match="targets must match images"):
        rec.train_autoencoder(train, 8, targets=train[:10])
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        rec.train_autoencoder(train, 8, steps=0)
    with pytest.raises(ValueError, match="noise_std must be a finite number >= 0"):
        rec.train_autoencoder(train, 8, noise_std=-0.2)
    with pytest.raises(ValueError, match="must lie in \\[0, 1\\]"):
        rec.train_autoencoder(train * 2 - 1, 8)
