"""Training budgets: one switch decides how long the chapters train.

``quick``: every chapter runs in at most 90 seconds on 2 CPU cores (what CI and the book
build use on a CPU). ``full``: the training lengths that give good results, meant for a
GPU. The default is ``full`` when TensorFlow sees a GPU, else ``quick``; the environment
variable ``AEGAN_BUDGET`` overrides both.
"""

from __future__ import annotations

import os
from typing import Literal, TypeVar

Budget = Literal["quick", "full"]
BUDGETS = ("quick", "full")
BUDGET_ENV = "AEGAN_BUDGET"
T = TypeVar("T")


def gpu_available() -> bool:
    """Whether TensorFlow sees a GPU."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def current() -> Budget:
    """The budget in force: ``$AEGAN_BUDGET`` if set, else ``"full"`` on a GPU, else ``"quick"``."""
    value = os.environ.get(BUDGET_ENV, "").strip().lower()
    if value:
        if value not in BUDGETS:
            raise ValueError(f"{BUDGET_ENV} must be 'quick' or 'full', got {os.environ[BUDGET_ENV]!r}")
        return value  # type: ignore[return-value]
    return "full" if gpu_available() else "quick"


def pick(quick: T, full: T) -> T:
    """``quick`` or ``full``, whichever the current budget says.

    Example: ``epochs = budget.pick(quick=2, full=30)``.
    """
    return quick if current() == "quick" else full


def describe() -> str:
    """One line saying which budget is in force and why."""
    name = current()
    if os.environ.get(BUDGET_ENV, "").strip():
        why = f"set by {BUDGET_ENV}"
    elif name == "full":
        why = "a GPU is available"
    else:
        why = f"no GPU found; set {BUDGET_ENV}=full for the full-length runs"
    return f"Training budget: {name} ({why})"
