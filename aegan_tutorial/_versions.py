"""The oldest TensorFlow and Keras the package runs on, checked when it is imported."""

from __future__ import annotations

import re

MINIMUM_TENSORFLOW = (2, 16)
"""TensorFlow 2.16 is the first release whose ``keras`` is Keras 3."""
MINIMUM_KERAS = (3, 0)


def _release(version: str) -> tuple[int, int]:
    """``(major, minor)`` of a version string such as ``"2.16.1"`` or ``"2.17.0rc1"``."""
    found = re.match(r"\s*(\d+)\.(\d+)", version)
    if not found:
        raise ImportError(f"cannot read the version {version!r}")
    return int(found.group(1)), int(found.group(2))


def check_frameworks(tensorflow_version: str, keras_version: str) -> None:
    """Raise ImportError naming the package to upgrade when TensorFlow < 2.16 or Keras < 3."""
    if _release(tensorflow_version) < MINIMUM_TENSORFLOW:
        raise ImportError(
            f"aegan_tutorial needs TensorFlow {'.'.join(map(str, MINIMUM_TENSORFLOW))} or newer (with Keras 3), "
            f"but TensorFlow {tensorflow_version} is installed; upgrade it: pip install -U 'tensorflow>=2.16'"
        )
    if _release(keras_version) < MINIMUM_KERAS:
        raise ImportError(
            f"aegan_tutorial needs Keras 3, but Keras {keras_version} is installed; "
            f"upgrade it: pip install -U 'keras>=3'"
        )
