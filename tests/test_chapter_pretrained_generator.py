"""The chapter's helpers: the decoder-as-generator autoencoder, the three starts, and the race."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from aegan_tutorial import data
from aegan_tutorial.chapters import pretrained_generator as pg
from aegan_tutorial.pretraining import CodePrior
from conftest import weights_of


@pytest.fixture(scope="module")
def tanh_images(train_images) -> np.ndarray:
    return data.scale_images(train_images[:512], "tanh")


@pytest.fixture(scope="module")
def autoencoder(tanh_images):
    return pg.pretrain_autoencoder(tanh_images, steps=20, seed=0)


def test_the_autoencoders_decoder_is_the_dcgan_generator(autoencoder):
    assert autoencoder.decoder.input_shape == (None, pg.NOISE_DIM) and autoencoder.output_scale == "tanh"
    generator = keras.Model(autoencoder.decoder.inputs, autoencoder.decoder.outputs)
    assert [type(l).__name__ for l in generator.layers] == [type(l).__name__ for l in pg.build_generator(pg.NOISE_DIM).layers]


def test_the_arms_start_where_they_say(autoencoder, tanh_images):
    scratch = pg.arm_generator("scratch", None, seed=0)
    again = pg.arm_generator("scratch", None, seed=0)
    for a, b in zip(weights_of(scratch), weights_of(again)):
        np.testing.assert_array_equal(a, b)
    decoder = pg.arm_generator("decoder", autoencoder)
    for a, b in zip(weights_of(autoencoder.decoder), weights_of(decoder)):
        np.testing.assert_array_equal(a, b)  # pretraining copies the decoder exactly
    mapped = pg.arm_generator("decoder + prior", autoencoder, tanh_images, seed=0)
    prior = next(layer for layer in mapped.layers if isinstance(layer, CodePrior))
    codes = pg.codes_of(autoencoder, tanh_images)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(prior.mean), codes.mean(axis=0), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="arm must be one of"):
        pg.arm_generator("both", autoencoder)
    with pytest.raises(ValueError, match="starts from a pretrained autoencoder"):
        pg.arm_generator("decoder", None)


def test_batchnorm_lag_after_a_short_pretraining_and_its_fix(autoencoder, tanh_images):
    lag = pg.batchnorm_lag(autoencoder, tanh_images[:256])
    assert set(lag) == {"inference", "training", "recalibrated"}
    # after 20 steps the moving statistics are still near their start (mean 0, variance 1)
    assert lag["recalibrated"] < 0.5 * lag["inference"]  # measured: 0.19 against 0.63


def test_a_race_scores_each_checkpoint_and_leaves_the_autoencoder_alone(autoencoder, tanh_images):
    before = weights_of(autoencoder)
    rows = pg.race("decoder + prior", tanh_images, autoencoder, checkpoints=(0, 2, 3), n_eval=64, seed=1)
    assert [r["step"] for r in rows] == [0, 2, 3]
    assert all(np.isfinite(r["fd"]) and 0 <= r["precision"] <= 1 and 0 <= r["recall"] <= 1 for r in rows)
    assert rows[0]["seconds"] == 0 or rows[0]["seconds"] < rows[-1]["seconds"]
    assert all({"fd_moving", "precision_moving", "recall_moving"} <= set(r) for r in rows), "scored as it stands too"
    for a, b in zip(before, weights_of(autoencoder)):
        np.testing.assert_array_equal(a, b)
    only_first = pg.race("scratch", tanh_images, checkpoints=(0, 2), n_eval=64, seed=1, moving_at=(0,))
    assert "fd_moving" in only_first[0] and "fd_moving" not in only_first[1], "as it stands only where asked"
    with pytest.raises(ValueError, match=r"moving_at must be among the checkpoints \[0, 2\]"):
        pg.race("scratch", tanh_images, checkpoints=(0, 2), moving_at=(1,))
    with pytest.raises(TypeError, match=r"race got uint8 images; scale them to floats in \[-1, 1\]"):
        pg.race("scratch", np.zeros((4, 28, 28, 1), np.uint8))
    with pytest.raises(ValueError, match=r"race expects pixel values in \[-1, 1\]"):
        pg.race("scratch", tanh_images * 2)


def test_compare_by_step_groups_the_steps_by_verdict():
    fd = np.array([[1.0, 10, 50], [2, 11, 60], [3, 12, 70]])
    other = np.array([[9.0, 10.5, 1], [8, 11.5, 2], [7, 12.5, 3]])
    assert pg.compare_by_step(fd, other, [0, 100, 3000], "scratch") == (
        "lower than that of the scratch arm at step 0; no different from it at step 100; higher than it at step 3,000")
    with pytest.raises(ValueError, match=r"\[seeds, 2 steps\]"):
        pg.compare_by_step(fd, other, [0, 1], "scratch")


def test_scoring_with_recalibration_leaves_the_generators_statistics_as_they_were():
    generator = pg.arm_generator("scratch", None, seed=2)
    before = weights_of(generator)
    recalibrated = pg.score_generator(generator, 64, eval_seed=3, n_noise=500)
    assert all(np.array_equal(a, b) for a, b in zip(before, weights_of(generator))), "statistics put back"
    as_it_stands = pg.score_generator(generator, 64, eval_seed=3, recalibrate=False)
    assert recalibrated["fd"] != as_it_stands["fd"], "a fresh generator's statistics lag: recalibration changes its score"
    assert pg.score_generator(generator, 64, eval_seed=3, n_noise=500) == recalibrated, "the same noise, the same score"
