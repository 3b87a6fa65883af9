"""The per-epoch input pipeline and the model recipes behind the command line."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from aegan_tutorial import recipes
from aegan_tutorial.data import make_epoch_dataset


@pytest.fixture(scope="module")
def small(train_images, mnist_train):
    return train_images[:100], mnist_train[1][:100]


def batches(ds) -> list[np.ndarray]:
    return [np.asarray(b[0] if isinstance(b, tuple) else b) for b in ds]


def test_every_epoch_is_a_fixed_permutation_whatever_epoch_you_start_at(small):
    images, labels = small
    full = batches(make_epoch_dataset(images, batch_size=10, seed=5, epochs=3))
    assert len(full) == 30 and all(b.shape == (10, 28, 28, 1) for b in full)
    later = batches(make_epoch_dataset(images, batch_size=10, seed=5, first_epoch=2, epochs=3))
    for a, b in zip(full[20:], later):
        np.testing.assert_array_equal(a, b)
    # each epoch shows every image once, in a new order
    first, second = np.concatenate(full[:10]), np.concatenate(full[10:20])
    assert sorted(map(bytes, first)) == sorted(map(bytes, second)) and not np.array_equal(first, second)
    other_seed = batches(make_epoch_dataset(images, batch_size=10, seed=6, epochs=1))
    assert not np.array_equal(np.concatenate(other_seed), first)


def test_labels_stay_with_their_images(small):
    images, labels = small
    for x, y in make_epoch_dataset(images, labels, batch_size=25, scale="sigmoid", seed=0, epochs=1):
        for image, label in zip(x.numpy(), y.numpy()):
            match = np.flatnonzero((images == np.rint(image[..., 0] * 255)).all(axis=(1, 2)))
            assert label in labels[match]


def test_epoch_dataset_checks_its_arguments(small):
    images, _ = small
    with pytest.raises(ValueError, match="first_epoch"):
        make_epoch_dataset(images, first_epoch=3, epochs=3)
    with pytest.raises(ValueError, match="larger than the 100 images"):
        make_epoch_dataset(images, batch_size=128)
    with pytest.raises(ValueError, match="seed"):
        make_epoch_dataset(images, seed=-1)


def test_shift_digits_moves_each_image_within_its_bounds(small):
    x = tf.constant(small[0][:64, ..., None] / 255.0, tf.float32)
    shifted = recipes.shift_digits(x, tf.constant([1, 2], tf.int64)).numpy()
    again = recipes.shift_digits(x, tf.constant([1, 2], tf.int64)).numpy()
    np.testing.assert_array_equal(shifted, again)  # stateless: same seed, same shifts
    moved = 0
    for original, out in zip(x.numpy()[..., 0], shifted[..., 0]):
        padded = np.pad(original, 2)
        candidates = [padded[r : r + 28, c : c + 28] for r in range(5) for c in range(5)]
        assert any(np.array_equal(out, c) for c in candidates)
        moved += not np.array_equal(out, original)
    assert moved > 40  # most images move (1 in 25 stays put)


def test_recipes_build_their_models_and_reject_unknown_options():
    for name in recipes.RECIPES:
        trained = recipes.build(name)
        bare = recipes.build(name, training=False)
        assert trained.compiled and not bare.compiled
        copy = recipes.inference_copy(trained, name)
        for a, b in zip(trained.get_weights(), copy.get_weights()):
            np.testing.assert_array_equal(a, b)
    assert recipes.build("dcgan", {"filters": 8}).generator.get_layer("deconv_14x14").filters == 8
    with pytest.raises(ValueError, match="takes no option"):
        recipes.build("dcgan", {"width": 8})
    with pytest.raises(ValueError, match="unknown model 'vae'; choose one of: classifier, autoencoder, dcgan, cgan"):
        recipes.get("vae")
