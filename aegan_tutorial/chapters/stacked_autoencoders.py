"""Helpers of the chapter "Stacked autoencoders and layer-wise training".

Training schedules at an equal number of gradient steps (:func:`train_schedule`), what each
level of a stack represents (:func:`level_profile`, :func:`preferred_images`), and the few-label
question: does unsupervised pretraining help a classifier that sees only a handful of labels
(:func:`labelled_subset`, :func:`train_classifier`, :func:`accuracy`)?
:func:`run_experiment` runs all of it for a list of seeds; ``benchmarks/stacked_autoencoders.py``
runs it at full length and writes the results file the chapter reads.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from .._checks import apply_in_batches, check_positive_int
from ..data import NUM_CLASSES, check_labels, check_unit_images
from ..metrics import reconstruction_mse
from ..models import StackedAutoencoder
from ..models.stacked_autoencoder import steps_per_call
from ..reproducibility import set_seed
from .encoder import linear_probe

SCHEDULES = ("end-to-end", "greedy", "greedy + fine-tune", "tied")
"""The training schedules compared, each for the same total number of Adam steps."""

PRETRAINING = ("random", "greedy", "end-to-end")
"""Where a classifier's encoder starts: fresh weights, or a stack trained by that schedule (no labels)."""


def _check_schedule(schedule: str) -> str:
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(map(repr, SCHEDULES))}; got {schedule!r}")
    return schedule


