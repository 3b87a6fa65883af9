"""Helpers of the chapter "Adversarial autoencoders".

Three autoencoders with the same encoder and decoder (:data:`ARMS`): a plain one, a
variational one, an adversarial one, built by :func:`build_arm` and trained for the same number
of steps by :func:`train_arm`. :func:`score_arm` measures each the same way: how far the test
codes are from the prior, how well it reconstructs, and FD, precision and recall of the
decoder fed prior draws. :func:`compare_arms` runs the three (and the AAE with a BatchNorm code
discriminator, a known trap) for a list of seeds; ``benchmarks/adversarial_autoencoders.py``
runs it at full length and writes the results file the chapter reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import keras
import numpy as np

from .._checks import apply_in_batches, check_positive_int
from ..data import make_dataset, to_uint8
from ..evaluation import classifier_features, score_features
from ..models import (
    AdversarialAutoencoder,
    Autoencoder,
    VariationalAutoencoder,
    build_code_discriminator,
    build_decoder,
    build_encoder,
    build_label_decoder,
)
from ..models.adversarial_autoencoder import recommended_aae_optimizers
from ..models.priors import GaussianPrior, Prior, code_distance_to_prior
from ..reproducibility import set_seed

ARMS = ("plain", "vae", "aae")
"""The autoencoders compared: no prior, a prior by a KL term, a prior by a GAN on the codes."""

TRAPS = ("aae + batchnorm",)
"""Arms that show a known mistake: the AAE whose code discriminator has BatchNorm."""

LATENT_DIM = 8
"""The code size of the comparison (Makhzani et al.'s MNIST experiments use 8)."""

BATCH_SIZE = 100


def _check_arm(arm: str) -> str:
    if arm not in ARMS + TRAPS:
        raise ValueError(f"arm must be one of {', '.join(map(repr, ARMS + TRAPS))}; got {arm!r}")
    return arm


def build_arm(arm: str, latent_dim: int = LATENT_DIM, prior: Prior | None = None, seed: int = 0,
              labels: bool = False) -> keras.Model:
    """One of the arms, compiled, seeded by ``seed``: encoder and decoder from the package's builders.

    ``"plain"``: an :class:`~aegan_tutorial.models.Autoencoder` (binary cross-entropy, Adam 1e-3);
    ``"vae"``: a :class:`~aegan_tutorial.models.VariationalAutoencoder` (its encoder has ``2k``
    outputs); ``"aae"`` and ``"aae + batchnorm"``: an
    :class:`~aegan_tutorial.models.AdversarialAutoencoder` with the recommended optimizers.
    ``labels=True`` gives the AAE the label decoder (the supervised variant).
    """
    _check_arm(arm)
    check_positive_int(latent_dim, "latent_dim")
    if labels and not arm.startswith("aae"):
        raise ValueError("only the adversarial autoencoder has the supervised (label decoder) variant here")
    set_seed(seed)
    decoder = build_label_decoder(latent_dim) if labels else build_decoder(latent_dim, "sigmoid")
    if arm == "plain":
        model = Autoencoder(build_encoder(latent_dim), decoder)
        model.compile(keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
        return model
    if arm == "vae":
        model = VariationalAutoencoder(build_encoder(2 * latent_dim), decoder, seed=seed, prior=prior)
        model.compile(keras.optimizers.Adam(1e-3))
        return model
    discriminator = build_code_discriminator(latent_dim, batchnorm=arm == "aae + batchnorm")
    model = AdversarialAutoencoder(build_encoder(latent_dim), decoder, discriminator, prior, seed=seed)
    model.compile(*recommended_aae_optimizers())
    return model


def train_arm(model: keras.Model, images: np.ndarray, steps: int, labels: np.ndarray | None = None,
              seed: int = 0) -> dict[str, list[float]]:
    """Train ``model`` for ``steps`` steps of :data:`BATCH_SIZE` images; returns the per-step logs.

    ``images``: uint8 ``[N, 28, 28]`` as :func:`~aegan_tutorial.data.load_mnist` gives them
    (``labels`` for the supervised variant). Returns ``{metric: [value after each step]}``:
    the running means Keras reports, reset every 100 steps.
    """
    check_positive_int(steps, "steps")
    dataset = make_dataset(images, labels, BATCH_SIZE, "sigmoid", seed=seed, drop_remainder=True).repeat()
    if isinstance(model, Autoencoder):
        dataset = dataset.map(lambda x: (x, x))
    history = _StepLogs()
    chunk = 100
    done = 0
    while done < steps:
        n = min(chunk, steps - done)
        model.fit(dataset, epochs=1, steps_per_epoch=n, verbose=0, callbacks=[history])
        done += n
    return history.logs


class _StepLogs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.logs: dict[str, list[float]] = {}

    def on_train_batch_end(self, batch, logs=None):
        for key, value in (logs or {}).items():
            self.logs.setdefault(key, []).append(float(value))


def posterior_draws(vae: VariationalAutoencoder, images: np.ndarray, seed: int = 0) -> np.ndarray:
    """One code per image drawn from the VAE's ``q(z | x)``: ``μ + σ ε``, float32 ``[N, k]``.

    Together they are the VAE's *aggregate posterior*, what the KL term pushes towards ``N(0, I)``
    (the means alone are narrower than the prior by the posterior's own spread).
    """
    statistics = apply_in_batches(vae.encoder, images)
    k = vae.latent_dim
    rng = np.random.default_rng(seed)
    return (statistics[:, :k] + np.exp(0.5 * statistics[:, k:]) * rng.standard_normal((len(images), k))).astype(np.float32)


def arm_codes(model: keras.Model, images: np.ndarray, seed: int = 0) -> np.ndarray:
    """The codes of ``images`` (float ``[N, 28, 28, 1]`` in ``[0, 1]``) the arm's decoder is trained on: ``[N, k]``.

    The plain and the adversarial autoencoder: the encoder's output; the VAE: :func:`posterior_draws`.
    """
    if isinstance(model, VariationalAutoencoder):
        return posterior_draws(model, images, seed)
    return apply_in_batches(model.encoder, images)


def arm_samples(model: keras.Model, n: int, seed: int = 0, prior: Prior | None = None) -> np.ndarray:
    """``decoder(z)`` for ``n`` draws of the prior, float32 ``[n, 28, 28, 1]`` in ``[0, 1]``.

    The plain autoencoder was never told of a prior: it is fed ``N(0, I)`` (or ``prior``).
    """
    prior = prior or getattr(model, "prior", None) or GaussianPrior(model.decoder.input_shape[-1])
    return apply_in_batches(model.decoder, prior.sample(n, seed))


def score_arm(model: keras.Model, test_images: np.ndarray, samples: int = 5000, seed: int = 0,
              test_features: np.ndarray | None = None) -> dict[str, float]:
    """How one arm does, on float ``[N, 28, 28, 1]`` test images in ``[0, 1]``.

    Returns ``code_distance`` (:func:`~aegan_tutorial.models.code_distance_to_prior` of the test
    codes), ``mse`` (reconstruction, per pixel), ``fd``, ``precision``, ``recall`` of ``samples``
    decoded prior draws against the first ``samples`` test images, and ``reconstruction_fd``:
    the FD of the reconstructions of those test images, the best a decoder of this quality
    could score if its prior draws landed exactly where the test codes do.
    """
    check_positive_int(samples, "samples", minimum=4)
    if len(test_images) < samples:
        raise ValueError(f"need at least {samples} test images to score {samples} samples, got {len(test_images)}")
    prior = getattr(model, "prior", None) or GaussianPrior(model.decoder.input_shape[-1])
    codes = arm_codes(model, test_images, seed)
    decoder = model.decoder
    rebuilt = apply_in_batches(decoder, codes if not isinstance(model, VariationalAutoencoder)
                               else apply_in_batches(model.encoder, test_images)[:, : model.latent_dim])
    real = test_features if test_features is not None else classifier_features(to_uint8(test_images[:samples], "sigmoid"))
    fake = classifier_features(to_uint8(arm_samples(model, samples, seed, prior), "sigmoid"))
    scores = score_features(fake, real)
    return {
        "code_distance": code_distance_to_prior(codes, prior),
        "mse": float(np.mean((rebuilt.astype(np.float64) - test_images) ** 2)),
        **scores,
        "reconstruction_fd": score_features(classifier_features(to_uint8(rebuilt[:samples], "sigmoid")), real)["fd"],
    }


def compare_arms(train_images: np.ndarray, test_images: np.ndarray, seeds: Sequence[int], steps: int,
                 samples: int = 5000, arms: Sequence[str] = ARMS + TRAPS,
                 progress: Callable[[str], None] | None = None) -> dict:
    """Every arm trained for ``steps`` steps and scored by :func:`score_arm`, for each seed.

    ``train_images``: uint8 ``[N, 28, 28]``; ``test_images``: float ``[M, 28, 28, 1]`` in ``[0, 1]``.
    Returns ``{arm: {metric: [one value per seed]}}``, where the metrics are those of
    :func:`score_arm`, ``d_accuracy`` (AAE arms: the code discriminator's accuracy over the
    last 100 steps) and ``seconds`` (training).
    """
    for arm in arms:
        _check_arm(arm)
    real = classifier_features(to_uint8(test_images[:samples], "sigmoid"))
    out: dict = {arm: {} for arm in arms}
    for seed in seeds:
        for arm in arms:
            start = time.perf_counter()
            model = build_arm(arm, seed=seed)
            logs = train_arm(model, train_images, steps, seed=seed)
            seconds = time.perf_counter() - start
            scores = score_arm(model, test_images, samples, seed, real)
            scores["seconds"] = seconds
            if "d_accuracy" in logs:
                scores["d_accuracy"] = logs["d_accuracy"][-1]
            for key, value in scores.items():
                out[arm].setdefault(key, []).append(float(value))
            if progress:
                progress(f"seed {seed} {arm}: " + ", ".join(f"{k} {v:.4g}" for k, v in scores.items()))
            keras.backend.clear_session()
    return out


def style_grid(model: AdversarialAutoencoder, styles: int = 6, seed: int = 0) -> np.ndarray:
    """The supervised AAE's picture: ``styles`` prior draws, each decoded with the labels 0–9.

    Returns float32 ``[styles · 10, 28, 28, 1]`` in ``[0, 1]``, a row per style, the digits 0–9
    across.
    """
    if model.num_classes is None:
        raise ValueError("style_grid needs the supervised AAE, whose decoder reads the label")
    check_positive_int(styles, "styles")
    codes = np.repeat(model.prior.sample(styles, seed), model.num_classes, axis=0)
    labels = np.tile(np.arange(model.num_classes), styles)
    return model.decode(codes, labels)

