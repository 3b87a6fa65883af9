"""What a model costs: multiply-adds counted layer by layer, trained parameters, which networks sample, speed."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from aegan_tutorial import cost
from aegan_tutorial.data import make_dataset
from aegan_tutorial.models import build_discriminator, build_generator, registry
from aegan_tutorial.models.augment import with_diff_augment


def test_the_dcgan_generator_costs_what_its_layers_say():
    # Dense 100 -> 7·7·64, then transposed convolutions 4×4 from 7×7×64 to 14×14×32 and from 14×14×32 to 28×28×1
    expected = 100 * 7 * 7 * 64 + 7 * 7 * 4 * 4 * 64 * 32 + 14 * 14 * 4 * 4 * 32 * 1
    assert cost.multiply_adds(build_generator(100, 32)) == expected == 2_019_584


def test_the_discriminator_counts_its_convolutions_at_their_outputs():
    expected = 14 * 14 * 4 * 4 * 1 * 32 + 7 * 7 * 4 * 4 * 32 * 64 + 7 * 7 * 64
    discriminator = build_discriminator(32)
    assert cost.multiply_adds(discriminator) == expected
    assert cost.multiply_adds(with_diff_augment(discriminator)) == expected  # the augmentation multiplies nothing


def test_a_sub_model_counts_once_per_call():
    inner = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
    x = keras.Input((5,))
    twice = keras.Model(x, keras.layers.Add()([inner(x), inner(x)]))
    once = keras.Model(x, inner(x))
    assert cost.multiply_adds(inner) == 15 and cost.multiply_adds(once) == 15 and cost.multiply_adds(twice) == 30


def test_dense_layers_count_every_leading_position():
    model = keras.Sequential([keras.Input((6, 4)), keras.layers.Dense(2)])
    assert cost.multiply_adds(model) == 6 * 4 * 2


def test_unbuilt_subclassed_and_unknown_layers_are_refused():
    with pytest.raises(ValueError, match="built"):
        cost.multiply_adds(keras.Sequential([keras.layers.Dense(2)]))
    with pytest.raises(ValueError, match="subclassed"):
        cost.multiply_adds(registry.build("dcgan", training=False))  # a trainer: count its networks instead
    separable = keras.Sequential([keras.Input((8, 8, 2)), keras.layers.SeparableConv2D(4, 3)])
    with pytest.raises(NotImplementedError, match="SeparableConv2D"):
        cost.multiply_adds(separable)


@pytest.mark.parametrize("name,networks", [("dcgan", ["generator"]), ("aae", ["decoder"]), ("vae", ["decoder"]),
                                           ("sgan", ["generator_1", "generator_0"])])
def test_sampling_networks_are_what_draws_a_sample(name, networks):
    model = registry.build(name, training=False)
    assert [n.name for n in cost.sampling_networks(model)] == networks
    assert cost.sample_multiply_adds(model) == sum(cost.multiply_adds(n) for n in cost.sampling_networks(model))


def test_models_without_a_generator_are_named():
    with pytest.raises(ValueError, match="no generator or decoder"):
        cost.sampling_networks(registry.build("classifier", training=False))


def test_trained_parameters_leave_out_the_weight_average_and_statistics():
    gan = registry.build("dcgan", training=False)
    players = sum(int(np.prod(w.shape)) for w in gan.generator.trainable_weights + gan.discriminator.trainable_weights)
    assert cost.trained_parameters(gan) == players < gan.count_params()  # the average doubles the generator's weights


def test_training_speed_counts_images_per_second(train_images):
    gan = registry.build("dcgan", {"filters": 4, "noise_dim": 8}, seed=0)
    speed = cost.training_speed(gan, make_dataset(train_images[:256], batch_size=32, seed=0), steps=4, warmup=1)
    assert speed > 0
    assert int(gan.d_optimizer.iterations.numpy()) == 5  # the warm-up step and the timed ones
    assert cost.training_speed(gan, make_dataset(train_images[:256], batch_size=32, seed=0), steps=2, warmup=1, blocks=3) > 0
    assert int(gan.d_optimizer.iterations.numpy()) == 5 + 1 + 6
    with pytest.raises(ValueError, match="steps"):
        cost.training_speed(gan, make_dataset(train_images[:64], batch_size=32), steps=0)
