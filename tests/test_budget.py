"""The budget switch and the chapter helpers."""

from __future__ import annotations

import os

import pytest

from aegan_tutorial import book, budget


def test_environment_variable_overrides(monkeypatch):
    monkeypatch.setenv("AEGAN_BUDGET", "full")
    assert budget.current() == "full" and budget.pick(quick=1, full=30) == 30
    assert budget.describe() == "Training budget: full (set by AEGAN_BUDGET)"
    monkeypatch.setenv("AEGAN_BUDGET", " Quick ")
    assert budget.current() == "quick" and budget.pick(quick=1, full=30) == 1


def test_default_follows_the_hardware(monkeypatch):
    monkeypatch.delenv("AEGAN_BUDGET", raising=False)
    monkeypatch.setattr(budget, "gpu_available", lambda: False)
    assert budget.current() == "quick"
    assert "no GPU found; set AEGAN_BUDGET=full" in budget.describe()
    monkeypatch.setattr(budget, "gpu_available", lambda: True)
    assert budget.current() == "full" and "a GPU is available" in budget.describe()


def test_bad_budget_is_named(monkeypatch):
    monkeypatch.setenv("AEGAN_BUDGET", "medium")
    with pytest.raises(ValueError, match="AEGAN_BUDGET must be 'quick' or 'full', got 'medium'"):
        budget.current()


def test_chapter_setup_and_finish(monkeypatch, capsys):
    monkeypatch.setenv("AEGAN_BUDGET", "quick")
    monkeypatch.setattr(book, "silence_native_stderr_in_notebook", lambda: False)  # pytest owns descriptor 2
    assert book.setup() == "Training budget: quick (set by AEGAN_BUDGET)"
    capsys.readouterr()
    seconds = book.finish()
    assert 0 <= seconds < 60
    assert capsys.readouterr().out == "", "in the book build the text states the glued runtime: no second sentence"
    monkeypatch.setattr(book, "_myst_glue", lambda: None)  # as in Colab, where nothing is glued
    assert book.finish() >= seconds
    assert "This chapter ran in" in capsys.readouterr().out
    assert book.glue("x", 3.5) == 3.5


NATIVE_LOG = """
import io, os, sys
from aegan_tutorial._quiet import silence_native_stderr_in_notebook
if sys.argv[1] == "kernel":
    sys.stderr = io.StringIO()   # a notebook kernel: Python's stderr is its own stream, not descriptor 2
print(silence_native_stderr_in_notebook(), flush=True)
os.write(2, b"E0000 00:00:1 123 graph.cc:1] NodeDef mentions attribute use_unbounded_threadpool\\n")
sys.stderr.write("a Python warning\\n")
sys.__stdout__.write(sys.stderr.getvalue() if sys.argv[1] == "kernel" else "")
"""


@pytest.mark.parametrize("where, level, silenced", [("kernel", "3", True), ("terminal", "3", False),
                                                    ("kernel", "0", False)])
def test_chapters_keep_tensorflow_native_log_lines_out_of_the_page(where, level, silenced):
    """In a kernel, C++ writes to descriptor 2 vanish while Python's own stderr still shows."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", NATIVE_LOG, where], capture_output=True, text=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": level}, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(str(silenced))
    assert ("NodeDef" in run.stderr) is not silenced
    if where == "kernel":
        assert "a Python warning" in run.stdout
    else:
        assert "a Python warning" in run.stderr


def test_glue_turns_numpy_scalars_into_python_numbers(monkeypatch):
    import numpy as np

    seen = {}
    monkeypatch.setattr(book, "_myst_glue", lambda: lambda name, value, display: seen.update({name: value}))
    assert book.glue("mean", np.float64(0.25)) == 0.25 and type(seen["mean"]) is float
    assert type(book.glue("count", np.int64(3))) is int and seen["count"] == 3
    assert book.glue("list", [1, 2]) == [1, 2]  # anything else is glued as it is
    assert format(seen["mean"], ".1%") == "25.0%"  # what {glue:text}`mean:.1%` needs
