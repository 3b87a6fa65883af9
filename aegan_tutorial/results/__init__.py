"""Results of the book's long experiments, shipped as JSON files, and how their spreads are read.

An experiment that does not fit in a chapter's budget runs through a recorded command (a
script in ``benchmarks/``) that writes ``<name>.json`` here with :func:`write`; the chapter
reads it with :func:`load` and runs a short live version of the same experiment beside it.
Every file records its ``command``, ``data``, ``hardware``, ``software``, ``date``, total
``seconds``, the ``seeds`` and ``settings`` it ran with, and its ``measurements``.

Comparisons over seeds are read with :func:`spread` and :func:`separated`: a difference counts
only when the two arms' ranges over the seeds do not overlap.
"""

from __future__ import annotations

import datetime
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

HERE = Path(__file__).resolve().parent
FIELDS = ("command", "data", "hardware", "software", "date", "seconds", "seeds", "settings", "measurements")

__all__ = ["FIELDS", "ResultsError", "Spread", "available", "chance_of_separation", "compare", "describe", "load", "path", "plain_number", "separated", "spread", "write"]


class ResultsError(ValueError):
    """A results file is unknown, or lacks what every results file records."""


def path(name: str, folder: str | os.PathLike | None = None) -> Path:
    """Where the results file ``name`` lives (``<folder>/<name>.json``, by default the package's)."""
    if not name or not all(c.isalnum() or c in "_-" for c in name):
        raise ResultsError(f"a results name is letters, digits, '_' and '-'; got {name!r}")
    return Path(folder or HERE) / f"{name}.json"


def available(folder: str | os.PathLike | None = None) -> list[str]:
    """Names of the results files shipped with the package (or in ``folder``)."""
    return sorted(p.stem for p in Path(folder or HERE).glob("*.json"))


def load(name: str, folder: str | os.PathLike | None = None) -> dict:
    """The results file ``name`` as a dict with the keys of :data:`FIELDS`."""
    file = path(name, folder)
    if not file.exists():
        raise ResultsError(f"no results file {name!r}; available: {', '.join(available(folder)) or 'none'}")
    results = json.loads(file.read_text())
    missing = [key for key in FIELDS if key not in results]
    if missing:
        raise ResultsError(f"{file.name} lacks {', '.join(missing)}: rerun the command that writes it")
    return results


def write(name: str, measurements: dict, command: str, seeds: Sequence[int], settings: dict, data: str,
          seconds: float, folder: str | os.PathLike | None = None) -> Path:
    """Write ``<folder>/<name>.json`` (atomically), adding the hardware, software and date.

    Parameters
    ----------
    measurements
        What the experiment measured, JSON-serialisable (NumPy scalars are converted).
    command
        The command line that reproduces the file, e.g. ``python benchmarks/x.py --seeds 0 1 2``.
    seeds, settings, data, seconds
        The seeds, the experiment's settings, the data in words, and the total wall time.
    """
    from ..runs import hardware, software  # heavy (TensorFlow): only when writing

    results = {"command": command, "data": data, "hardware": hardware(), "software": software(),
               "date": datetime.date.today().isoformat(), "seconds": round(float(seconds), 1),
               "seeds": [int(s) for s in seeds], "settings": settings, "measurements": measurements}
    file = path(name, folder)
    temporary = file.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(results, indent=1, default=_plain) + "\n")
    os.replace(temporary, file)
    return file


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


class Spread(NamedTuple):
    """One arm's values over seeds: ``mean``, sample standard deviation ``std``, ``low``, ``high``, ``n``."""

    mean: float
    std: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return (f"{plain_number(self.mean)} ± {plain_number(self.std)} "
                f"(range {plain_number(self.low)}–{plain_number(self.high)}, {self.n} seeds)")


def spread(values: Sequence[float]) -> Spread:
    """Mean, sample standard deviation (0 for one value) and range of one arm's per-seed values."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(f"a spread needs one or more finite values, got {values.tolist()}")
    std = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return Spread(float(values.mean()), std, float(values.min()), float(values.max()), int(values.size))


def plain_number(value: float) -> str:
    """``value`` as a reader writes it: never in scientific notation, to about three significant digits.

    Thousands get separators (``1,370``), hundreds no decimals (``638``), tens one (``49.2``),
    units two (``2.68``), smaller numbers three significant digits (``0.0197``); zero is ``0``.
    """
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"plain_number needs a finite number, got {value!r}")
    size = abs(value)
    if size == 0:
        return "0"
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.{min(2 - math.floor(math.log10(size)), 12)}f}"


def describe(values: Sequence[float], std: bool = False) -> str:
    """One arm's per-seed values as the book prints them: ``"mean [low, high]"``, each number by :func:`plain_number`.

    With ``std=True`` the sample standard deviation follows the mean (``"mean ± std [low, high]"``).
    When every seed gave the same value, that value is printed once with the count of seeds
    (``"0 on all 3 seeds"``), not as a spread of zero width.
    """
    s = spread(values)
    if s.low == s.high:
        return f"{plain_number(s.mean)} on all {s.n} seeds" if s.n > 1 else plain_number(s.mean)
    middle = f"{plain_number(s.mean)} ± {plain_number(s.std)}" if std else plain_number(s.mean)
    return f"{middle} [{plain_number(s.low)}, {plain_number(s.high)}]"


def separated(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether two arms differ by more than their spread: their ranges over the seeds do not overlap.

    With ``n`` seeds per arm, non-overlapping ranges happen by chance with probability
    ``2 (n!)² / (2n)!`` when both arms are the same distribution: 0.10 for 3 seeds, 0.008 for 5.
    """
    sa, sb = spread(a), spread(b)
    return sa.high < sb.low or sb.high < sa.low


def compare(a: Sequence[float], b: Sequence[float]) -> str:
    """``"lower than"``, ``"higher than"`` or ``"no different from"``: arm ``a`` against arm ``b`` by :func:`separated`.

    The words read in a sentence: "greedy ends with a test MSE {compare(greedy, end_to_end)} end to end's".
    """
    if not separated(a, b):
        return "no different from"
    return "lower than" if np.mean(a) < np.mean(b) else "higher than"


def chance_of_separation(n: int) -> float:
    """``2 (n!)² / (2n)!``: how often two arms of ``n`` seeds each from one distribution have disjoint ranges."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    return 2 / math.comb(2 * n, n)
