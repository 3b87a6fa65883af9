"""Keep TensorFlow's C++ start-up chatter out of notebooks and terminals."""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def quiet_native_stderr():
    """Send file descriptor 2 to /dev/null for the duration, when ``TF_CPP_MIN_LOG_LEVEL >= 2``.

    TensorFlow logs a few lines from C++ (absl) while it loads and looks for CUDA, before
    ``TF_CPP_MIN_LOG_LEVEL`` takes effect. Python exceptions are unaffected: they travel as
    exceptions, not through the file descriptor.
    """
    try:
        level = int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        level = 0
    if level < 2:
        yield
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
