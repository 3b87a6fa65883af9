"""Keep TensorFlow's C++ start-up chatter out of notebooks and terminals."""

from __future__ import annotations

import contextlib
import os
import sys


def _native_log_level() -> int:
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        return 0


def silence_native_stderr_in_notebook() -> bool:
    """In a notebook kernel, send file descriptor 2 to /dev/null for good; return whether it did.

    TensorFlow's C++ runtime writes some messages through absl straight to the process's
    file descriptor 2 while it runs (``E0000 … NodeDef mentions attribute …``), whatever
    ``TF_CPP_MIN_LOG_LEVEL`` says, and Jupyter copies that descriptor into the cell's
    output. A kernel's Python ``sys.stderr`` is its own stream, not descriptor 2, so Python
    warnings and tracebacks still show. Nothing happens in a terminal (where ``sys.stderr``
    *is* descriptor 2) or when ``TF_CPP_MIN_LOG_LEVEL`` is below 2 (asking for the log).
    """
    if _native_log_level() < 2:
        return False
    try:
        python_stderr = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        python_stderr = None
    if python_stderr == 2:
        return False
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    return True


@contextlib.contextmanager
def quiet_native_stderr():
    """Send file descriptor 2 to /dev/null for the duration, when ``TF_CPP_MIN_LOG_LEVEL >= 2``.

    TensorFlow logs a few lines from C++ (absl) while it loads and looks for CUDA, before
    ``TF_CPP_MIN_LOG_LEVEL`` takes effect. Python exceptions are unaffected: they travel as
    exceptions, not through the file descriptor.
    """
    if _native_log_level() < 2:
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
