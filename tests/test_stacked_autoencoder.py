"""The stacked autoencoder: tied weights that share one kernel, and greedy levels that leave the ones below alone."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from aegan_tutorial import data, models, set_seed
from conftest import weights_of


@pytest.fixture(scope="module")
def unit_images(train_images) -> np.ndarray:
    return data.scale_images(train_images[:512], "sigmoid")


def level_weights(stack, level: int) -> list[np.ndarray]:
    return [keras.ops.convert_to_numpy(w) for w in (*stack.encoders[level - 1].weights, *stack.decoders[level - 1].weights)]


def test_shapes_levels_and_the_parameter_count_of_tied_weights(unit_images):
    untied, tied = models.StackedAutoencoder((256, 64, 16)), models.StackedAutoencoder((256, 64, 16), tied=True)
    assert untied.depth == 3 and untied(unit_images[:4]).shape == (4, 28, 28, 1)
    assert [tuple(untied.encode(unit_images[:4], level).shape) for level in (0, 1, 2, 3)] == [(4, 784), (4, 256), (4, 64), (4, 16)]
    assert tuple(untied.decode(np.zeros((2, 64), "float32"), level=2).shape) == (2, 28, 28, 1)
    encoders = 784 * 256 + 256 + 256 * 64 + 64 + 64 * 16 + 16
    assert tied.count_params() == encoders + 784 + 256 + 64  # the decoders add their biases only
    assert untied.count_params() == 2 * encoders - (256 + 64 + 16) + (784 + 256 + 64)
    out = keras.ops.convert_to_numpy(untied(unit_images[:4]))
    assert out.min() >= 0 and out.max() <= 1  # level 1's decoder ends in a sigmoid


def test_a_tied_decoder_is_its_encoders_kernel_transposed_and_moves_with_it(unit_images):
    set_seed(0)
    stack = models.StackedAutoencoder((32,), tied=True)
    encoder, decoder = stack.encoders[0], stack.decoders[0]
    assert decoder.dense is encoder and [w.name for w in decoder.weights] == ["bias"]
    kernel = keras.ops.convert_to_numpy(encoder.kernel)
    codes = keras.ops.convert_to_numpy(stack.encode(unit_images[:8]))
    expected = 1 / (1 + np.exp(-(codes @ kernel.T + keras.ops.convert_to_numpy(decoder.bias))))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(stack.decode(codes)).reshape(8, -1), expected, rtol=1e-5, atol=1e-6)
    # one step on the reconstruction moves the shared kernel; the decoder reads the moved kernel
    stack.compile(keras.optimizers.SGD(0.5), "mse")
    stack.fit(unit_images[:64], unit_images[:64], batch_size=64, epochs=1, verbose=0)
    moved = keras.ops.convert_to_numpy(encoder.kernel)
    assert not np.array_equal(moved, kernel)
    codes = keras.ops.convert_to_numpy(stack.encode(unit_images[:8]))
    expected = 1 / (1 + np.exp(-(codes @ moved.T + keras.ops.convert_to_numpy(decoder.bias))))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(stack.decode(codes)).reshape(8, -1), expected, rtol=1e-5, atol=1e-6)


def test_a_greedy_level_leaves_the_levels_below_untouched(unit_images):
    """Greedy training of (64, 16) gives level 1 the very weights greedy training of (64,) gives it."""
    set_seed(0)
    one = models.StackedAutoencoder((64,))
    one_losses = one.train_greedy(unit_images, steps=8, batch_size=64)
    set_seed(0)
    two = models.StackedAutoencoder((64, 16))
    before_top = level_weights(two, 2)
    two_losses = two.train_greedy(unit_images, steps=8, batch_size=64)
    for a, b in zip(level_weights(one, 1), level_weights(two, 1)):
        np.testing.assert_array_equal(a, b)
    assert two_losses[0] == one_losses[0] and len(two_losses) == 2 and np.all(np.isfinite(two_losses))
    assert any(not np.array_equal(a, b) for a, b in zip(before_top, level_weights(two, 2)))  # level 2 trained
    # training level 2 alone again: level 1 stays where it was
    frozen = level_weights(two, 1)
    level2 = two.level_autoencoder(2)
    level2.compile("adam", "mse")
    codes = keras.ops.convert_to_numpy(two.encode(unit_images, 1))
    level2.fit(codes, codes, epochs=1, batch_size=64, verbose=0)
    for a, b in zip(frozen, level_weights(two, 1)):
        np.testing.assert_array_equal(a, b)


def test_the_denoising_variant_corrupts_only_while_training(unit_images):
    stack = models.StackedAutoencoder((32,))
    plain, noisy = stack.level_autoencoder(1), stack.level_autoencoder(1, noise_stddev=0.3, seed=1)
    assert "corruption" in [layer.name for layer in noisy.layers] and "corruption" not in [l.name for l in plain.layers]
    x = unit_images[:4].reshape(4, -1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(noisy(x, training=False)),
                               keras.ops.convert_to_numpy(plain(x, training=False)), rtol=1e-6)
    assert not np.allclose(keras.ops.convert_to_numpy(noisy(x, training=True)), keras.ops.convert_to_numpy(plain(x)))
    losses = stack.train_greedy(unit_images, steps=4, noise_stddev=0.3)
    assert len(losses) == 1 and np.isfinite(losses[0])


def test_a_stack_saves_and_loads_tied_or_not(unit_images, tmp_path):
    for tied in (False, True):
        stack = models.StackedAutoencoder((64, 16), tied=tied)
        stack.save(tmp_path / f"stack_{tied}.keras")
        loaded = keras.saving.load_model(tmp_path / f"stack_{tied}.keras")
        assert isinstance(loaded, models.StackedAutoencoder) and loaded.tied == tied and loaded.sizes == (64, 16)
        for a, b in zip(weights_of(stack), weights_of(loaded)):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(stack(unit_images[:3])),
                                      keras.ops.convert_to_numpy(loaded(unit_images[:3])))


def test_bad_input_is_refused_with_the_reason(unit_images):
    with pytest.raises(ValueError, match="at least one level"):
        models.StackedAutoencoder(())
    with pytest.raises(ValueError, match="every level's size must be a positive integer, got 0"):
        models.StackedAutoencoder((64, 0))
    stack = models.StackedAutoencoder((64, 16))
    with pytest.raises(ValueError, match=r"this stack has levels 1..2; got level 3"):
        stack.level_autoencoder(3)
    with pytest.raises(ValueError, match="noise_stddev must be >= 0"):
        stack.level_autoencoder(1, noise_stddev=-1.0)
    with pytest.raises(ValueError, match=r"\[0, 1\]|range"):
        stack.train_greedy(unit_images * 255.0)
    with pytest.raises(TypeError, match="ties itself to a keras.layers.Dense"):
        models.DenseTranspose(keras.layers.Conv2D(4, 3))
    unbuilt = keras.layers.Dense(8, name="unbuilt")
    with pytest.raises(ValueError, match="build unbuilt before the layer tied to it"):
        models.DenseTranspose(unbuilt).build((None, 8))
    dense = keras.layers.Dense(8)
    dense.build((None, 20))
    with pytest.raises(ValueError, match="reads 8 features"):
        models.DenseTranspose(dense).build((None, 5))
    with pytest.raises(NotImplementedError, match="save_weights"):
        models.DenseTranspose(dense).get_config()


def test_end_to_end_training_lowers_the_error_and_reruns_bit_for_bit(unit_images):
    runs = []
    for _ in range(2):
        set_seed(0)
        stack = models.StackedAutoencoder((64, 16))
        before = float(keras.ops.mean((stack(unit_images) - unit_images) ** 2))
        loss = stack.train_end_to_end(unit_images, steps=30, batch_size=64, learning_rate=3e-3, seed=0)
        after = float(keras.ops.mean((stack(unit_images) - unit_images) ** 2))
        runs.append(weights_of(stack))
    assert after < 0.8 * before and abs(loss - after) < 0.5 * before  # measured: 0.23 -> 0.07
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_the_classifier_reads_the_stacks_own_encoder_layers(unit_images):
    set_seed(0)
    stack = models.StackedAutoencoder((64, 16))
    classifier = stack.classifier()
    assert classifier.output_shape == (None, 10)
    assert all(any(w is v for v in classifier.weights) for w in stack.encoders[0].weights)
    probabilities = keras.ops.convert_to_numpy(classifier(unit_images[:5]))
    np.testing.assert_allclose(probabilities, 0.1, rtol=1e-6)  # a zero read-out: every digit equally likely
    with pytest.raises(ValueError, match="num_classes"):
        stack.classifier(num_classes=1)


def test_a_tied_stack_trains_under_mixed_float16_and_with_xla(unit_images):
    keras.mixed_precision.set_global_policy("mixed_float16")
    stack = models.StackedAutoencoder((64, 16), tied=True)
    assert stack.encoders[0].compute_dtype == "float16" and stack.encoders[0].kernel.dtype == "float32"
    before = weights_of(stack)
    loss = stack.train_end_to_end(unit_images, steps=4, batch_size=64)
    assert isinstance(stack.optimizer, keras.optimizers.LossScaleOptimizer) and np.isfinite(loss)
    assert int(stack.optimizer.iterations) == 4 and any(not np.array_equal(a, b) for a, b in zip(before, weights_of(stack)))
    keras.mixed_precision.set_global_policy("float32")
    set_seed(0, deterministic=False)  # Keras declines XLA while TF op determinism is on
    stack = models.StackedAutoencoder((64, 16), tied=True)
    losses = stack.train_greedy(unit_images, steps=4, batch_size=64, jit_compile=True)
    assert np.all(np.isfinite(losses)) and stack.train_end_to_end(unit_images, steps=4, jit_compile=True) > 0
    assert stack.jit_compile is True
    set_seed(0)


def test_steps_per_call_divides_the_steps():
    from aegan_tutorial.models.stacked_autoencoder import steps_per_call

    assert [steps_per_call(n) for n in (900, 12, 7, 29, 1)] == [25, 12, 7, 1, 1]
