"""MNIST: reading the IDX files, scaling images, and building ``tf.data`` pipelines.

Two ways to get the digits:

* with ``data_dir=...`` or the environment variable ``AEGAN_DATA_DIR`` set, the four
  standard IDX files (``train-images-idx3-ubyte.gz`` …) are read from that folder and
  checked (magic numbers, dimensions, counts);
* otherwise ``keras.datasets.mnist.load_data()`` downloads and caches them, as in Colab.

Images are ``uint8 [N, 28, 28]`` as stored; :func:`make_dataset` scales them to the
range a model expects: ``"tanh"`` gives ``[-1, 1]`` (GAN generators end in tanh),
``"sigmoid"`` gives ``[0, 1]`` (autoencoders ending in a sigmoid).
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Literal

import numpy as np

from ._checks import check_positive_int

IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
DATA_DIR_ENV = "AEGAN_DATA_DIR"

Split = Literal["train", "test"]
Scale = Literal["tanh", "sigmoid"]

_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
SCALE_RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}
"""The pixel range of each scale: ``"tanh"`` for generators, ``"sigmoid"`` for decoders and the classifier."""


class MNISTFileError(ValueError):
    """An MNIST IDX file is missing, truncated, corrupt or inconsistent."""


def load_mnist(
    split: Split = "train", data_dir: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of MNIST.

    Parameters
    ----------
    split
        ``"train"`` or ``"test"``.
    data_dir
        Folder holding the four IDX files (gzipped or not). Defaults to
        ``$AEGAN_DATA_DIR``; when neither is set, Keras downloads MNIST.

    Returns
    -------
    images : np.ndarray
        ``uint8 [N, 28, 28]``, 0 (background) to 255 (ink).
    labels : np.ndarray
        ``uint8 [N]``, digits 0–9.

    Raises
    ------
    FileNotFoundError
        The folder or one of its files is missing; the message says how to fix it.
    MNISTFileError
        A file is truncated, corrupt, or disagrees with its partner file.
    RuntimeError
        No folder was given and Keras could not download MNIST (offline).
    """
    if split not in _FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if data_dir is None:
        data_dir = os.environ.get(DATA_DIR_ENV) or None
    if data_dir is None:
        return _load_with_keras(split)
    return _load_from_folder(Path(data_dir), split)


def _load_from_folder(folder: Path, split: Split) -> tuple[np.ndarray, np.ndarray]:
    if not folder.is_dir():
        raise FileNotFoundError(
            f"MNIST folder {str(folder)!r} does not exist. Point data_dir (or "
            f"${DATA_DIR_ENV}) at a folder holding the four IDX files "
            "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
            "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz), or leave both "
            "unset to download MNIST through Keras."
        )
    image_stem, label_stem = _FILES[split]
    images = _read_idx(_find_file(folder, image_stem), _IMAGES_MAGIC)
    labels = _read_idx(_find_file(folder, label_stem), _LABELS_MAGIC)
    if images.shape[1:] != (28, 28):
        raise MNISTFileError(
            f"{image_stem}: images are {images.shape[1]}x{images.shape[2]}, expected 28x28"
        )
    if len(images) != len(labels):
        raise MNISTFileError(
            f"{image_stem} holds {len(images)} images but {label_stem} holds "
            f"{len(labels)} labels in {folder}"
        )
    if len(labels) and labels.max() >= NUM_CLASSES:
        raise MNISTFileError(
            f"{label_stem}: label {int(labels.max())} is out of range 0-9 (corrupt file?)"
        )
    return images, labels


def _find_file(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"{stem}.gz is missing from the MNIST folder {str(folder)!r}; it needs the four "
        "standard IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)."
    )


