"""Helpers of the chapter "Cost, data and speed": GANs on too little data, and quality against cost.

:func:`scarcity_gan` builds the book's DCGAN recipe, optionally with differentiable augmentation
in front of its discriminator; :func:`scarcity_run` trains it on a few images for a fixed number
of steps while watching the discriminator's accuracy on its training images and on held-out
ones (:func:`discriminator_accuracy`) and how close its samples sit to the training images
(:func:`copying_ratio`, :func:`copying_control`); :func:`scarcity_experiment` runs every data
size, with and without augmentation, for several seeds (``benchmarks/data_scarcity.py`` writes
the results file the chapter reads), and :func:`augment_ablation` takes the augmentation apart:
each transform alone, the fill of the vacated pixels, longer runs (``benchmarks/diff_augment.py``). :func:`pareto_front` picks the models no other model beats on
both cost and quality.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping, Sequence

import keras
import numpy as np

from .. import cost, pretrained
from .._checks import check_positive_int
from ..data import make_dataset, scale_images, to_uint8
from ..evaluation import classifier_features, score_features
from ..models import registry
from ..models.augment import POLICIES, with_diff_augment
from ..models.gan import GAN
from ..reproducibility import set_seed

GENERATIVE = ("dcgan", "cgan", "scgan", "began", "sgan", "aae", "vae")
"""The shipped generative models, in the order the book meets them."""
SIZES = (500, 2000, 19690)
"""Training-set sizes of the data-scarcity experiment: 500, 2,000 and the whole 19,690-image subset."""
BATCH_SIZE = 64


def scarcity_gan(seed: int = 0, augment: bool = False, policy: Sequence[str] = POLICIES, fill: float = 0.0) -> GAN:
    """The registry's ``dcgan`` recipe, compiled; with ``augment``, its discriminator behind
    :func:`~aegan_tutorial.models.augment.with_diff_augment` with ``policy`` (all three by
    default) and ``fill`` (0, as in the paper's code and the ``data_scarcity`` results file).

    The same ``seed`` gives every arm the same initial weights and the same noise.
    """
    set_seed(seed)
    gan = registry.build("dcgan", seed=seed)
    if not augment:
        return gan
    spec = registry.get("dcgan")
    augmented = GAN(gan.generator, with_diff_augment(gan.discriminator, policy, seed=seed, fill=fill), gan.noise_dim,
                    seed=seed,
                    ema_decay=gan.ema_decay, name="augmented_gan")
    spec.compile(augmented, **spec.config)
    return augmented


def training_subset(images: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` of ``images`` ``[N, 28, 28]`` drawn without replacement (all of them, in order, when ``n == N``)."""
    check_positive_int(n, "n")
    if n > len(images):
        raise ValueError(f"asked for {n} training images but only {len(images)} are available")
    if n == len(images):
        return images
    return images[np.sort(np.random.default_rng(seed).choice(len(images), n, replace=False))]


def discriminator_accuracy(gan: GAN, images: np.ndarray) -> float:
    """Fraction of the real uint8 ``[N, 28, 28]`` ``images`` the discriminator calls real (logit > 0).

    In inference mode: an augmented discriminator judges the images as they are.
    """
    logits = gan.discriminator.predict(scale_images(images, "tanh"), batch_size=1000, verbose=0)
    return float(np.mean(logits[:, 0] > 0))


def fakes_called_real(gan: GAN, n: int = 1000, seed: int = 0) -> float:
    """Fraction of ``n`` of the generator's samples that the discriminator calls real (logit > 0), in inference mode."""
    logits = gan.discriminator.predict(gan.generate(n, seed=seed), batch_size=1000, verbose=0)
    return float(np.mean(logits[:, 0] > 0))


def nearest_distances(images: np.ndarray, pool: np.ndarray, batch: int = 1000) -> np.ndarray:
    """``[N]``: the pixel distance (L2, pixels in ``[0, 1]``) from each uint8 image to its nearest image in ``pool``.

    Computed in float32 as ``‖x‖² − 2 x·p + ‖p‖²``: an image's distance to itself comes out below
    0.011 instead of 0 (the cancellation), where a test digit's nearest training digit lies at a median
    4.7 (among all 19,690) or 6.2 (among 500).
    """
    pool = pool.reshape(len(pool), -1).astype(np.float32) / 255.0
    pool_norms = (pool ** 2).sum(1)
    out = []
    for start in range(0, len(images), batch):
        x = images[start:start + batch].reshape(-1, pool.shape[1]).astype(np.float32) / 255.0
        squared = (x ** 2).sum(1)[:, None] - 2.0 * x @ pool.T + pool_norms[None, :]
        out.append(np.sqrt(np.maximum(squared.min(1), 0.0)))
    return np.concatenate(out)


def copying_ratio(samples: np.ndarray, train: np.ndarray, held_out: np.ndarray) -> float:
    """How close samples sit to the training images, relative to unseen real digits.

    The median distance from each of the uint8 ``samples`` to its nearest training image, over the
    same median for ``held_out`` real digits. About 1 or more: the samples are as new as real digits
    the GAN never saw; well below 1: the generator reproduces its training images.
    """
    return float(np.median(nearest_distances(samples, train)) / np.median(nearest_distances(held_out, train)))


def copying_control(samples: np.ndarray, train: np.ndarray, held_out: np.ndarray, seed: int = 0) -> float:
    """How much nearer the samples sit to the training images than to as many images never trained on.

    The median distance from each uint8 ``[N, 28, 28]`` sample to its nearest training image, over
    the same median to as many of the ``held_out`` images (drawn by ``seed`` when there are more):
    equal pools, so that the pools' size cancels. About 1: the samples are no nearer the digits the
    GAN trained on than to digits it never saw; well below 1: it reproduces its training images.
    """
    if len(samples) == 0 or len(train) == 0:
        raise ValueError(f"need samples and training images, got {len(samples)} and {len(train)}")
    if len(held_out) < len(train):
        raise ValueError(f"need at least as many held-out images as training images ({len(train)}) for equal "
                         f"pools, got {len(held_out)}")
    if len(held_out) > len(train):
        held_out = held_out[np.sort(np.random.default_rng(seed).choice(len(held_out), len(train), replace=False))]
    return float(np.median(nearest_distances(samples, train)) / np.median(nearest_distances(samples, held_out)))


def sample_statistics(images: np.ndarray, frame: int = 4) -> dict[str, float]:
    """Traces a transform could leave in uint8 ``[N, 28, 28]`` images, as means over the images.

    ``border_ink``: the mean intensity (0 to 1) of the outer ``frame`` pixels, where MNIST digits
    have almost none (a translation leaking into the samples puts ink there); ``grey_share``: the
    share of pixels between 0.25 and 0.75, mid-grey (a grey cut-out square or a brightness shift
    leaking); ``centre_offset``: the distance in pixels from the image centre to the centre of the
    ink (MNIST centres each digit's centre of mass).
    """
    x = np.asarray(images, np.float32).reshape(len(images), 28, 28) / 255.0
    inner = np.zeros((28, 28), bool)
    inner[frame:-frame, frame:-frame] = True
    ink = x.sum((1, 2)) + 1e-8
    grid = np.arange(28, dtype=np.float32)
    rows, cols = (x.sum(2) @ grid) / ink, (x.sum(1) @ grid) / ink
    return {"border_ink": float(x[:, ~inner].mean()), "grey_share": float(((x > 0.25) & (x < 0.75)).mean()),
            "centre_offset": float(np.mean(np.hypot(rows - 13.5, cols - 13.5)))}


def encode_images(images: np.ndarray) -> str:
    """uint8 ``[N, 28, 28]`` images as one base64 string (for a results file); :func:`decode_images` reverses it."""
    return base64.b64encode(np.ascontiguousarray(images, np.uint8).tobytes()).decode("ascii")


def decode_images(text: str) -> np.ndarray:
    """The uint8 ``[N, 28, 28]`` images of an :func:`encode_images` string."""
    return np.frombuffer(base64.b64decode(text), np.uint8).reshape(-1, 28, 28)


def score_gan(gan: GAN, reference_features: np.ndarray, samples: int, seed: int = 0) -> dict[str, float]:
    """FD, precision and recall of ``samples`` of the GAN's images against the first ``samples`` reference features."""
    images = to_uint8(gan.generate(samples, seed=seed), "tanh")
    return score_features(classifier_features(images), reference_features[:samples])


class _Watch(keras.callbacks.Callback):
    """After every ``fit`` epoch (a block of steps): the discriminator on training and held-out reals, the FD, copying."""

    def __init__(self, train: np.ndarray, held_out: np.ndarray, reference_features: np.ndarray, samples: int,
                 pool: np.ndarray, seed: int = 0):
        super().__init__()
        self.train, self.held_out, self.reference, self.samples = train, held_out, reference_features, samples
        self.pool, self.seed = pool, seed
        self.curve: dict[str, list] = {"step": [], "d_train": [], "d_held_out": [], "d_fake": [], "fd": [],
                                       "copying": []}

    def on_epoch_end(self, epoch, logs=None):
        self.curve["step"].append(int(self.model.optimizer.optimizers[0].iterations.numpy()))
        self.curve["d_train"].append(discriminator_accuracy(self.model, self.train))
        self.curve["d_held_out"].append(discriminator_accuracy(self.model, self.held_out))
        self.curve["d_fake"].append(fakes_called_real(self.model, len(self.held_out), self.seed + 2))
        self.curve["fd"].append(score_gan(self.model, self.reference, self.samples, self.seed)["fd"])
        samples = to_uint8(self.model.generate(self.samples, seed=self.seed + 1), "tanh")
        self.curve["copying"].append(copying_ratio(samples, self.pool, self.held_out))


def scarcity_run(images: np.ndarray, held_out: np.ndarray, reference_features: np.ndarray, augment: bool,
                 seed: int = 0, steps: int = 4000, check_every: int = 800, samples: int = 5000,
                 check_samples: int = 1000, eval_seed: int = 0, policy: Sequence[str] = POLICIES,
                 fill: float = 0.0) -> dict:
    """Train :func:`scarcity_gan` on ``images`` (uint8 ``[n, 28, 28]``, at least one batch) for ``steps`` steps.

    Every ``check_every`` steps it records the discriminator's accuracy on (up to 1,000 of) its
    training images, on ``held_out`` real images it never saw and on as many samples
    (:func:`fakes_called_real`), and the FD of ``check_samples`` samples and their
        :func:`copying_ratio`; at the end, FD, precision and recall of ``samples`` samples, their
    :func:`copying_control` (``None`` with fewer held-out than training images) and
    :func:`sample_statistics`. ``seed`` seeds the GAN and the order of
    the images; the scored samples are drawn by ``eval_seed`` (those of the copying measures by
    ``eval_seed + 1``). ``policy`` and ``fill`` set the augmentation (:func:`scarcity_gan`).

    Returns
    -------
    dict
        ``fd``, ``precision``, ``recall``, ``d_train``, ``d_held_out``, ``d_fake``, ``copying`` (the
        last check), ``copying_control``, ``border_ink``, ``grey_share``, ``centre_offset``,
        ``seconds`` (training and checks), ``generate`` (the trained GAN's ``generate``, which
        draws from the averaged generator) and ``curve`` (``step``, ``d_train``, ``d_held_out``,
        ``d_fake``, ``fd``, ``copying``: one value per check).
    """
    check_positive_int(steps, "steps")
    check_positive_int(check_every, "check_every")
    if steps % check_every:
        raise ValueError(f"steps ({steps}) must be a multiple of check_every ({check_every})")
    if len(images) < BATCH_SIZE:
        raise ValueError(f"need at least one batch of {BATCH_SIZE} training images, got {len(images)}")
    gan = scarcity_gan(seed, augment, policy, fill)
    watch = _Watch(images[:1000], held_out, reference_features, check_samples, images, eval_seed)
    dataset = make_dataset(images, batch_size=BATCH_SIZE, seed=seed, drop_remainder=True).repeat()
    start = time.perf_counter()
    gan.fit(dataset, epochs=steps // check_every, steps_per_epoch=check_every, verbose=0, callbacks=[watch])
    seconds = time.perf_counter() - start
    drawn = to_uint8(gan.generate(check_samples, seed=eval_seed + 1), "tanh")
    return {**score_gan(gan, reference_features, samples, eval_seed),
            **{key: watch.curve[key][-1] for key in ("d_train", "d_held_out", "d_fake", "copying")},
            "copying_control": copying_control(drawn, images, held_out, seed) if len(held_out) >= len(images)
            else None, **sample_statistics(drawn),
            "seconds": seconds, "generate": gan.generate, "curve": watch.curve}


def arm_name(n: int, augment: bool) -> str:
    """The results file's name of an arm: e.g. ``"500"`` or ``"500 augmented"``."""
    return f"{n} augmented" if augment else f"{n}"


def scarcity_experiment(images: np.ndarray, held_out: np.ndarray, reference_features: np.ndarray,
                        seeds: Sequence[int], sizes: Sequence[int] = SIZES, steps: int = 4000,
                        check_every: int = 800, samples: int = 5000,
                        progress: Callable[[str], None] | None = None) -> dict:
    """:func:`scarcity_run` for every size in ``sizes``, without and with augmentation, for each seed.

    The seed draws the training subset (shared by the two arms) and seeds the GAN.

    Returns
    -------
    dict
        ``{arm_name(n, augment): {measure: [one value per seed]}}`` (the curves as one list per
        seed) and ``"seeds"``.
    """
    say = progress or (lambda message: None)
    results: dict = {"seeds": list(seeds)}
    for seed in seeds:
        for n in sizes:
            subset = training_subset(images, n, seed)
            for augment in (False, True):
                run = scarcity_run(subset, held_out, reference_features, augment, seed, steps, check_every, samples)
                run.pop("generate")
                arm = results.setdefault(arm_name(n, augment), {})
                for key, value in run.items():
                    arm.setdefault(key, []).append(value)
                say(f"seed {seed}, {arm_name(n, augment)}: " + _summary(run))
    return results


ABLATION_ARMS: dict[str, dict] = {
    "none": {"augment": False, "long": True},
    "all": {"augment": True, "policy": POLICIES, "fill": -1.0, "long": True},
    "all, fill 0": {"augment": True, "policy": POLICIES, "fill": 0.0},
    "color": {"augment": True, "policy": ("color",), "fill": -1.0},
    "translation": {"augment": True, "policy": ("translation",), "fill": -1.0},
    "cutout": {"augment": True, "policy": ("cutout",), "fill": -1.0},
}
"""The arms of :func:`augment_ablation`: no augmentation, all three transforms filling with the
background (−1) or, as in the paper's code and the ``data_scarcity`` file, with mid-grey 0, and each
transform alone. ``long`` arms train for the ablation's ``long_steps``, the others for ``steps``."""


def augment_ablation(images: np.ndarray, held_out: np.ndarray, reference_features: np.ndarray,
                     seeds: Sequence[int], n: int = 500, steps: int = 4000, long_steps: int = 8000,
                     check_every: int = 1000, samples: int = 5000, keep: int = 16,
                     arms: Mapping[str, dict] = ABLATION_ARMS,
                     progress: Callable[[str], None] | None = None) -> dict:
    """:func:`scarcity_run` on ``n`` training images for every arm of ``arms`` and every seed.

    Each seed draws its training subset (:func:`training_subset`, shared by the arms, the same as
    :func:`scarcity_experiment`'s at that size) and seeds every arm alike, so the arms differ only
    in their augmentation. Arms marked ``long`` train for ``long_steps``, the others for ``steps``;
    both are multiples of ``check_every``.

    Returns
    -------
    dict
        ``{arm: {measure: [one value per seed]}}`` with :func:`scarcity_run`'s measures (the curves
        as one list per seed), plus ``samples`` (``keep`` samples of the first seed,
        :func:`encode_images`) and the arm's ``policy``, ``fill`` and ``steps``; ``"real"``: the
        :func:`sample_statistics` of the held-out digits; and ``"seeds"``.
    """
    say = progress or (lambda message: None)
    results: dict = {"seeds": list(seeds), "real": sample_statistics(held_out)}
    for seed in seeds:
        subset = training_subset(images, n, seed)
        for name, arm in arms.items():
            arm_steps = long_steps if arm.get("long") else steps
            policy = tuple(arm.get("policy", POLICIES))
            run = scarcity_run(subset, held_out, reference_features, arm["augment"], seed, arm_steps, check_every,
                               samples, policy=policy, fill=arm.get("fill", 0.0))
            generate = run.pop("generate")
            row = results.setdefault(name, {"policy": list(policy) if arm["augment"] else [],
                                            "fill": arm.get("fill", 0.0) if arm["augment"] else None,
                                            "steps": arm_steps})
            if "samples" not in row:
                row["samples"] = encode_images(to_uint8(generate(keep, seed=seed + 3), "tanh"))
            for key, value in run.items():
                row.setdefault(key, []).append(value)
            say(f"seed {seed}, {name}: " + _summary(run))
    return results


def _summary(run: dict) -> str:
    """A run's numbers on one line, for the progress report (``None`` where a measure was not taken)."""
    return ", ".join(f"{k} {v:.4g}" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in run.items()
                     if k not in ("curve", "generate"))


def training_rate(name: str, speeds: dict) -> float:
    """Training images per second of the shipped ``name`` as its recipe trains, from a ``model_cost`` row ``speeds``.

    The mean over the seeds (one freshly built model each); for the stacked GAN, the rate over its
    epochs, each stage at its own speed.
    """
    if "train_images_per_second" in speeds:
        return float(np.mean(speeds["train_images_per_second"]))
    entry = pretrained.entry(name)
    independent = entry["config"]["independent_epochs"]
    per_epoch = [1 / np.mean(speeds["train_images_per_second_independent"])] * independent + \
                [1 / np.mean(speeds["train_images_per_second_joint"])] * (entry["epochs"] - independent)
    return float(1 / np.mean(per_epoch))


def cost_rows(speeds: dict, names: Sequence[str] = GENERATIVE, train_images: int = 19690) -> list[dict]:
    """One row per shipped generative model: what it costs and how good its samples are.

    Parameters
    ----------
    speeds
        The ``measurements`` of the ``model_cost`` results file (``benchmarks/model_cost.py``).
    names
        Shipped models.
    train_images
        Images per epoch of the shipped runs (each epoch drops the last, partial batch).

    Returns
    -------
    list of dict
        ``name``, ``labels`` (whether it trains on the digit labels), ``parameters`` (trained),
        ``multiply_adds`` (one sample), ``train_rate`` and ``sample_rate`` (images per second),
        ``minutes`` (the shipped run's training time, one wall clock), ``predicted_minutes``
        (``(predicted, low, high)`` from the benchmark's speeds, :func:`predicted_minutes`),
        ``epochs``, ``images_seen`` and the manifest's ``fd``, ``precision``, ``recall``.
    """
    rows = []
    for name in names:
        entry, spec = pretrained.entry(name), registry.get(name)
        model = registry.build(name, entry["config"], training=False)
        per_epoch = train_images // spec.batch_size * spec.batch_size
        rows.append({"name": name, "labels": spec.labels, "parameters": cost.trained_parameters(model),
                     "multiply_adds": cost.sample_multiply_adds(model), "train_rate": training_rate(name, speeds[name]),
                     "sample_rate": float(speeds[name]["sample_images_per_second"]),
                     "minutes": entry["wall_seconds"] / 60, "epochs": entry["epochs"],
                     "images_seen": entry["epochs"] * per_epoch,
                     "predicted_minutes": _predicted_run_minutes(name, speeds[name], entry["epochs"], per_epoch),
                     **{key: entry["metrics"][key] for key in ("fd", "precision", "recall")}})
    return rows


def _predicted_run_minutes(name: str, speeds: dict, epochs: int, per_epoch: int) -> tuple[float, float, float]:
    """:func:`predicted_minutes` of a shipped run; the stacked GAN's two stages each at their own speed."""
    if "train_images_per_second" in speeds:
        return predicted_minutes(epochs * per_epoch, speeds["train_images_per_second"])
    independent = pretrained.entry(name)["config"]["independent_epochs"]
    stages = [predicted_minutes(independent * per_epoch, speeds["train_images_per_second_independent"]),
              predicted_minutes((epochs - independent) * per_epoch, speeds["train_images_per_second_joint"])]
    return tuple(float(sum(values)) for values in zip(*stages))


def race_rows(saved: dict, speeds: dict | None = None) -> list[dict]:
    """The pretrained-generator chapter's three starts at the race's last checkpoint, one row each.

    ``saved`` is the ``pretrained_generator`` results file. Each row: ``name`` (the start), ``steps``,
    ``minutes`` (the race's training time, plus the autoencoder's pretraining for the two starts
    that use it; means over the seeds), and ``fd``, ``precision``, ``recall`` (one value per seed,
    on the file's ``samples`` samples). Given the ``model_cost`` file's ``measurements`` as
    ``speeds``, each row also has ``predicted_minutes``: the race's images at the DCGAN recipe's
    benchmarked speed, plus the measured pretraining times (:func:`predicted_minutes`).
    """
    measured, settings = saved["measurements"], saved["settings"]
    pretraining = float(np.mean(measured["pretrain_seconds"]))
    rows = []
    for start, runs in measured["races"].items():
        last = [run[-1] for run in runs]
        seconds = float(np.mean([point["seconds"] for point in last])) + (pretraining if start != "scratch" else 0.0)
        row = {"name": start, "steps": last[0]["step"], "minutes": seconds / 60, "samples": settings["samples"]}
        if speeds is not None:
            row["predicted_minutes"] = predicted_minutes(
                last[0]["step"] * settings["batch_size"], speeds["dcgan"]["train_images_per_second"],
                measured["pretrain_seconds"] if start != "scratch" else (0.0,))
        rows.append({**row,
                     **{key: [point[key] for point in last] for key in ("fd", "precision", "recall")}})
    return rows


def _intervals(values: Sequence, name: str) -> np.ndarray:
    """``values`` as float ``[n, 2]`` ``(low, high)`` rows: a number is its own interval."""
    rows = []
    for value in values:
        low, high = (value, value) if np.ndim(value) == 0 else tuple(value)
        if not low <= high:
            raise ValueError(f"{name}: an interval must be (low, high) with low <= high, got {value!r}")
        rows.append((float(low), float(high)))
    return np.asarray(rows, float).reshape(-1, 2)


def pareto_front(costs: Sequence, losses: Sequence) -> list[int]:
    """Indices of the points that no other point beats, lower being better on both axes.

    Each cost and loss is a number or a ``(low, high)`` range (the spread of what was measured).
    A point *beats* another when it is surely better on one axis (its range lies wholly below)
    and not surely worse on the other (its range does not lie wholly above). Ranges that overlap
    are a tie, as everywhere in the book; with plain numbers this is the usual front (at most as
    high on both, lower on one). The indices come sorted by cost.
    """
    cost, loss = _intervals(costs, "costs"), _intervals(losses, "losses")
    if len(cost) != len(loss) or len(cost) == 0:
        raise ValueError(f"costs and losses must be two non-empty lists of one length, got {len(cost)} and {len(loss)}")

    def beats(j: int, i: int) -> bool:
        surely_better = [a[j, 1] < a[i, 0] for a in (cost, loss)]
        no_worse = [a[j, 0] <= a[i, 1] for a in (cost, loss)]
        return all(no_worse) and any(surely_better)

    front = [i for i in range(len(cost)) if not any(beats(j, i) for j in range(len(cost)) if j != i)]
    return sorted(front, key=lambda i: (cost[i].mean(), loss[i].mean()))


def predicted_minutes(images: int, rates: Sequence[float], extra_seconds: Sequence[float] = (0.0,)) -> tuple[float, float, float]:
    """``(predicted, low, high)`` minutes to train on ``images`` images at the benchmark's ``rates``.

    ``rates`` are training images per second measured on separately built models (their mean
    predicts; their fastest and slowest bound the range); ``extra_seconds`` are measured times
    of work done once before (pretraining), added the same way. Unlike one run's wall clock,
    which wobbles with whatever else the machine runs, this comes with its own spread.
    """
    rates, extra = np.asarray(rates, float), np.asarray(extra_seconds, float)
    if rates.size == 0 or np.any(rates <= 0) or extra.size == 0 or np.any(extra < 0):
        raise ValueError(f"need positive rates and non-negative extra seconds, got {rates.tolist()} and {extra.tolist()}")
    check_positive_int(images, "images")
    return ((images / rates.mean() + extra.mean()) / 60, (images / rates.max() + extra.min()) / 60,
            (images / rates.min() + extra.max()) / 60)
