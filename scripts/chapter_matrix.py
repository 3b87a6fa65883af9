"""Run every chapter under nbval in several conditions and write a chapter × condition table.

A chapter's text and self-check must hold wherever a reader runs it: with another seed, on another
CPU (where oneDNN picks other kernels, so a short GAN run ends elsewhere) and under the ``full``
budget a GPU switches to. This script runs each chapter of ``_toc.yml`` as ``make test`` does
(``pytest --nbval-lax book/<chapter>.ipynb``) once per condition:

========== ==================================================================
seed0      ``AEGAN_SEED=0``, the quick budget (what ``make test`` runs)
seed1      ``AEGAN_SEED=1``
seed2      ``AEGAN_SEED=2``
onednn-off ``TF_ENABLE_ONEDNN_OPTS=0``: another kernel path, as on another CPU
full       ``AEGAN_BUDGET=full``: the GPU reader's path, here on the CPU
========== ==================================================================

and records for each cell pass or fail, the failing assertion and the wall time. Results are
saved after every chapter to ``<out>.json`` (``--resume`` skips the cells already there) and
rendered as a Markdown table to ``<out>.md``. The executed notebooks of these runs go to a
scratch folder, never to ``_build/executed`` (where ``make test`` keeps the ones the site is
built from).

Usage::

    python scripts/chapter_matrix.py                         # every condition, every chapter
    python scripts/chapter_matrix.py --conditions seed1 onednn-off --chapters dcgan minimax
    make matrix                                              # the same, through make

``make test`` runs the ``seed0`` condition already. Rather than run it twice, its column can be
read from the JUnit report its chapter phase leaves: ``make test``, then
``python scripts/chapter_matrix.py --resume --conditions seed0 --from-junit _build/junit/chapters.xml``
(a chapter's time is then the sum of its cells' times, the kernel's start included; ``make test``
runs two chapters at a time on a 2-core machine, so these times run longer than alone).

Exit status: 0 when every cell run passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONDITIONS: dict[str, dict[str, str]] = {
    "seed0": {"AEGAN_SEED": "0", "AEGAN_BUDGET": "quick"},
    "seed1": {"AEGAN_SEED": "1", "AEGAN_BUDGET": "quick"},
    "seed2": {"AEGAN_SEED": "2", "AEGAN_BUDGET": "quick"},
    "onednn-off": {"AEGAN_SEED": "0", "AEGAN_BUDGET": "quick", "TF_ENABLE_ONEDNN_OPTS": "0"},
    "full": {"AEGAN_SEED": "0", "AEGAN_BUDGET": "full"},
}
DEFAULT_OUT = ROOT / "docs" / "chapter_matrix"


def toc_chapters() -> list[str]:
    """The notebooks of ``_toc.yml``, in the book's order, as stems (``"dcgan"``)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part["chapters"]]
    return [Path(p).name for p in pages if (ROOT / f"{p}.ipynb").exists()]


def failing_assertion(output: str) -> str:
    """The line that names why a chapter failed: its assertion's message, or the error raised."""
    output = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", output)   # a kernel's traceback comes in colour
    lines = [line.strip() for line in output.splitlines()]
    for pattern in (r"^(AssertionError: .+)$", r"^([A-Za-z]*Error: .+)$", r"^E\s+(\w*Error: .+)$"):
        found = [m.group(1) for line in lines if (m := re.match(pattern, line))]
        if found:
            return found[-1][:200]
    timeout = [line for line in lines if "Timeout" in line]
    return (timeout[-1] if timeout else (lines[-1] if lines else "no output"))[:200]


