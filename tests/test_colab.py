"""A chapter's first cells, run as Colab runs them.

Colab preinstalls TensorFlow, Keras, NumPy, SciPy and Matplotlib (and runs IPython), and nothing of
this book. The test builds a fresh virtual environment that sees only those distributions and what
they depend on (linked from the development environment), adds a ``google.colab`` package, and
runs the set-up cell of a chapter with its install target swapped for the wheel of this checkout:
pip installs it offline, since everything it needs is already there. The chapter's next cells then
import the package, load MNIST and build a model.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT

COLAB_PREINSTALLS = ("tensorflow", "keras", "numpy", "scipy", "matplotlib", "ipython")
CHAPTER, FIRST_CELLS = "encoder", 3


def closure(roots) -> set[str]:
    """The installed distributions ``roots`` need, themselves included (canonical names)."""
    seen, stack = set(), list(roots)
    while stack:
        name = canonicalize_name(stack.pop())
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                stack.append(requirement.name)
    return seen


def link_distributions(names: set[str], into: Path) -> None:
    """Symlink the top-level files and folders of each distribution into ``into``."""
    site = Path(sysconfig.get_paths()["purelib"])
    for name in names:
        tops = {Path(str(f)).parts[0] for f in metadata.distribution(name).files or []}
        for top in tops - {"..", "__pycache__", "bin"}:
            source, target = site / top, into / top
            if not source.exists() or target.exists():
                continue
            if top == "google":       # a namespace package: link its members, so that google.colab can join them
                target.mkdir()
                for member in source.iterdir():
                    (target / member.name).symlink_to(member)
            else:
                target.symlink_to(source)


def setup_cell_and_first_cells() -> tuple[str, list[str]]:
    cells = [c for c in json.loads((ROOT / "book" / f"{CHAPTER}.ipynb").read_text())["cells"] if c["cell_type"] == "code"]
    sources = ["".join(c["source"]) for c in cells[:FIRST_CELLS]]
    return sources[0], sources[1:]


@pytest.fixture(scope="module")
def colab_python(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("colab")
    preinstalled = root / "preinstalled"
    preinstalled.mkdir()
    names = closure(COLAB_PREINSTALLS)
    assert "aegan-tutorial" not in names and "jupyter-book" not in names
    link_distributions(names, preinstalled)
    colab = preinstalled / "google" / "colab"
    colab.mkdir(parents=True, exist_ok=True)
    (colab / "__init__.py").write_text('"""Stands in for the Colab runtime\'s own package."""\n')
    subprocess.run([sys.executable, "-m", "venv", str(root / "env")], check=True)
    python = root / "env" / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "colab_preinstalled.pth").write_text(f"{preinstalled}\n")
    return python


def test_the_environment_lacks_the_book_and_its_tools(colab_python, tmp_path):
    probe = "import importlib.util as u; print([m for m in ('aegan_tutorial', 'myst_nb', 'pytest', 'tensorflow', 'google.colab') if u.find_spec(m)])"
    found = subprocess.run([str(colab_python), "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert found.stdout.strip() == "['tensorflow', 'google.colab']"


def test_a_chapter_set_up_installs_the_package_and_its_first_cells_run(colab_python, tmp_path):
    from test_wheel import build, run  # the wheel test's helpers

    (wheel,) = build(tmp_path, "--wheel").glob("aegan_tutorial-*.whl")
    setup, first = setup_cell_and_first_cells()
    target = '"aegan-tutorial @ git+'
    assert setup.count(target) == 1, "the set-up cell installs from the repository"
    start = setup.index(target)
    swapped = setup[:start] + repr(str(wheel)) + ", '--no-index'" + setup[setup.index('"', start + 1) + 1:]
    script = "\n".join(["import google.colab", swapped, *first, "print('cells ran:', type(encoder).__name__ if 'encoder' in dir() else 'no model')"])
    (tmp_path / "chapter.py").write_text(script)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "AEGAN_BUDGET")}
    done = run([str(colab_python), "chapter.py"], cwd=tmp_path, env=env)
    assert "Training budget: quick" in done.stdout and "cells ran: Functional" in done.stdout, done.stdout[-2000:]
    where = run([str(colab_python), "-c", "import aegan_tutorial; print(aegan_tutorial.__file__)"], cwd=tmp_path, env=env)
    assert Path(where.stdout.strip()).is_relative_to(colab_python.parent.parent)
