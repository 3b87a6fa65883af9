"""Helpers of the chapter "Stacked GANs": the experiments on the stack, and the coarse-to-fine stack.

:func:`build_stack` builds the package's ``sgan`` recipe with options changed, around a trained
encoder; :func:`noise_spread` and :func:`noise_recovery` measure whether a generator uses its
noise (the entropy loss's purpose); :func:`build_coarse_to_fine` builds the image-space stack
(14×14, then 28×28) and :func:`train_for_seconds` trains any model for a wall-clock budget, so
that it can race the single-level DCGAN. :func:`experiment` runs the chapter's comparisons for
a list of seeds; ``benchmarks/stacked_gans.py`` runs it at full length and writes the results
file the chapter reads. :func:`end_to_end_experiment` compares the joint stage as the authors'
MNIST code trains it with the end-to-end variant of their CIFAR-10 code
(``benchmarks/stacked_gans.py --end-to-end 0.01``).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence

import keras
import numpy as np

from .._checks import apply_in_batches, check_positive_int
from ..data import make_dataset, scale_images, to_uint8
from ..evaluation import class_accuracy, classifier_features, score_features
from ..models import registry
from ..models.gan import recommended_optimizers
from ..models.stacked_gan import (StackedGAN, StackLevel, build_coarse_generator, build_detail_generator,
                                  build_level_discriminator, build_pooling_encoder)
from ..reproducibility import set_seed

BATCH_SIZE = 64
ENTROPY_WEIGHTS = (0.0, 10.0)
"""The entropy-loss weights the chapter compares: none, and the SGAN paper's."""


def build_stack(seed: int = 0, encoder_from: StackedGAN | None = None, **changes) -> StackedGAN:
    """The registry's ``sgan`` with ``changes`` to its options, compiled, with ``encoder_from``'s encoder copied in.

    Without ``encoder_from`` the encoder is untrained: call :meth:`StackedGAN.train_encoder`.
    """
    set_seed(seed)
    stack = registry.build("sgan", changes, seed=seed)
    if encoder_from is not None:
        copy_encoder(encoder_from, stack)
    return stack


def copy_encoder(source: StackedGAN, target: StackedGAN) -> None:
    """Give ``target`` the (frozen) encoder levels ``E_0``, ``E_1`` of ``source``."""
    for a, b in ((source.bottom.encoder, target.bottom.encoder), (source.top.encoder, target.top.encoder)):
        if [w.shape for w in a.weights] != [w.shape for w in b.weights]:
            raise ValueError(f"the encoders differ in shape: {a.name} cannot be copied into {b.name}")
        b.set_weights(a.get_weights())


def fixed_features(stack: StackedGAN, images: np.ndarray) -> np.ndarray:
    """``E_0(x)``, ``[N, d]``, of uint8 ``[N, 28, 28]`` images: the conditions to hold fixed."""
    return apply_in_batches(stack.bottom.encoder, scale_images(images, "tanh"), 1000)


def noise_spread(stack: StackedGAN, features: np.ndarray, draws: int = 32, seed: int = 0) -> float:
    """How much ``G_0``'s images change with its noise alone: the per-pixel standard deviation over
    ``draws`` images made from each fixed row of ``features`` ``[K, d]``, averaged over pixels and rows.

    In ``[0, 1]`` pixel units; 0 means the generator ignores ``z_0`` at a fixed ``h_1``.
    """
    check_positive_int(draws, "draws", minimum=2)
    features = np.asarray(features, np.float32)
    repeated = np.repeat(features, draws, axis=0)
    images = (stack.generate_from_features(repeated, seed=seed) + 1.0) / 2.0
    images = images.reshape(len(features), draws, -1)
    return float(images.std(axis=1).mean())


def noise_recovery(level: StackLevel, conditions, seed: int = 0) -> float:
    """``L_ent`` of fresh samples, in inference mode, over its chance value 1/12: 1 means ``Q`` recovers nothing.

    ``conditions``: one condition per sample (labels ``[n]`` or features ``[n, d]``); for an
    unconditioned level, the number of samples.
    """
    n = conditions if level.condition_kind is None else len(conditions)
    noise = keras.ops.convert_to_numpy(keras.random.uniform((n, level.noise_dim), seed=seed))
    samples = apply_in_batches(level.generator, level.generator_inputs(noise, conditions), 1000)
    recovered = level.discriminator.predict(samples, batch_size=1000, verbose=0)[1]  # [logit, noise recovered]
    return float(np.mean((recovered - noise) ** 2) * 12.0)


