"""What a release needs: licences, a valid citation, a changelog, GitHub workflows, a frozen book stack."""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import aegan_tutorial
from conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CHECK_JSONSCHEMA = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) or shutil.which("check-jsonschema")


def check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess:
    assert CHECK_JSONSCHEMA, "check-jsonschema is a test dependency: make installs it"
    return subprocess.run([CHECK_JSONSCHEMA, "--builtin-schema", schema, *map(str, files)], capture_output=True, text=True)


def test_the_code_is_mit_and_the_text_cc_by_as_the_readme_and_the_footer_say():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License") and PYPROJECT["project"]["license"] == "MIT"
    # the SPDX expression (setuptools >= 77), not the deprecated table; both licence files ship with the package
    assert set(PYPROJECT["project"]["license-files"]) == {"LICENSE", "LICENSE-TEXT.md"}
    assert not [c for c in PYPROJECT["project"]["classifiers"] if c.startswith("License ::")]  # SPDX replaces them
    assert PYPROJECT["build-system"]["requires"] == ["setuptools>=77"]
    assert importlib.metadata.metadata("aegan-tutorial")["License-Expression"] == "MIT"
    text_licence = (ROOT / "LICENSE-TEXT.md").read_text()
    assert "CC BY 4.0" in text_licence and "https://creativecommons.org/licenses/by/4.0/" in text_licence
    first_screen = "\n".join((ROOT / "README.md").read_text().splitlines()[:30])
    assert "MIT" in first_screen and "CC BY 4.0" in first_screen
    footer = CONFIG["html"]["extra_footer"]
    assert "CC BY 4.0" in footer and "MIT" in footer


def test_the_citation_is_valid_and_agrees_with_the_package():
    run = check_jsonschema("vendor.citation-file-format", ROOT / "CITATION.cff")
    assert run.returncode == 0, run.stdout + run.stderr
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["version"] == aegan_tutorial.__version__ == PYPROJECT["project"]["version"]
    assert citation["repository-code"] == CONFIG["repository"]["url"] == PYPROJECT["project"]["urls"]["Source"]
    assert citation["license"] == "MIT"


def test_an_invalid_citation_is_refused(tmp_path):
    broken = tmp_path / "CITATION.cff"
    broken.write_text((ROOT / "CITATION.cff").read_text().replace("cff-version: 1.2.0", "cff-version: one"))
    assert check_jsonschema("vendor.citation-file-format", broken).returncode != 0


def test_the_changelog_starts_with_this_release():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    first = re.search(r"^## (\S+)", changelog, re.M)
    assert first and first.group(1) == aegan_tutorial.__version__


def test_the_workflows_are_valid_github_workflows():
    assert {w.name for w in WORKFLOWS} == {"test.yml", "book.yml", "matrix.yml"}
    run = check_jsonschema("vendor.github-workflows", *WORKFLOWS)
    assert run.returncode == 0, run.stdout + run.stderr


def test_an_invalid_workflow_is_refused(tmp_path):
    broken = tmp_path / "test.yml"
    broken.write_text((ROOT / ".github" / "workflows" / "test.yml").read_text().replace("runs-on:", "runs_on:"))
    assert check_jsonschema("vendor.github-workflows", broken).returncode != 0


def _steps(workflow: Path) -> list[dict]:
    return [step for job in yaml.safe_load(workflow.read_text())["jobs"].values() for step in job.get("steps", [])]


def test_the_test_workflow_runs_make_test_with_caches_on_pushes_and_pull_requests():
    workflow = ROOT / ".github" / "workflows" / "test.yml"
    triggers = yaml.safe_load(workflow.read_text())[True]           # YAML reads the key "on" as True
    assert "push" in triggers and "pull_request" in triggers
    steps = _steps(workflow)
    assert any(step.get("run", "").strip() == "make test" for step in steps)
    cached = [step["with"]["path"] for step in steps if step.get("uses", "").startswith("actions/cache@")]
    assert ".venv" in cached and "~/.keras/datasets" in cached       # no ../shared there: Keras downloads MNIST


