"""set_seed makes CPU training runs bit-identical."""

from __future__ import annotations

import numpy as np
import pytest

from aegan_tutorial import data, models, set_seed
from conftest import make_autoencoder, weights_of


def train_gan(images, seed):
    set_seed(seed)  # the only seed: the GAN's noise, too, is drawn from the global seed
    gan = models.GAN(models.build_generator(), models.build_discriminator(), noise_dim=100)
    gan.compile()
    gan.fit(data.make_dataset(images, batch_size=64), epochs=2, verbose=0)
    return weights_of(gan)


def test_same_seed_gives_bit_identical_gan_weights(train_images):
    images = train_images[:640]
    first, second, other = train_gan(images, 1), train_gan(images, 1), train_gan(images, 2)
    assert len(first) == len(second) > 0
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, c) for a, c in zip(first, other))


def test_same_seed_gives_bit_identical_autoencoder_weights(train_images):
    x = data.scale_images(train_images[:512], "sigmoid")

    def train(seed):
        autoencoder = make_autoencoder(8, seed=seed)
        autoencoder.fit(x, x, batch_size=64, epochs=1, verbose=0)
        return weights_of(autoencoder)

    for a, b in zip(train(3), train(3)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_set_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match=r"seed must be an integer >= 0, got"):
        set_seed(bad)
