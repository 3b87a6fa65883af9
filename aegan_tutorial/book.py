"""What every chapter of the book calls: set-up, the reader's seed, glued numbers and its own runtime."""

from __future__ import annotations

import os
import time
import warnings

from . import budget
from ._quiet import silence_native_stderr_in_notebook

_started: float | None = None

SEED_ENV = "AEGAN_SEED"
SEED_STRIDE = 100_000  # a chapter's seeds book.seed(0) ... book.seed(99_999) never meet another AEGAN_SEED's


def base_seed() -> int:
    """The reader's seed: ``$AEGAN_SEED`` (a non-negative integer), 0 when unset.

    Every seed a chapter uses comes from :func:`seed`, so a chapter rerun with another
    ``AEGAN_SEED`` trains, shuffles and samples differently throughout. Results files carry
    the seeds of their own runs and do not depend on it.
    """
    text = os.environ.get(SEED_ENV, "").strip()
    if not text:
        return 0
    if not text.isdigit():
        raise ValueError(f"{SEED_ENV} must be a non-negative integer, got {os.environ[SEED_ENV]!r}")
    return int(text)


def seed(k: int = 0) -> int:
    """The chapter's ``k``-th seed, derived from :func:`base_seed`: ``k + 100_000 * AEGAN_SEED``.

    With ``AEGAN_SEED`` unset or 0 it is ``k`` itself, so a chapter's default run keeps its
    seeds (``book.seed(runs.SAMPLE_SEED)`` is ``SAMPLE_SEED``). ``k`` must lie in
    ``[0, 100_000)``, so that the seeds of two values of ``AEGAN_SEED`` never coincide.
    """
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < SEED_STRIDE:
        raise ValueError(f"a chapter's seed index must be an integer in [0, {SEED_STRIDE}), got {k!r}")
    return k + SEED_STRIDE * base_seed()


def setup() -> str:
    """Prepare a chapter: quiet warnings and TensorFlow's C++ log, page-sized figures; print and return the budget line.

    A reader who set ``AEGAN_SEED`` to another seed than 0 is told so on a second line (the
    returned line stays the budget's); the chapter's seeds then come from :func:`seed`.
    """
    global _started
    import matplotlib as mpl

    _started = time.perf_counter()
    silence_native_stderr_in_notebook()  # no TensorFlow C++ log line in the page
    warnings.filterwarnings("ignore", category=UserWarning, module=r"keras\..*")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    mpl.rcParams.update({"figure.dpi": 100, "figure.figsize": (6.4, 3.2), "axes.spines.top": False,
                         "axes.spines.right": False, "image.cmap": "gray_r"})
    line = budget.describe()
    print(line)
    chosen = base_seed()  # a malformed AEGAN_SEED is refused here, before anything trains
    if chosen:
        print(f"Seeds: derived from {SEED_ENV}={chosen} (book.seed(k) = k + {SEED_STRIDE} * {chosen})")
    glue("budget", budget.current())
    glue("seed_base", chosen)
    return line


def _myst_glue():
    """``myst_nb.glue`` in the book build; ``None`` where myst-nb is not installed (Colab)."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return None
    return myst_glue


def glue(name: str, value, display: bool = False):
    """Glue ``value`` under ``name`` for the text (``{glue:text}`name```) and return it.

    In the book build this is ``myst_nb.glue``; where myst-nb is not installed (Colab),
    the value is only returned, since there is no text to glue it into. A NumPy scalar is glued
    as the Python number it holds: its text, ``np.float64(0.5)``, would defeat a format such as
    ``{glue:text}`name:.1f```.
    """
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()
    myst_glue = _myst_glue()
    if myst_glue is not None:
        myst_glue(name, value, display=display)
    return value


def elapsed() -> float:
    """Seconds since :func:`setup` ran in this kernel."""
    if _started is None:
        raise RuntimeError("call aegan_tutorial.book.setup() at the top of the chapter first")
    return time.perf_counter() - _started


def finish() -> float:
    """End a chapter: glue ``runtime`` (seconds since :func:`setup`) and return it.

    In the book build the chapter's text states the glued runtime; where there is no text to
    glue it into (Colab), the runtime is printed instead.
    """
    seconds = glue("runtime", round(elapsed(), 1))
    if _myst_glue() is None:
        print(f"This chapter ran in {seconds:.0f} s under the {budget.current()} budget.")
    return seconds


