"""The budget switch and the chapter helpers."""

from __future__ import annotations

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
    assert book.setup() == "Training budget: quick (set by AEGAN_BUDGET)"
    seconds = book.finish()
    assert 0 <= seconds < 60
    assert "This chapter ran in" in capsys.readouterr().out
    assert book.glue("x", 3.5) == 3.5
