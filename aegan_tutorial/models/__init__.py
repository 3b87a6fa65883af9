"""Keras models of the book: builders (plain functions returning ``keras.Model``), trainers, and the registry of named models."""

from .autoencoder import Autoencoder, build_decoder, build_encoder
from .classifier import build_classifier
from .conditional_gan import ConditionalGAN, build_conditional_discriminator, build_conditional_generator
from .gan import GAN, PlayerOptimizers, build_discriminator, build_generator, recommended_optimizers
from .self_conditioned_gan import SelfConditionedGAN
from .stacked_autoencoder import DenseTranspose, StackedAutoencoder
from . import registry  # noqa: E402  (after the models it names)

__all__ = [
    "Autoencoder",
    "ConditionalGAN",
    "DenseTranspose",
    "GAN",
    "PlayerOptimizers",
    "SelfConditionedGAN",
    "StackedAutoencoder",
    "build_classifier",
    "build_conditional_discriminator",
    "build_conditional_generator",
    "build_decoder",
    "build_discriminator",
    "build_encoder",
    "build_generator",
    "recommended_optimizers",
    "registry",
]
