"""The chapter matrix and the reader's seed: what lets a chapter be checked beyond one machine and seed."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("chapter_matrix", ROOT / "scripts" / "chapter_matrix.py")
matrix = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(matrix)


def test_the_reader_seed_shifts_every_chapter_seed_and_leaves_the_default_build_alone(monkeypatch):
    from aegan_tutorial import book, runs

    monkeypatch.delenv("AEGAN_SEED", raising=False)
    assert book.base_seed() == 0 and [book.seed(k) for k in (0, 1, 7)] == [0, 1, 7]
    assert book.seed(runs.SAMPLE_SEED) == runs.SAMPLE_SEED
    monkeypatch.setenv("AEGAN_SEED", "2")
    assert book.seed(0) == 200_000 and book.seed(1) == 200_001
    seeds = {book.seed(k) for k in range(0, book.SEED_STRIDE, 997)}
    monkeypatch.setenv("AEGAN_SEED", "1")
    assert not seeds & {book.seed(k) for k in range(0, book.SEED_STRIDE, 997)}, "two reader seeds never share a seed"


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_a_malformed_reader_seed_is_refused_by_name(monkeypatch, value):
    from aegan_tutorial import book

    monkeypatch.setenv("AEGAN_SEED", value)
    with pytest.raises(ValueError, match="AEGAN_SEED must be a non-negative integer"):
        book.setup()


@pytest.mark.parametrize("k", [-1, 100_000, 1.0, True])
def test_a_seed_index_outside_the_chapter_range_is_refused(k):
    from aegan_tutorial import book

    with pytest.raises(ValueError, match="seed index"):
        book.seed(k)


def test_setup_says_which_seed_a_reader_chose(monkeypatch, capsys):
    from aegan_tutorial import book

    monkeypatch.setenv("AEGAN_SEED", "3")
    monkeypatch.setenv("AEGAN_BUDGET", "quick")
    book.setup()
    assert "AEGAN_SEED=3" in capsys.readouterr().out
    monkeypatch.setenv("AEGAN_SEED", "0")
    book.setup()
    assert "AEGAN_SEED" not in capsys.readouterr().out, "the default build prints the budget line only"


def test_the_conditions_are_the_ones_the_book_must_hold_in():
    assert [c["AEGAN_SEED"] for c in matrix.CONDITIONS.values()] == ["0", "1", "2", "0", "0"]
    assert matrix.CONDITIONS["onednn-off"]["TF_ENABLE_ONEDNN_OPTS"] == "0"
    assert matrix.CONDITIONS["full"]["AEGAN_BUDGET"] == "full"
    assert all(c.get("AEGAN_BUDGET") == "quick" for name, c in matrix.CONDITIONS.items() if name != "full")
    chapters = matrix.toc_chapters()
    assert chapters[0] == "preface" and "dcgan" in chapters and all((ROOT / "book" / f"{c}.ipynb").exists() for c in chapters)


def test_a_failing_chapter_is_named_by_its_assertion():
    output = ("book/dcgan.ipynb F\n  File x, line 9\n    assert strong['entropy'] < base['entropy']\n"
              "AssertionError: less varied, but not collapsed\n=== 1 failed in 80.00s ===")
    assert matrix.failing_assertion(output) == "AssertionError: less varied, but not collapsed"
    assert matrix.failing_assertion("E   ValueError: AEGAN_SEED must be a non-negative integer") \
        == "ValueError: AEGAN_SEED must be a non-negative integer"
    assert matrix.failing_assertion("") == "no output"
    coloured = "\x1b[31mAssertionError\x1b[39m: z_0 changes the stroke, not the digit\n== 1 failed, 13 passed in 36.56s =="
    assert matrix.failing_assertion(coloured) == "AssertionError: z_0 changes the stroke, not the digit"


def test_the_table_has_a_row_per_chapter_a_column_per_condition_and_a_closing_count():
    results = {"machine": {"cpu": "some CPU", "cores": 2, "python": "3.11", "tensorflow": "2.x", "keras": "3.x",
                           "commit": "abc", "date": "2026-12-07"},
               "cells": {"minimax": {"seed0": {"passed": True, "seconds": 40.2, "failure": None},
                                     "seed1": {"passed": False, "seconds": 38.0, "failure": "AssertionError: a | b"}},
                         "dcgan": {"seed0": {"passed": True, "seconds": 61.0, "failure": None}}}}
    table = matrix.render(results)
    assert "| chapter | seed0 | seed1 | seed2 | onednn-off | full |" in table
    assert "| minimax | pass, 40 s | **FAIL**, 38 s: AssertionError: a \\| b | not run | not run | not run |" in table, \
        "a '|' in a message is escaped"
    assert "| dcgan | pass, 61 s | not run | not run | not run | not run |" in table
    assert table.rstrip().endswith("2 passed, 1 failed (7 not run)"), "the closing line counts the cells"


def test_a_cell_run_at_another_commit_names_it():
    results = {"machine": {"cpu": "some CPU", "cores": 2, "python": "3.11", "tensorflow": "2.x", "keras": "3.x",
                           "commit": "new", "date": "2026-12-07"},
               "cells": {"dcgan": {"seed0": {"passed": True, "seconds": 61.0, "failure": None, "commit": "new"},
                                   "seed1": {"passed": True, "seconds": 70.0, "failure": None, "commit": "old"},
                                   "seed2": {"passed": False, "seconds": 9.0, "failure": "AssertionError: x", "commit": "old+",
                                             "cpu": "another CPU"}}}}
    table = matrix.render(results)
    assert "| dcgan | pass, 61 s | pass, 70 s at `old` | **FAIL**, 9 s at `old+`: AssertionError: x | not run | not run |" in table
    assert "Cells at `old+` ran on another CPU." in table, "and on which CPU, where the cell knows it"


def test_an_unknown_chapter_is_refused_before_anything_runs(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "chapter_matrix.py"), "--chapters", "no_such_chapter",
                           "--out", str(tmp_path / "m")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "no such chapter: no_such_chapter" in done.stderr
    assert not (tmp_path / "m.json").exists()


def test_the_committed_table_covers_every_chapter_and_every_chapter_passed():
    """The README links the matrix table: every chapter of the book, every quick condition, no failure.

    The ``full`` column takes hours on a CPU; a chapter not yet run under it reads "not run" in the
    table, and one that ran must have passed.
    """
    saved = json.loads((ROOT / "docs" / "chapter_matrix.json").read_text())
    assert set(saved["cells"]) == set(matrix.toc_chapters())
    quick = [c for c in matrix.CONDITIONS if c != "full"]
    assert all(set(quick) <= set(row) for row in saved["cells"].values()), "every chapter ran in every quick condition"
    failed = [(chapter, c, cell["failure"]) for chapter, row in saved["cells"].items() for c, cell in row.items()
              if not cell["passed"]]
    assert not failed, f"chapters failed in the committed matrix: {failed}"
    assert (ROOT / "docs" / "chapter_matrix.md").read_text() == matrix.render(saved)
    assert "docs/chapter_matrix.md" in (ROOT / "README.md").read_text()


def test_a_chapter_that_failed_under_nbval_is_named_by_the_site_test(tmp_path, monkeypatch):
    """The site test stops at once, naming the chapter, instead of executing the book a second time."""
    _conftest = importlib.util.spec_from_file_location("executed_notebooks_copy", ROOT / "conftest.py")
    executed = importlib.util.module_from_spec(_conftest)
    _conftest.loader.exec_module(executed)
    monkeypatch.setattr(executed, "EXECUTED", tmp_path)
    chapter, other = ROOT / "book" / "dcgan.ipynb", ROOT / "book" / "minimax.ipynb"
    assert executed.failed_chapters([chapter, other]) == {}
    record = tmp_path / "book" / "dcgan.failed"
    record.parent.mkdir(parents=True)
    error = "\x1b[0;31mAssertionError\x1b[0m: less varied, but not collapsed"
    record.write_text(json.dumps({executed.SOURCE_HASH: executed.source_hash(chapter), "cell": 28,
                                  "error": "Traceback ...\n" + executed.ANSI.sub("", error)}))
    assert executed.failed_chapters([chapter, other]) == {chapter: "AssertionError: less varied, but not collapsed"}
    record.write_text(json.dumps({executed.SOURCE_HASH: "an older source", "error": "AssertionError: x"}))
    assert executed.failed_chapters([chapter]) == {}, "a record of an older source says nothing of this one"


def test_the_seed0_column_can_be_read_from_make_tests_junit_report(tmp_path):
    report = tmp_path / "report.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="book.minimax.ipynb" name="Cell 0" time="8.1" />'
        '<testcase classname="book.minimax.ipynb" name="Cell 1" time="30.0" />'
        '<testcase classname="book.dcgan.ipynb" name="Cell 0" time="9.0" />'
        '<testcase classname="book.dcgan.ipynb" name="Cell 28" time="1.0"><failure message="cell failed">'
        'Traceback\nAssertionError: a healthy run stays near the game</failure></testcase>'
        '<testcase classname="tests.test_site" name="test_math_is_rendered" time="3.0" />'
        '</testsuite></testsuites>')
    cells = matrix.cells_from_junit(report)
    here = matrix.current_commit()                      # the report was written from this checkout
    cpu = matrix.cpu_name()
    assert cells == {"minimax": {"passed": True, "seconds": 38.1, "failure": None, "commit": here, "cpu": cpu},
                     "dcgan": {"passed": False, "seconds": 10.0, "failure": "AssertionError: a healthy run stays near the game",
                               "commit": here, "cpu": cpu}}
