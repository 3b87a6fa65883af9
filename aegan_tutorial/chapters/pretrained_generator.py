"""Helpers of the chapter "Pretraining the generator as a decoder".

The autoencoder whose decoder *is* the book's DCGAN generator (:func:`decoder_autoencoder`,
:func:`pretrain_autoencoder`), what its BatchNorm layers do after a short pretraining
(:func:`batchnorm_lag`), the three starts of the race (:data:`ARMS`, :func:`arm_generator`) and
the race itself: a GAN trained from each start, scored at fixed step counts (:func:`race`).
``benchmarks/pretrained_generator.py`` runs the race for several seeds and writes the results
file the chapter reads.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from .._checks import apply_in_batches, check_positive_int
from ..callbacks import with_nonfinite_guard
from ..data import check_images, to_uint8
from ..evaluation import score_samples
from ..models import GAN, Autoencoder, build_discriminator, build_encoder, build_generator, registry
from ..pretraining import CodePrior, generator_from_decoder, recalibrate_batchnorm
from ..reproducibility import set_seed
from ..results import compare

ARMS = ("scratch", "decoder", "decoder + prior")
"""A generator from random weights; the pretrained decoder fed prior noise as it is; the same decoder
behind a :class:`~aegan_tutorial.pretraining.CodePrior` fitted to the codes, its BatchNorm statistics
recalibrated on the mapped noise."""

NOISE_DIM = 100
"""The noise size of every arm, and so the autoencoder's code size."""


def _check_tanh_images(images, where: str) -> np.ndarray:
    """``images`` as float32 ``[N, 28, 28, 1]`` in ``[-1, 1]``, or the shared checker's error naming ``where``."""
    check_images(images, "tanh", where)
    return np.asarray(images, dtype=np.float32)


def decoder_autoencoder(filters: int = 32) -> Autoencoder:
    """``Autoencoder(build_encoder(100), build_generator(100, filters))``: its decoder is the DCGAN generator."""
    return Autoencoder(build_encoder(NOISE_DIM), build_generator(NOISE_DIM, filters), name="decoder_autoencoder")


def _batches(images: np.ndarray, batch_size: int, seed: int) -> tf.data.Dataset:
    return (tf.data.Dataset.from_tensor_slices(images)
            .shuffle(len(images), seed=seed, reshuffle_each_iteration=True).repeat().batch(batch_size, drop_remainder=True))


def pretrain_autoencoder(images: np.ndarray, steps: int, batch_size: int = 64, learning_rate: float = 1e-3,
                         seed: int = 0) -> Autoencoder:
    """:func:`decoder_autoencoder` trained with Adam on the MSE for ``steps`` steps of ``batch_size`` images.

    ``images``: float32 ``[N, 28, 28, 1]`` in ``[-1, 1]`` (the generator's range). Seeded by ``seed``.
    """
    images = _check_tanh_images(images, "pretrain_autoencoder")
    check_positive_int(steps, "steps")
    set_seed(seed)
    autoencoder = decoder_autoencoder()
    autoencoder.compile(keras.optimizers.Adam(learning_rate), loss="mse")
    pairs = _batches(images, batch_size, seed).map(lambda x: (x, x))
    autoencoder.fit(pairs, epochs=1, steps_per_epoch=steps, verbose=0)
    return autoencoder


def codes_of(autoencoder: Autoencoder, images: np.ndarray) -> np.ndarray:
    """The encoder's codes ``[N, 100]`` of ``images`` (inference mode)."""
    return np.asarray(apply_in_batches(autoencoder.encoder, images, 1000))


def batchnorm_lag(autoencoder: Autoencoder, images: np.ndarray, batch_size: int = 64) -> dict[str, float]:
    """Test MSE of the autoencoder's reconstructions three ways.

    ``inference``: the decoder normalising with its moving statistics (what ``generate`` and
    ``predict`` use); ``training``: with the statistics of each batch of ``batch_size`` images;
    ``recalibrated``: a copy of the decoder whose moving statistics :func:`recalibrate_batchnorm`
    set from the codes of ``images``, in inference mode. The autoencoder is not changed.
    """
    images = _check_tanh_images(images, "batchnorm_lag")
    codes = codes_of(autoencoder, images)
    inference = apply_in_batches(autoencoder.decoder, codes, 1000)
    copy = generator_from_decoder(autoencoder.decoder)  # a training-mode call moves the moving statistics: of a copy
    training = np.concatenate([keras.ops.convert_to_numpy(copy(codes[i:i + batch_size], training=True))
                               for i in range(0, len(codes), batch_size)])
    recalibrate_batchnorm(copy, codes)
    recalibrated = apply_in_batches(copy, codes, 1000)
    mse = lambda out: float(np.mean((np.asarray(out, np.float64) - images) ** 2))
    return {"inference": mse(inference), "training": mse(training), "recalibrated": mse(recalibrated)}


