"""Helpers of the chapter "Inside the codes": image properties, directions, damage, encoders, transfer."""

from __future__ import annotations

import numpy as np
import pytest

from aegan_tutorial import pretrained
from aegan_tutorial.chapters import inside_codes as chapter
from aegan_tutorial.chapters.encoder import fit_linear_probe, linear_probe


def _bar(width: int, slant: int = 0) -> np.ndarray:
    """A vertical bar 20 pixels tall, ``width`` wide, its top moved ``slant`` pixels right of its bottom."""
    image = np.zeros((28, 28), np.uint8)
    for row in range(4, 24):
        shift = round(slant * (23 - row) / 19)
        image[row, 12 + shift: 12 + shift + width] = 255
    return image


def test_properties_measure_ink_width_and_slant():
    bars = np.stack([_bar(2), _bar(4), _bar(2, slant=6), _bar(2, slant=-6)])
    p = chapter.image_properties(bars)
    np.testing.assert_allclose(p["ink"][:2], [40 / 784, 80 / 784], rtol=1e-6)
    assert 1.6 < p["stroke_width"][0] < 2.2 and 3.2 < p["stroke_width"][1] < 4.2  # 2A/P of a 20×w bar: 20w/(20+w)
    assert abs(p["slant"][0]) < 1e-6 and p["slant"][2] > 0.25 and p["slant"][3] < -0.25  # 6 px over 19 rows: 0.32
    assert p["slant"][2] == pytest.approx(-p["slant"][3], rel=1e-5)
    np.testing.assert_allclose(chapter.image_properties(bars[..., None].astype(np.float32) / 255)["ink"], p["ink"], rtol=1e-6)
    with pytest.raises(ValueError, match="28, 28"):
        chapter.image_properties(np.zeros((2, 14, 14), np.uint8))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        chapter.image_properties(np.full((1, 28, 28), 2.0, np.float32))


def test_property_directions_recover_a_planted_linear_property():
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((500, 6))
    planted = np.array([0, 3.0, 0, -4.0, 0, 0])
    found = chapter.property_directions(codes, {"p": codes @ planted + 1.0, "noise": rng.standard_normal(500)})
    np.testing.assert_allclose(found["p"].vector, planted / 5.0, atol=1e-6)
    assert found["p"].slope == pytest.approx(5.0) and found["p"].r2 == pytest.approx(1.0)
    assert found["noise"].r2 < 0.05  # 6 random regressors explain about 6/500 of pure noise
    with pytest.raises(ValueError, match="one value per code"):
        chapter.property_directions(codes, {"p": np.zeros(3)})


def test_random_directions_are_unit_seeded_and_spread_over_the_sphere():
    vectors = chapter.random_directions(8, 2000, seed=3)
    assert vectors.shape == (2000, 8) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(vectors, chapter.random_directions(8, 2000, seed=3))
    assert not np.allclose(vectors[:5], chapter.random_directions(8, 5, seed=4))
    assert np.abs(vectors.mean(axis=0)).max() < 0.05   # no preferred direction: each mean is 0 ± sqrt(1 / (8 · 2000)) ≈ 0.008
    with pytest.raises(ValueError, match="count"):
        chapter.random_directions(8, 0)


def test_direction_cosines_name_each_pair_once():
    e = np.eye(3, dtype=np.float32)
    diagonal = (e[0] + e[1]) / np.sqrt(2)
    found = {"ink": chapter.Direction(e[0], 1.0, 0.9), "stroke_width": chapter.Direction(diagonal, 1.0, 0.9),
             "slant": chapter.Direction(e[2], 1.0, 0.9)}
    cosines = chapter.direction_cosines(found)
    assert list(cosines) == ["ink·stroke_width", "ink·slant", "stroke_width·slant"]
    np.testing.assert_allclose(list(cosines.values()), [1 / np.sqrt(2), 0.0, 0.0], atol=1e-6)


def test_a_walk_along_the_ink_direction_adds_ink():
    vae = pretrained.load("vae")
    space = chapter.code_space(vae)
    codes = space.sample(400, 0)
    direction = chapter.property_directions(codes, chapter.image_properties(space.decode(codes)))["ink"]
    walked = chapter.walk(space, codes[:50], direction.vector, [-2, 0, 2])
    assert walked["ink"][0] < walked["ink"][1] < walked["ink"][2]
    assert walked["changed"][1] == 0 and walked["images"].shape == (3, 50, 28, 28)


def test_digits_changed_at_an_equal_change_of_the_property():
    t = np.array([-3.0, -2, -1, 0, 1, 2, 3])
    share = chapter.digits_changed_at(t, 2 * t + 5, np.abs(t) / 3, amount=1.0)   # moved by 1 at t = ±0.5
    assert share == pytest.approx(0.5 / 3)
    lopsided = np.where(t > 0, 4 * t, t)                                            # ±1 reached at t = 0.25 and −1
    assert chapter.digits_changed_at(t, lopsided, np.abs(t) / 3, 1.0) == pytest.approx((0.25 + 1) / 6)
    with pytest.raises(ValueError, match="at most"):
        chapter.digits_changed_at(t, 0.1 * t, np.abs(t), 1.0)
    with pytest.raises(ValueError, match="steadily"):
        chapter.digits_changed_at(t, np.array([-3.0, -2, -1, 0, 1, 0.5, 2]), np.abs(t), 1.0)   # falls back at t = 2
    with pytest.raises(ValueError, match="through 0"):
        chapter.digits_changed_at(t + 0.5, t, t, 1.0)


