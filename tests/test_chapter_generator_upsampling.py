"""The generator chapter's upsampling (chapters.generator): transposed-convolution arithmetic, overlaps, the checkerboard score."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from aegan_tutorial.chapters import generator as up


@pytest.mark.parametrize("size,kernel,stride,padding", [
    (7, 4, 2, "same"), (7, 3, 2, "same"), (14, 4, 2, "same"), (5, 5, 3, "same"),
    (7, 4, 2, "valid"), (7, 3, 2, "valid"), (5, 1, 2, "valid"), (4, 2, 3, "valid"), (3, 5, 1, "valid"),
])
def test_output_size_and_overlap_match_keras(size, kernel, stride, padding):
    layer = keras.layers.Conv2DTranspose(1, kernel, strides=stride, padding=padding, use_bias=False,
                                         kernel_initializer="ones")
    out = np.asarray(layer(np.ones((1, size, size, 1), "float32")))[0, ..., 0]
    assert up.transposed_output_size(size, kernel, stride, padding) == out.shape[0]
    np.testing.assert_array_equal(up.overlap_counts(size, kernel, stride, padding), out)


def test_the_generators_chain_and_the_articles_chain():
    assert [7, up.transposed_output_size(7, 4, 2), up.transposed_output_size(14, 4, 2)] == [7, 14, 28]
    assert up.transposed_output_size(up.transposed_output_size(8, 4, 2), 4, 2) == 32


def test_even_overlap_exactly_when_the_stride_divides_the_kernel():
    interior = lambda c: c[6:-6, 6:-6]
    assert np.ptp(interior(up.overlap_counts(14, 4, 2))) == 0
    assert set(np.unique(interior(up.overlap_counts(14, 3, 2)))) == {1, 2, 4}
    assert np.ptp(interior(up.overlap_counts(14, 6, 3))) == 0 and np.ptp(interior(up.overlap_counts(14, 5, 3))) > 0
    assert np.all(interior(up.overlap_counts(14, 3, 2, method="resize")) == 9)


def test_checkerboard_score_is_zero_for_constants_one_for_checkerboards_small_for_noise():
    board = np.indices((28, 28)).sum(0) % 2 * 2.0 - 1.0
    assert up.checkerboard_score(np.full((28, 28), 0.7)) == 0.0
    assert up.checkerboard_score(board) == pytest.approx(1.0)
    assert up.checkerboard_score(np.indices((28, 28))[0] % 2) == pytest.approx(1.0)   # stripes have period 2 too
    smooth = np.add.outer(np.linspace(0, 1, 28), np.linspace(0, 1, 28))
    assert up.checkerboard_score(smooth) < 0.01  # measured: 0.0038
    noise = up.checkerboard_score(np.random.default_rng(0).normal(size=(4000, 28, 28, 1)))
    assert noise.shape == (4000,) and noise.mean() == pytest.approx(3 / (28 * 28 - 1), rel=0.1)  # measured: 2.4% below
    mixed = up.checkerboard_score(smooth + 0.1 * board)
    assert 0.0 < mixed < 1.0
    np.testing.assert_allclose(up.phase_means(board), [[-1.0, 1.0], [1.0, -1.0]])


def test_generator_variants_make_28x28_tanh_images():
    for kernel, method in [(3, "transposed"), (4, "transposed"), (3, "resize")]:
        model = up.build_generator_variant(kernel, method, noise_dim=8, filters=4)
        assert model.output_shape == (None, 28, 28, 1)
        images = np.asarray(model(np.random.default_rng(0).normal(size=(2, 8)).astype("float32")))
        assert np.all(np.abs(images) <= 1.0)


@pytest.mark.parametrize("call,message", [
    (lambda: up.transposed_output_size(0, 4, 2), "size"),
    (lambda: up.transposed_output_size(7, 4, 2.0), "stride"),
    (lambda: up.transposed_output_size(7, 4, 2, "full"), "padding"),
    (lambda: up.overlap_counts(7, 3, 2, method="bilinear"), "method"),
    (lambda: up.checkerboard_score(np.ones(28)), "shape"),
    (lambda: up.checkerboard_score(np.full((4, 4), np.nan)), "NaN"),
    (lambda: up.build_generator_variant(3, "pixelshuffle"), "upsampling"),
])
def test_bad_input_is_refused_with_a_message_naming_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()
