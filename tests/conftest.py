"""Shared fixtures and helpers: the real MNIST files, a clean Keras state per test, small models, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "datasets" / "mnist"


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder of real MNIST IDX files ($AEGAN_DATA_DIR, else ../shared/datasets/mnist)."""
    folder = os.environ.get("AEGAN_DATA_DIR") or (str(SHARED_MNIST) if SHARED_MNIST.is_dir() else "")
    if not folder:
        pytest.skip("no MNIST files: set AEGAN_DATA_DIR to a folder holding the four IDX files")
    return Path(folder)


@pytest.fixture(scope="session")
def mnist_train(mnist_dir):
    from aegan_tutorial.data import load_mnist

    return load_mnist("train", mnist_dir)


@pytest.fixture(scope="session")
def train_images(mnist_train) -> np.ndarray:
    return mnist_train[0]


@pytest.fixture(scope="session")
def train_labels(mnist_train) -> np.ndarray:
    return mnist_train[1]


@pytest.fixture(autouse=True)
def _float32_policy():
    """Every test starts and ends with the default float32 policy."""
    keras.mixed_precision.set_global_policy("float32")
    yield
    keras.mixed_precision.set_global_policy("float32")


# --- helpers ------------------------------------------------------------------------------------


def h5_arrays(path) -> dict[str, np.ndarray]:
    """Every array of an HDF5 file (a ``.weights.h5``), by its path in the file."""
    import h5py

    arrays = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, obj: arrays.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return arrays


def weights_of(model: keras.Model) -> list[np.ndarray]:
    return [keras.ops.convert_to_numpy(v) for v in model.weights]


def changed(before: list[np.ndarray], after: list[np.ndarray]) -> bool:
    """Whether any of two lists of weights (from :func:`weights_of`) differ."""
    assert len(before) == len(after) > 0
    return any(not np.array_equal(a, b) for a, b in zip(before, after))


def run_cli(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``python -m aegan_tutorial ARGS`` in a fresh process, output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "aegan_tutorial", *args],
        capture_output=True, text=True, cwd=cwd, env={**os.environ, **(env or {})}, timeout=600,
    )


def make_gan(noise_dim: int = 100, filters: int = 32, seed: int = 0, compile: bool = True, **compile_kwargs):
    """A DCGAN (``set_seed(seed)`` first, so its weights are fixed by ``seed``), compiled unless ``compile=False``."""
    from aegan_tutorial import models, set_seed

    set_seed(seed)
    gan = models.GAN(models.build_generator(noise_dim, filters), models.build_discriminator(filters),
                     noise_dim=noise_dim, seed=seed)
    if compile:
        gan.compile(**compile_kwargs)
    return gan


def make_cgan(noise_dim: int = 16, filters: int = 8, seed: int = 0, compile: bool = True, **compile_kwargs):
    """A small ConditionalGAN (``set_seed(seed)`` first), compiled unless ``compile=False``."""
    from aegan_tutorial import models, set_seed

    set_seed(seed)
    gan = models.ConditionalGAN(
        models.build_conditional_generator(noise_dim=noise_dim, filters=filters),
        models.build_conditional_discriminator(filters=filters),
        noise_dim=noise_dim,
        seed=seed,
    )
    if compile:
        gan.compile(**compile_kwargs)
    return gan


def make_autoencoder(latent_dim: int = 8, seed: int = 0, compile: bool = True, **compile_kwargs):
    """An Autoencoder with a sigmoid decoder (``set_seed(seed)`` first), compiled unless ``compile=False``."""
    from aegan_tutorial import models, set_seed

    set_seed(seed)
    autoencoder = models.Autoencoder(models.build_encoder(latent_dim), models.build_decoder(latent_dim))
    if compile:
        autoencoder.compile(**compile_kwargs)
    return autoencoder
