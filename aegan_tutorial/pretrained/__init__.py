"""Pretrained weights for the book's models, checked against their manifest before use.

``load("dcgan").generate(16)`` gives samples from the DCGAN trained for the book. Each entry
of ``manifest.json`` records the file's sha256, the command that produced it, the data,
epochs, wall time, hardware and the model's measured metrics; :func:`load` refuses a file
whose sha256 differs from the manifest's.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import os
import shutil
from pathlib import Path

import h5py
import keras
import numpy as np

from ..models import registry

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"

__all__ = ["PretrainedError", "available", "compress", "entry", "load", "path", "publish", "sha256"]


class PretrainedError(ValueError):
    """A pretrained model is unknown, missing, or its file does not match the manifest."""


def sha256(file: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(file, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def compress(file: str | os.PathLike) -> int:
    """Rewrite a Keras ``.weights.h5`` file with every array gzip-compressed (byte-shuffled), in place.

    Lossless: every array reads back bit for bit (checked before the file is replaced), and
    ``load_weights`` reads the file as before. Float32 weights shrink by about a tenth.
    Returns the new size in bytes.
    """
    file = Path(file)
    tmp = file.with_name(file.name + ".tmp")
    with h5py.File(file, "r") as source, h5py.File(tmp, "w") as target:
        target.attrs.update(source.attrs)

        def copy(name, item):
            if isinstance(item, h5py.Group):
                target.require_group(name).attrs.update(item.attrs)
                return
            array = item[()]
            options = dict(compression="gzip", compression_opts=9, shuffle=True) if np.ndim(array) else {}
            target.create_dataset(name, data=array, **options).attrs.update(item.attrs)

        source.visititems(copy)
    with h5py.File(file, "r") as source, h5py.File(tmp, "r") as target:
        same = []
        source.visititems(lambda name, item: same.append(
            not isinstance(item, h5py.Dataset) or np.array_equal(item[()], target[name][()])))
    if not all(same):
        tmp.unlink()
        raise PretrainedError(f"compressing {file} changed its arrays; the file is left as it was")
    os.replace(tmp, file)
    return file.stat().st_size


def _manifest(manifest: Path = MANIFEST) -> dict:
    if not manifest.exists():
        return {}
    return json.loads(manifest.read_text())


def available() -> list[str]:
    """Names of the models shipped with the package."""
    return sorted(_manifest())


def entry(name: str) -> dict:
    """The manifest entry of ``name``: file, sha256, command, data, epochs, wall time, hardware, metrics."""
    models = _manifest()
    if name not in models:
        raise PretrainedError(
            f"no pretrained model {name!r}; available: {', '.join(sorted(models)) or 'none'}"
        )
    return models[name]


def path(name: str) -> Path:
    """The weights file of ``name``, after checking it exists and its sha256 matches the manifest."""
    info = entry(name)
    file = HERE / info["file"]
    if not file.exists():
        raise PretrainedError(f"the weights of {name!r} are missing: {file} (reinstall the package)")
    actual = sha256(file)
    if actual != info["sha256"]:
        raise PretrainedError(
            f"{file.name} has sha256 {actual[:12]}… but the manifest says {info['sha256'][:12]}…: the file is "
            f"damaged or was replaced; reinstall the package or retrain it with: {info['command']}"
        )
    return file


def load(name: str) -> keras.Model:
    """The pretrained model ``name``, built and loaded with its verified weights.

    Parameters
    ----------
    name
        One of :func:`available`: ``"classifier"`` (a ``keras.Model`` from pixels in
        ``[0, 1]`` to logits), ``"autoencoder"`` (an :class:`~aegan_tutorial.models.Autoencoder`),
        ``"dcgan"`` (a :class:`~aegan_tutorial.models.GAN`; ``load("dcgan").generate(16)``).

    Returns
    -------
    keras.Model
        Ready for inference (not compiled: the shipped files hold weights, not optimizer state).
    """
    info = entry(name)
    file = path(name)
    model = registry.build(info["model"], info.get("config"), training=False)
    model.load_weights(file)
    return model


def _history(run_dir: Path, record: dict) -> dict:
    """The run's per-epoch scores from its ``metrics.csv``: ``{"history": {"epoch": [...], "fd": [...], …}}``."""
    table = run_dir / "metrics.csv"
    if not table.exists():
        return {}
    with open(table, newline="") as handle:
        rows = list(csv.DictReader(handle))
    keys = ["epoch", *[k for k in record["metrics"] if rows and k in rows[0]]]
    history = {k: [int(r[k]) if k == "epoch" else float(r[k]) for r in rows] for k in keys}
    return {"history": history, "history_samples": record["options"]["eval_samples"]}


def publish(run_dir: str | os.PathLike, name: str | None = None, manifest: Path = MANIFEST) -> dict:
    """Ship a finished training run: copy its weights next to ``manifest`` and record them.

    Parameters
    ----------
    run_dir
        A folder written by ``python -m aegan_tutorial train`` that ran to its end.
    name
        Name to publish under (default: the run's model name).

    Returns
    -------
    dict
        The new manifest entry.
    """
    run_dir = Path(run_dir)
    record_file = run_dir / "run.json"
    if not record_file.exists():
        raise PretrainedError(f"{run_dir} is not a training run (no run.json)")
    record = json.loads(record_file.read_text())
    if record.get("status") != "complete":
        raise PretrainedError(f"the run in {run_dir} has not finished (status {record.get('status')!r}); resume it first")
    name = name or record["model"]
    weights = run_dir / "model.weights.h5"
    target = manifest.parent / f"{name}.weights.h5"
    shutil.copyfile(weights, target)
    compress(target)
    info = {
        "model": record["model"],
        "file": target.name,
        "sha256": sha256(target),
        "bytes": target.stat().st_size,
        "command": record["command"],
        # an option the recipe gained after the run started is recorded at its default (it built the same model)
        "config": {**registry.get(record["model"]).config, **record["config"]},
        "seed": record["seed"],
        "data": record["data"],
        "epochs": record["epochs_done"],
        "batch_size": record["batch_size"],
        "wall_seconds": round(record["train_seconds"], 1),
        "hardware": record["hardware"],
        "software": record["software"],
        "metrics": record["metrics"],
        "evaluated_on": record["evaluated_on"],
        "evaluated_samples": record["evaluated_samples"],
        "published": datetime.date.today().isoformat(),
        **({"prepared": record["prepared"]} if record.get("prepared") else {}),
        **_history(run_dir, record),
    }
    models = _manifest(manifest)
    models[name] = info
    tmp = manifest.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(models, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, manifest)
    return info
