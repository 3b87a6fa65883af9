"""Killed mid-epoch and started again, a run ends exactly where an uninterrupted one does."""

from __future__ import annotations

import csv
import json

import h5py
import numpy as np
import pytest

from aegan_tutorial import runs
from test_cli import run_cli

# 320 images in batches of 64: 5 steps an epoch; the kill lands in the middle of epoch 2
ARGS = ["--epochs", "3", "--train-images", "320", "--batch-size", "64", "--eval-samples", "20",
        "--final-samples", "20", "--seed", "3", "--no-progress"]
KILL_STEP = "7"


def h5_arrays(path) -> dict[str, np.ndarray]:
    arrays = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, obj: arrays.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return arrays


@pytest.mark.slow
@pytest.mark.parametrize("model", ["dcgan", "classifier", "autoencoder"])
def test_a_killed_run_resumes_to_the_uninterrupted_weights(model, tmp_path, mnist_dir):
    straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
    assert run_cli("train", model, *ARGS, "--out", str(straight)).returncode == 0

    killed = run_cli("train", model, *ARGS, "--out", str(interrupted), env={runs.KILL_ENV: KILL_STEP})
    assert killed.returncode == -9  # SIGKILL: no clean-up ran
    latest = json.loads((interrupted / "checkpoints" / "latest.json").read_text())
    assert latest["epoch"] == 1 and not (interrupted / "model.weights.h5").exists()
    assert json.loads((interrupted / "run.json").read_text())["status"] == "running"

    resumed = run_cli("train", model, *ARGS, "--out", str(interrupted))
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming after epoch 1" in resumed.stdout

    a, b = h5_arrays(straight / "model.weights.h5"), h5_arrays(interrupted / "model.weights.h5")
    assert a.keys() == b.keys() and len(a) > 4
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    with open(interrupted / "metrics.csv", newline="") as handle:
        epochs = [int(row["epoch"]) for row in csv.DictReader(handle)]
    assert epochs == [1, 2, 3]
    record = json.loads((interrupted / "run.json").read_text())
    assert record["metrics"] == json.loads((straight / "run.json").read_text())["metrics"]