def test_the_book_workflow_deploys_only_the_configured_branch_with_the_pages_actions():
    workflow = ROOT / ".github" / "workflows" / "book.yml"
    text = workflow.read_text()
    parsed = yaml.safe_load(text)
    steps = _steps(workflow)
    assert any(step.get("run", "").strip() == "make book" for step in steps)
    uses = {step.get("uses", "").split("@")[0] for step in steps}
    assert {"actions/upload-pages-artifact", "actions/deploy-pages", "actions/configure-pages"} <= uses
    assert parsed["permissions"]["pages"] == "write" and parsed["permissions"]["id-token"] == "write"
    assert "_build/html" in text and "['repository']['branch']" in text
    # the repository and its branch are written only in _config.yml
    assert CONFIG["repository"]["url"] not in text and "branches" not in text
    assert CONFIG["repository"]["url"] not in (ROOT / ".github" / "workflows" / "test.yml").read_text()


def test_the_matrix_workflow_runs_every_condition_weekly_and_on_demand_and_uploads_the_tables():
    workflow = ROOT / ".github" / "workflows" / "matrix.yml"
    parsed = yaml.safe_load(workflow.read_text())
    triggers = parsed[True]                                          # YAML reads the key "on" as True
    assert "workflow_dispatch" in triggers and triggers["schedule"][0]["cron"].split()[-1] != "*"  # one weekday: weekly
    from scripts.chapter_matrix import CONDITIONS

    job = parsed["jobs"]["matrix"]
    assert job["strategy"]["matrix"]["condition"] == list(CONDITIONS) and job["strategy"]["fail-fast"] is False
    steps = _steps(workflow)
    assert any("make matrix" in step.get("run", "") and "${{ matrix.condition }}" in step["run"] for step in steps)
    upload = [step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload and upload[0]["if"] == "always()", "the table is uploaded even when a chapter fails"


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            requirement = Requirement(line)
            (version,) = [spec.version for spec in requirement.specifier if spec.operator == "=="]
            pins[canonicalize_name(requirement.name)] = version
    return pins


def test_make_installs_the_frozen_book_stack():
    pins = _constraints()
    assert pins["jupyter-book"].startswith("1.") and pins["sphinx"].startswith("7.")
    assert {"myst-nb", "myst-parser", "sphinx-book-theme", "sphinx-exercise", "sphinx-proof", "sphinxcontrib-bibtex"} <= set(pins)
    assert not {"tensorflow", "keras", "numpy", "pytest"} & set(pins), "only the book stack is frozen"
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"pip install .*-c constraints\.txt", makefile) and re.search(r"^\$\(STAMP\):.*constraints\.txt", makefile, re.M)


@pytest.mark.skipif(not (ROOT / ".venv" / ".installed").exists(), reason="only where make built the environment")
def test_the_environment_make_built_has_the_frozen_versions():
    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("these tests do not run in make's environment")
    wrong = {name: (version, importlib.metadata.version(name)) for name, version in _constraints().items()
             if importlib.metadata.version(name) != version}
    assert not wrong, f"installed versions differ from constraints.txt: {wrong}"


def test_the_toolchain_note_explains_the_choice():
    note = (ROOT / "docs" / "book-toolchain.md").read_text()
    for convention in ("{eq}", "prf:", "{exercise}", "{cite:p}", "glue"):
        assert convention in note, convention
    assert "docs/book-toolchain.md" in (ROOT / "README.md").read_text()


def test_the_install_target_of_every_set_up_cell_comes_from_the_config(tmp_path):
    script = ROOT / "scripts" / "sync_setup_cells.py"
    assert subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True).returncode == 0
    shutil.copytree(ROOT / "book", tmp_path / "book", ignore=shutil.ignore_patterns("_build", "*.bib", "_ext", "_static"))
    config = (ROOT / "_config.yml").read_text().replace(CONFIG["repository"]["url"], "https://github.com/a-reader/fork")
    (tmp_path / "_config.yml").write_text(config.replace("branch: main", "branch: pages"))
    stale = subprocess.run([sys.executable, str(script), "--check", "--root", str(tmp_path)], capture_output=True, text=True)
    assert stale.returncode == 1 and stale.stdout.count("differs") == len(list((ROOT / "book").glob("*.ipynb")))
    subprocess.run([sys.executable, str(script), "--root", str(tmp_path)], check=True, capture_output=True)
    for notebook in (tmp_path / "book").glob("*.ipynb"):
        setup = next(c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code")
        assert "git+https://github.com/a-reader/fork@pages" in "".join(setup["source"]), notebook.name
