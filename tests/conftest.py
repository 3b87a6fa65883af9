"""Shared fixtures: the real MNIST files, a clean Keras state per test."""

from __future__ import annotations

import os
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


@pytest.fixture(autouse=True)
def _float32_policy():
    """Every test starts and ends with the default float32 policy."""
    keras.mixed_precision.set_global_policy("float32")
    yield
    keras.mixed_precision.set_global_policy("float32")


def weights_of(model: keras.Model) -> list[np.ndarray]:
    return [keras.ops.convert_to_numpy(v) for v in model.weights]
