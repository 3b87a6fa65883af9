"""The package's layers: no import cycles, and the core never imports a chapter's helpers.

The imports are read from the source (every ``import`` statement, also those inside
functions), so a cycle hidden behind a function-level import fails here too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "aegan_tutorial"
CORE = ["data", "models", "losses", "training", "callbacks", "metrics", "evaluation", "plots", "pretrained", "runs", "cli",
        "clustering", "pretraining", "results"]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def resolve(importer: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute module a (possibly relative) import names."""
    if level == 0:
        return target or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imports_of(name: str) -> set[str]:
    """The package's modules that module ``name`` imports (parent packages of a submodule excluded)."""
    path = MODULES[name]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = resolve(name, path.name == "__init__.py", node.level, node.module)
            # `from pkg import sub` imports the submodule pkg.sub when there is one
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in MODULES and t != name}
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def test_the_walker_sees_the_package():
    assert {"aegan_tutorial.models.gan", "aegan_tutorial.evaluation", "aegan_tutorial.chapters.minimax"} <= set(GRAPH)
    assert "aegan_tutorial.models.gan" in GRAPH["aegan_tutorial.models.conditional_gan"]
    assert "aegan_tutorial.models.gan" in GRAPH["aegan_tutorial.chapters.minimax"]  # relative `..models.gan`


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A list of modules ``[a, b, …, a]`` that import each other in a ring, or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_finds_a_ring():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles():
    assert find_cycle(GRAPH) is None, " -> ".join(find_cycle(GRAPH))


@pytest.mark.parametrize("core", CORE)
def test_core_never_imports_chapters(core):
    modules = [m for m in GRAPH if m == f"aegan_tutorial.{core}" or m.startswith(f"aegan_tutorial.{core}.")]
    assert modules, f"no core module {core}"
    for module in modules:
        offending = sorted(m for m in GRAPH[module] if m.startswith("aegan_tutorial.chapters"))
        assert not offending, f"{module} imports {offending}"


def test_metrics_is_pure():
    """metrics computes numbers from images or features: it loads no model and no data set."""
    assert GRAPH["aegan_tutorial.metrics"] <= {"aegan_tutorial._checks", "aegan_tutorial.data"}
    source = MODULES["aegan_tutorial.metrics"].read_text()
    assert "load_mnist" not in source and "pretrained" not in source


def test_no_two_public_names_collide():
    """Every public function and class of the package has one owner (re-exports by packages aside)."""
    owners: dict[str, list[str]] = {}
    for name, path in MODULES.items():
        if path.name == "__init__.py":
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                owners.setdefault(node.name, []).append(name)
    shared = {n: mods for n, mods in owners.items() if len(mods) > 1}
    assert not shared, shared
