"""Results files: written with what reproduces them, refused when incomplete; spreads read over seeds."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from aegan_tutorial import results
from conftest import ROOT


def test_a_results_file_round_trips_with_its_provenance(tmp_path):
    file = results.write("demo", {"mse": [np.float32(0.5), 0.25]}, "python benchmarks/demo.py --seeds 0 1", [0, 1],
                         {"steps": 10}, "MNIST test", 1.23, tmp_path)
    assert file == tmp_path / "demo.json" and results.available(tmp_path) == ["demo"]
    loaded = results.load("demo", tmp_path)
    assert set(results.FIELDS) <= set(loaded) and loaded["measurements"] == {"mse": [0.5, 0.25]}
    assert loaded["seeds"] == [0, 1] and loaded["seconds"] == 1.2 and "CPU cores" in loaded["hardware"]


def test_unknown_or_incomplete_files_are_refused_with_the_reason(tmp_path):
    with pytest.raises(results.ResultsError, match="no results file 'nothing'"):
        results.load("nothing", tmp_path)
    (tmp_path / "partial.json").write_text(json.dumps({"command": "x", "measurements": {}}))
    with pytest.raises(results.ResultsError, match="partial.json lacks data, hardware"):
        results.load("partial", tmp_path)
    with pytest.raises(results.ResultsError, match="letters, digits"):
        results.path("../escape")
    with pytest.raises(TypeError, match="set is not JSON-serialisable"):
        results.write("bad", {"x": {1, 2}}, "cmd", [0], {}, "d", 1.0, tmp_path)
    assert not (tmp_path / "bad.json").exists()


def test_spread_and_separation():
    s = results.spread([1.0, 2.0, 3.0])
    assert s == results.Spread(2.0, 1.0, 1.0, 3.0, 3) and "3 seeds" in str(s)
    assert results.spread([4.0]).std == 0.0
    assert results.separated([1, 2, 3], [3.5, 4, 5]) and not results.separated([1, 2, 3], [2.5, 4, 5])
    assert results.chance_of_separation(3) == pytest.approx(0.1) and results.chance_of_separation(5) == pytest.approx(2 / 252)
    # the formula, checked by simulation: two arms from one distribution, 3 seeds each
    rng = np.random.default_rng(0)
    draws = rng.normal(size=(20000, 2, 3))
    simulated = np.mean([results.separated(a, b) for a, b in draws])
    assert abs(simulated - 0.1) < 0.01  # measured: 0.0995
    with pytest.raises(ValueError, match="finite values"):
        results.spread([1.0, float("nan")])


@pytest.mark.parametrize("name", results.available())
def test_every_shipped_results_file_is_complete_and_names_a_command_that_exists(name):
    loaded = results.load(name)
    script = re.match(r"python (benchmarks/\S+\.py)", loaded["command"])
    assert script and (ROOT / script.group(1)).is_file(), loaded["command"]
    assert len(loaded["seeds"]) >= 3, "a comparison over seeds needs at least three"
    assert "19,690" in loaded["data"] or "60,000 images" in loaded["data"]


def test_the_results_files_ship_with_the_package():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "*.json" in config["tool"]["setuptools"]["package-data"]["aegan_tutorial.results"]


def test_compare_reads_as_words():
    assert results.compare([1, 2, 3], [4, 5, 6]) == "lower than"
    assert results.compare([7, 8, 9], [4, 5, 6]) == "higher than"
    assert results.compare([1, 5, 3], [4, 5, 6]) == "no different from"


def test_numbers_are_printed_as_a_reader_writes_them_never_in_scientific_notation():
    from aegan_tutorial.results import describe, plain_number

    assert [plain_number(v) for v in (1370.4, 638.3, 49.21, 2.6846, 0.01968, 0.0013, 0.0, -0.5)] == \
        ["1,370", "638", "49.2", "2.68", "0.0197", "0.00130", "0", "-0.500"]
    assert describe([1240.0, 1370.0, 1600.0]) == "1,403 [1,240, 1,600]"
    assert describe([0.756, 0.9868, 0.966], std=True) == "0.903 ± 0.128 [0.756, 0.987]"
    assert describe([0.0, 0.0, 0.0]) == "0 on all 3 seeds" and describe([5.0]) == "5.00"
    assert "e+" not in str(results.spread([1240.0, 1600.0])) and "e-" not in describe([1e-5, 2e-5])
    with pytest.raises(ValueError, match="finite number"):
        plain_number(float("nan"))