def _read_idx(path: Path, magic: int) -> np.ndarray:
    """Parse one IDX file of unsigned bytes; every inconsistency names the file."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            raw = path.read_bytes()
    except (OSError, EOFError, zlib.error) as err:
        raise MNISTFileError(f"{path}: cannot decompress ({err}); the file is corrupt or truncated") from err
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise MNISTFileError(f"{path}: {len(raw)} bytes is too short for an IDX header")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise MNISTFileError(
            f"{path}: magic number {found} where {magic} was expected "
            f"({'images' if magic == _IMAGES_MAGIC else 'labels'} file of unsigned bytes)"
        )
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise MNISTFileError(
            f"{path}: header announces {dims[0]} items ({expected} bytes) but the file "
            f"holds {len(raw)} bytes; it is {'truncated' if len(raw) < expected else 'too long'}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _load_with_keras(split: Split) -> tuple[np.ndarray, np.ndarray]:
    import keras

    try:
        train, test = keras.datasets.mnist.load_data()
    except Exception as err:  # Keras raises a bare Exception on a failed download
        raise RuntimeError(
            f"Could not download MNIST through Keras ({err}). Without internet access, "
            f"put the four IDX files in a folder and set ${DATA_DIR_ENV} to it (or pass "
            "data_dir=...)."
        ) from err
    images, labels = train if split == "train" else test
    return images, labels


def scale_images(images: np.ndarray, scale: Scale = "tanh") -> np.ndarray:
    """Turn ``uint8`` pixels into float32 in the model's range.

    Parameters
    ----------
    images
        ``uint8 [N, 28, 28]`` or ``[N, 28, 28, 1]``.
    scale
        ``"tanh"`` for ``[-1, 1]``, ``"sigmoid"`` for ``[0, 1]``.

    Returns
    -------
    np.ndarray
        ``float32 [N, 28, 28, 1]``.
    """
    check_scale(scale)
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(
            f"scale_images expects uint8 pixels (0-255) as load_mnist returns them, got {images.dtype}"
        )
    images = _as_nhwc(images, "images")
    x = images.astype(np.float32) / 255.0
    return x * 2.0 - 1.0 if scale == "tanh" else x


def _as_nhwc(images: np.ndarray, what: str) -> np.ndarray:
    if images.ndim == 3 and images.shape[1:] == IMAGE_SHAPE[:2]:
        return images[..., None]
    if images.ndim == 4 and images.shape[1:] == IMAGE_SHAPE:
        return images
    raise ValueError(
        f"{what} must have shape [N, 28, 28] or [N, 28, 28, 1], got {list(images.shape)}"
    )


def check_labels(labels: np.ndarray, n: int | None = None, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Check labels: integers in ``0 … num_classes-1`` (the digits 0–9 by default), and ``n`` of them
    when given; return int32 ``[N]``."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must have shape [N], got {list(labels.shape)}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be integers 0-{num_classes - 1}, got dtype {labels.dtype}")
    if n is not None and len(labels) != n:
        raise ValueError(f"got {n} images but {len(labels)} labels")
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)]
        raise ValueError(
            f"labels must lie in 0-{num_classes - 1}; found {bad.size} out of range, e.g. {int(bad[0])}"
        )
    return labels.astype(np.int32)


def check_unit_images(images, what: str = "images", image_shape: bool = True) -> np.ndarray:
    """``images`` as a float array in ``[0, 1]`` (the sigmoid scale), or an error naming ``what`` and the problem.

    With ``image_shape`` (the default) they must be ``[N, 28, 28, 1]``; otherwise any ``[N, ...]``
    with one row per example. Empty, non-finite or out-of-range values are refused.
    """
    array = np.asarray(images)
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(
            f"{what} must be floats in [0, 1], got dtype {array.dtype}; scale uint8 pixels with "
            "aegan_tutorial.data.scale_images(images, 'sigmoid')"
        )
    if image_shape and (array.ndim != 4 or array.shape[1:] != IMAGE_SHAPE):
        raise ValueError(f"{what} must have shape [N, 28, 28, 1], got {list(array.shape)}")
    if not image_shape and array.ndim < 2:
        raise ValueError(f"{what} must have shape [N, ...] with one row per image, got {list(array.shape)}")
    if len(array) == 0:
        raise ValueError(f"{what} is empty (shape {list(array.shape)})")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} holds NaN or infinite values")
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        raise ValueError(f"{what} must lie in [0, 1], got values in [{low:g}, {high:g}]")
    return array


def check_images(images, scale: Scale, where: str, check_range: bool = True) -> None:
    """Raise a clear error unless ``images`` are float ``[B, 28, 28, 1]`` within ``scale``'s range.

    ``images`` may be a NumPy array or a tensor (one batch). ``where`` names the caller
    in the message, e.g. ``"GAN.fit"``. With ``check_range=False`` only the shape and
    dtype are checked.
    """
    low, high = SCALE_RANGES[scale]
    is_float, dtype = _float_dtype(images)
    shape = tuple(images.shape)
    if len(shape) != 4 or tuple(shape[1:]) != IMAGE_SHAPE:
        raise ValueError(
            f"{where} expects images of shape [batch, 28, 28, 1], got {list(shape)}"
            + (" (add the channel axis: images[..., None])" if tuple(shape[1:]) == IMAGE_SHAPE[:2] else "")
        )
    if not is_float:
        raise TypeError(
            f"{where} got {dtype} images; scale them to floats in [{low:g}, {high:g}] first, "
            f"e.g. make_dataset(images, scale={scale!r})"
        )
    if not check_range:
        return
    values = np.asarray(images, dtype=np.float32)
    finite = values[np.isfinite(values)]
    if finite.size and (finite.min() < low - 1e-3 or finite.max() > high + 1e-3):
        raise ValueError(
            f"{where} expects pixel values in [{low:g}, {high:g}] ({scale} scale), got values in "
            f"[{finite.min():g}, {finite.max():g}]; scale them with make_dataset(images, scale={scale!r})"
        )


def check_scale(scale) -> Scale:
    """``scale`` if it is ``"tanh"`` or ``"sigmoid"``, else a ``ValueError``."""
    if scale not in SCALE_RANGES:
        raise ValueError(f"scale must be 'tanh' or 'sigmoid', got {scale!r}")
    return scale


def check_pixels(images, what: str = "images", minimum: int = 1) -> np.ndarray:
    """Check ``uint8 [N, 28, 28]`` or ``[N, 28, 28, 1]`` pixels (at least ``minimum``); return ``uint8 [N, 28, 28]``.

    Model outputs are floats: the error says to convert them with :func:`to_uint8`.
    """
    x = np.asarray(images)
    if x.dtype != np.uint8:
        raise TypeError(
            f"{what} must be uint8 pixels as load_mnist returns them, got {x.dtype}; convert "
            "model outputs with data.to_uint8(images, scale='tanh' or 'sigmoid')"
        )
    x = _as_nhwc(x, what)[..., 0]
    if len(x) < minimum:
        raise ValueError(f"{what} must hold at least {minimum} images, got {len(x)}")
    return x


def to_uint8(images, scale: Scale) -> np.ndarray:
    """Turn model outputs into pixels as the data loader gives them: the inverse of :func:`scale_images`.

    Parameters
    ----------
    images
        Float ``[N, 28, 28, 1]`` (or ``[N, 28, 28]``) in the model's output range, a NumPy
        array or a tensor.
    scale
        ``"tanh"`` for ``[-1, 1]`` (generators), ``"sigmoid"`` for ``[0, 1]`` (decoders).

    Returns
    -------
    np.ndarray
        ``uint8 [N, 28, 28]``, 0 (background) to 255 (ink); values outside the range are clipped.
    """
    check_scale(scale)
    x = images if isinstance(images, np.ndarray) else np.asarray(_to_numpy(images))
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"to_uint8 converts float model outputs; got {x.dtype} images (already pixels?)")
    x = _as_nhwc(x, "images")[..., 0]
    if not np.all(np.isfinite(x)):
        raise ValueError(f"images contain {int(np.sum(~np.isfinite(x)))} non-finite values (NaN or inf)")
    low, high = SCALE_RANGES[scale]
    unit = (np.clip(x.astype(np.float64), low, high) - low) / (high - low)
    return np.rint(unit * 255.0).astype(np.uint8)


def _to_numpy(x):
    import keras

    return keras.ops.convert_to_numpy(x)


def output_scale(model) -> Scale | None:
    """``"sigmoid"`` or ``"tanh"`` when ``model``'s last layer ends in that activation, else ``None``."""
    activation = getattr(model.layers[-1], "activation", None)
    name = getattr(activation, "__name__", None)
    return name if name in SCALE_RANGES else None


