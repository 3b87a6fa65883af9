"""The GAN callbacks: fixed-noise grids and per-step losses."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from aegan_tutorial.callbacks import FixedNoiseSamples, LossHistory, tile
from aegan_tutorial.models import GAN
from conftest import make_gan

NOISE_DIM = 8


def small_gan(seed: int = 0) -> GAN:
    return make_gan(NOISE_DIM, filters=4, seed=seed)


def real_images(n: int = 48) -> np.ndarray:
    return np.random.default_rng(0).uniform(-1, 1, (n, 28, 28, 1)).astype(np.float32)


def test_fixed_noise_gives_the_same_grid_when_the_weights_do_not_change():
    gan = small_gan()
    samples = FixedNoiseSamples(6, seed=3)
    samples.set_model(gan)
    samples.on_train_begin()
    first, second = samples.sample(), samples.sample()
    assert first.dtype == np.uint8 and first.shape == (6, 28, 28)
    np.testing.assert_array_equal(first, second)
    again = FixedNoiseSamples(6, seed=3)
    again.set_model(gan)
    again.on_train_begin()
    np.testing.assert_array_equal(again.noise, samples.noise)  # the seed fixes the noise


def test_one_grid_per_epoch_and_pngs_written(tmp_path):
    gan = small_gan()
    samples = FixedNoiseSamples(4, seed=0, directory=tmp_path / "grids", ncols=2, at_start=True)
    gan.fit(real_images(), batch_size=16, epochs=3, verbose=0, callbacks=[samples])
    assert samples.epochs == [0, 1, 2, 3]
    assert len(samples.grids) == 4 and all(g.shape == (4, 28, 28) for g in samples.grids)
    assert not np.array_equal(samples.grids[0], samples.grids[-1]), "training changes the images"
    names = sorted(p.name for p in (tmp_path / "grids").iterdir())
    assert names == ["epoch_000.png", "epoch_001.png", "epoch_002.png", "epoch_003.png"]
    assert [p.name for p in samples.paths] == names


def test_every_keeps_some_epochs_and_always_the_last():
    gan = small_gan()
    samples = FixedNoiseSamples(np.zeros((2, NOISE_DIM), np.float32), every=2)
    gan.fit(real_images(32), batch_size=16, epochs=3, verbose=0, callbacks=[samples])
    assert samples.epochs == [2, 3]


def test_per_batch_losses_have_the_right_count_and_average_to_the_epoch_mean():
    gan = small_gan()
    losses = LossHistory()
    keras_history = gan.fit(real_images(48), batch_size=16, epochs=2, verbose=0, callbacks=[losses])
    assert len(losses) == 6 and losses.steps == [1, 2, 3, 4, 5, 6] and losses.epoch_steps == [3, 6]
    for key in ("d_loss", "g_loss"):
        assert len(losses.history[key]) == 6
        assert all(np.isfinite(losses.history[key]))
        np.testing.assert_allclose(losses.epochs[key], keras_history.history[key], rtol=1e-6)
        per_epoch = np.reshape(losses.history[key], (2, 3)).mean(axis=1)
        np.testing.assert_allclose(per_epoch, losses.epochs[key], rtol=1e-4)
    assert len(set(np.round(losses.history["d_loss"][:3], 6))) > 1, "values are single steps, not a running mean"


def test_losses_from_a_second_fit_continue_the_step_count():
    gan = small_gan()
    losses = LossHistory()
    for _ in range(2):
        gan.fit(real_images(32), batch_size=16, epochs=1, verbose=0, callbacks=[losses])
    assert losses.steps == [1, 2, 3, 4]


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="positive"):
        FixedNoiseSamples(0)
    with pytest.raises(ValueError, match=r"noise_dim"):
        FixedNoiseSamples(np.zeros(5))
    with pytest.raises(ValueError, match="every"):
        FixedNoiseSamples(4, every=0)
    with pytest.raises(ValueError, match="seed"):
        FixedNoiseSamples(4, seed=-1)
    with pytest.raises(ValueError, match="keys"):
        LossHistory(keys="d_loss")
    gan = small_gan()
    wrong_size = FixedNoiseSamples(np.zeros((2, NOISE_DIM + 1), np.float32))
    wrong_size.set_model(gan)
    with pytest.raises(ValueError, match="size 8"):
        wrong_size.on_train_begin()
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    no_generator = FixedNoiseSamples(2)
    no_generator.set_model(plain)
    with pytest.raises(TypeError, match="generator"):
        no_generator.on_train_begin()
    missing = LossHistory(keys=("loss_of_nothing",))
    with pytest.raises(KeyError, match="loss_of_nothing"):
        missing.on_epoch_begin(0)
        missing.on_train_batch_end(0, {"d_loss": 1.0})


def test_tile_and_loss_curves():
    import matplotlib

    matplotlib.use("Agg")
    from aegan_tutorial.plots import loss_curves

    picture = tile(np.zeros((3, 28, 28), np.uint8), ncols=2, pad=2)
    assert picture.shape == (2 * 30 + 2, 2 * 30 + 2) and picture[-5, -5] == 255  # empty cell is white
    losses = LossHistory()
    losses.on_epoch_begin(0)
    for b in range(12):
        losses.on_train_batch_end(b, {"d_loss": 1.0, "g_loss": 0.5})
    fig = loss_curves(losses, smooth=4)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["d_loss", "g_loss"]
    with pytest.raises(ValueError, match="smooth"):
        loss_curves(losses, smooth=0)
