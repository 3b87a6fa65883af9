"""The book's named models: how each is built, seeded and fed, in one table.

One :class:`ModelSpec` per name is what ``python -m aegan_tutorial train NAME`` trains,
what :func:`aegan_tutorial.pretrained.load` rebuilds before loading shipped weights, and
what ``evaluate`` looks up for a ``.keras`` file (:func:`spec_of`), so a published model and
a model trained from the command line are the same thing. How each *kind* of model is
scored lives in :mod:`aegan_tutorial.evaluation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import keras

from ..data import Scale, scale_images, shift_digits
from .adversarial_autoencoder import AdversarialAutoencoder, build_code_discriminator, recommended_aae_optimizers
from .autoencoder import Autoencoder, build_decoder, build_encoder
from .began import BEGAN, build_autoencoder_discriminator
from .classifier import build_classifier
from .conditional_gan import ConditionalGAN, build_conditional_discriminator, build_conditional_generator
from .gan import GAN, build_discriminator, build_generator, recommended_optimizers
from .priors import GaussianMixturePrior, GaussianPrior
from .self_conditioned_gan import SelfConditionedGAN
from .stacked_gan import (JointStage, StackedGAN, StackLevel, build_encoder_levels, build_feature_generator,
                          build_image_generator, build_level_discriminator)
from .variational_autoencoder import VariationalAutoencoder

Kind = str
"""``"classifier"``, ``"autoencoder"``, ``"generator"`` or ``"conditional_generator"``."""


@dataclass(frozen=True)
class ModelSpec:
    """One of the book's trainable models.

    Attributes
    ----------
    name
        What the command line and :func:`aegan_tutorial.pretrained.load` call it.
    description
        One line for ``--help``.
    kind
        How it is scored and pictured (see :mod:`aegan_tutorial.evaluation`).
    model_class
        The class its models are instances of (to recognise a loaded ``.keras`` file).
    scale
        Pixel range the model reads (and, for generators, writes).
    labels
        Whether training batches carry the digit labels.
    batch_size
        Images per training step.
    epochs
        Default epochs per budget, ``{"quick": q, "full": f}``.
    build
        ``(**config) -> keras.Model``: the bare model (no optimizers).
    compile
        ``(model, **config) -> None``: compile it for training.
    config
        Default keyword arguments of ``build`` and ``compile`` (recorded in the manifest).
    seeded
        Whether the model takes a ``seed`` (of the noise it draws while training).
    augment
        Optional ``(batch, seed_pair) -> batch`` for the training images.
    columns
        Columns of the per-epoch picture.
    clusters_from
        For a self-conditioned GAN: the shipped model whose encoder's codes of the training
        images are clustered into the GAN's conditions before the first epoch.
    prepare
        Optional ``(model, images, labels, seed) -> dict`` run once before the first epoch on the
        training images (uint8 ``[N, 28, 28]``) and labels; what it returns is recorded with the run
        (a stacked GAN trains the encoder it inverts here).
    callbacks
        Optional ``(**config) -> list of keras.callbacks.Callback``: callbacks the recipe trains with
        (a stacked GAN's switch to the joint stage).
    """

    name: str
    description: str
    kind: Kind
    model_class: type
    scale: Scale
    labels: bool
    batch_size: int
    epochs: dict
    build: Callable[..., keras.Model]
    compile: Callable[..., None]
    config: dict = field(default_factory=dict)
    seeded: bool = False
    augment: Callable | None = None
    columns: int = 8
    clusters_from: str | None = None
    prepare: Callable | None = None
    callbacks: Callable | None = None


def _classifier(learning_rate: float = 1e-3) -> keras.Model:
    return build_classifier()


def _compile_classifier(model: keras.Model, learning_rate: float = 1e-3) -> None:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )


def _autoencoder(latent_dim: int = 32, learning_rate: float = 1e-3) -> Autoencoder:
    return Autoencoder(build_encoder(latent_dim), build_decoder(latent_dim, "sigmoid"))


def _compile_autoencoder(model: Autoencoder, latent_dim: int = 32, learning_rate: float = 1e-3) -> None:
    model.compile(keras.optimizers.Adam(learning_rate), loss="binary_crossentropy")


def _dcgan(noise_dim: int = 100, filters: int = 32, d_filters: int | None = None, d_hidden: int = 0,
           ema_decay: float | None = None, learning_rate: float = 2e-4, g_learning_rate: float | None = None,
           seed: int = 0) -> GAN:
    return GAN(build_generator(noise_dim, filters), build_discriminator(d_filters or filters, hidden=d_hidden),
               noise_dim=noise_dim, seed=seed, ema_decay=ema_decay)


def _cgan(noise_dim: int = 100, filters: int = 32, ema_decay: float | None = None,
          seed: int = 0) -> ConditionalGAN:
    return ConditionalGAN(
        build_conditional_generator(noise_dim, filters=filters),
        build_conditional_discriminator(filters=filters),
        noise_dim=noise_dim,
        seed=seed,
        ema_decay=ema_decay,
    )


def _scgan(noise_dim: int = 100, filters: int = 32, num_clusters: int = 100, latent_dim: int = 32,
           ema_decay: float | None = None, learning_rate: float = 2e-4, g_learning_rate: float | None = None,
           seed: int = 0) -> SelfConditionedGAN:
    return SelfConditionedGAN(
        build_conditional_generator(noise_dim, num_classes=num_clusters, filters=filters),
        build_conditional_discriminator(num_classes=num_clusters, filters=filters),
        build_encoder(latent_dim),
        noise_dim=noise_dim,
        num_clusters=num_clusters,
        seed=seed,
        ema_decay=ema_decay,
    )


def _compile_gan(model: GAN, learning_rate: float = 2e-4, g_learning_rate: float | None = None, **config) -> None:
    """Adam for both players at ``learning_rate``; the generator's at ``g_learning_rate`` if given."""
    d_optimizer, g_optimizer = recommended_optimizers(learning_rate)
    if g_learning_rate is not None:
        g_optimizer = recommended_optimizers(g_learning_rate)[1]
    model.compile(d_optimizer, g_optimizer)


def _began(noise_dim: int = 100, filters: int = 32, d_filters: int = 64, code_dim: int = 32, d_batchnorm: bool = True,
           gamma: float = 0.7, lambda_k: float = 0.01, ema_decay: float | None = 0.999, learning_rate: float = 2e-4,
           g_learning_rate: float = 1e-3, seed: int = 0) -> BEGAN:
    autoencoder = build_autoencoder_discriminator(d_filters, code_dim, batchnorm=d_batchnorm, scale="tanh")
    return BEGAN(build_generator(noise_dim, filters), autoencoder,
                 noise_dim=noise_dim, gamma=gamma, lambda_k=lambda_k, seed=seed, ema_decay=ema_decay)


def _prior(prior: str, latent_dim: int):
    if prior == "gaussian":
        return GaussianPrior(latent_dim)
    if prior == "gaussian_mixture":
        return GaussianMixturePrior(latent_dim)
    raise ValueError(f"prior must be 'gaussian' or 'gaussian_mixture', got {prior!r}")


def _aae(latent_dim: int = 8, prior: str = "gaussian", units: int = 256, learning_rate: float = 1e-3,
         d_learning_rate: float = 2e-4, g_learning_rate: float = 5e-4, seed: int = 0) -> AdversarialAutoencoder:
    return AdversarialAutoencoder(build_encoder(latent_dim), build_decoder(latent_dim, "sigmoid"),
                                  build_code_discriminator(latent_dim, units), _prior(prior, latent_dim), seed=seed)


def _compile_aae(model: AdversarialAutoencoder, learning_rate: float = 1e-3, d_learning_rate: float = 2e-4,
                 g_learning_rate: float = 5e-4, **config) -> None:
    model.compile(*recommended_aae_optimizers(learning_rate, d_learning_rate, g_learning_rate))


def _vae(latent_dim: int = 8, beta: float = 1.0, learning_rate: float = 1e-3, seed: int = 0) -> VariationalAutoencoder:
    return VariationalAutoencoder(build_encoder(2 * latent_dim), build_decoder(latent_dim, "sigmoid"), beta, seed=seed)


def _compile_vae(model: VariationalAutoencoder, learning_rate: float = 1e-3, **config) -> None:
    model.compile(keras.optimizers.Adam(learning_rate))


def _sgan(feature_dim: int = 256, noise_dim: int = 50, filters: int = 32, lambda_cond: float = 1.0,
          lambda_ent: float = 10.0, learning_rate: float = 1e-4, g_learning_rate: float | None = None,
          encoder_epochs: int = 3, independent_epochs: int | None = None, seed: int = 0) -> StackedGAN:
    bottom_encoder, top_encoder = build_encoder_levels(feature_dim)
    top = StackLevel(build_feature_generator(feature_dim, noise_dim), build_level_discriminator((feature_dim,), noise_dim),
                     top_encoder, noise_dim, condition="labels", lambda_cond=lambda_cond, lambda_ent=lambda_ent,
                     level=1, seed=seed)
    bottom = StackLevel(build_image_generator(feature_dim, noise_dim, filters),
                        build_level_discriminator((28, 28, 1), noise_dim, filters=filters), bottom_encoder, noise_dim,
                        condition="features", lambda_cond=lambda_cond, lambda_ent=lambda_ent, level=0,
                        seed=None if seed is None else seed + 1)
    return StackedGAN(top, bottom)


def _compile_sgan(model: StackedGAN, learning_rate: float = 1e-4, g_learning_rate: float | None = None,
                  **config) -> None:
    """Adam for the four players at ``learning_rate``; the two generators' at ``g_learning_rate`` if given."""
    players = []
    for _ in ("top", "bottom"):
        d_optimizer, g_optimizer = recommended_optimizers(learning_rate)
        players += [d_optimizer, recommended_optimizers(g_learning_rate)[1] if g_learning_rate else g_optimizer]
    model.compile(players)


def _sgan_stages(independent_epochs: int | None = None, **config) -> list:
    """The joint stage from epoch ``independent_epochs`` on (``None``: independent throughout)."""
    return [JointStage(independent_epochs)]


def _train_sgan_encoder(model: StackedGAN, images, labels, seed: int, encoder_epochs: int = 3, **config) -> dict:
    """Train the encoder the stack inverts on the run's training images; record its accuracy there."""
    accuracy = model.train_encoder(scale_images(images, "tanh"), labels, epochs=encoder_epochs, seed=seed)
    return {"encoder_train_accuracy": accuracy}


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="classifier",
            description="the digit classifier behind the evaluation metrics (test accuracy)",
            kind="classifier", model_class=keras.Model, scale="sigmoid", labels=True, batch_size=128,
            epochs={"quick": 1, "full": 15}, build=_classifier, compile=_compile_classifier,
            config={"learning_rate": 1e-3}, augment=shift_digits,
        ),
        ModelSpec(
            name="autoencoder",
            description="the convolutional autoencoder of Part I, code size 32 (test MSE, PSNR)",
            kind="autoencoder", model_class=Autoencoder, scale="sigmoid", labels=False, batch_size=128,
            epochs={"quick": 1, "full": 30}, build=_autoencoder, compile=_compile_autoencoder,
            config={"latent_dim": 32, "learning_rate": 1e-3},
        ),
        ModelSpec(
            name="dcgan",
            description="the DCGAN of Part II (FD, precision, recall of its samples)",
            kind="generator", model_class=GAN, scale="tanh", labels=False, batch_size=64,
            epochs={"quick": 1, "full": 100}, build=_dcgan, compile=_compile_gan,
            # the generator at ten times the discriminator's rate, and the average of its weights:
            # measured against the DCGAN paper's settings in benchmarks/dcgan_variants.py
            config={"noise_dim": 100, "filters": 32, "d_filters": None, "d_hidden": 0, "ema_decay": 0.999,
                    "learning_rate": 2e-4, "g_learning_rate": 2e-3}, seeded=True,
        ),
        ModelSpec(
            name="cgan",
            description="the conditional GAN of Part II (FD, precision, recall, class accuracy of its samples)",
            kind="conditional_generator", model_class=ConditionalGAN, scale="tanh", labels=True, batch_size=64,
            epochs={"quick": 1, "full": 50}, build=_cgan, compile=_compile_gan,
            config={"noise_dim": 100, "filters": 32, "ema_decay": None}, seeded=True, columns=10,
        ),
        ModelSpec(
            name="scgan",
            description="the DCGAN conditioned on clusters of the autoencoder's codes, no labels (FD, precision, recall)",
            kind="generator", model_class=SelfConditionedGAN, scale="tanh", labels=False, batch_size=64,
            epochs={"quick": 1, "full": 100}, build=_scgan, compile=_compile_gan, clusters_from="autoencoder",
            # the dcgan recipe's optimiser settings and average, on 100 clusters (fewer clusters mix digits:
            # the conditional GAN chapter's exercise measures 10); raced in benchmarks/evaluation_targets.py
            config={"noise_dim": 100, "filters": 32, "num_clusters": 100, "latent_dim": 32, "ema_decay": 0.999,
                    "learning_rate": 2e-4, "g_learning_rate": 2e-3}, seeded=True,
        ),
        ModelSpec(
            name="began",
            description="BEGAN of Part III: the DCGAN's generator against an autoencoder (FD, precision, recall)",
            kind="generator", model_class=BEGAN, scale="tanh", labels=False, batch_size=64,
            epochs={"quick": 1, "full": 50}, build=_began, compile=_compile_gan,
            # the generator at five times the discriminator's rate and k at ten times the paper's λ_k: with 0.001,
            # k ends five times lower and the FD 1.5 times higher after five epochs (benchmarks/began.py, 3 seeds)
            config={"noise_dim": 100, "filters": 32, "d_filters": 64, "code_dim": 32, "d_batchnorm": True,
                    "gamma": 0.7, "lambda_k": 0.01,
                    "ema_decay": 0.999, "learning_rate": 2e-4, "g_learning_rate": 1e-3}, seeded=True,
        ),
        ModelSpec(
            name="sgan",
            description="the stacked GAN of Part III: label -> features -> image, inverting its own encoder "
                        "(FD, precision, recall, class accuracy)",
            kind="conditional_generator", model_class=StackedGAN, scale="tanh", labels=True, batch_size=64,
            epochs={"quick": 1, "full": 30}, build=_sgan, compile=_compile_sgan, prepare=_train_sgan_encoder,
            callbacks=_sgan_stages,
            # the SGAN paper's MNIST settings: λ_adv = 1, λ_cond = 1, λ_ent = 10, Adam 1e-4 with β₁ = 0.5; the
            # joint stage from epoch 11 on: trained independently throughout, class accuracy fell from 0.99 after
            # 2 epochs to 0.86 after 9, and two joint epochs from there raised it to 0.96 (seed 0, 2,000 samples)
            config={"feature_dim": 256, "noise_dim": 50, "filters": 32, "lambda_cond": 1.0, "lambda_ent": 10.0,
                    "learning_rate": 1e-4, "g_learning_rate": None, "encoder_epochs": 3, "independent_epochs": 10},
            seeded=True, columns=10,
        ),
        ModelSpec(
            name="aae",
            description="the adversarial autoencoder of Part III: decoded N(0, I) draws (FD, precision, recall)",
            kind="generator", model_class=AdversarialAutoencoder, scale="sigmoid", labels=False, batch_size=100,
            epochs={"quick": 1, "full": 30}, build=_aae, compile=_compile_aae,
            config={"latent_dim": 8, "prior": "gaussian", "units": 256, "learning_rate": 1e-3,
                    "d_learning_rate": 2e-4, "g_learning_rate": 5e-4}, seeded=True,
        ),
        ModelSpec(
            name="vae",
            description="the variational autoencoder of Part III: decoded N(0, I) draws (FD, precision, recall)",
            kind="generator", model_class=VariationalAutoencoder, scale="sigmoid", labels=False, batch_size=100,
            epochs={"quick": 1, "full": 30}, build=_vae, compile=_compile_vae,
            config={"latent_dim": 8, "beta": 1.0, "learning_rate": 1e-3}, seeded=True,
        ),
    )
}
"""Every named model, by name."""