def run_chapter(chapter: str, condition: str, scratch: Path, timeout: float) -> dict:
    """Run one chapter under nbval in one condition; return ``{passed, seconds, failure}``."""
    env = {**os.environ, **CONDITIONS[condition], "AEGAN_EXECUTED_DIR": str(scratch / condition),
           "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3")}
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "--nbval-lax",
               "--nbval-cell-timeout", str(int(timeout)), f"book/{chapter}.ipynb"]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        output, code = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired as expired:
        output, code = f"Timeout: the chapter ran past {timeout:.0f} s\n{expired.stdout or ''}", -1
    seconds = time.perf_counter() - start
    passed = code == 0
    return {"passed": passed, "seconds": round(seconds, 1), "failure": None if passed else failing_assertion(output),
            "commit": current_commit(), "cpu": cpu_name()}


def cells_from_junit(report: Path) -> dict[str, dict]:
    """Each chapter's outcome in a pytest JUnit report of an nbval run: ``{chapter: {passed, seconds, failure, commit, cpu}}``."""
    import xml.etree.ElementTree as ET

    here = {"commit": current_commit(), "cpu": cpu_name()}   # the checkout and machine the report was written from
    chapters: dict[str, dict] = {}
    for case in ET.parse(report).iter("testcase"):
        parts = case.get("classname", "").split(".")
        if len(parts) != 3 or parts[0] != "book" or parts[2] != "ipynb":
            continue
        cell = chapters.setdefault(parts[1], {"passed": True, "seconds": 0.0, "failure": None, **here})
        cell["seconds"] = round(cell["seconds"] + float(case.get("time", 0)), 1)
        problem = case.find("failure") if case.find("failure") is not None else case.find("error")
        if problem is not None and cell["passed"]:
            cell["passed"] = False
            cell["failure"] = failing_assertion((problem.text or "") + "\n" + problem.get("message", ""))
    return chapters


def current_commit() -> str:
    """The short hash of ``HEAD``, with ``+`` when the chapters differ from it (uncommitted changes under ``book/``)."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "book", "aegan_tutorial"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return (commit or "?") + ("+" if dirty else "")


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo``), or what ``platform`` knows of it."""
    try:
        names = re.findall(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
    except OSError:
        names = []
    return names[0] if names else (platform.processor() or platform.machine())


def machine() -> dict:
    """What ran the matrix last: CPU, cores, Python, TensorFlow and Keras versions, commit, date."""
    cpu = cpu_name()
    versions = subprocess.run([sys.executable, "-c", "import tensorflow as tf, keras; print(tf.__version__, keras.__version__)"],
                              capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}).stdout.split()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "tensorflow": versions[0] if versions else "?", "keras": versions[1] if len(versions) > 1 else "?",
            "commit": current_commit(), "date": dt.date.today().isoformat()}


def cell_text(cell: dict | None, commit: str | None = None) -> str:
    """One table cell: ``pass, 54 s`` or ``**FAIL**, 54 s: why``; the cell's commit follows when it is not ``commit``."""
    if cell is None:
        return "not run"
    at = f" at `{cell['commit']}`" if commit is not None and cell.get("commit", commit) != commit else ""
    if cell["passed"]:
        return f"pass, {cell['seconds']:.0f} s{at}"
    return f"**FAIL**, {cell['seconds']:.0f} s{at}: {cell['failure']}".replace("|", "\\|")


