"""The code the chapters display is the package's own, included from its source: every included object exists."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from conftest import ROOT

CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
INCLUDE = re.compile(r"```\{literalinclude\}\s+(\S+)\s*\n((?::[\w-]+:[^\n]*\n)*)")


def markdown(chapter: Path) -> str:
    cells = json.loads(chapter.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def defined_objects(path: Path) -> set[str]:
    """``name`` and ``Class.method`` for every top-level function, class and method of a module."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names |= {f"{node.name}.{item.name}" for item in node.body if isinstance(item, ast.FunctionDef)}
    return names


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_included_object_exists(chapter):
    for target, options in INCLUDE.findall(markdown(chapter)):
        path = (chapter.parent / target).resolve()
        assert path.is_file(), f"{chapter.name} includes {target}, which does not exist"
        wanted = re.search(r":pyobject:\s*(\S+)", options)
        if wanted:
            assert wanted.group(1) in defined_objects(path), f"{chapter.name}: no {wanted.group(1)} in {target}"


def test_the_trainers_and_builders_are_shown_from_the_source():
    shown = {chapter.stem: {m for _, o in INCLUDE.findall(markdown(chapter)) for m in re.findall(r":pyobject:\s*(\S+)", o)}
             for chapter in CHAPTERS}
    assert "GAN.train_step" in shown["dcgan"]
    assert any(name.startswith("ConditionalGAN.") for name in shown["conditional_gan"])
    assert "build_generator" in shown["generator"] and "build_discriminator" in shown["discriminator"]