def build_coarse_to_fine(seed: int = 0, learning_rate: float = 2e-4, lambda_cond: float = 1.0,
                         lambda_ent: float = 0.0) -> StackedGAN:
    """The hierarchy in image space, compiled: noise → a 14×14 digit → the 28×28 digit.

    The "encoder" is 2×2 average pooling; the bottom level's conditional loss asks that its
    image, pooled, give back the coarse digit it was drawn from. All four players use Adam at
    ``learning_rate`` with β₁ = 0.5.
    """
    set_seed(seed)
    top = StackLevel(build_coarse_generator(), build_level_discriminator((14, 14, 1), 64), None, 64,
                     condition=None, lambda_ent=lambda_ent, level=1, seed=seed)
    bottom = StackLevel(build_detail_generator(), build_level_discriminator((28, 28, 1), 16), build_pooling_encoder(),
                        16, condition="features", lambda_cond=lambda_cond, lambda_ent=lambda_ent, level=0, seed=seed + 1)
    stack = StackedGAN(top, bottom, name="coarse_to_fine")
    stack.compile([*recommended_optimizers(learning_rate), *recommended_optimizers(learning_rate)])
    return stack


class _StopAfter(keras.callbacks.Callback):
    """Stop training once ``seconds`` of wall time have passed (checked after every step)."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds, self.steps = seconds, 0

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if time.perf_counter() - self.start >= self.seconds:
            self.model.stop_training = True


def train_for_seconds(model: keras.Model, dataset, seconds: float) -> int:
    """Train ``model`` on ``dataset`` (repeated as needed) for ``seconds`` of wall time; return the steps taken."""
    if not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds!r}")
    stop = _StopAfter(seconds)
    model.fit(dataset.repeat(), epochs=1, steps_per_epoch=10**9, verbose=0, callbacks=[stop])
    return stop.steps


def score_stack(model, reference_features: np.ndarray, samples: int, seed: int = 0) -> dict[str, float]:
    """FD, precision, recall of ``samples`` images against the first ``samples`` reference features;
    with a labelled stack, also the class accuracy of its digits 0–9 in turn."""
    labelled = isinstance(model, StackedGAN) and model.labelled
    labels = model.labels_for(samples) if labelled else None
    images = to_uint8(model.generate(samples, labels=labels, seed=seed) if labelled
                      else model.generate(samples, seed=seed), "tanh")
    scores = score_features(classifier_features(images), reference_features[:samples])
    if labelled:
        scores["class_accuracy"] = class_accuracy(images, labels)
    return scores


def _stack_measures(stack: StackedGAN, held_features: np.ndarray, reference_features, samples: int) -> dict:
    labels = stack.labels_for(samples)
    return {
        **score_stack(stack, reference_features, samples),
        "noise_spread": noise_spread(stack, held_features),
        "noise_recovery_0": noise_recovery(stack.bottom, np.repeat(held_features, 100, axis=0)),
        "noise_recovery_1": noise_recovery(stack.top, labels),
    }


def experiment(images: np.ndarray, labels: np.ndarray, held_out: np.ndarray, reference_features: np.ndarray,
               seeds: Sequence[int], epochs: int, joint_epochs: int, race_seconds: float, samples: int = 5000,
               progress: Callable[[str], None] | None = None) -> dict:
    """The chapter's comparisons, for each seed.

    - ``independent``: ``sgan`` (λ_ent = 10) for ``epochs`` epochs, independent stage only;
    - ``no entropy loss``: the same with λ_ent = 0;
    - ``joint``: the ``independent`` run's state after ``epochs − joint_epochs`` epochs, trained
      ``joint_epochs`` more in the joint stage (so it has as many steps as ``independent``);
    - ``coarse to fine`` and ``dcgan``: trained for ``race_seconds`` of wall time each.

    Every arm is scored on ``samples`` samples; the stacks also on :func:`noise_spread` (at the
    features of ``held_out``, uint8 ``[K, 28, 28]`` test digits) and :func:`noise_recovery`.

    Returns
    -------
    dict
        ``{arm: {measure: [one value per seed]}}`` and ``"seeds"``.
    """
    check_positive_int(epochs, "epochs")
    check_positive_int(joint_epochs, "joint_epochs")
    if joint_epochs >= epochs:
        raise ValueError(f"joint_epochs ({joint_epochs}) must be fewer than epochs ({epochs})")
    say = progress or (lambda message: None)
    results: dict = {"seeds": list(seeds)}

    def add(arm: str, measures: dict) -> None:
        for key, value in measures.items():
            results.setdefault(arm, {}).setdefault(key, []).append(float(value))
        say(f"{arm}: " + ", ".join(f"{k} {v:.4g}" for k, v in measures.items()))

    for seed in seeds:
        dataset = make_dataset(images, labels, batch_size=BATCH_SIZE, scale="tanh", seed=seed)
        first = build_stack(seed)
        accuracy = first.train_encoder(scale_images(images, "tanh"), labels, seed=seed)
        held = fixed_features(first, held_out)
        start = time.perf_counter()
        first.fit(dataset, epochs=epochs - joint_epochs, verbose=0)
        with tempfile.TemporaryDirectory() as folder:
            snapshot = os.path.join(folder, "independent.keras")
            first.save(snapshot)
            first.fit(dataset, epochs=joint_epochs, verbose=0)
            seconds = time.perf_counter() - start
            add("independent", {**_stack_measures(first, held, reference_features, samples), "seconds": seconds,
                                "encoder_accuracy": accuracy})
            joint = keras.saving.load_model(snapshot)
        joint.joint = True
        joint.fit(dataset, epochs=joint_epochs, verbose=0)
        add("joint", _stack_measures(joint, held, reference_features, samples))

        no_entropy = build_stack(seed, encoder_from=first, lambda_ent=0.0)
        no_entropy.fit(dataset, epochs=epochs, verbose=0)
        add("no entropy loss", _stack_measures(no_entropy, held, reference_features, samples))

        for arm in ("coarse to fine", "dcgan"):
            model = build_coarse_to_fine(seed) if arm == "coarse to fine" else _race_dcgan(seed)
            steps = train_for_seconds(model, make_dataset(images, batch_size=BATCH_SIZE, scale="tanh", seed=seed),
                                      race_seconds)
            add(arm, {**score_stack(model, reference_features, samples), "steps": steps})
    return results


def end_to_end_experiment(images: np.ndarray, labels: np.ndarray, held_out: np.ndarray,
                          reference_features: np.ndarray, seeds: Sequence[int], epochs: int, joint_epochs: int,
                          weight: float = 0.01, samples: int = 5000,
                          progress: Callable[[str], None] | None = None) -> dict:
    """The joint stage with and without ``G_0``'s loss reaching ``G_1``, from one state per seed.

    For each seed, ``sgan`` (λ_ent = 10) trains ``epochs − joint_epochs`` epochs in the independent
    stage around its own encoder; from that saved state it trains ``joint_epochs`` more twice:
    ``joint`` (``G_0``'s loss stops at ``G_1``'s samples, :attr:`StackedGAN.end_to_end` = 0) and
    ``end to end`` (``G_1``'s objective gains ``weight`` × ``G_0``'s loss). The two arms share
    their start, their encoder and their data order, so they differ only in that term; each is
    scored as :func:`experiment` scores its stacks, with its training ``seconds``.

    Returns
    -------
    dict
        ``{arm: {measure: [one value per seed]}}``, ``"weight"`` and ``"seeds"``.
    """
    check_positive_int(epochs, "epochs")
    check_positive_int(joint_epochs, "joint_epochs")
    if joint_epochs >= epochs:
        raise ValueError(f"joint_epochs ({joint_epochs}) must be fewer than epochs ({epochs})")
    if not weight > 0:
        raise ValueError(f"weight must be > 0 (the end-to-end arm needs G_0's loss), got {weight!r}")
    say = progress or (lambda message: None)
    results: dict = {"seeds": list(seeds), "weight": float(weight)}
    for seed in seeds:
        first = build_stack(seed)
        first.train_encoder(scale_images(images, "tanh"), labels, seed=seed)
        held = fixed_features(first, held_out)
        first.fit(make_dataset(images, labels, batch_size=BATCH_SIZE, scale="tanh", seed=seed),
                  epochs=epochs - joint_epochs, verbose=0)
        with tempfile.TemporaryDirectory() as folder:
            snapshot = os.path.join(folder, "independent.keras")
            first.save(snapshot)
            for arm, end_to_end in (("joint", 0.0), ("end to end", weight)):
                stack = keras.saving.load_model(snapshot)
                stack.joint, stack.end_to_end = True, end_to_end
                start = time.perf_counter()
                stack.fit(make_dataset(images, labels, batch_size=BATCH_SIZE, scale="tanh", seed=seed + 1),
                          epochs=joint_epochs, verbose=0)
                measures = {**_stack_measures(stack, held, reference_features, samples),
                            "seconds": time.perf_counter() - start}
                for key, value in measures.items():
                    results.setdefault(arm, {}).setdefault(key, []).append(float(value))
                say(f"seed {seed}, {arm}: " + ", ".join(f"{k} {v:.4g}" for k, v in measures.items()))
    return results


def _race_dcgan(seed: int):
    """The registry's ``dcgan`` recipe without the weight average (the stack has none either)."""
    set_seed(seed)
    return registry.build("dcgan", {"ema_decay": None}, seed=seed)
