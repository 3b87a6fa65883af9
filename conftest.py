"""Each chapter executes once in ``make test``: nbval runs it, and the site build reuses what it made.

nbval runs every chapter cell by cell in one kernel. This plugin keeps each cell's outputs
(text, figures, glued values) and, once every cell of a chapter has run and passed, writes the
executed notebook to ``_build/executed/book/<chapter>.ipynb``, stamped with the SHA-256 of the
source it came from. ``tests/test_site.py`` then builds the site from those notebooks with
execution off (:func:`executed_chapters`), instead of executing every chapter a second time.
Pytest runs ``book/`` before ``tests/`` (``testpaths`` in ``pyproject.toml``) for that reason.

A chapter that fails under nbval leaves ``_build/executed/book/<chapter>.failed`` instead (the
source's hash and the failing cell's error), so that the site test stops at once, naming the
chapter, rather than executing the whole book a second time. ``$AEGAN_EXECUTED_DIR`` sends both
elsewhere (``scripts/chapter_matrix.py`` runs the chapters with other seeds into a scratch folder).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
EXECUTED = Path(os.environ.get("AEGAN_EXECUTED_DIR") or ROOT / "_build" / "executed")
SOURCE_HASH = "aegan_source_sha256"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # the colours of a kernel's traceback
FAILED = ".failed"  # suffix of the record a chapter that failed under nbval leaves beside its executed copy


def source_hash(notebook: Path) -> str:
    """SHA-256 of a chapter's source file: what an executed copy must have been made from."""
    return hashlib.sha256(notebook.read_bytes()).hexdigest()


def hidden_result(source: str, output) -> bool:
    """Whether Jupyter would not show ``output``: the value of a cell that ends in ``;``.

    nbval runs each cell without storing it in IPython's history, and IPython looks for the
    closing ``;`` in that history, so under nbval a cell ending in ``;`` still returns its value;
    the book build (and a reader's Jupyter) shows nothing there.
    """
    from IPython.core.displayhook import DisplayHook

    return output.get("output_type") == "execute_result" and DisplayHook.semicolon_at_end_of_expression(source)


class _Chapter:
    """The cells nbval ran for one notebook, and whether all of them passed."""

    def __init__(self, path: Path, notebook):
        self.path, self.notebook = path, copy.deepcopy(notebook)
        self.code_cells = [i for i, cell in enumerate(self.notebook.cells) if cell.cell_type == "code"]
        self.ran: set[int] = set()
        self.failed = False

    def record(self, index: int, outputs, passed: bool, error: str = "") -> None:
        cell = self.notebook.cells[index]
        cell.outputs = [copy.deepcopy(out) for out in outputs if not hidden_result(cell.source, out)]
        counts = [out.get("execution_count") for out in cell.outputs if out.get("output_type") == "execute_result"]
        cell.execution_count = counts[0] if counts else len(self.ran) + 1
        self.ran.add(index)
        if not passed and not self.failed:
            self.write_failure(index, error)
        self.failed |= not passed
        if not self.failed and self.ran == set(self.code_cells):
            self.write()

    def target(self) -> Path:
        return EXECUTED / self.path.resolve().relative_to(ROOT)

    def write_failure(self, index: int, error: str) -> None:
        """Record that this chapter failed (its source hash, the cell, the error); drop a stale executed copy."""
        target = self.target()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        record = {SOURCE_HASH: source_hash(self.path), "cell": index, "error": ANSI.sub("", error)[-2000:]}
        target.with_suffix(FAILED).write_text(json.dumps(record, indent=1) + "\n")

    def write(self) -> None:
        import nbformat

        target = self.target()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.with_suffix(FAILED).unlink(missing_ok=True)
        self.notebook.metadata[SOURCE_HASH] = source_hash(self.path)
        nbformat.validate(self.notebook)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(nbformat.writes(self.notebook))
        tmp.replace(target)


_chapters: dict[Path, _Chapter] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when != "call" or type(item).__name__ != "IPyNbCell" or not hasattr(item.parent, "nb"):
        return
    path = Path(str(item.parent.fspath))
    chapter = _chapters.get(path)
    if chapter is None:
        chapter = _chapters[path] = _Chapter(path, item.parent.nb)
    index = next(i for i, cell in enumerate(item.parent.nb.cells) if cell is item.cell)
    report = outcome.get_result()
    chapter.record(index, item.test_outputs or [], report.passed, "" if report.passed else str(report.longrepr))


def failed_chapters(notebooks: list[Path]) -> dict[Path, str]:
    """The notebooks of ``notebooks`` whose current source failed under nbval, each with its error's last line."""
    failed = {}
    for notebook in notebooks:
        record = (EXECUTED / notebook.resolve().relative_to(ROOT)).with_suffix(FAILED)
        if record.exists():
            saved = json.loads(record.read_text())
            if saved.get(SOURCE_HASH) == source_hash(notebook):
                lines = [line.strip() for line in saved.get("error", "").splitlines() if line.strip()]
                errors = [line for line in lines if "Error" in line]
                failed[notebook] = (errors or lines or ["(no message)"])[-1][:300]
    return failed


def executed_chapters(notebooks: list[Path]) -> dict[Path, Path] | None:
    """The executed copy of every notebook in ``notebooks``, or ``None`` if one is missing or stale."""
    found = {}
    for notebook in notebooks:
        executed = EXECUTED / notebook.resolve().relative_to(ROOT)
        if not executed.exists():
            return None
        if json.loads(executed.read_text()).get("metadata", {}).get(SOURCE_HASH) != source_hash(notebook):
            return None
        found[notebook] = executed
    return found
