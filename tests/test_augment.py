"""Differentiable augmentation: each transform does what its name says, only in training, and lets gradients through."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from aegan_tutorial.models import build_discriminator, build_generator
from aegan_tutorial.models.augment import POLICIES, DiffAugment, with_diff_augment
from aegan_tutorial.models.gan import GAN


def _images(n: int = 16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (n, 28, 28, 1)).astype("float32")


def test_inference_mode_changes_nothing():
    x = _images()
    for policy in [POLICIES, ("color",), ("translation",), ("cutout",)]:
        np.testing.assert_array_equal(DiffAugment(policy, seed=0)(x).numpy(), x)


def test_translation_moves_each_image_whole_by_at_most_four_pixels():
    x = np.zeros((64, 28, 28, 1), np.float32)
    x[:, 12, 15, 0] = 1.0  # one lit pixel per image
    y = DiffAugment(("translation",), seed=1)(x, training=True).numpy()
    shifts = []
    for image in y[..., 0]:
        lit = np.argwhere(image == 1.0)
        assert len(lit) == 1 and np.count_nonzero(image) == 1  # moved, not blurred or duplicated
        shifts.append(lit[0] - [12, 15])
    shifts = np.array(shifts)
    assert np.abs(shifts).max() == 4  # up to 0.125 × 28 + 0.5 → 4 pixels (64 draws reach it)
    assert len({tuple(s) for s in shifts}) > 20  # each image its own shift


def test_translation_fills_the_vacated_border_with_zero():
    x = np.ones((32, 28, 28, 1), np.float32)
    y = DiffAugment(("translation",), seed=2)(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 1.0}
    lost = (y == 0).reshape(32, -1).sum(1)
    assert lost.max() > 0 and lost.max() <= 28 * 4 * 2  # at most four rows and four columns


def test_cutout_zeroes_one_square_of_side_fourteen_and_leaves_the_rest():
    x = np.ones((64, 28, 28, 1), np.float32)
    y = DiffAugment(("cutout",), seed=3)(x, training=True).numpy()[..., 0]
    for image in y:
        rows, cols = np.nonzero(image == 0)
        assert len(rows) > 0
        assert rows.max() - rows.min() + 1 <= 14 and cols.max() - cols.min() + 1 <= 14
        assert len(rows) == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)  # a (clipped) rectangle
    assert max(np.count_nonzero(image == 0) for image in y) == 14 * 14  # whole squares occur


def test_fill_paints_the_border_and_the_square_with_the_background_and_saves():
    x = np.ones((32, 28, 28, 1), np.float32)
    for policy in ("translation", "cutout"):
        plain = DiffAugment((policy,), seed=7)(x, training=True).numpy()
        layer = DiffAugment((policy,), seed=7, fill=-1.0)
        filled = layer(x, training=True).numpy()
        assert set(np.unique(filled)) == {-1.0, 1.0}
        np.testing.assert_array_equal(filled == -1.0, plain == 0.0)  # same transforms, other paint
        assert DiffAugment.from_config(layer.get_config()).fill == -1.0
    with pytest.raises(ValueError, match="fill"):
        DiffAugment(fill=-2.0)


def test_color_is_an_affine_map_per_image_with_contrast_between_half_and_one_and_a_half():
    x = _images(32)
    y = DiffAugment(("color",), seed=4)(x, training=True).numpy()
    for a, b in zip(x.reshape(32, -1), y.reshape(32, -1)):
        slope, intercept = np.polyfit(a, b, 1)
        np.testing.assert_allclose(b, slope * a + intercept, atol=1e-5)
        assert 0.5 <= slope <= 1.5


def test_the_seed_fixes_the_transforms_and_successive_calls_differ():
    x = _images()
    first, second = DiffAugment(seed=5), DiffAugment(seed=5)
    a, b = first(x, training=True).numpy(), second(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, first(x, training=True).numpy())


def test_gradients_reach_the_kept_pixels_and_not_the_cut_ones():
    x = tf.Variable(_images(8))
    layer = DiffAugment(("cutout",), seed=6)
    with tf.GradientTape() as tape:
        y = layer(x, training=True)
        total = tf.reduce_sum(y * y)
    gradient = tape.gradient(total, x).numpy()
    cut = y.numpy() == 0
    assert np.all(gradient[cut] == 0) and np.all(gradient[~cut] != 0)


def test_bad_options_are_named():
    with pytest.raises(ValueError, match="policy"):
        DiffAugment(("rotation",))
    with pytest.raises(ValueError, match="policy"):
        DiffAugment(("color", "color"))
    with pytest.raises(ValueError, match="translation"):
        DiffAugment(translation=0.6)
    with pytest.raises(ValueError, match="cutout"):
        DiffAugment(cutout=0.0)
    with pytest.raises(ValueError, match="28, 28, 1"):
        with_diff_augment(keras.Sequential([keras.Input((14, 14, 1)), keras.layers.Flatten(), keras.layers.Dense(1)]))


def test_an_augmented_discriminator_shares_weights_and_judges_plain_images_in_inference():
    bare = build_discriminator(filters=4)
    augmented = with_diff_augment(bare, seed=0)
    x = _images(8)
    np.testing.assert_allclose(augmented(x).numpy(), bare(x).numpy(), rtol=1e-6)
    assert not np.allclose(augmented(x, training=True).numpy(), bare(x).numpy())
    assert {id(v) for v in augmented.trainable_variables} == {id(v) for v in bare.trainable_variables}


def test_a_gan_trains_through_the_augmentation_and_saves_with_it(tmp_path):
    keras.utils.set_random_seed(0)
    gan = GAN(build_generator(8, 4), with_diff_augment(build_discriminator(4), seed=0), 8, seed=0)
    gan.compile()
    before = [w.numpy().copy() for w in gan.generator.trainable_weights + gan.discriminator.trainable_weights]
    gan.fit(_images(64), batch_size=32, epochs=1, verbose=0)
    after = [w.numpy() for w in gan.generator.trainable_weights + gan.discriminator.trainable_weights]
    assert all(not np.array_equal(a, b) for a, b in zip(before, after))  # both players learn through the transforms
    file = tmp_path / "gan.keras"
    gan.save(file)
    loaded = keras.saving.load_model(file)
    layer = loaded.discriminator.get_layer("diff_augment")
    assert isinstance(layer, DiffAugment) and layer.policy == POLICIES
    np.testing.assert_allclose(loaded.discriminator(_images(4)).numpy(), gan.discriminator(_images(4)).numpy(), rtol=1e-5)
