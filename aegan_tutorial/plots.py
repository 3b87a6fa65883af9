"""Figures: grids of digits."""

from __future__ import annotations

import numpy as np

from ._checks import check_positive_int
from .data import to_uint8


def image_grid(images, ncols: int = 8, title: str | None = None, scale: float = 0.9):
    """Draw images in a grid.

    Parameters
    ----------
    images
        ``[N, 28, 28]`` or ``[N, 28, 28, 1]``: uint8 pixels, or floats in ``[0, 1]`` or
        ``[-1, 1]`` (negative values mean the tanh range).
    ncols
        Images per row.
    title
        Figure title.
    scale
        Inches per image.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"images must have shape [N, 28, 28] or [N, 28, 28, 1], got {list(np.shape(images))}")
    if images.dtype != np.uint8:  # model outputs: negative values mean the tanh range
        images = to_uint8(images, "tanh" if images.min() < 0 else "sigmoid")
    n = len(images)
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * scale, nrows * scale), squeeze=False)
    for ax, i in zip(axes.flat, range(nrows * ncols)):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=255)
    fig.tight_layout(pad=0.1)
    if title:
        # reserve a band above the first row so the title never covers an image
        band = 0.35 / (nrows * scale + 0.35)
        fig.subplots_adjust(top=1.0 - band)
        fig.suptitle(title, y=1.0 - band / 4, va="top")
    return fig


def loss_curves(history, ax=None, smooth: int = 10, title: str | None = None, equilibrium: bool = True):
    """Plot a GAN's losses against the training step.

    Parameters
    ----------
    history
        A :class:`~aegan_tutorial.callbacks.LossHistory` (per-step losses), or a dict
        ``{name: [value per step]}`` such as ``keras.callbacks.History().history``.
    ax
        Axes to draw on (default: a new figure).
    smooth
        Width in steps of the moving average drawn over the raw (faint) curves; 1 for none.
    title
        Axes title.
    equilibrium
        Mark the values at the equilibrium ``D = 1/2``: ``log 4`` for ``d_loss`` and
        ``log 2`` for ``g_loss`` (non-saturating loss).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    curves = getattr(history, "history", history)
    if not isinstance(curves, dict) or not curves:
        raise ValueError("history must be a LossHistory or a non-empty dict {name: [values]}")
    check_positive_int(smooth, "smooth")
    steps = getattr(history, "steps", None)
    if ax is None:
        _, ax = plt.subplots()
    for i, (name, values) in enumerate(curves.items()):
        values = np.asarray(values, dtype=float)
        x = np.asarray(steps) if steps is not None and len(steps) == len(values) else np.arange(1, len(values) + 1)
        color = f"C{i}"
        ax.plot(x, values, color=color, alpha=0.3 if smooth > 1 else 1.0, lw=0.8)
        if smooth > 1 and len(values) >= smooth:
            kernel = np.ones(smooth) / smooth
            ax.plot(x[smooth - 1 :], np.convolve(values, kernel, mode="valid"), color=color, lw=1.6, label=name)
        else:
            ax.lines[-1].set_label(name)
    if equilibrium:
        marks = {"d_loss": (np.log(4.0), "log 4"), "g_loss": (np.log(2.0), "log 2")}
        for i, name in enumerate(curves):
            if name in marks:
                ax.axhline(marks[name][0], color=f"C{i}", ls=":", lw=1)
    ax.set(xlabel="training step", ylabel="loss")
    if title:
        ax.set_title(title)
    ax.legend(frameon=False)
    return ax.figure