def get(name: str) -> ModelSpec:
    """The spec called ``name``; a ``ValueError`` listing the names otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}") from None


def build(name: str, config: dict | None = None, seed: int = 0, training: bool = True) -> keras.Model:
    """The model ``name`` from its default config updated by ``config``.

    ``training=True`` compiles it with its optimizers; ``False`` gives the bare model, which
    is what shipped weights load into (they hold no optimizer state). ``seed`` seeds the
    noise of the models that draw noise while training.
    """
    spec = get(name)
    kwargs = {**spec.config, **(config or {})}
    unknown = set(kwargs) - set(spec.config)
    if unknown:
        raise ValueError(f"{name} takes no option(s) {sorted(unknown)}; it takes {sorted(spec.config)}")
    model = spec.build(**kwargs, **({"seed": seed} if spec.seeded else {}))
    if training:
        spec.compile(model, **kwargs)
    return model


def inference_copy(model: keras.Model, name: str, config: dict | None = None) -> keras.Model:
    """A copy of ``model`` (a trained ``name``) without optimizers: what is saved as final weights."""
    bare = build(name, config, training=False)
    bare.set_weights(model.get_weights())
    return bare


def spec_of(model: keras.Model) -> ModelSpec:
    """The spec whose class ``model`` is an instance of, the most specific first.

    A loaded ``.keras`` file says what it is by its class: a ``ConditionalGAN`` is a
    conditional GAN before it is a ``GAN``, and a plain ``keras.Model`` is the classifier.
    """
    matches = [spec for spec in MODELS.values() if isinstance(model, spec.model_class)]
    if not matches:
        raise ValueError(f"{type(model).__name__} is none of the book's models ({', '.join(MODELS)})")
    return max(matches, key=lambda spec: len(spec.model_class.__mro__))
