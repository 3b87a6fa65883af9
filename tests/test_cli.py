"""The command line: help, one-line errors, and what a training run writes."""

from __future__ import annotations

import csv
import json

import pytest

from aegan_tutorial import cli
from conftest import run_cli


def h5_names(path) -> list[str]:
    import h5py

    names = []
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
    return names


def test_help_documents_every_option(capsys):
    assert cli.main(["--help"]) == 0 and "train" in capsys.readouterr().out
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    for name, sub in subparsers.items():
        text = sub.format_help()
        for action in sub._actions:
            if action.option_strings:
                assert action.help, f"{name} {action.option_strings} has no help"
                assert action.option_strings[-1] in text
    train_help = subparsers["train"].format_help()
    for option in ("--epochs", "--seconds", "--budget", "--seed", "--out", "MODEL", "resumes", "--no-deterministic"):
        assert option in train_help


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "nosuch", "--out", "x"], "invalid choice"),
        (["train", "dcgan", "--epochs", "0", "--out", "x"], "positive integer"),
        (["train", "dcgan", "--epochs", "2", "--seconds", "5", "--out", "x"], "not allowed with"),
        (["train", "dcgan", "--epochs", "2"], "--out"),
        (["train", "dcgan", "--out", "x", "--budget", "huge"], "invalid choice"),
        (["train", "dcgan", "--out", "x", "--set", "filters"], "KEY=VALUE"),
        (["evaluate", "no/such/thing"], "neither a pretrained model"),
        (["evaluate", "dcgan", "--samples", "20000"], "4..10000"),
        ([], "required"),
    ],
)
def test_bad_arguments_get_one_line_and_no_traceback(args, message, capsys):
    assert cli.main(args) == 2
    stderr = capsys.readouterr().err
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert message in lines[0] and "Traceback" not in stderr


def test_train_writes_samples_metrics_and_checkpoints_per_epoch(tmp_path, mnist_dir):
    out = tmp_path / "run"
    result = run_cli("train", "dcgan", "--epochs", "3", "--train-images", "320", "--eval-samples", "50",
                     "--final-samples", "50", "--out", str(out), "--no-progress", "--set", "ema_decay=0.999")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["epoch_001.png", "epoch_002.png", "epoch_003.png"]
    with open(out / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert {"d_loss", "g_loss", "fd", "precision", "recall", "train_seconds"} <= set(rows[0])
    assert float(rows[2]["train_seconds"]) > float(rows[0]["train_seconds"]) > 0
    kept = sorted(p.name for p in (out / "checkpoints").glob("*.keras"))
    assert kept == ["epoch_002.keras", "epoch_003.keras"]  # the last two
    record = json.loads((out / "run.json").read_text())
    assert record["status"] == "complete" and record["epochs_done"] == 3
    assert record["command"].startswith("python -m aegan_tutorial train dcgan --epochs 3")
    assert "first 320 of 60,000" in record["data"]
    assert set(record["metrics"]) == {"fd", "precision", "recall"}
    assert record["deterministic"] is True and record["xla"] is False  # no GPU here: bit-identical reruns, no XLA
    weights = set(h5_names(out / "model.weights.h5"))
    assert "vars/0" in weights and "vars/noise_seed_state" in weights  # the GAN's own: the average, and its seed
    # a second call finds the run complete and changes nothing
    again = run_cli("train", "dcgan", "--epochs", "3", "--train-images", "320", "--eval-samples", "50",
                    "--final-samples", "50", "--out", str(out), "--no-progress", "--set", "ema_decay=0.999")
    assert again.returncode == 0 and "already complete" in again.stdout
    # other options for the same folder are refused in one line
    other = run_cli("train", "dcgan", "--epochs", "4", "--train-images", "320", "--out", str(out),
                    "--set", "ema_decay=0.999")
    assert other.returncode == 2 and "other options" in other.stderr and "Traceback" not in other.stderr
    # evaluate reads the run folder
    scores = run_cli("evaluate", str(out), "--samples", "50", "--json")
    assert scores.returncode == 0, scores.stderr
    assert json.loads(scores.stdout) == pytest.approx(record["metrics"], rel=1e-6)


def test_seconds_budget_trains_whole_epochs_until_time_is_up(tmp_path, mnist_dir):
    out = tmp_path / "timed"
    result = run_cli("train", "autoencoder", "--seconds", "2", "--train-images", "256", "--batch-size", "64",
                     "--eval-samples", "20", "--final-samples", "20", "--out", str(out), "--no-progress",
                     "--no-deterministic")
    assert result.returncode == 0, result.stderr
    record = json.loads((out / "run.json").read_text())
    assert record["deterministic"] is False  # the switch is recorded with the run
    with open(out / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert record["epochs_done"] == len(rows) >= 1
    assert record["train_seconds"] >= 2.0
    if len(rows) > 1:  # it stopped at the first epoch end past the budget
        assert float(rows[-2]["train_seconds"]) <= 2.0  # metrics.csv rounds to 0.01 s: 1.996 s reads 2.0
    assert set(record["metrics"]) == {"test_mse", "test_psnr"}
