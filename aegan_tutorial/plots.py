"""Figures: grids of digits."""

from __future__ import annotations

import numpy as np


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
    if images.dtype != np.uint8:
        low = -1.0 if images.min() < 0 else 0.0
        images = np.clip((images - low) / (1.0 - low), 0.0, 1.0)
    n = len(images)
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * scale, nrows * scale), squeeze=False)
    for ax, i in zip(axes.flat, range(nrows * ncols)):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=255 if images.dtype == np.uint8 else 1)
    fig.tight_layout(pad=0.1)
    if title:
        # reserve a band above the first row so the title never covers an image
        band = 0.35 / (nrows * scale + 0.35)
        fig.subplots_adjust(top=1.0 - band)
        fig.suptitle(title, y=1.0 - band / 4, va="top")
    return fig
