"""The shipped weights: within budget, verified by sha256, loaded ready to use, reproducible metrics."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from aegan_tutorial import metrics, models, pretrained, recipes
from test_cli import run_cli

MB = 1024 * 1024


def test_manifest_records_how_every_file_was_made():
    names = pretrained.available()
    assert {"classifier", "autoencoder", "dcgan", "cgan"} <= set(names)
    total = 0
    for name in names:
        info = pretrained.entry(name)
        file = pretrained.HERE / info["file"]
        assert pretrained.sha256(file) == info["sha256"]
        assert file.stat().st_size == info["bytes"]
        total += info["bytes"]
        assert info["command"].startswith(f"python -m aegan_tutorial train {info['model']} ")
        assert f"--seed {info['seed']}" in info["command"]
        assert info["epochs"] >= 1 and info["wall_seconds"] > 0
        assert "CPU cores" in info["hardware"] and "TensorFlow" in info["software"]
        assert "MNIST training set" in info["data"]
        assert info["metrics"] and all(np.isfinite(v) for v in info["metrics"].values())
    assert total <= 30 * MB
    assert pretrained.entry("classifier")["bytes"] <= 2 * MB


def test_shipped_classifier_meets_its_accuracy():
    assert pretrained.entry("classifier")["metrics"]["test_accuracy"] >= 0.99


def test_shipped_conditional_gan_draws_the_digits_asked_for():
    assert pretrained.entry("cgan")["metrics"]["class_accuracy"] >= 0.95
    gan = pretrained.load("cgan")
    assert isinstance(gan, models.ConditionalGAN)
    labels = np.repeat(np.arange(10), 20)
    samples = metrics.to_uint8(gan.generate(200, labels=labels, seed=0), "tanh")
    assert metrics.class_accuracy(samples, labels) >= 0.9


def test_load_returns_models_ready_to_use():
    gan = pretrained.load("dcgan")
    assert isinstance(gan, models.GAN)
    samples = gan.generate(16, seed=0)
    assert samples.shape == (16, 28, 28, 1) and samples.min() >= -1 and samples.max() <= 1
    assert samples.std() > 0.1  # images, not a constant
    autoencoder = pretrained.load("autoencoder")
    assert isinstance(autoencoder, models.Autoencoder)
    classifier = pretrained.load("classifier")
    assert classifier.output_shape == (None, 10)


def test_a_damaged_file_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "pretrained"
    shutil.copytree(pretrained.HERE, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.setattr(pretrained, "HERE", copy)
    monkeypatch.setattr(pretrained, "MANIFEST", copy / "manifest.json")
    file = copy / pretrained.entry("dcgan")["file"]
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    file.write_bytes(bytes(data))
    with pytest.raises(pretrained.PretrainedError, match="sha256.*damaged.*python -m aegan_tutorial train dcgan"):
        pretrained.load("dcgan")
    file.unlink()
    with pytest.raises(pretrained.PretrainedError, match="missing"):
        pretrained.load("dcgan")
    with pytest.raises(pretrained.PretrainedError, match="no pretrained model 'nosuch'; available: autoencoder"):
        pretrained.load("nosuch")


@pytest.mark.parametrize("name", ["classifier", "autoencoder", "dcgan", "cgan"])
def test_evaluate_reproduces_the_manifest(name, mnist_dir):
    info = pretrained.entry(name)
    result = run_cli("evaluate", name, "--samples", str(info["evaluated_samples"]), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == pytest.approx(info["metrics"], rel=1e-3, abs=1e-3)


def test_recipes_rebuild_the_published_architectures():
    for name in pretrained.available():
        info = pretrained.entry(name)
        model = recipes.build(info["model"], info["config"], training=False)
        model.load_weights(pretrained.path(name))  # raises on any mismatch of shapes