def _float_dtype(x) -> tuple[bool, str]:
    """(is it floating point, dtype name) for a NumPy array or a TensorFlow tensor."""
    dtype = getattr(x, "dtype", None)
    if hasattr(dtype, "is_floating"):  # tf.DType
        return bool(dtype.is_floating), dtype.name
    dtype = np.asarray(x).dtype if dtype is None else np.dtype(dtype)
    return bool(np.issubdtype(dtype, np.floating)), dtype.name


def make_dataset(
    images: np.ndarray,
    labels: np.ndarray | None = None,
    batch_size: int = 128,
    scale: Scale = "tanh",
    shuffle: bool = True,
    seed: int | None = None,
    drop_remainder: bool = False,
    num_classes: int = NUM_CLASSES,
):
    """Build the input pipeline a model trains on.

    Parameters
    ----------
    images
        ``uint8 [N, 28, 28]`` (or ``[N, 28, 28, 1]``) as :func:`load_mnist` returns them.
    labels
        Optional ``[N]`` digits 0–9 (or conditions ``0 … num_classes-1``); when given, elements
        are ``(images, labels)`` pairs.
    batch_size
        Images per batch ``B``.
    scale
        ``"tanh"`` → ``[-1, 1]`` (GANs), ``"sigmoid"`` → ``[0, 1]`` (autoencoders).
    shuffle
        Reshuffle every epoch, reproducibly: the order depends only on ``seed`` (or on
        the global seed set by :func:`aegan_tutorial.set_seed`).
    seed
        Shuffle seed.
    drop_remainder
        Drop a last, smaller batch.
    num_classes
        How many labels there are (10 digits; more for a conditional GAN on other conditions).

    Returns
    -------
    tf.data.Dataset
        Batches of float32 ``[B, 28, 28, 1]`` (paired with int32 ``[B]`` labels when
        given), prefetched.
    """
    import tensorflow as tf

    check_positive_int(batch_size, "batch_size")
    x = scale_images(images, scale)
    if labels is not None:
        y = check_labels(labels, len(x), num_classes)
        ds = tf.data.Dataset.from_tensor_slices((x, y))
    else:
        ds = tf.data.Dataset.from_tensor_slices(x)
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def make_epoch_dataset(
    images: np.ndarray,
    labels: np.ndarray | None = None,
    batch_size: int = 128,
    scale: Scale = "tanh",
    seed: int = 0,
    first_epoch: int = 0,
    epochs: int = 1,
    augment=None,
):
    """Batches for epochs ``first_epoch`` … ``epochs - 1``, each epoch's order a function of ``(seed, epoch)``.

    Unlike :func:`make_dataset`, where the order of an epoch depends on how many epochs the
    dataset has already served, epoch ``e`` here always sees the same batches: a run
    resumed at epoch ``e`` from a checkpoint trains on exactly what an uninterrupted run
    would have. Every epoch has ``len(images) // batch_size`` full batches (the rest of
    the shuffled order is dropped); pass ``steps_per_epoch`` to ``fit``.

    Parameters
    ----------
    images, labels, batch_size, scale
        As in :func:`make_dataset`.
    seed
        Non-negative integer; with ``epoch`` it fixes the shuffle and the augmentation.
    first_epoch, epochs
        Serve epochs ``first_epoch <= e < epochs`` (0-based), one after another.
    augment
        Optional ``f(batch, seed_pair) -> batch`` applied to each batch of images with a
        stateless seed ``[seed, step]`` unique to the step.

    Returns
    -------
    tf.data.Dataset
        ``[B, 28, 28, 1]`` float32 batches (paired with int32 ``[B]`` labels when given).
    """
    import tensorflow as tf

    check_positive_int(batch_size, "batch_size")
    check_positive_int(seed, "seed", minimum=0)
    if not 0 <= first_epoch < epochs:
        raise ValueError(f"need 0 <= first_epoch < epochs, got first_epoch={first_epoch}, epochs={epochs}")
    x = tf.constant(scale_images(images, scale))
    y = None if labels is None else tf.constant(check_labels(labels, len(x)))
    steps = len(x) // batch_size
    if steps == 0:
        raise ValueError(f"batch_size {batch_size} is larger than the {len(x)} images")

    def epoch_batches(epoch):
        order = tf.argsort(tf.random.stateless_uniform([len(x)], seed=tf.stack([tf.constant(seed, tf.int64), epoch])))
        index = tf.reshape(order[: steps * batch_size], [steps, batch_size])
        step = epoch * steps + tf.range(steps, dtype=tf.int64)
        return tf.data.Dataset.from_tensor_slices((step, index))

    def gather(step, index):
        batch = tf.gather(x, index)
        if augment is not None:
            batch = augment(batch, tf.stack([tf.constant(seed, tf.int64), step]))
        return batch if y is None else (batch, tf.gather(y, index))

    epochs_ds = tf.data.Dataset.range(first_epoch, epochs)
    return epochs_ds.flat_map(epoch_batches).map(gather).prefetch(tf.data.AUTOTUNE)


def shift_digits(batch, seed_pair, max_shift: int = 2):
    """Move every image of ``[B, 28, 28, 1]`` by its own random offset of up to ``max_shift`` pixels.

    ``seed_pair`` is a stateless seed (two integers): the same seed, the same shifts.
    The vacated border is filled with 0 (background in the sigmoid scale).
    """
    import tensorflow as tf

    size = tf.shape(batch)[1]
    padded = tf.pad(batch, [[0, 0], [max_shift, max_shift], [max_shift, max_shift], [0, 0]])
    offsets = tf.random.stateless_uniform(
        [tf.shape(batch)[0], 2], seed=seed_pair, minval=0, maxval=2 * max_shift + 1, dtype=tf.int32
    )
    rows = offsets[:, :1] + tf.range(size)[None, :]
    cols = offsets[:, 1:] + tf.range(size)[None, :]
    shifted = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(shifted, cols, axis=2, batch_dims=1)