def render(results: dict) -> str:
    """The Markdown table: one row per chapter, one column per condition."""
    conditions = list(CONDITIONS)  # every column, so that a condition not run yet shows as "not run"
    m = results["machine"]
    lines = ["# Every chapter in every condition", "",
             "Written by `python scripts/chapter_matrix.py` (`make matrix`): each chapter run under nbval as",
             "`make test` runs it, once per condition. Conditions: "
             + "; ".join(f"`{c}` = " + " ".join(f"`{k}={v}`" for k, v in CONDITIONS[c].items()) for c in conditions) + ".",
             f"Latest run: {m['cpu']}, {m['cores']} cores; Python {m['python']}, TensorFlow {m['tensorflow']}, "
             f"Keras {m['keras']}; commit `{m['commit']}`, {m['date']} (a cell run at another commit names it; `+`",
             "marks uncommitted changes). Times are wall-clock seconds for the whole",
             "chapter (kernel start included) and vary with the load on the machine.", "",
             "| chapter | " + " | ".join(conditions) + " |", "|---|" + "---|" * len(conditions)]
    for chapter, row in results["cells"].items():
        lines.append(f"| {chapter} | " + " | ".join(cell_text(row.get(c), m["commit"]) for c in conditions) + " |")
    elsewhere = sorted({(cell["commit"], cell["cpu"]) for row in results["cells"].values() for cell in row.values()
                        if cell.get("commit", m["commit"]) != m["commit"] and "cpu" in cell})
    totals = {c: sum(row[c]["seconds"] for row in results["cells"].values() if c in row) for c in conditions}
    lines.append("| **total** | " + " | ".join(f"{t / 60:.1f} min" if t else "" for t in totals.values()) + " |")
    failed = [(ch, c) for ch, row in results["cells"].items() for c, cell in row.items() if not cell["passed"]]
    unrun = sum(c not in row for row in results["cells"].values() for c in conditions)
    lines += ["", f"{sum(len(r) for r in results['cells'].values()) - len(failed)} passed, {len(failed)} failed"
              + (f" ({unrun} not run)" if unrun else ""), ""]
    lines += [f"Cells at `{commit}` ran on {cpu}." for commit, cpu in elsewhere] + ([""] if elsewhere else [])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=list(CONDITIONS))
    parser.add_argument("--chapters", nargs="+", default=None, help="stems of book/*.ipynb (default: all of _toc.yml)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="writes OUT.json and OUT.md")
    parser.add_argument("--resume", action="store_true", help="keep the cells OUT.json already holds and run the rest")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds one chapter may run")
    parser.add_argument("--from-junit", type=Path, default=None,
                        help="fill the one condition given from this JUnit report of an nbval run instead of running it")
    args = parser.parse_args(argv)
    if args.from_junit is not None and len(args.conditions) != 1:
        parser.error("--from-junit fills exactly one condition: name it with --conditions")

    chapters = args.chapters or toc_chapters()
    unknown = [c for c in chapters if not (ROOT / "book" / f"{c}.ipynb").exists()]
    if unknown:
        parser.error(f"no such chapter: {', '.join(unknown)} (book/<name>.ipynb)")
    out_json, out_md = args.out.with_suffix(".json"), args.out.with_suffix(".md")
    results = {"machine": machine(), "cells": {}}
    if args.resume and out_json.exists():
        earlier = json.loads(out_json.read_text())
        results["cells"] = earlier["cells"]
        for row in results["cells"].values():          # cells written before cells kept their own commit and CPU
            for cell in row.values():
                cell.setdefault("commit", earlier["machine"]["commit"])
                cell.setdefault("cpu", earlier["machine"]["cpu"])
    for chapter in chapters:
        results["cells"].setdefault(chapter, {})
    out_json.parent.mkdir(parents=True, exist_ok=True)
    if args.from_junit is not None:
        found = cells_from_junit(args.from_junit)
        missing = [c for c in chapters if c not in found]
        if missing:
            parser.error(f"{args.from_junit} has no cells of: {', '.join(missing)}")
        for chapter in chapters:
            results["cells"][chapter][args.conditions[0]] = found[chapter]
        out_json.write_text(json.dumps(results, indent=1) + "\n")
        args.conditions = []
    with tempfile.TemporaryDirectory(prefix="chapter-matrix-") as scratch:
        for condition in args.conditions:
            for chapter in chapters:
                if condition in results["cells"][chapter]:
                    continue
                cell = run_chapter(chapter, condition, Path(scratch), args.timeout)
                results["cells"][chapter][condition] = cell
                print(f"{condition:10s} {chapter:28s} {cell_text(cell)}", flush=True)
                out_json.write_text(json.dumps(results, indent=1) + "\n")
                out_md.write_text(render(results))
    out_md.write_text(render(results))
    print(f"Table: {out_md.relative_to(ROOT) if out_md.is_relative_to(ROOT) else out_md}")
    return 0 if all(cell["passed"] for row in results["cells"].values() for cell in row.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
