"""Training runs on disk: per-epoch samples, metrics and atomic checkpoints, resumable after a crash.

A run folder written by :func:`train` (what ``python -m aegan_tutorial train`` calls)::

    run.json                    what was asked, where it stands, final metrics
    metrics.csv                 one row per epoch: losses, evaluation metrics, seconds
    samples/epoch_001.png       the epoch's picture (fixed noise for generators)
    checkpoints/epoch_001.keras the full training state after an epoch (last two kept)
    checkpoints/latest.json     which checkpoint is the latest, written last
    model.weights.h5            the final weights, when the run is complete

Every file is written to a temporary name and renamed into place, so a run killed at any
moment leaves the previous checkpoint intact. Started again with the same options, a run
continues from its latest checkpoint and, on a CPU with a fixed seed, ends with the same
weights as a run that was never interrupted: the checkpoint holds the weights, the
optimizers' state and every random-number generator's state, and epoch ``e`` always trains
on the same batches (:func:`~aegan_tutorial.data.make_epoch_dataset`).
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import platform
import time
from pathlib import Path

import keras
import numpy as np

from . import budget, pretrained
from ._checks import check_positive_int
from .callbacks import with_nonfinite_guard
from .data import load_mnist, make_epoch_dataset, to_uint8
from .evaluation import EVALUATED_ON, evaluate_model, predict_digits
from .models import registry
from .models.registry import ModelSpec
from .plots import image_grid
from .reproducibility import default_determinism, set_seed

SAMPLE_SEED = 1234
"""Seed of the fixed noise behind every sample grid (the same images improve epoch by epoch)."""
FULL_TRAIN_SIZE = 60_000
KEEP_CHECKPOINTS = 2
UNLIMITED_EPOCHS = 100_000


class RunError(ValueError):
    """A run folder cannot be used with the options given."""


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _seed_variables(model: keras.Model) -> list:
    return [v for v in model.variables if v.name == "seed_generator_state"]


def _seed_states(model: keras.Model) -> list[list[int]]:
    """The state of every random-number generator inside ``model``, in layer order.

    ``model.save`` does not store them (dropout's, for one), yet a resumed run must draw
    the same random numbers as an uninterrupted one.
    """
    return [[int(s) for s in keras.ops.convert_to_numpy(v)] for v in _seed_variables(model)]


def _restore_seed_states(model: keras.Model, states: list[list[int]]) -> None:
    variables = _seed_variables(model)
    if len(variables) != len(states):
        raise RunError(f"the checkpoint records {len(states)} random-generator states but the model has {len(variables)}")
    for v, state in zip(variables, states):
        v.assign(np.asarray(state, dtype=v.dtype))


def hardware() -> str:
    """The machine in one line: CPU model and cores, and the GPU if TensorFlow sees one."""
    import tensorflow as tf

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    text = f"{cpu}, {cores} CPU cores"
    for gpu in tf.config.list_physical_devices("GPU"):
        text += ", GPU " + tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
    return text


def software() -> str:
    """Versions that determine the numbers: Python, TensorFlow, Keras, this package."""
    import tensorflow as tf

    from . import __version__

    return f"Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}, aegan-tutorial {__version__}"


def describe_data(n_train: int) -> str:
    """How much of MNIST a run trained on, in words."""
    if n_train == FULL_TRAIN_SIZE:
        return "MNIST training set, all 60,000 images"
    return f"MNIST training set, the first {n_train:,} of 60,000 images (a subset)"


def epoch_picture(model: keras.Model, spec: ModelSpec) -> np.ndarray:
    """What a run shows after each epoch, ``uint8 [N, 28, 28]``.

    Generators: 64 samples of fixed noise (:data:`SAMPLE_SEED`), ten of each digit for a
    conditional one (a digit per row); the autoencoder: 32 test digits, each followed by its
    reconstruction; the classifier: the first 64 test digits it reads wrong.
    """
    if spec.kind == "generator":
        return to_uint8(model.generate(64, seed=SAMPLE_SEED), "tanh")
    if spec.kind == "conditional_generator":
        return to_uint8(model.generate(100, labels=np.repeat(np.arange(10), 10), seed=SAMPLE_SEED), "tanh")
    images, labels = load_mnist("test")
    if spec.kind == "autoencoder":
        originals = images[:32]
        rebuilt = to_uint8(model.predict(originals[..., None].astype(np.float32) / 255.0, verbose=0), "sigmoid")
        return np.stack([originals, rebuilt], axis=1).reshape(-1, 28, 28)
    wrong = predict_digits(images, model) != labels
    return images[wrong][:64] if wrong.any() else images[:1]


class _EpochEnd(keras.callbacks.Callback):
    """After each epoch: score, picture, CSV row, checkpoint; stop when the time budget is spent."""

    def __init__(self, run: "_Run"):
        super().__init__()
        self.run = run

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.run.steps += 1

    def on_epoch_end(self, epoch, logs=None):
        self.run.epoch_end(self.model, epoch + 1, time.perf_counter() - self._start, logs or {})


class _Run:
    """A run folder: its record, its CSV, its pictures and checkpoints."""

    def __init__(self, out: Path, options: dict):
        self.out = out
        self.options = options
        self.spec = registry.get(options["model"])
        self.ckpt_dir = out / "checkpoints"
        self.samples_dir = out / "samples"
        self.csv = out / "metrics.csv"
        self.steps = 0
        self.train_seconds = 0.0

    # --- bookkeeping -------------------------------------------------------------------------

    def latest(self) -> dict | None:
        pointer = self.ckpt_dir / "latest.json"
        return json.loads(pointer.read_text()) if pointer.exists() else None

    def record(self) -> dict:
        return json.loads((self.out / "run.json").read_text())

    def write_record(self, **changes) -> dict:
        file = self.out / "run.json"
        record = json.loads(file.read_text()) if file.exists() else {}
        record.update(changes)
        _write_atomic(file, json.dumps(record, indent=2) + "\n")
        return record

    def rows(self, before_epoch: int) -> list[dict]:
        """The CSV's rows of the epochs before ``before_epoch``."""
        if not self.csv.exists():
            return []
        with open(self.csv, newline="") as handle:
            return [r for r in csv.DictReader(handle) if int(r["epoch"]) < before_epoch]

    def write_csv(self, rows: list[dict]) -> None:
        fields: list[str] = []
        for row in rows:
            fields += [k for k in row if k not in fields]
        tmp = self.csv.with_name("metrics.csv.tmp")
        with open(tmp, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, self.csv)

    # --- one epoch done ---------------------------------------------------------------------

    def epoch_end(self, model: keras.Model, epoch: int, seconds: float, logs: dict) -> None:
        self.train_seconds += seconds
        scores = evaluate_model(model, self.spec.kind, self.options["eval_samples"])
        self.save_picture(model, epoch)
        row = {"epoch": epoch, "train_seconds": round(self.train_seconds, 2)}
        row.update({k: float(v) for k, v in {**logs, **scores}.items()})
        self.write_csv([*self.rows(epoch), row])
        self.checkpoint(model, epoch)

        summary = "  ".join(f"{k} {v:.4g}" for k, v in {**logs, **scores}.items())
        print(f"epoch {epoch}: {summary}  ({seconds:.0f} s)", flush=True)
        if self.options["seconds"] and self.train_seconds >= self.options["seconds"]:
            model.stop_training = True

    def save_picture(self, model: keras.Model, epoch: int) -> None:
        import matplotlib.pyplot as plt

        figure = image_grid(epoch_picture(model, self.spec), ncols=self.spec.columns, title=f"{self.spec.name}, epoch {epoch}")
        self.samples_dir.mkdir(exist_ok=True)
        png = self.samples_dir / f"epoch_{epoch:03d}.png"
        figure.savefig(png.with_name(png.name + ".tmp"), format="png", dpi=100)
        os.replace(png.with_name(png.name + ".tmp"), png)
        plt.close(figure)

    def checkpoint(self, model: keras.Model, epoch: int) -> None:
        self.ckpt_dir.mkdir(exist_ok=True)
        file = self.ckpt_dir / f"epoch_{epoch:03d}.keras"
        tmp = self.ckpt_dir / f"epoch_{epoch:03d}.tmp.keras"
        model.save(tmp)
        os.replace(tmp, file)
        pointer = {
            "epoch": epoch,
            "file": file.name,
            "train_seconds": self.train_seconds,
            "steps": self.steps,
            "seed_states": _seed_states(model),
        }
        _write_atomic(self.ckpt_dir / "latest.json", json.dumps(pointer, indent=2) + "\n")
        kept = sorted(p for p in self.ckpt_dir.glob("epoch_*.keras") if ".tmp" not in p.name)
        for old in kept[:-KEEP_CHECKPOINTS]:  # only after latest.json names the new one
            old.unlink()
        self.write_record(status="running", epochs_done=epoch, train_seconds=self.train_seconds)


def _equivalent_command(options: dict, out: Path) -> str:
    """The command line that trains what ``options`` describe (for runs started from Python)."""
    spec = registry.get(options["model"])
    words = ["python -m aegan_tutorial train", options["model"]]
    words += ["--seconds", f"{options['seconds']:g}"] if options["seconds"] else ["--epochs", str(options["epochs"])]
    words += ["--seed", str(options["seed"])]
    if options["batch_size"] != spec.batch_size:
        words += ["--batch-size", str(options["batch_size"])]
    if options["train_images"]:
        words += ["--train-images", str(options["train_images"])]
    words += [f"--set {k}={json.dumps(v)}" for k, v in options["config"].items() if spec.config.get(k) != v]
    return " ".join([*words, "--out", str(out)])


def _options_key(options: dict) -> dict:
    """What must match for a run folder to resume: the options, with the model's config defaults filled in.

    Filling the defaults lets a run recorded before its model gained an option resume, when the
    option's default builds the same network.
    """
    key = {k: options.get(k) for k in ("model", "epochs", "seconds", "seed", "batch_size", "train_images", "config")}
    if key["model"] in registry.MODELS:
        key["config"] = {**registry.get(key["model"]).config, **(key["config"] or {})}
    return key


def _check_options(model: str, epochs, seconds, budget_name, seed, eval_samples, final_samples, batch_size,
                   train_images, config) -> dict:
    """The run's options, checked, with the defaults filled in."""
    spec = registry.get(model)
    if epochs is not None and seconds is not None:
        raise RunError("give --epochs or --seconds, not both")
    if epochs is not None:
        check_positive_int(epochs, "epochs")
    if seconds is not None and not seconds > 0:
        raise RunError(f"seconds must be positive, got {seconds!r}")
    if budget_name is not None and budget_name not in budget.BUDGETS:
        raise RunError(f"budget must be 'quick' or 'full', got {budget_name!r}")
    if epochs is None and seconds is None:
        epochs = spec.epochs[budget_name or budget.current()]
    check_positive_int(seed, "seed", minimum=0)
    for name, value in (("eval_samples", eval_samples), ("final_samples", final_samples)):
        if isinstance(value, bool) or not isinstance(value, int) or not 4 <= value <= 10_000:
            raise RunError(f"{name} must be an integer from 4 to 10000, got {value!r}")
    return {
        "model": model,
        "epochs": epochs,
        "seconds": seconds,
        "seed": seed,
        "batch_size": batch_size or spec.batch_size,
        "train_images": train_images,
        "config": {**spec.config, **(config or {})},
        "eval_samples": eval_samples,
    }


def _training_images(options: dict) -> tuple[np.ndarray, np.ndarray]:
    """The training images and labels the run trains on (the first ``train_images`` when given)."""
    images, labels = load_mnist("train")
    n = options["train_images"]
    if n is not None:
        if not 1 <= n <= len(images):
            raise RunError(f"train_images must lie in 1..{len(images)}, got {n}")
        images, labels = images[:n], labels[:n]
    if options["batch_size"] > len(images):
        raise RunError(f"batch size {options['batch_size']} is larger than the {len(images)} training images")
    return images, labels


def _start_or_resume(run: _Run, options: dict, images: np.ndarray, labels: np.ndarray,
                     command: str | None) -> tuple[keras.Model, int]:
    """The model to train and the epochs already done: from the latest checkpoint, or new."""
    latest = run.latest()
    if latest is not None:
        model = keras.saving.load_model(run.ckpt_dir / latest["file"])
        _restore_seed_states(model, latest["seed_states"])
        run.train_seconds, run.steps = latest["train_seconds"], latest["steps"]
        run.write_csv(run.rows(latest["epoch"] + 1))
        print(f"{run.out}: resuming after epoch {latest['epoch']} from {latest['file']}", flush=True)
        return model, latest["epoch"]
    model = registry.build(options["model"], options["config"], options["seed"])
    if run.spec.clusters_from:  # a self-conditioned GAN: its conditions are clusters of the training images' codes
        model.fit_clusters(images, pretrained.load(run.spec.clusters_from).encoder, seed=options["seed"])
    prepared = run.spec.prepare(model, images, labels, options["seed"], **options["config"]) if run.spec.prepare else {}
    run.write_record(
        model=options["model"], options=options, config=options["config"], seed=options["seed"],
        batch_size=options["batch_size"], command=command or _equivalent_command(options, run.out),
        data=describe_data(len(images)), hardware=hardware(), software=software(),
        started=datetime.datetime.now().isoformat(timespec="seconds"),
        status="running", epochs_done=0, train_seconds=0.0, **({"prepared": prepared} if prepared else {}),
    )
    return model, 0


def _fit(run: _Run, model: keras.Model, images, labels, first_epoch: int, progress: bool, callbacks) -> None:
    """Train the epochs still to do, with the per-epoch bookkeeping of :class:`_EpochEnd`."""
    options, spec = run.options, run.spec
    total = options["epochs"] if options["epochs"] is not None else UNLIMITED_EPOCHS
    if first_epoch >= total or (options["seconds"] and run.train_seconds >= options["seconds"]):
        return
    dataset = make_epoch_dataset(
        images, labels if spec.labels else None, batch_size=options["batch_size"], scale=spec.scale,
        seed=options["seed"], first_epoch=first_epoch, epochs=total, augment=spec.augment,
    )
    recipe = spec.callbacks(**options["config"]) if spec.callbacks else []  # e.g. a stacked GAN's stages
    # the progress bar before _EpochEnd, so the epoch's summary line follows the finished bar
    watchers = [keras.callbacks.ProgbarLogger()] if progress else []
    model.fit(
        dataset, epochs=total, initial_epoch=first_epoch, steps_per_epoch=len(images) // options["batch_size"],
        callbacks=with_nonfinite_guard([*watchers, *recipe, _EpochEnd(run), *(callbacks or [])]),
        verbose=1 if progress else 0,
        shuffle=False,  # make_epoch_dataset orders every epoch itself
    )


def _finish(run: _Run, model: keras.Model, final_samples: int) -> dict:
    """Write the bare final weights and the final scores; mark the run complete."""
    options, spec = run.options, run.spec
    weights, tmp = run.out / "model.weights.h5", run.out / "model.tmp.weights.h5"
    registry.inference_copy(model, spec.name, options["config"]).save_weights(tmp)  # no optimizer state
    os.replace(tmp, weights)
    return run.write_record(
        status="complete",
        metrics=evaluate_model(model, spec.kind, final_samples),
        evaluated_on=EVALUATED_ON[spec.kind].format(n=final_samples),
        evaluated_samples=final_samples,
        finished=datetime.datetime.now().isoformat(timespec="seconds"),
    )


def train(
    model: str,
    out: str | os.PathLike,
    epochs: int | None = None,
    seconds: float | None = None,
    budget_name: str | None = None,
    seed: int = 0,
    batch_size: int | None = None,
    train_images: int | None = None,
    eval_samples: int = 2000,
    final_samples: int = 10_000,
    config: dict | None = None,
    progress: bool = True,
    command: str | None = None,
    callbacks: list | None = None,
    deterministic: bool | None = None,
) -> dict:
    """Train one of the book's models into the run folder ``out``, or resume it there.

    Parameters
    ----------
    model
        A name from :data:`aegan_tutorial.models.registry.MODELS` (``classifier``,
        ``autoencoder``, ``dcgan``, ``cgan``, ``scgan``).
    out
        The run folder; created if needed. If it holds an unfinished run with the same options
        the run resumes from its latest checkpoint; a finished one is returned as it is.
    epochs, seconds
        Train this many epochs, or whole epochs until ``seconds`` of training time have
        passed (the epoch running then finishes). Neither: the budget's epochs.
    budget_name
        ``"quick"`` or ``"full"`` (default: :func:`aegan_tutorial.budget.current`).
    seed
        Seeds weights, data order, augmentation and noise.
    batch_size
        Default: the model's.
    train_images
        Train on the first ``N`` training images only (default: all there are).
    eval_samples
        Samples (and test images) scored after every epoch.
    final_samples
        Samples (and test images) scored at the end, recorded in ``run.json``.
    config
        Options of the model's builder (e.g. ``{"filters": 64}`` for ``dcgan``).
    progress
        Show Keras's progress bar.
    command
        The command line to record (default: the equivalent ``python -m aegan_tutorial train`` line).
    callbacks
        More Keras callbacks for ``fit`` (after the run's own bookkeeping).
    deterministic
        ``True``: TensorFlow's deterministic ops, so a rerun repeats bit for bit (and no XLA);
        ``False``: XLA where Keras can use it (on a GPU), not bit-identical reruns. ``None``:
        :func:`~aegan_tutorial.reproducibility.default_determinism` (deterministic on a CPU,
        XLA on a GPU). Recorded in ``run.json`` with whether XLA was used; a resumed run may
        choose differently.

    Returns
    -------
    dict
        The contents of ``run.json`` at the end.
    """
    options = _check_options(model, epochs, seconds, budget_name, seed, eval_samples, final_samples,
                             batch_size, train_images, config)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    run = _Run(out, options)
    if (out / "run.json").exists():
        previous = run.record()
        if "options" not in previous or _options_key(previous["options"]) != _options_key(options):
            raise RunError(
                f"{out} holds a run with other options ({json.dumps(_options_key(previous.get('options', {})))}); "
                "use a new --out folder, or the same options to resume it"
            )
        if previous.get("status") == "complete":
            print(f"{out}: this run is already complete ({previous['epochs_done']} epochs)")
            return previous

    deterministic = default_determinism() if deterministic is None else bool(deterministic)
    set_seed(seed, deterministic=deterministic)  # before the models are compiled: it decides XLA
    images, labels = _training_images(options)
    trained, first_epoch = _start_or_resume(run, options, images, labels, command)
    run.write_record(deterministic=deterministic, xla=bool(trained.jit_compile))
    _fit(run, trained, images, labels, first_epoch, progress, callbacks)
    return _finish(run, trained, final_samples)