def train_schedule(
    schedule: str,
    images: np.ndarray,
    steps: int,
    sizes: Sequence[int] = (256, 64, 16),
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    seed: int = 0,
) -> StackedAutoencoder:
    """A stacked autoencoder trained by one schedule for exactly ``steps`` Adam steps in all.

    - ``"end-to-end"``: ``steps`` steps on the image reconstruction error through every level;
    - ``"greedy"``: ``steps / L`` steps per level, each level an autoencoder of the frozen codes below;
    - ``"greedy + fine-tune"``: greedy for half the steps (``steps / 2L`` per level), then end to end;
    - ``"tied"``: end to end, each decoder the transpose of its encoder.

    ``set_seed(seed)`` comes first, so the untied schedules start from the very same weights.

    Parameters
    ----------
    schedule
        One of :data:`SCHEDULES`.
    images
        float ``[N, 28, 28, 1]`` in ``[0, 1]``.
    steps
        Total Adam steps; a multiple of ``2 L`` so that every schedule takes exactly this many.
    sizes
        The levels' code sizes, bottom to top.
    batch_size, learning_rate, seed
        As in :meth:`StackedAutoencoder.train_greedy`.
    """
    _check_schedule(schedule)
    check_positive_int(steps, "steps")
    depth = len(tuple(sizes))
    if steps % (2 * depth):
        raise ValueError(f"steps must be a multiple of 2·L = {2 * depth}, so that every schedule takes "
                         f"exactly that many; got {steps}")
    set_seed(seed)
    stack = StackedAutoencoder(sizes, tied=schedule == "tied")
    if schedule in ("end-to-end", "tied"):
        stack.train_end_to_end(images, steps, batch_size, learning_rate, seed)
    elif schedule == "greedy":
        stack.train_greedy(images, steps // depth, batch_size, learning_rate=learning_rate, seed=seed)
    else:
        stack.train_greedy(images, steps // (2 * depth), batch_size, learning_rate=learning_rate, seed=seed)
        stack.train_end_to_end(images, steps // 2, batch_size, learning_rate, seed)
    return stack


def codes(stack: StackedAutoencoder, images: np.ndarray, level: int | None = None, batch_size: int = 2000) -> np.ndarray:
    """``h_level`` ``[N, n_level]`` of images ``[N, 28, 28, 1]`` as a NumPy array (level 0: the pixels)."""
    return apply_in_batches(lambda x: stack.encode(x, level), images, batch_size)


def level_reconstruction_mse(stack: StackedAutoencoder, images: np.ndarray, level: int) -> float:
    """Test MSE per pixel of ``decode(encode(x, level), level)``: the image rebuilt through levels ``1..level`` only."""
    return reconstruction_mse(lambda x: stack.decode(stack.encode(x, level), level), images)


def level_profile(
    stack: StackedAutoencoder,
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_images: np.ndarray,
    test_labels: np.ndarray,
    probe_epochs: int = 10,
    seed: int = 0,
) -> list[dict]:
    """What each level keeps: one row per level ``0..L``.

    Each row has ``level``, ``size`` (the code's width), ``probe_accuracy`` (a linear probe,
    :func:`aegan_tutorial.chapters.encoder.linear_probe`, trained on the training codes and
    scored on the test codes) and ``reconstruction_mse`` (:func:`level_reconstruction_mse`;
    0 at level 0, the pixels themselves).
    """
    rows = []
    for level in range(stack.depth + 1):
        train_codes, test_codes = codes(stack, train_images, level), codes(stack, test_images, level)
        rows.append({
            "level": level,
            "size": int(train_codes.shape[1]),
            "probe_accuracy": linear_probe(train_codes, train_labels, test_codes, test_labels, epochs=probe_epochs, seed=seed),
            "reconstruction_mse": 0.0 if level == 0 else level_reconstruction_mse(stack, test_images, level),
        })
    return rows


def preferred_images(stack: StackedAutoencoder, images: np.ndarray, level: int, units: Sequence[int], top: int = 20) -> np.ndarray:
    """What units of a level respond to: per unit, the mean of the ``top`` images that excite it most.

    Returns float ``[len(units), 28, 28, 1]``. A unit that no image excites (a dead ReLU) gives
    the mean of ``top`` arbitrary images; :func:`dead_units` finds those.
    """
    check_positive_int(top, "top")
    h = codes(stack, images, level)
    units = [int(u) for u in units]
    if not units or min(units) < 0 or max(units) >= h.shape[1]:
        raise ValueError(f"level {level} has units 0..{h.shape[1] - 1}; got {units}")
    order = np.argsort(-h[:, units], axis=0, kind="stable")[:top]  # [top, units]
    return np.stack([images[order[:, j]].mean(axis=0) for j in range(len(units))])


def unit_purity(stack: StackedAutoencoder, images: np.ndarray, labels: np.ndarray, level: int, top: int = 20) -> np.ndarray:
    """Per live unit of ``level``: the share of its ``top`` most exciting images that are its most common digit.

    1 means a unit's favourite images are all one digit; about 0.1 to 0.2 means a mix of many.
    Returns float ``[live units]`` (dead units, see :func:`dead_units`, are left out).
    """
    check_positive_int(top, "top")
    labels = check_labels(labels, len(images))
    h = codes(stack, images, level)
    live = np.setdiff1d(np.arange(h.shape[1]), dead_units(stack, images, level))
    order = np.argsort(-h[:, live], axis=0, kind="stable")[:top]  # [top, live units]
    return np.array([np.bincount(labels[order[:, j]], minlength=NUM_CLASSES).max() / top for j in range(len(live))])


def dead_units(stack: StackedAutoencoder, images: np.ndarray, level: int) -> np.ndarray:
    """Indices of the units of ``level`` that are 0 for every one of ``images`` (ReLUs that never fire)."""
    return np.flatnonzero(codes(stack, images, level).max(axis=0) <= 0)


def labelled_subset(labels: np.ndarray, per_class: int, seed: int = 0) -> np.ndarray:
    """Indices of ``per_class`` examples of each digit, drawn without replacement by ``seed``; sorted, ``[10 · per_class]``."""
    labels = check_labels(labels)
    check_positive_int(per_class, "per_class")
    rng = np.random.default_rng(seed)
    chosen = []
    for digit in range(NUM_CLASSES):
        pool = np.flatnonzero(labels == digit)
        if len(pool) < per_class:
            raise ValueError(f"only {len(pool)} examples of digit {digit}, fewer than per_class = {per_class}")
        chosen.append(rng.choice(pool, per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def train_classifier(
    stack: StackedAutoencoder,
    images: np.ndarray,
    labels: np.ndarray,
    steps: int,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    frozen: bool = False,
    seed: int = 0,
) -> keras.Model:
    """``stack.classifier()`` trained with Adam on the cross-entropy of the labelled images.

    The encoder levels are fine-tuned with the read-out unless ``frozen`` (then only the
    read-out learns: a linear classifier of the stack's top codes). Batches are shuffled by
    ``seed``; ``batch_size`` above the number of images means full-batch steps. The stack's
    encoder layers are the classifier's, so training moves them: pass a copy to keep a stack.

    Returns the classifier, ``[B, 28, 28, 1] -> [B, 10]`` probabilities.
    """
    images = check_unit_images(images, "the labelled images")
    labels = check_labels(labels, len(images))
    check_positive_int(steps, "steps")
    for encoder in stack.encoders:
        encoder.trainable = not frozen
    model = stack.classifier()
    model.compile(keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  steps_per_execution=steps_per_call(steps))
    batch = min(int(batch_size), len(images))
    pairs = (tf.data.Dataset.from_tensor_slices((images, labels))
             .shuffle(len(images), seed=seed, reshuffle_each_iteration=True).repeat().batch(batch))
    model.fit(pairs, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
    for encoder in stack.encoders:
        encoder.trainable = True
    return model


def accuracy(classifier: keras.Model, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of ``images`` whose most probable digit is the label, in ``[0, 1]``."""
    labels = check_labels(labels, len(images))
    probabilities = apply_in_batches(classifier, images, batch_size=2000)
    return float(np.mean(np.argmax(probabilities, axis=1) == labels))


def copy_stack(stack: StackedAutoencoder) -> StackedAutoencoder:
    """A new stack of the same shape holding the same weights (training one leaves the other alone)."""
    twin = StackedAutoencoder(stack.sizes, tied=stack.tied, activation=stack.activation)
    twin.set_weights(stack.get_weights())
    return twin


def run_experiment(
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    seeds: Sequence[int],
    steps: int,
    few_label_steps: int,
    all_label_steps: int,
    per_class: int = 10,
    sizes: Sequence[int] = (256, 64, 16),
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    probe_epochs: int = 10,
    progress=None,
) -> dict:
    """The chapter's measurements for every seed: schedules, levels, few-label classifiers.

    Per seed: each schedule of :data:`SCHEDULES` trains a stack for ``steps`` steps (test MSE,
    linear-probe accuracy of the top code, parameters, seconds); the greedy and end-to-end
    stacks get a :func:`level_profile`; then classifiers start from each of :data:`PRETRAINING`
    and are fine-tuned on ``per_class`` labels per digit (``few_label_steps`` full-batch
    steps; the seed draws the labelled images) and on every training label
    (``all_label_steps`` steps of ``batch_size``); ``"greedy, frozen"`` trains the read-out
    of the greedy stack alone on the few labels.

    Parameters
    ----------
    train, test
        ``(images [N, 28, 28, 1] in [0, 1], labels [N])``.
    progress
        Optional ``callable(str)`` told what finished, for long runs.

    Returns
    -------
    dict
        ``{"schedules": {name: {"test_mse": [...], "probe_accuracy": [...], "parameters": int,
        "seconds": [...]}}, "levels": {name: {"probe_accuracy": [[...]], "reconstruction_mse":
        [[...]]}}, "few_labels": {arm: [...]}, "all_labels": {arm: [...]}}``, one value per seed
        in the order of ``seeds`` (``levels``: one list over the levels per seed).
    """
    x_train, y_train = check_unit_images(train[0], "training images"), check_labels(train[1], len(train[0]))
    x_test, y_test = check_unit_images(test[0], "test images"), check_labels(test[1], len(test[0]))
    say = progress or (lambda message: None)
    out = {"schedules": {s: {"test_mse": [], "probe_accuracy": [], "parameters": None, "seconds": []} for s in SCHEDULES},
           "levels": {s: {"probe_accuracy": [], "reconstruction_mse": []} for s in ("greedy", "end-to-end")},
           "few_labels": {arm: [] for arm in (*PRETRAINING, "greedy, frozen")},
           "all_labels": {arm: [] for arm in PRETRAINING}}
    for seed in seeds:
        stacks = {}
        for schedule in SCHEDULES:
            start = time.perf_counter()
            stack = stacks[schedule] = train_schedule(schedule, x_train, steps, sizes, batch_size, learning_rate, seed)
            row = out["schedules"][schedule]
            row["seconds"].append(time.perf_counter() - start)
            row["test_mse"].append(reconstruction_mse(stack, x_test))
            row["probe_accuracy"].append(linear_probe(codes(stack, x_train), y_train, codes(stack, x_test), y_test,
                                                      epochs=probe_epochs, seed=seed))
            row["parameters"] = int(stack.count_params())
            say(f"seed {seed}: {schedule} test MSE {row['test_mse'][-1]:.4f}, probe {row['probe_accuracy'][-1]:.3f}")
        for schedule, levels in out["levels"].items():
            profile = level_profile(stacks[schedule], x_train, y_train, x_test, y_test, probe_epochs, seed)
            levels["probe_accuracy"].append([row["probe_accuracy"] for row in profile])
            levels["reconstruction_mse"].append([row["reconstruction_mse"] for row in profile])
        few = labelled_subset(y_train, per_class, seed)
        for arm in out["few_labels"]:
            set_seed(seed)
            start = StackedAutoencoder(sizes) if arm == "random" else copy_stack(stacks[arm.split(",")[0]])
            model = train_classifier(start, x_train[few], y_train[few], few_label_steps, len(few), learning_rate,
                                     frozen=arm.endswith("frozen"), seed=seed)
            out["few_labels"][arm].append(accuracy(model, x_test, y_test))
        for arm in out["all_labels"]:
            set_seed(seed)
            start = StackedAutoencoder(sizes) if arm == "random" else copy_stack(stacks[arm])
            model = train_classifier(start, x_train, y_train, all_label_steps, batch_size, learning_rate, seed=seed)
            out["all_labels"][arm].append(accuracy(model, x_test, y_test))
        say(f"seed {seed}: {len(few)} labels " + ", ".join(f"{a} {v[-1]:.3f}" for a, v in out["few_labels"].items())
            + "; all labels " + ", ".join(f"{a} {v[-1]:.3f}" for a, v in out["all_labels"].items()))
    return out
