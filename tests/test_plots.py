"""image_grid draws what it is given, in any of the package's pixel ranges."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from aegan_tutorial.plots import image_grid  # noqa: E402


@pytest.mark.parametrize("low,high,dtype", [(0, 255, np.uint8), (0.0, 1.0, np.float32), (-1.0, 1.0, np.float32)])
def test_grid_maps_every_range_to_the_same_picture(low, high, dtype):
    base = np.linspace(0, 1, 10 * 28 * 28).reshape(10, 28, 28, 1)
    fig = image_grid((base * (high - low) + low).astype(dtype), ncols=4, title="t")
    shown = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    assert len(fig.axes) == 12 and len(shown) == 10  # 3 rows of 4, two left blank
    # every range is drawn as pixels 0-255 (floats through data.to_uint8)
    assert all(np.asarray(image).dtype == np.uint8 for image in shown)
    np.testing.assert_allclose(np.asarray(shown[-1]) / 255, base[-1, ..., 0], atol=1 / 255)
    assert fig._suptitle.get_text() == "t"


def test_grid_rejects_other_shapes():
    with pytest.raises(ValueError, match=r"\[N, 28, 28\] or \[N, 28, 28, 1\], got \[4, 784\]"):
        image_grid(np.zeros((4, 784)))
