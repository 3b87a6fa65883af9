"""Keras models of the book: builders (plain functions returning ``keras.Model``), trainers, and the registry of named models."""

from .augment import DiffAugment, with_diff_augment
from .adversarial_autoencoder import AdversarialAutoencoder, build_code_discriminator, build_label_decoder
from .autoencoder import Autoencoder, build_decoder, build_encoder
from .began import BEGAN, build_autoencoder_discriminator
from .classifier import build_classifier
from .conditional_gan import ConditionalGAN, build_conditional_discriminator, build_conditional_generator
from .gan import GAN, PlayerOptimizers, build_discriminator, build_generator, recommended_optimizers
from .self_conditioned_gan import SelfConditionedGAN
from .stacked_gan import (StackedGAN, StackLevel, build_coarse_generator, build_detail_generator, build_encoder_levels,
                          build_feature_generator, build_image_generator, build_level_discriminator,
                          build_pooling_encoder)
from .priors import GaussianMixturePrior, GaussianPrior, code_distance_to_prior
from .stacked_autoencoder import DenseTranspose, StackedAutoencoder
from .variational_autoencoder import VariationalAutoencoder
from . import registry  # noqa: E402  (after the models it names)

__all__ = [
    "AdversarialAutoencoder",
    "Autoencoder",
    "BEGAN",
    "ConditionalGAN",
    "DenseTranspose",
    "DiffAugment",
    "GAN",
    "GaussianMixturePrior",
    "GaussianPrior",
    "PlayerOptimizers",
    "SelfConditionedGAN",
    "StackLevel",
    "StackedGAN",
    "StackedAutoencoder",
    "VariationalAutoencoder",
    "build_autoencoder_discriminator",
    "build_classifier",
    "build_coarse_generator",
    "build_code_discriminator",
    "build_conditional_discriminator",
    "build_conditional_generator",
    "build_decoder",
    "build_detail_generator",
    "build_discriminator",
    "build_encoder",
    "build_encoder_levels",
    "build_feature_generator",
    "build_generator",
    "build_image_generator",
    "build_label_decoder",
    "build_level_discriminator",
    "build_pooling_encoder",
    "code_distance_to_prior",
    "recommended_optimizers",
    "registry",
    "with_diff_augment",
]
