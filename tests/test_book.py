"""The chapters follow the book's skeleton and agree with the book's configuration."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from conftest import ROOT

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


def toc_files() -> list[str]:
    files = [TOC["root"]]
    for part in TOC.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


CHAPTERS = [f for f in toc_files() if (ROOT / f"{f}.ipynb").exists()]
BACK_MATTER = {chapter["file"] for part in TOC.get("parts", []) if part.get("caption") == "Back matter"
               for chapter in part["chapters"]}                  # pages like the FAQ: no exercises of their own


def cells(chapter: str) -> list[dict]:
    return json.loads((ROOT / f"{chapter}.ipynb").read_text())["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_every_toc_entry_exists_and_every_chapter_is_listed():
    for entry in toc_files():
        assert (ROOT / f"{entry}.ipynb").exists() or (ROOT / f"{entry}.md").exists(), entry
    listed = set(toc_files())
    for notebook in (ROOT / "book").glob("*.ipynb"):
        assert f"book/{notebook.stem}" in listed, f"{notebook.name} is not in _toc.yml"
    assert len(CHAPTERS) >= 4


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_setup_cell_installs_from_the_configured_repository(chapter):
    first_code = next(c for c in cells(chapter) if c["cell_type"] == "code")
    text = source(first_code)
    url, branch = CONFIG["repository"]["url"], CONFIG["repository"]["branch"]
    assert '"google.colab" in sys.modules' in text and "book.setup()" in text
    installs = re.findall(r"git\+(https://[^\s\"@]+)@([\w./-]+)", text)
    assert installs == [(url, branch)], f"{chapter}: set-up cell installs {installs}, _config.yml says {url}@{branch}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_is_stored_without_outputs_except_checked_cells(chapter):
    for cell in cells(chapter):
        if cell["cell_type"] != "code":
            continue
        keep = cell.get("metadata", {}).get("keep_output", False)
        if keep:
            assert "NBVAL_CHECK_OUTPUT" in source(cell) and cell["outputs"], "kept outputs must be checked by nbval"
        else:
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{chapter}: stored output in {source(cell)[:60]!r}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_follows_the_skeleton(chapter):
    markdown = "\n".join(source(c) for c in cells(chapter) if c["cell_type"] == "markdown")
    code = [source(c) for c in cells(chapter) if c["cell_type"] == "code"]
    assert re.search(r"^#+ .*objectives", markdown, re.I | re.M), "learning objectives"
    exercises = re.findall(r"```\{exercise\}[^\n]*\n:label: (ex-[\w-]+)", markdown)
    assert len(exercises) >= (0 if chapter in BACK_MATTER else 3), f"{chapter} has {len(exercises)} exercises"
    for label in exercises:
        assert re.search(r"```\{solution(-start)?\} " + re.escape(label) + r"\s*\n:class: dropdown", markdown), f"solution of {label}"
    assert markdown.count("{solution-start}") == markdown.count("{solution-end}")
    assert any("assert" in c and "Self-check" in c for c in code), "a self-check cell"
    assert "book.finish()" in code[-1], "the last code cell reports the runtime"
    assert "{glue:text}`runtime" in markdown, "the chapter states its runtime"


def test_notebooks_are_small():
    for notebook in (ROOT / "book").glob("*.ipynb"):
        assert notebook.stat().st_size < 200_000, f"{notebook.name}: stored images or outputs?"
