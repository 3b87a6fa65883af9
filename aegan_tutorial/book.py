"""What every chapter of the book calls: set-up, glued numbers, and its own runtime."""

from __future__ import annotations

import time
import warnings

from . import budget

_started: float | None = None


def setup() -> str:
    """Prepare a chapter: quiet warnings, page-sized figures; print and return the budget line."""
    global _started
    import matplotlib as mpl

    _started = time.perf_counter()
    warnings.filterwarnings("ignore", category=UserWarning, module=r"keras\..*")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    mpl.rcParams.update({"figure.dpi": 100, "figure.figsize": (6.4, 3.2), "axes.spines.top": False,
                         "axes.spines.right": False, "image.cmap": "gray_r"})
    line = budget.describe()
    print(line)
    glue("budget", budget.current())
    return line


def glue(name: str, value, display: bool = False):
    """Glue ``value`` under ``name`` for the text (``{glue:text}`name```) and return it.

    In the book build this is ``myst_nb.glue``; where myst-nb is not installed (Colab),
    the value is only returned, since there is no text to glue it into.
    """
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return value
    myst_glue(name, value, display=display)
    return value


def elapsed() -> float:
    """Seconds since :func:`setup` ran in this kernel."""
    if _started is None:
        raise RuntimeError("call aegan_tutorial.book.setup() at the top of the chapter first")
    return time.perf_counter() - _started


def finish() -> float:
    """End a chapter: glue ``runtime`` (seconds since :func:`setup`) and print it."""
    seconds = glue("runtime", round(elapsed(), 1))
    print(f"This chapter ran in {seconds:.0f} s under the {budget.current()} budget.")
    return seconds
