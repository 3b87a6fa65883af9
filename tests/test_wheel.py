"""The wheel a reader installs: built offline, accepted by twine, under 30 MB, and working on its own.

The wheel is installed (not editable) into a fresh virtual environment that borrows only the
dependencies of the development environment (its site-packages on the path, without its
``.pth`` files, so the editable install of the package stays invisible). From a folder outside
the checkout, that environment scores the shipped DCGAN through the command line and draws from
every shipped model.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

from aegan_tutorial import pretrained
from conftest import ROOT

MAX_WHEEL_BYTES = 30_000_000  # 30 MB; the wheel measured 29,538,562 bytes when this was set


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


SOURCES = ("pyproject.toml", "README.md", "LICENSE", "LICENSE-TEXT.md", "CHANGELOG.md", "CITATION.cff", "aegan_tutorial")


def build(out: Path, *kinds: str) -> Path:
    """``python -m build`` of a clean copy of the package's sources (no stale build/ folder), offline."""
    source = out / "source"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    run([sys.executable, "-m", "build", "--no-isolation", *kinds, "--outdir", str(out / "dist"), str(source)])
    return out / "dist"


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("build"), "--sdist", "--wheel")


@pytest.fixture(scope="module")
def wheel(dist) -> Path:
    (found,) = dist.glob("aegan_tutorial-*.whl")
    return found


def test_twine_accepts_the_sdist_and_the_wheel(dist):
    run([sys.executable, "-m", "twine", "check", "--strict", *map(str, sorted(dist.iterdir()))])


def test_the_wheel_carries_the_weights_manifest_and_results_under_30_mb(wheel):
    assert wheel.stat().st_size <= MAX_WHEEL_BYTES, f"{wheel.name}: {wheel.stat().st_size:,d} bytes"
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"aegan_tutorial/pretrained/{pretrained.path(name).name}" for name in pretrained.available()}
    results = {f"aegan_tutorial/results/{p.name}" for p in (ROOT / "aegan_tutorial" / "results").glob("*.json")}
    assert shipped <= names and results <= names and "aegan_tutorial/pretrained/manifest.json" in names
    assert not {n for n in names if n.startswith(("tests/", "book/", "benchmarks/"))}


@pytest.fixture(scope="module")
def fresh_python(wheel, tmp_path_factory) -> Path:
    """A new virtual environment with the wheel installed and the development environment's dependencies."""
    env_dir = tmp_path_factory.mktemp("wheel-env")
    run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)])
    python = env_dir / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    # a path line in a .pth file adds the folder, but not as a site directory: its own .pth files
    # (among them the editable install's finder) are not run
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet", str(wheel)])
    return python


def test_the_installed_wheel_evaluates_and_draws_from_every_shipped_model(fresh_python, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = run([str(fresh_python), "-c", "import aegan_tutorial; print(aegan_tutorial.__file__)"], cwd=tmp_path, env=env)
    assert Path(where.stdout.strip()).is_relative_to(fresh_python.parent.parent), where.stdout
    scored = run([str(fresh_python), "-m", "aegan_tutorial", "evaluate", "dcgan", "--samples", "1000", "--json"], cwd=tmp_path, env=env)
    metrics = json.loads(scored.stdout.strip().splitlines()[-1])
    assert 0 < metrics["fd"] < 100 and 0 <= metrics["precision"] <= 1
    script = textwrap.dedent("""
        import json, numpy as np
        from aegan_tutorial import pretrained
        drawn = {}
        for name in pretrained.available():
            model = pretrained.load(name)
            out = model.generate(4, seed=0) if hasattr(model, "generate") else model.predict(np.zeros((4, 28, 28, 1), np.float32), verbose=0)
            drawn[name] = [list(np.shape(out)), bool(np.isfinite(out).all())]
        print(json.dumps(drawn))
    """)
    drawn = json.loads(run([str(fresh_python), "-c", script], cwd=tmp_path, env=env).stdout.strip().splitlines()[-1])
    assert set(drawn) == set(pretrained.available())
    for name, (shape, finite) in drawn.items():
        assert finite and shape == ([4, 10] if name == "classifier" else [4, 28, 28, 1]), (name, shape)