def arm_generator(arm: str, autoencoder: Autoencoder | None, images: np.ndarray | None = None, seed: int = 0,
                  n_noise: int = 10_000) -> keras.Model:
    """The generator one arm starts from.

    ``"scratch"``: ``build_generator(100)`` with fresh weights (``autoencoder`` unused).
    ``"decoder"``: an exact copy of the autoencoder's decoder. ``"decoder + prior"``: the copy behind a
    :class:`~aegan_tutorial.pretraining.CodePrior` fitted to the codes of ``images``, with its
    BatchNorm statistics recalibrated on ``n_noise`` draws of mapped prior noise (drawn by ``seed``).
    """
    if arm not in ARMS:
        raise ValueError(f"arm must be one of {', '.join(map(repr, ARMS))}; got {arm!r}")
    if arm == "scratch":
        set_seed(seed)
        return build_generator(NOISE_DIM)
    if autoencoder is None:
        raise ValueError(f"the {arm!r} arm starts from a pretrained autoencoder; got None")
    if arm == "decoder":
        return generator_from_decoder(autoencoder.decoder)
    if images is None:
        raise ValueError("the 'decoder + prior' arm fits its prior to the codes of images; got None")
    generator = generator_from_decoder(autoencoder.decoder, CodePrior.from_codes(codes_of(autoencoder, images)))
    noise = np.random.default_rng(seed).standard_normal((n_noise, NOISE_DIM)).astype("float32")
    recalibrate_batchnorm(generator, noise)
    return generator


class _ScoreAt(keras.callbacks.Callback):
    """Scores the generator after the given global steps."""

    def __init__(self, steps: Sequence[int], score):
        super().__init__()
        self.steps, self.score, self.step = set(steps), score, 0

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step in self.steps:
            self.score(self.step)


CALIBRATION_DRAWS = 10_000
"""Draws of prior noise the race recalibrates BatchNorm on by default (the results file's setting)."""


def score_generator(generator: keras.Model, n_eval: int, eval_seed: int = 0, recalibrate: bool = True,
                    n_noise: int = CALIBRATION_DRAWS) -> dict[str, float]:
    """FD, precision and recall of ``n_eval`` samples from ``generator`` in inference mode.

    With ``recalibrate`` (the default), the BatchNorm statistics are first set to those of
    ``n_noise`` draws of prior noise (:func:`~aegan_tutorial.pretraining.recalibrate_batchnorm`;
    noise drawn from ``eval_seed + 1``, not the scored noise), so that a score taken during
    training does not carry the lag of the moving averages; the generator's own statistics are
    put back afterwards, so training goes on as if it had not been scored. The scored samples
    come from fixed noise drawn by ``eval_seed``.
    """
    check_positive_int(n_eval, "n_eval")
    check_positive_int(n_noise, "n_noise")
    state = [variable for layer in generator.layers if isinstance(layer, keras.layers.BatchNormalization)
             for variable in layer.non_trainable_variables]
    kept = [keras.ops.convert_to_numpy(v) for v in state]
    try:
        if recalibrate:
            noise = np.random.default_rng(eval_seed + 1).standard_normal((n_noise, generator.input_shape[-1]))
            recalibrate_batchnorm(generator, noise.astype("float32"))
        noise = keras.random.normal((n_eval, generator.input_shape[-1]), seed=eval_seed)
        return score_samples(to_uint8(apply_in_batches(generator, noise, 1000), "tanh"))
    finally:
        for variable, value in zip(state, kept):
            variable.assign(value)


def race(arm: str, images: np.ndarray, autoencoder: Autoencoder | None = None, checkpoints: Sequence[int] = (0, 100, 300),
         n_eval: int = 2000, seed: int = 0, eval_seed: int = 0, g_learning_rate: float | None = None,
         moving_at: Sequence[int] | None = None, n_noise: int = CALIBRATION_DRAWS) -> list[dict]:
    """Train a GAN from one arm's generator and score it at each step count of ``checkpoints``.

    The GAN is the book's DCGAN recipe (``registry`` ``"dcgan"``: batch 64, Adam with β1 = 0.5,
    discriminator 2e-4, generator 2e-3, or ``g_learning_rate`` if given) without the weight
    average, so that the scores are of the generator being trained; the discriminator is built
    fresh from ``seed`` in every arm. At each checkpoint ``n_eval`` samples (fixed noise, drawn by
    ``eval_seed``) are scored against as many test images twice: with the generator's BatchNorm
    statistics recalibrated on ``n_noise`` draws of prior noise (:func:`score_generator`), and as
    they stand (at every checkpoint, or only at those in ``moving_at``).

    Parameters
    ----------
    arm
        One of :data:`ARMS`.
    images
        float32 ``[N, 28, 28, 1]`` in ``[-1, 1]``: what the GAN trains on (and the codes the prior is fitted to).
    autoencoder
        The pretrained :func:`decoder_autoencoder` (for the decoder arms).

    Returns
    -------
    list of dict
        One per checkpoint: ``step``, ``fd``, ``precision``, ``recall`` (recalibrated), the same
        as they stand as ``fd_moving``, ``precision_moving``, ``recall_moving`` (only at the
        checkpoints of ``moving_at`` when it is given), and ``seconds`` (training time so far,
        scoring excluded).
    """
    images = _check_tanh_images(images, "race")
    checkpoints = sorted({int(s) for s in checkpoints})
    if not checkpoints or checkpoints[0] < 0:
        raise ValueError(f"checkpoints must be step counts >= 0, got {checkpoints}")
    moving = set(checkpoints if moving_at is None else (int(s) for s in moving_at))
    if not moving <= set(checkpoints):
        raise ValueError(f"moving_at must be among the checkpoints {checkpoints}, got {sorted(moving)}")
    generator = arm_generator(arm, autoencoder, images, seed)
    set_seed(seed)
    spec = registry.get("dcgan")
    gan = GAN(generator, build_discriminator(spec.config["filters"]), noise_dim=NOISE_DIM, seed=seed, ema_decay=None)
    config = dict(spec.config) if g_learning_rate is None else {**spec.config, "g_learning_rate": float(g_learning_rate)}
    spec.compile(gan, **config)
    rows, clock = [], {"training": 0.0, "since": time.perf_counter()}

    def score(step: int) -> None:
        clock["training"] += time.perf_counter() - clock["since"]
        as_they_stand = score_generator(gan.generator, n_eval, eval_seed, recalibrate=False) if step in moving else {}
        rows.append({"step": step, **score_generator(gan.generator, n_eval, eval_seed, n_noise=n_noise),
                     **{f"{key}_moving": value for key, value in as_they_stand.items()}, "seconds": clock["training"]})
        clock["since"] = time.perf_counter()

    if checkpoints[0] == 0:
        score(0)
    if checkpoints[-1] > 0:
        gan.fit(_batches(images, spec.batch_size, seed), epochs=1, steps_per_epoch=checkpoints[-1], verbose=0,
                callbacks=with_nonfinite_guard([_ScoreAt(checkpoints, score)]))
    return rows


