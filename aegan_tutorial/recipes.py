"""The book's trainable models by name: how each is built, fed, trained, pictured and scored.

One :class:`Recipe` per name is what ``python -m aegan_tutorial train NAME`` runs and what
``pretrained.load(NAME)`` rebuilds before loading the shipped weights, so a published model
and a model trained from the command line are the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np

from . import metrics
from .data import Scale, load_mnist
from .models import Autoencoder, ConditionalGAN, GAN, build_classifier, build_decoder, build_discriminator, build_encoder
from .models import build_conditional_discriminator, build_conditional_generator, build_generator
from .models import recommended_optimizers

SAMPLE_SEED = 1234
"""Seed of the fixed noise behind every sample grid (the same images improve epoch by epoch)."""
EVAL_SEED = 0
"""Seed of the noise behind the samples that are scored."""


@dataclass(frozen=True)
class Recipe:
    """How to train and judge one of the book's models.

    Attributes
    ----------
    name
        What the command line and :func:`aegan_tutorial.pretrained.load` call it.
    description
        One line for ``--help``.
    scale
        Pixel range the model reads (and, for generators, writes).
    labels
        Whether training batches carry the digit labels.
    batch_size
        Images per training step.
    epochs
        Default epochs per budget, ``{"quick": q, "full": f}``.
    build
        ``(**config, training) -> keras.Model``: the model, compiled for training when
        ``training`` (else without optimizers, for inference and shipped weights).
    evaluate
        ``(model, n) -> {metric: value}``, on ``n`` test images (and as many samples).
    samples
        ``model -> uint8 [64, 28, 28]``: the picture of an epoch.
    config
        Default keyword arguments of ``build`` (recorded in the manifest).
    evaluated_on
        What ``evaluate`` scores, as a template with ``{n}``.
    augment
        Optional ``(batch, seed_pair) -> batch`` for the training images.
    columns
        Columns of the per-epoch picture.
    """

    name: str
    description: str
    scale: Scale
    labels: bool
    batch_size: int
    epochs: dict
    build: Callable[..., keras.Model]
    evaluate: Callable[[keras.Model, int], dict]
    samples: Callable[[keras.Model], np.ndarray]
    config: dict
    evaluated_on: str
    augment: Callable | None = None
    columns: int = 8


def shift_digits(batch, seed_pair, max_shift: int = 2):
    """Move every image of ``[B, 28, 28, 1]`` by its own random offset of up to ``max_shift`` pixels.

    ``seed_pair`` is a stateless seed (two integers): the same seed, the same shifts.
    The vacated border is filled with 0 (background in the sigmoid scale).
    """
    import tensorflow as tf

    size = tf.shape(batch)[1]
    padded = tf.pad(batch, [[0, 0], [max_shift, max_shift], [max_shift, max_shift], [0, 0]])
    offsets = tf.random.stateless_uniform(
        [tf.shape(batch)[0], 2], seed=seed_pair, minval=0, maxval=2 * max_shift + 1, dtype=tf.int32
    )
    rows = offsets[:, :1] + tf.range(size)[None, :]
    cols = offsets[:, 1:] + tf.range(size)[None, :]
    shifted = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(shifted, cols, axis=2, batch_dims=1)


def _test_images(n: int) -> tuple[np.ndarray, np.ndarray]:
    if not 2 <= n <= 10_000:
        raise ValueError(f"the number of evaluation images must lie in 2..10000, got {n}")
    return metrics.evaluation_images(n)


# --- the digit classifier -------------------------------------------------------------------


def _build_classifier(learning_rate: float = 1e-3, training: bool = True) -> keras.Model:
    model = build_classifier()
    if training:
        model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def _evaluate_classifier(model: keras.Model, n: int) -> dict:
    images, labels = _test_images(n)
    return {"test_accuracy": float(np.mean(metrics.predict_digits(images, model) == labels))}


def _classifier_samples(model: keras.Model) -> np.ndarray:
    """The first 64 test images the classifier gets wrong (fewer when it errs less)."""
    images, labels = load_mnist("test")
    wrong = metrics.predict_digits(images, model) != labels
    return images[wrong][:64] if wrong.any() else images[:1]


# --- the autoencoder ------------------------------------------------------------------------


def _build_autoencoder(latent_dim: int = 32, learning_rate: float = 1e-3, training: bool = True) -> Autoencoder:
    model = Autoencoder(build_encoder(latent_dim), build_decoder(latent_dim, "sigmoid"))
    if training:
        model.compile(keras.optimizers.Adam(learning_rate), loss="binary_crossentropy")
    return model


def _evaluate_autoencoder(model: Autoencoder, n: int) -> dict:
    images, _ = _test_images(n)
    scores = metrics.reconstruction_scores(model, images)
    return {"test_mse": scores["mse"], "test_psnr": scores["psnr"]}


def _autoencoder_samples(model: Autoencoder) -> np.ndarray:
    """32 test digits, each followed by its reconstruction."""
    images, _ = load_mnist("test")
    originals = images[:32]
    rebuilt = metrics.to_uint8(model.predict(originals[..., None].astype(np.float32) / 255.0, verbose=0), "sigmoid")
    return np.stack([originals, rebuilt], axis=1).reshape(-1, 28, 28)


# --- the DCGAN ------------------------------------------------------------------------------


def _build_dcgan(noise_dim: int = 100, filters: int = 32, seed: int = 0, training: bool = True) -> GAN:
    gan = GAN(build_generator(noise_dim, filters), build_discriminator(filters), noise_dim=noise_dim, seed=seed)
    if training:
        gan.compile(*recommended_optimizers())
    return gan


def evaluate_generator(generator: Callable[[int, int], np.ndarray], n: int) -> dict:
    """FD, precision and recall of ``n`` samples against ``n`` test images (:func:`metrics.evaluation_images`).

    Parameters
    ----------
    generator
        ``(n, seed) -> uint8 [n, 28, 28]``.
    n
        Samples and test images, at least 4.
    """
    test, _ = _test_images(n)
    fake = generator(n, EVAL_SEED)
    real_features = metrics.classifier_features(test)
    fake_features = metrics.classifier_features(fake)
    pr = metrics.precision_recall_from_features(real_features, fake_features, k=3)
    return {
        "fd": metrics.frechet_distance_from_features(fake_features, real_features),
        "precision": pr.precision,
        "recall": pr.recall,
    }


def _evaluate_dcgan(model: GAN, n: int) -> dict:
    return evaluate_generator(lambda k, seed: metrics.to_uint8(model.generate(k, seed=seed), "tanh"), n)


def _dcgan_samples(model: GAN) -> np.ndarray:
    return metrics.to_uint8(model.generate(64, seed=SAMPLE_SEED), "tanh")


# --- the conditional GAN ----------------------------------------------------------------------


def _build_cgan(noise_dim: int = 100, filters: int = 32, seed: int = 0, training: bool = True) -> ConditionalGAN:
    gan = ConditionalGAN(
        build_conditional_generator(noise_dim, filters=filters),
        build_conditional_discriminator(filters=filters),
        noise_dim=noise_dim,
        seed=seed,
    )
    if training:
        gan.compile(*recommended_optimizers())
    return gan


def _evaluate_cgan(model: ConditionalGAN, n: int) -> dict:
    """FD, precision, recall of ``n`` samples, 0–9 in turn, and the share the classifier reads as asked."""
    labels = model.labels_for(n)
    samples = {}

    def draw(k: int, seed: int) -> np.ndarray:
        samples["images"] = metrics.to_uint8(model.generate(k, labels=labels[:k], seed=seed), "tanh")
        return samples["images"]

    scores = evaluate_generator(draw, n)
    scores["class_accuracy"] = metrics.class_accuracy(samples["images"], labels)
    return scores


def _cgan_samples(model: ConditionalGAN) -> np.ndarray:
    """Ten samples of each digit, one digit per row."""
    return metrics.to_uint8(model.generate(100, labels=np.repeat(np.arange(10), 10), seed=SAMPLE_SEED), "tanh")


RECIPES: dict[str, Recipe] = {
    "classifier": Recipe(
        name="classifier",
        description="the digit classifier behind the evaluation metrics (test accuracy)",
        scale="sigmoid",
        labels=True,
        batch_size=128,
        epochs={"quick": 1, "full": 15},
        build=_build_classifier,
        evaluate=_evaluate_classifier,
        samples=_classifier_samples,
        config={"learning_rate": 1e-3},
        evaluated_on="{n:,} test images",
        augment=shift_digits,
    ),
    "autoencoder": Recipe(
        name="autoencoder",
        description="the convolutional autoencoder of Part I, code size 32 (test MSE, PSNR)",
        scale="sigmoid",
        labels=False,
        batch_size=128,
        epochs={"quick": 1, "full": 30},
        build=_build_autoencoder,
        evaluate=_evaluate_autoencoder,
        samples=_autoencoder_samples,
        config={"latent_dim": 32, "learning_rate": 1e-3},
        evaluated_on="{n:,} test images",
    ),
    "dcgan": Recipe(
        name="dcgan",
        description="the DCGAN of Part II (FD, precision, recall of its samples)",
        scale="tanh",
        labels=False,
        batch_size=64,
        epochs={"quick": 1, "full": 60},
        build=_build_dcgan,
        evaluate=_evaluate_dcgan,
        samples=_dcgan_samples,
        config={"noise_dim": 100, "filters": 32},
        evaluated_on="{n:,} samples against {n:,} test images",
    ),
    "cgan": Recipe(
        name="cgan",
        description="the conditional GAN of Part II (FD, precision, recall, class accuracy of its samples)",
        scale="tanh",
        labels=True,
        batch_size=64,
        epochs={"quick": 1, "full": 50},
        build=_build_cgan,
        evaluate=_evaluate_cgan,
        samples=_cgan_samples,
        config={"noise_dim": 100, "filters": 32},
        evaluated_on="{n:,} samples (digits 0-9 in turn) against {n:,} test images",
        columns=10,
    ),
}


def get(name: str) -> Recipe:
    """The recipe called ``name``; a ``ValueError`` listing the names otherwise."""
    try:
        return RECIPES[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(RECIPES)}") from None


def build(name: str, config: dict | None = None, seed: int = 0, training: bool = True) -> keras.Model:
    """The model ``name`` from its default config updated by ``config``.

    ``training=True`` compiles it with its optimizers; ``False`` gives the bare model, which
    is what shipped weights load into (they hold no optimizer state).
    """
    recipe = get(name)
    kwargs = {**recipe.config, **(config or {})}
    unknown = set(kwargs) - set(recipe.config)
    if unknown:
        raise ValueError(f"{name} takes no option(s) {sorted(unknown)}; it takes {sorted(recipe.config)}")
    if name in ("dcgan", "cgan"):
        kwargs["seed"] = seed
    return recipe.build(**kwargs, training=training)


def inference_copy(model: keras.Model, name: str, config: dict | None = None) -> keras.Model:
    """A copy of ``model`` (a trained ``name``) without optimizers: what is saved as final weights."""
    bare = build(name, config, training=False)
    bare.set_weights(model.get_weights())
    return bare
