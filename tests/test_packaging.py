"""The project's set-up files agree with each other and with what the README promises."""

from __future__ import annotations

import re
import sys

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

import aegan_tutorial
from conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
ENVIRONMENT = yaml.safe_load((ROOT / "environment.yml").read_text())


def canonical(requirement: str) -> tuple[str, str]:
    req = Requirement(requirement)
    return req.name.lower().replace("_", "-"), str(req.specifier)


def test_environment_yml_asks_for_the_same_packages_as_pyproject():
    pip_section = next(d["pip"] for d in ENVIRONMENT["dependencies"] if isinstance(d, dict))
    assert sorted(map(canonical, pip_section)) == sorted(map(canonical, PYPROJECT["project"]["dependencies"]))


def test_environment_python_satisfies_requires_python():
    python = next(d for d in ENVIRONMENT["dependencies"] if isinstance(d, str) and d.startswith("python"))
    version = re.match(r"python\s*=+\s*([\d.]+)", python).group(1)
    assert version in SpecifierSet(PYPROJECT["project"]["requires-python"])


def test_pins_the_book_and_the_frameworks():
    deps = dict(map(canonical, PYPROJECT["project"]["dependencies"]))
    assert "2.16" in SpecifierSet(deps["tensorflow"]) and "2.15" not in SpecifierSet(deps["tensorflow"])
    book = dict(map(canonical, PYPROJECT["project"]["optional-dependencies"]["book"]))
    assert "1.0.4" in SpecifierSet(book["jupyter-book"]) and "2.0.0" not in SpecifierSet(book["jupyter-book"])
    assert {"nbval", "pytest"} <= set(dict(map(canonical, PYPROJECT["project"]["optional-dependencies"]["test"])))


def test_version_matches_pyproject():
    assert aegan_tutorial.__version__ == PYPROJECT["project"]["version"]


def test_readme_first_screen_has_the_two_commands():
    first_screen = "\n".join((ROOT / "README.md").read_text().splitlines()[:30])
    assert "make book" in first_screen and "make test" in first_screen
    assert "Colab" in first_screen and "online" in first_screen.lower()


def test_ci_runs_make_test_with_the_offline_data():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "AEGAN_DATA_DIR" in ci and "shared/datasets/mnist" in ci
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^book:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "_build/html" in makefile or "jupyter-book build ." in makefile


def test_book_configuration_exists_and_points_at_the_book_folder():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    assert config["repository"]["url"].startswith("https://") and config["repository"]["branch"]
    assert toc["root"].startswith("book/")
    assert (ROOT / (toc["root"] + ".ipynb")).exists() or (ROOT / (toc["root"] + ".md")).exists()
    assert (ROOT / "book" / "references.bib").exists()


def test_older_frameworks_are_refused_with_what_to_upgrade():
    import pytest

    from aegan_tutorial._versions import check_frameworks

    check_frameworks("2.16.1", "3.0.0")
    check_frameworks("2.21.0", "3.15.1")
    with pytest.raises(ImportError, match=r"TensorFlow 2\.16 or newer.*2\.15\.1 is installed"):
        check_frameworks("2.15.1", "3.3.3")
    with pytest.raises(ImportError, match=r"Keras 3, but Keras 2\.15\.0"):
        check_frameworks("2.16.1", "2.15.0")
    with pytest.raises(ImportError, match="cannot read"):
        check_frameworks("nightly", "3.0.0")
    assert "TensorFlow 2.16" in (ROOT / "README.md").read_text(), "the README says which TensorFlow versions are supported"
