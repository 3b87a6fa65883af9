"""Helpers of the chapter "An autoencoder as the discriminator: BEGAN".

:func:`build_run` builds the package's ``began`` recipe (or the ``dcgan`` one, for comparison)
with a few of its options changed, and :func:`follow_run` trains it epoch by epoch, recording
what the trainer logs and the FD of its samples after every epoch, so that a log can be set
against sample quality (:func:`rank_correlation`). :func:`sweep` runs the chapter's experiment
for a list of seeds: the diversity ratio ``γ`` swept, two known ways to fail, and a DCGAN
beside them; ``benchmarks/began.py`` runs it at full length and writes the results file the
chapter reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import keras
import numpy as np
from scipy.stats import spearmanr

from .._checks import check_positive_int
from ..data import make_dataset, to_uint8
from ..evaluation import classifier_features, score_features
from ..models import registry
from ..reproducibility import set_seed

GAMMAS = (0.3, 0.5, 0.7)
"""The diversity ratios the chapter compares (the paper's claim: lower γ, less diversity)."""

FAILURES = {
    "paper lambda_k": {"lambda_k": 0.001},
    "no batchnorm": {"d_batchnorm": False},
}
"""Changes to the ``began`` recipe that the chapter shows failing: the paper's rate for ``k``,
and an autoencoder without batch normalisation (each image reconstructed on its own)."""

BATCH_SIZE = 64


def build_run(model: str = "began", seed: int = 0, **changes) -> keras.Model:
    """The registry's ``model`` (``"began"`` or ``"dcgan"``), compiled, with ``changes`` to its options.

    Unlike the shipped recipes, the generator's weights are *not* averaged (``ema_decay=None``)
    unless ``changes`` asks for it: every score is of the generator the logs describe.
    """
    if model not in ("began", "dcgan"):
        raise ValueError(f"model must be 'began' or 'dcgan', got {model!r}")
    set_seed(seed)
    return registry.build(model, {"ema_decay": None, **changes}, seed=seed)


def follow_run(model: keras.Model, images: np.ndarray, epochs: int, reference_features: np.ndarray,
               samples: int = 1000, seed: int = 0, callbacks: Sequence[keras.callbacks.Callback] = (),
               progress: Callable[[str], None] | None = None) -> dict[str, list[float]]:
    """Train ``model`` for ``epochs`` epochs; after each, record its logs and score its samples.

    Parameters
    ----------
    model
        A compiled GAN of the registry (:func:`build_run`), tanh pixels.
    images
        uint8 ``[N, 28, 28]`` training images, as :func:`~aegan_tutorial.data.load_mnist` gives them.
    reference_features
        ``[M, d]`` :func:`~aegan_tutorial.evaluation.classifier_features` of real test images,
        ``M ≥ samples`` (the first ``samples`` are used).
    samples
        Samples scored after every epoch (the same seeded noise each time).
    callbacks
        Keras callbacks for ``fit`` (e.g. one that records ``k`` after every step).

    Returns
    -------
    dict
        ``{name: [one value per epoch]}``: every log of the trainer (its epoch means, e.g.
        ``d_loss``, ``g_loss``, and for BEGAN ``m_global`` and ``k``), ``fd``, ``precision``,
        ``recall`` and ``seconds`` (training time of the epoch).
    """
    check_positive_int(epochs, "epochs")
    check_positive_int(samples, "samples", minimum=4)
    if len(reference_features) < samples:
        raise ValueError(f"need at least {samples} reference features to score {samples} samples, "
                         f"got {len(reference_features)}")
    dataset = make_dataset(images, batch_size=BATCH_SIZE, scale="tanh", seed=seed)
    history: dict[str, list[float]] = {}
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        logs = model.fit(dataset, epochs=1, verbose=0, callbacks=list(callbacks)).history
        seconds = time.perf_counter() - start
        fake = classifier_features(to_uint8(model.generate(samples, seed=seed), "tanh"))
        scores = score_features(fake, reference_features[:samples])
        for key, value in {**{k: v[-1] for k, v in logs.items()}, **scores, "seconds": seconds}.items():
            history.setdefault(key, []).append(float(value))
        if progress:
            progress(f"epoch {epoch}: " + ", ".join(f"{k} {v[-1]:.4g}" for k, v in history.items()))
    return history


def controller_losses(model: keras.Model, real: np.ndarray, seed: int = 0,
                      batch_size: int = BATCH_SIZE) -> tuple[float, float]:
    """``(L(x), L(G(z)))`` as the controller of ``k`` sees them in a training step.

    The discriminator step reconstructs one batch of real images and, separately, one batch of
    fakes that the generator drew in training mode, both in training mode, so BatchNorm codes
    each image against its own batch. This repeats that once, on the first ``batch_size``
    images of ``real`` (float ``[N, 28, 28, 1]`` in the generator's range) and ``batch_size``
    fakes from noise seeded by ``seed``, and returns the two batch means of ``L``. Training-mode
    calls move BatchNorm's running statistics; they are put back as they were, so the model is
    left unchanged.
    """
    check_positive_int(batch_size, "batch_size")
    if len(real) < batch_size:
        raise ValueError(f"need at least batch_size={batch_size} real images, got {len(real)}")
    state = [*model.generator.non_trainable_variables, *model.discriminator.non_trainable_variables]
    kept = [keras.ops.convert_to_numpy(v) for v in state]
    try:
        fakes = model.generator(keras.random.normal((batch_size, model.noise_dim), seed=seed), training=True)
        real_losses = model.discriminator(keras.ops.convert_to_tensor(real[:batch_size]), training=True)
        fake_losses = model.discriminator(fakes, training=True)
        return (float(keras.ops.mean(real_losses)), float(keras.ops.mean(fake_losses)))
    finally:
        for variable, value in zip(state, kept):
            variable.assign(value)


def rank_correlation(values: Sequence[float], quality: Sequence[float]) -> float:
    """Spearman's rank correlation of a logged quantity with a quality measure, in ``[-1, 1]``.

    With the FD as ``quality`` (lower is better), ``+1`` means the log falls exactly when the
    samples get better; ``0``, that its ranks say nothing about theirs.
    """
    values, quality = np.asarray(values, float), np.asarray(quality, float)
    if values.shape != quality.shape or values.ndim != 1 or len(values) < 3:
        raise ValueError(f"need two equally long sequences of at least 3 values, got {values.shape} and {quality.shape}")
    if np.ptp(values) == 0 or np.ptp(quality) == 0:
        raise ValueError("a constant sequence has no rank correlation")
    return float(spearmanr(values, quality).statistic)


def sweep(images: np.ndarray, reference_features: np.ndarray, seeds: Sequence[int], epochs: int,
          failure_epochs: int, samples: int = 1000, final_samples: int = 5000,
          progress: Callable[[str], None] | None = None) -> dict:
    """The chapter's experiment, for each seed.

    Runs ``began`` at each γ of :data:`GAMMAS` and a ``dcgan`` for ``epochs`` epochs, and the
    recipe at γ = 0.7 with each change of :data:`FAILURES` for ``failure_epochs`` epochs,
    all followed by :func:`follow_run`; the γ arms are scored again at the end on
    ``final_samples`` samples.

    Returns
    -------
    dict
        ``{"runs": {arm: [history per seed]}, "final": {arm: {metric: [value per seed]}},
        "correlations": {arm: {log: [Spearman ρ with the FD per seed]}}}``, where the arms
        are ``"gamma 0.3"`` … ``"dcgan"`` and the names of :data:`FAILURES`.
    """
    if len(reference_features) < final_samples:
        raise ValueError(f"need {final_samples} reference features, got {len(reference_features)}")
    arms = {f"gamma {g}": ("began", {"gamma": g}, epochs) for g in GAMMAS}
    arms["dcgan"] = ("dcgan", {}, epochs)
    arms.update({name: ("began", {"gamma": 0.7, **change}, failure_epochs) for name, change in FAILURES.items()})
    measured: dict = {"runs": {}, "final": {}, "correlations": {}}
    for seed in seeds:
        for arm, (name, changes, arm_epochs) in arms.items():
            say = (lambda line, arm=arm: progress(f"seed {seed} {arm} {line}")) if progress else None
            model = build_run(name, seed, **changes)
            history = follow_run(model, images, arm_epochs, reference_features, samples, seed, progress=say)
            measured["runs"].setdefault(arm, []).append(history)
            logs = [key for key in ("m_global", "d_loss", "g_loss") if key in history]
            correlations = measured["correlations"].setdefault(arm, {})
            for key in logs:
                correlations.setdefault(key, []).append(rank_correlation(history[key], history["fd"]))
            if arm.startswith("gamma"):
                fake = classifier_features(to_uint8(model.generate(final_samples, seed=seed), "tanh"))
                final = {**score_features(fake, reference_features[:final_samples]), "k": history["k"][-1]}
                for key, value in final.items():
                    measured["final"].setdefault(arm, {}).setdefault(key, []).append(float(value))
                if progress:
                    progress(f"seed {seed} {arm} final: " + ", ".join(f"{k} {v:.4g}" for k, v in final.items()))
    return measured
