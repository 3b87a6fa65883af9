"""Helpers of the chapter "Conditional GANs": what the self-conditioned GAN's clusters buy.

The self-conditioned GAN differs from the DCGAN in two ways at once: its conditions are clusters
of the autoencoder's codes, and its players are the conditional GAN's networks, which read a
condition. :func:`cluster_ablation` separates the two. It trains, for each seed and for the same
number of steps with the DCGAN recipe's optimiser settings, the arms of :data:`ABLATION_ARMS`:

- ``"dcgan"``: the DCGAN's networks, no condition;
- ``"one cluster"``: the conditional networks with ``K = 1``: a condition that says nothing;
- ``"random clusters"``: the conditional networks with ``K`` conditions drawn at random, once per
  training image, so that they carry no information about the image;
- ``"autoencoder clusters"``: the self-conditioned GAN, ``K`` k-means clusters of the codes.

``benchmarks/self_conditioned.py`` runs it over seeds and writes the results file the chapter reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import keras
import numpy as np

from .._checks import check_positive_int
from ..data import make_dataset, to_uint8
from ..evaluation import classifier_features, predict_digits, score_features
from ..models import ConditionalGAN, GAN, build_conditional_discriminator, build_conditional_generator, registry
from ..reproducibility import set_seed

ABLATION_ARMS = ("dcgan", "one cluster", "random clusters", "autoencoder clusters")
"""The arms of :func:`cluster_ablation`, from no condition to the self-conditioned GAN."""

BATCH_SIZE = 64


def ablation_model(arm: str, images: np.ndarray, encoder: keras.Model | None = None, clusters: int = 100,
                   seed: int = 0) -> tuple[GAN, np.ndarray | None]:
    """One arm's compiled model, without the weight average, and the conditions its images train with.

    ``images`` are the uint8 ``[N, 28, 28]`` training images; ``encoder`` is the autoencoder's
    encoder (for the two cluster arms). Returns ``(model, conditions)``: ``conditions`` is int32
    ``[N]`` for the random arm (fit it on ``(images, conditions)``) and ``None`` otherwise (fit on
    the images alone; a self-conditioned model finds its clusters itself).
    """
    if arm not in ABLATION_ARMS:
        raise ValueError(f"arm must be one of {', '.join(map(repr, ABLATION_ARMS))}; got {arm!r}")
    check_positive_int(clusters, "clusters")
    set_seed(seed)
    if arm == "dcgan":
        return registry.build("dcgan", {"ema_decay": None}, seed=seed), None
    if arm == "random clusters":
        spec = registry.get("scgan")
        model = ConditionalGAN(build_conditional_generator(spec.config["noise_dim"], num_classes=clusters,
                                                           filters=spec.config["filters"]),
                               build_conditional_discriminator(num_classes=clusters, filters=spec.config["filters"]),
                               noise_dim=spec.config["noise_dim"], num_classes=clusters, seed=seed)
        spec.compile(model, **spec.config)
        return model, np.random.default_rng(seed).integers(0, clusters, size=len(images)).astype(np.int32)
    if encoder is None:
        raise ValueError(f"the {arm!r} arm clusters the autoencoder's codes: pass its encoder")
    model = registry.build("scgan", {"ema_decay": None, "num_clusters": 1 if arm == "one cluster" else clusters}, seed=seed)
    model.fit_clusters(images, encoder, seed=seed)
    return model, None


def cluster_ablation(images: np.ndarray, reference_features: np.ndarray, seeds: Sequence[int], steps: int,
                     encoder: keras.Model, samples: int = 5000, clusters: int = 100,
                     progress: Callable[[str], None] | None = None) -> dict[str, dict[str, list[float]]]:
    """Train every arm of :data:`ABLATION_ARMS` for ``steps`` steps of 64 images for each seed, and score it.

    Parameters
    ----------
    images
        uint8 ``[N, 28, 28]`` training images.
    reference_features
        ``[M, d]`` classifier features of ``M ≥ samples`` test images (the first ``samples`` used).
    encoder
        The shipped autoencoder's encoder, whose codes the cluster arms cluster.

    Returns
    -------
    dict
        ``{arm: {"fd", "precision", "recall", "digits_min", "digits_max", "seconds": [one per seed]}}``:
        the scores of ``samples`` samples drawn as the model draws them, the fewest and the most
        samples the evaluation classifier reads as one digit, and the training time.
    """
    check_positive_int(steps, "steps")
    check_positive_int(samples, "samples")
    if len(reference_features) < samples:
        raise ValueError(f"need at least {samples} reference features, got {len(reference_features)}")
    say = progress or (lambda message: None)
    out = {arm: {key: [] for key in ("fd", "precision", "recall", "digits_min", "digits_max", "seconds")}
           for arm in ABLATION_ARMS}
    for seed in seeds:
        for arm in ABLATION_ARMS:
            model, conditions = ablation_model(arm, images, encoder, clusters, seed)
            dataset = make_dataset(images, conditions, batch_size=BATCH_SIZE, scale="tanh", seed=seed, num_classes=clusters)
            start = time.perf_counter()
            model.fit(dataset.repeat(), steps_per_epoch=steps, epochs=1, verbose=0)
            seconds = time.perf_counter() - start
            drawn = to_uint8(model.generate(samples, seed=seed), "tanh")
            scores = score_features(classifier_features(drawn), reference_features[:samples])
            digits = np.bincount(predict_digits(drawn), minlength=10)
            for key, value in {**scores, "digits_min": int(digits.min()), "digits_max": int(digits.max()),
                               "seconds": seconds}.items():
                if key in out[arm]:
                    out[arm][key].append(float(value))
            say(f"seed {seed}, {arm}: FD {scores['fd']:.1f}, precision {scores['precision']:.3f}, "
                f"recall {scores['recall']:.3f}, digits {digits.min()}-{digits.max()}, {seconds:.0f} s")
    return out
