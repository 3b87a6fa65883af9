"""Interrupted and started again, a run ends exactly where an uninterrupted one does."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from aegan_tutorial import runs
from conftest import ROOT, h5_arrays, run_cli

# 320 images in batches of 64: 5 steps an epoch; the interruption lands in the middle of epoch 2
OPTIONS = dict(epochs=3, train_images=320, batch_size=64, eval_samples=20, final_samples=20, seed=3, progress=False)
STOP_AT_STEP = 7


class Interrupted(Exception):
    """What a crash, a Ctrl-C or a pre-empted machine does to a run: it ends mid-epoch."""


class InterruptAt(keras.callbacks.Callback):
    def __init__(self, step: int):
        super().__init__()
        self.step, self.seen = step, 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.step:
            raise Interrupted(f"interrupted after step {self.step}")


def assert_same_weights(a_dir, b_dir) -> None:
    a, b = h5_arrays(a_dir / "model.weights.h5"), h5_arrays(b_dir / "model.weights.h5")
    assert a.keys() == b.keys() and len(a) > 4
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["dcgan", "classifier", "autoencoder", "began", "sgan", "aae", "vae"])
def test_an_interrupted_run_resumes_to_the_uninterrupted_weights(model, tmp_path, mnist_dir, capsys):
    straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
    options = {**OPTIONS, "config": {"ema_decay": 0.999}} if model == "dcgan" else OPTIONS  # the average resumes too
    keras.backend.clear_session()  # each run names its layers from scratch, as a fresh process does
    runs.train(model, straight, **options)

    keras.backend.clear_session()
    with pytest.raises(Interrupted):
        runs.train(model, interrupted, callbacks=[InterruptAt(STOP_AT_STEP)], **options)
    latest = json.loads((interrupted / "checkpoints" / "latest.json").read_text())
    assert latest["epoch"] == 1 and not (interrupted / "model.weights.h5").exists()
    assert json.loads((interrupted / "run.json").read_text())["status"] == "running"

    capsys.readouterr()
    keras.backend.clear_session()
    record = runs.train(model, interrupted, **options)
    assert "resuming after epoch 1" in capsys.readouterr().out

    assert_same_weights(straight, interrupted)
    if model == "dcgan":
        assert "vars/0" in h5_arrays(straight / "model.weights.h5")  # the average (the GAN's own variables)
    with open(interrupted / "metrics.csv", newline="") as handle:
        epochs = [int(row["epoch"]) for row in csv.DictReader(handle)]
    assert epochs == [1, 2, 3]
    assert record["metrics"] == json.loads((straight / "run.json").read_text())["metrics"]
    if model == "sgan":  # the encoder trained before the first epoch, recorded with the run, not trained again
        assert 0 < record["prepared"]["encoder_train_accuracy"] <= 1


@pytest.mark.slow
def test_a_run_killed_by_sigkill_resumes_to_the_uninterrupted_weights(tmp_path, mnist_dir):
    """A real kill: no clean-up runs, the process dies wherever it is, mid-step or mid-write."""
    args = ["train", "dcgan", "--epochs", "8", "--train-images", "320", "--batch-size", "64", "--eval-samples", "20",
            "--final-samples", "20", "--seed", "3", "--no-progress"]
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    assert run_cli(*args, "--out", str(straight)).returncode == 0

    process = subprocess.Popen([sys.executable, "-m", "aegan_tutorial", *args, "--out", str(killed)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    pointer, deadline = killed / "checkpoints" / "latest.json", time.monotonic() + 300
    while not pointer.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL, "the run ended before it could be killed"
    assert not (killed / "model.weights.h5").exists()

    resumed = run_cli(*args, "--out", str(killed))
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming after epoch" in resumed.stdout
    assert_same_weights(straight, killed)


def test_a_run_recorded_before_an_option_existed_still_resumes():
    """Options are compared with the model's defaults filled in: a new option at its default builds the same model."""
    recorded = {"model": "dcgan", "epochs": 3, "seconds": None, "seed": 0, "batch_size": 64, "train_images": None,
                "config": {"filters": 64}}
    now = {**recorded, "config": {**runs.registry.get("dcgan").config, "filters": 64}}
    assert runs._options_key(recorded) == runs._options_key(now)
    assert runs._options_key(recorded) != runs._options_key({**now, "config": {**now["config"], "d_hidden": 8}})