def test_code_spaces_of_a_gan_and_an_autoencoder():
    gan = chapter.code_space(pretrained.load("dcgan"))
    assert gan.dim == 100 and gan.sample(3, 0).shape == (3, 100)
    images = gan.decode(gan.sample(3, 0))
    assert images.dtype == np.uint8 and images.shape == (3, 28, 28)
    grid = chapter.traversal(gan, np.zeros(100), dims=[0, 5], values=[-2, 0, 2])
    assert grid.shape == (6, 28, 28)
    np.testing.assert_array_equal(grid[1], grid[4])  # both the zero code
    assert not np.array_equal(grid[0], grid[3])
    with pytest.raises(ValueError, match="no code space"):
        chapter.code_space(pretrained.load("classifier"))


def test_interpolation_ends_at_both_codes_and_probabilities_sum_to_one(train_images):
    path = chapter.interpolate(np.zeros(4), np.ones(4), 5)
    np.testing.assert_allclose(path[:, 0], [0, 0.25, 0.5, 0.75, 1])
    p = chapter.digit_probabilities(train_images[:4])
    np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="steps"):
        chapter.interpolate(np.zeros(2), np.ones(2), 1)


def test_corruptions(train_images):
    x = train_images[:20]
    same = chapter.corrupt(x, "noise", 0.0)
    np.testing.assert_allclose(same[..., 0], x / 255, atol=1e-7)
    noisy = chapter.corrupt(x, "noise", 0.3, seed=1)
    assert noisy.shape == (20, 28, 28, 1) and 0 <= noisy.min() and noisy.max() <= 1
    assert 0.1 < np.std(noisy[..., 0] - x / 255) < 0.3  # clipping shrinks it below 0.3
    blank = np.full((10, 28, 28), 255, np.uint8)
    occluded = chapter.corrupt(blank, "occlusion", 7, seed=2)[..., 0]
    assert all(np.count_nonzero(image == 0) == 49 for image in occluded)
    with pytest.raises(ValueError, match="kind"):
        chapter.corrupt(x, "blur", 1)
    with pytest.raises(ValueError, match="whole pixels"):
        chapter.corrupt(x, "occlusion", 2.5)


def test_fit_linear_probe_scores_like_linear_probe(train_images, train_labels):
    codes = train_images[:600].reshape(600, -1).astype(np.float32) / 255
    probe = fit_linear_probe(codes[:500], train_labels[:500], seed=0)
    assert probe.accuracy(codes[500:], train_labels[500:600]) == linear_probe(
        codes[:500], train_labels[:500], codes[500:], train_labels[500:600], seed=0)


def test_encoder_arms_train_and_curves_degrade_with_damage(train_images, train_labels):
    model = chapter.train_encoder_arm("plain", train_images[:2000], steps=200, seed=0)
    curves = chapter.robustness_curves(model, train_images[:1000], train_labels[:1000], train_images[1000:1500],
                                       train_labels[1000:1500], "noise", [0.0, 0.8])
    assert curves["level"] == [0.0, 0.8] and curves["mse"][1] > curves["mse"][0]
    assert 0 <= curves["probe"][1] <= curves["probe"][0] <= 1
    clean = train_images[1000:1500, ..., None] / np.float32(255)
    rebuilt = chapter.code_reconstructions(model, clean)
    assert rebuilt.shape == clean.shape
    assert float(np.mean((rebuilt - clean) ** 2)) == pytest.approx(curves["mse"][0], rel=1e-5)  # level 0 is no damage
    assert chapter.encoder_codes(chapter.train_encoder_arm("vae", train_images[:200], 2), train_images[:5, ..., None] / 255.0).shape == (5, 8)
    denoising = chapter.train_encoder_arm("denoising", train_images[:200], 2)
    assert denoising.encoder.output_shape == (None, 8)
    with pytest.raises(ValueError, match="arm"):
        chapter.train_encoder_arm("sparse", train_images[:100], 2)


def test_rotation_and_transfer_arms(train_images, train_labels):
    turned = chapter.rotate_digits(train_images[:3])
    np.testing.assert_array_equal(turned[0], np.rot90(train_images[0]))
    x, y = chapter.rotate_digits(train_images[:200]), train_labels[:200]
    tx, ty = chapter.rotate_digits(train_images[200:400]), train_labels[200:400]
    for arm in chapter.TRANSFER_ARMS:
        accuracy = chapter.transfer_accuracy(arm, x, y, tx, ty, seed=0, steps=5)
        assert 0 <= accuracy <= 1
    upright = chapter.transfer_accuracy("classifier probe", train_images[:200], y, train_images[200:400], ty, seed=0)
    assert upright > 0.9  # the classifier's own features on upright digits: 0.99 when set
    with pytest.raises(ValueError, match="arm"):
        chapter.transfer_accuracy("pixels", x, y, tx, ty)


def test_the_shipped_results_walk_random_directions_beside_the_property_ones():
    """The control the chapter reads the property walks against: same codes, same steps, every model and seed."""
    from aegan_tutorial import results

    saved = results.load("inside_codes")
    settings, d, n = saved["settings"], saved["measurements"]["directions"], len(saved["seeds"])
    assert n >= 3 and set(d) == {"dcgan", "vae", "aae"}
    for model in d.values():
        assert all(len(model[p]["changed"]) == n and len(model[p]["changed"][0]) == len(settings["walk_t"])
                   for p in chapter.PROPERTIES)
        assert len(model["random"]["changed"]) == n
        assert all(len(per_seed) == settings["random_directions"] and all(len(c) == len(settings["walk_t"]) for c in per_seed)
                   for per_seed in model["random"]["changed"])
        at_zero = settings["walk_t"].index(0.0)
        assert all(c[at_zero] == 0 for per_seed in model["random"]["changed"] for c in per_seed), "t = 0 changes nothing"
        assert set(model["cosines"]) == {"ink·stroke_width", "ink·slant", "stroke_width·slant"}
        assert all(-1 <= v <= 1 for values in model["cosines"].values() for v in values)
