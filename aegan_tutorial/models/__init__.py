"""Keras models of the book: builders (plain functions returning ``keras.Model``), trainers, and the registry of named models."""

from .adversarial_autoencoder import AdversarialAutoencoder, build_code_discriminator, build_label_decoder
from .autoencoder import Autoencoder, build_decoder, build_encoder
from .began import BEGAN, build_autoencoder_discriminator
from .classifier import build_classifier
from .conditional_gan import ConditionalGAN, build_conditional_discriminator, build_conditional_generator
from .gan import GAN, PlayerOptimizers, build_discriminator, build_generator, recommended_optimizers
from .self_conditioned_gan import SelfConditionedGAN
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
    "GAN",
    "GaussianMixturePrior",
    "GaussianPrior",
    "PlayerOptimizers",
    "SelfConditionedGAN",
    "StackedAutoencoder",
    "VariationalAutoencoder",
    "build_autoencoder_discriminator",
    "build_classifier",
    "build_code_discriminator",
    "build_conditional_discriminator",
    "build_conditional_generator",
    "build_decoder",
    "build_discriminator",
    "build_encoder",
    "build_generator",
    "build_label_decoder",
    "code_distance_to_prior",
    "recommended_optimizers",
    "registry",
]