SLOW_GENERATOR_RATE = 2e-4
"""The generator's learning rate in the race's second recipe: the discriminator's, as in the DCGAN paper."""


def race_over_seeds(images: np.ndarray, seeds: Sequence[int], pretrain_steps: int, checkpoints: Sequence[int],
                   n_eval: int = 2000, test_images: np.ndarray | None = None, progress=None,
                   slow_generator: bool = True) -> dict:
    """The race for every seed: one autoencoder pretrained per seed, then each arm of :data:`ARMS` raced.

    Returns ``{"races": {arm: [[row per checkpoint] per seed]}, "batchnorm": {"inference": [...],
    "training": [...], "recalibrated": [...]}, "pretrain_seconds": [...]}`` (BatchNorm measured on
    ``test_images`` when given). With ``slow_generator``, ``"races_slow_generator"`` holds the
    same race with the generator at :data:`SLOW_GENERATOR_RATE` (rows as :func:`race`'s).
    """
    say = progress or (lambda message: None)
    out = {"races": {arm: [] for arm in ARMS}, "batchnorm": {"inference": [], "training": [], "recalibrated": []},
           "pretrain_seconds": []}
    if slow_generator:
        out["races_slow_generator"] = {arm: [] for arm in ARMS}
    for seed in seeds:
        start = time.perf_counter()
        autoencoder = pretrain_autoencoder(images, pretrain_steps, seed=seed)
        out["pretrain_seconds"].append(time.perf_counter() - start)
        if test_images is not None:
            for key, value in batchnorm_lag(autoencoder, test_images).items():
                out["batchnorm"][key].append(value)
        for key, rate in (("races", None), ("races_slow_generator", SLOW_GENERATOR_RATE)):
            if key not in out:
                continue
            for arm in ARMS:
                rows = race(arm, images, autoencoder, checkpoints, n_eval, seed, g_learning_rate=rate)
                out[key][arm].append(rows)
                say(f"seed {seed}, {key}, {arm}: " + ", ".join(f"{r['step']}: FD {r['fd']:.1f} ({r['fd_moving']:.1f} "
                                                              "as it stands)" for r in rows))
    return out


def compare_by_step(fd: np.ndarray, other: np.ndarray, steps: Sequence[int], other_name: str) -> str:
    """One arm's FD against another's at every step, in words, steps grouped by verdict.

    ``fd``, ``other``: ``[seeds, steps]``. E.g. "lower than that of the scratch arm at steps 0
    and 100; no different from it at steps 300, 1,000 and 3,000" (verdicts of
    :func:`aegan_tutorial.results.compare`).
    """
    fd, other = np.asarray(fd), np.asarray(other)
    if fd.shape != other.shape or fd.ndim != 2 or fd.shape[1] != len(steps):
        raise ValueError(f"fd and other must both be [seeds, {len(steps)} steps]; got {list(fd.shape)} and {list(other.shape)}")
    parts = []
    for word in ("lower than", "no different from", "higher than"):
        at = [f"{s:,}" for j, s in enumerate(steps) if compare(fd[:, j], other[:, j]) == word]
        if at:
            listed = ", ".join(at[:-1]) + " and " + at[-1] if len(at) > 1 else at[0]
            subject = "it" if parts else f"that of the {other_name} arm"
            parts.append(f"{word} {subject} at step{'s' * (len(at) > 1)} {listed}")
    return "; ".join(parts)
