"""load_mnist reads and checks the IDX files; pixel scales and checks; the pipelines models train on."""

from __future__ import annotations

import gzip
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

from aegan_tutorial import data
from aegan_tutorial.data import MNISTFileError, load_mnist, make_dataset, make_epoch_dataset

FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def test_real_files_load_with_the_documented_shapes(mnist_dir):
    train_x, train_y = load_mnist("train", mnist_dir)
    test_x, test_y = load_mnist("test", mnist_dir)
    assert train_x.dtype == np.uint8 and train_y.dtype == np.uint8
    assert train_x.shape[1:] == (28, 28) and train_x.shape[0] == train_y.shape[0]
    assert train_x.shape[0] in (19_690, 60_000)  # the offline subset or the full set
    assert test_x.shape == (10_000, 28, 28) and test_y.shape == (10_000,)
    # the well-known first labels of both splits, and real digit statistics
    assert train_y[:8].tolist() == [5, 0, 4, 1, 9, 2, 1, 3]
    assert test_y[:8].tolist() == [7, 2, 1, 0, 4, 1, 4, 9]
    assert set(np.unique(test_y)) == set(range(10))
    assert 30 < test_x.mean() < 36 and test_x.max() == 255


def test_environment_variable_is_the_default_folder(mnist_dir, monkeypatch):
    monkeypatch.setenv("AEGAN_DATA_DIR", str(mnist_dir))
    x, y = load_mnist("test")
    assert x.shape == (10_000, 28, 28)


@pytest.fixture
def copy_of_mnist(mnist_dir, tmp_path):
    """A writable copy of the test split (and the train labels) to damage."""
    for name in FILES[2:]:
        shutil.copy(mnist_dir / name, tmp_path / name)
    return tmp_path


def _rewrite(path, transform):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    with gzip.open(path, "wb") as f:
        f.write(transform(raw))


def test_uncompressed_files_are_read_too(copy_of_mnist):
    for name in FILES[2:]:
        gz = copy_of_mnist / name
        with gzip.open(gz, "rb") as f:
            (copy_of_mnist / name[:-3]).write_bytes(f.read())
        gz.unlink()
    x, y = load_mnist("test", copy_of_mnist)
    assert x.shape == (10_000, 28, 28) and y[0] == 7


def test_truncated_file_names_the_file(copy_of_mnist):
    _rewrite(copy_of_mnist / "t10k-images-idx3-ubyte.gz", lambda raw: raw[:-1000])
    with pytest.raises(MNISTFileError, match=r"t10k-images-idx3-ubyte\.gz.*truncated"):
        load_mnist("test", copy_of_mnist)


def test_cut_gzip_stream_names_the_file(copy_of_mnist):
    path = copy_of_mnist / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(MNISTFileError, match=r"t10k-labels-idx1-ubyte\.gz"):
        load_mnist("test", copy_of_mnist)


def test_wrong_magic_number_is_reported(copy_of_mnist):
    _rewrite(copy_of_mnist / "t10k-labels-idx1-ubyte.gz", lambda raw: (2051).to_bytes(4, "big") + raw[4:])
    with pytest.raises(MNISTFileError, match=r"t10k-labels.*magic number 2051 where 2049"):
        load_mnist("test", copy_of_mnist)


def test_wrong_image_size_is_reported(copy_of_mnist):
    # same bytes, header says 20000 images of 28x14
    def reshape(raw):
        return raw[:4] + (20_000).to_bytes(4, "big") + (28).to_bytes(4, "big") + (14).to_bytes(4, "big") + raw[16:]

    _rewrite(copy_of_mnist / "t10k-images-idx3-ubyte.gz", reshape)
    with pytest.raises(MNISTFileError, match="28x14, expected 28x28"):
        load_mnist("test", copy_of_mnist)


def test_image_and_label_counts_must_agree(copy_of_mnist):
    _rewrite(copy_of_mnist / "t10k-labels-idx1-ubyte.gz", lambda raw: raw[:4] + (9_999).to_bytes(4, "big") + raw[8:-1])
    with pytest.raises(MNISTFileError, match="10000 images but .* 9999 labels"):
        load_mnist("test", copy_of_mnist)


def test_label_out_of_range_in_a_file_is_reported(copy_of_mnist):
    _rewrite(copy_of_mnist / "t10k-labels-idx1-ubyte.gz", lambda raw: raw[:8] + bytes([12]) + raw[9:])
    with pytest.raises(MNISTFileError, match="label 12 is out of range"):
        load_mnist("test", copy_of_mnist)


def test_missing_folder_says_how_to_fix_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"does not exist.*AEGAN_DATA_DIR.*train-images-idx3-ubyte\.gz"):
        load_mnist("train", tmp_path / "nowhere")


def test_missing_file_is_named(copy_of_mnist):
    (copy_of_mnist / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match=r"t10k-labels-idx1-ubyte\.gz is missing"):
        load_mnist("test", copy_of_mnist)


def test_offline_without_folder_says_how_to_fix_it(monkeypatch):
    monkeypatch.delenv("AEGAN_DATA_DIR", raising=False)

    def offline():
        raise Exception("URL fetch failure on https://storage.googleapis.com/.../mnist.npz: None -- [Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(RuntimeError, match=r"Could not download MNIST.*AEGAN_DATA_DIR"):
        load_mnist("train")


def test_without_folder_keras_is_used(monkeypatch):
    monkeypatch.setenv("AEGAN_DATA_DIR", "")  # empty counts as unset
    fake = np.zeros((3, 28, 28), np.uint8), np.array([1, 2, 3], np.uint8)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: (fake, (fake[0][:1], fake[1][:1])))
    assert load_mnist("train")[1].tolist() == [1, 2, 3]
    assert load_mnist("test")[1].tolist() == [1]


def test_unknown_split_is_rejected(mnist_dir):
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        load_mnist("validation", mnist_dir)


@pytest.mark.parametrize("scale,low,high", [("tanh", -1.0, 1.0), ("sigmoid", 0.0, 1.0)])
def test_make_dataset_scales_and_batches(train_images, scale, low, high):
    images = train_images[:1000]
    batches = list(make_dataset(images, batch_size=256, scale=scale, shuffle=False))
    assert [b.shape[0] for b in batches] == [256, 256, 256, 232]
    first = batches[0].numpy()
    assert first.dtype == np.float32 and first.shape == (256, 28, 28, 1)
    assert first.min() == low and first.max() == high
    expected = images[:256, :, :, None] / 255.0 * (high - low) + low
    np.testing.assert_allclose(first, expected, atol=1e-6)


def test_make_dataset_pairs_labels(mnist_train):
    images, labels = mnist_train[0][:300], mnist_train[1][:300]
    x, y = next(iter(make_dataset(images, labels, batch_size=300, shuffle=True, seed=3)))
    assert x.shape == (300, 28, 28, 1) and y.dtype.name == "int32"
    # shuffling keeps every image with its own label
    order = [int(np.argmin(np.abs(images.astype(np.float32) / 127.5 - 1 - xi[..., 0]).sum(axis=(1, 2)))) for xi in x.numpy()[:20]]
    assert y.numpy()[:20].tolist() == labels[order].tolist()


def test_shuffle_is_reproducible_and_reshuffles_each_epoch(mnist_train):
    images = mnist_train[0][:512]

    def epochs(ds, n=2):
        return [np.concatenate([b.numpy() for b in ds]) for _ in range(n)]

    a = epochs(make_dataset(images, batch_size=128, seed=7))
    b = epochs(make_dataset(images, batch_size=128, seed=7))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])  # a new order every epoch
    assert not np.array_equal(a[0], epochs(make_dataset(images, batch_size=128, seed=8), 1)[0])


def test_make_dataset_rejects_bad_labels_and_arguments(mnist_train):
    images = mnist_train[0][:10]
    with pytest.raises(ValueError, match=r"labels must lie in 0-9; found 1 out of range, e.g. 10"):
        make_dataset(images, np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 10]))
    with pytest.raises(ValueError, match=r"labels must lie in 0-9.*-1"):
        make_dataset(images, -np.ones(10, int))
    with pytest.raises(ValueError, match="got 10 images but 9 labels"):
        make_dataset(images, np.zeros(9, int))
    with pytest.raises(TypeError, match="labels must be integers"):
        make_dataset(images, np.zeros(10, float))
    with pytest.raises(ValueError, match="scale must be 'tanh' or 'sigmoid'"):
        make_dataset(images, scale="unit")
    with pytest.raises(ValueError, match=r"shape \[N, 28, 28\] or \[N, 28, 28, 1\], got \[10, 784\]"):
        make_dataset(images.reshape(10, 784))
    with pytest.raises(TypeError, match="expects uint8 pixels"):
        make_dataset(images.astype(np.float32))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        make_dataset(images, batch_size=0)


def test_check_images_explains_the_problem():
    ok = np.zeros((2, 28, 28, 1), np.float32)
    data.check_images(ok, "tanh", "X")
    with pytest.raises(TypeError, match=r"X got uint8 images; scale them"):
        data.check_images(ok.astype(np.uint8), "tanh", "X")
    with pytest.raises(ValueError, match=r"X expects pixel values in \[-1, 1\].*\[0, 255\]"):
        data.check_images(ok + np.linspace(0, 255, 784).reshape(1, 28, 28, 1), "tanh", "X")
    with pytest.raises(ValueError, match=r"X expects images of shape \[batch, 28, 28, 1\], got \[2, 28, 28\] \(add the channel axis"):
        data.check_images(ok[..., 0], "tanh", "X")


def test_to_uint8_maps_both_ranges_onto_pixels():
    tanh = np.array([-1.0, -0.5, 0.0, 1.0, 1.5], np.float32)
    images = np.broadcast_to(tanh[:, None, None, None], (5, 28, 28, 1))
    pixels = data.to_uint8(images, "tanh")
    assert pixels.dtype == np.uint8 and pixels.shape == (5, 28, 28)
    assert pixels[:, 0, 0].tolist() == [0, 64, 128, 255, 255]  # 1.5 is clipped
    sigmoid = np.broadcast_to(np.array([0.0, 0.5, 1.0], np.float32)[:, None, None], (3, 28, 28))
    assert data.to_uint8(sigmoid, "sigmoid")[:, 0, 0].tolist() == [0, 128, 255]


def test_to_uint8_round_trips_loader_pixels(train_images):
    images = train_images[:100]
    for scale in ("tanh", "sigmoid"):
        assert np.array_equal(data.to_uint8(data.scale_images(images, scale), scale), images)


def test_to_uint8_names_bad_input():
    with pytest.raises(TypeError, match="already pixels"):
        data.to_uint8(np.zeros((2, 28, 28), np.uint8), "tanh")
    with pytest.raises(ValueError, match=r"\[N, 28, 28\]"):
        data.to_uint8(np.zeros((2, 32, 32, 1), np.float32), "tanh")
    with pytest.raises(ValueError, match="non-finite"):
        data.to_uint8(np.full((2, 28, 28), np.nan, np.float32), "tanh")
    with pytest.raises(ValueError, match="scale"):
        data.to_uint8(np.zeros((2, 28, 28), np.float32), "relu")


def test_pixel_checks_name_the_problem_and_point_to_to_uint8():
    assert data.SCALE_RANGES == {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}
    assert data.check_scale("tanh") == "tanh"
    with pytest.raises(ValueError, match="scale must be 'tanh' or 'sigmoid', got 'relu'"):
        data.check_scale("relu")
    pixels = np.zeros((3, 28, 28, 1), np.uint8)
    assert data.check_pixels(pixels).shape == (3, 28, 28)  # the channel axis is dropped
    with pytest.raises(TypeError, match=r"samples must be uint8 pixels.*float32.*data\.to_uint8"):
        data.check_pixels(pixels.astype(np.float32), "samples")
    with pytest.raises(ValueError, match="at least 4 images, got 3"):
        data.check_pixels(pixels, minimum=4)
    with pytest.raises(ValueError, match=r"\[N, 28, 28\]"):
        data.check_pixels(np.zeros((3, 784), np.uint8))


def test_check_unit_images_accepts_floats_in_0_1_only():
    ok = np.full((2, 28, 28, 1), 0.5, np.float32)
    assert data.check_unit_images(ok) is not None
    with pytest.raises(TypeError, match="floats in \\[0, 1\\], got dtype uint8"):
        data.check_unit_images(ok.astype(np.uint8))
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\], got values in \[-1, 0.5\]"):
        data.check_unit_images(np.concatenate([ok, -np.ones_like(ok[:1])]))
    with pytest.raises(ValueError, match="NaN"):
        data.check_unit_images(np.full_like(ok, np.nan))
    with pytest.raises(ValueError, match=r"shape \[N, 28, 28, 1\]"):
        data.check_unit_images(ok[..., 0])
    assert data.check_unit_images(ok[..., 0].reshape(2, -1), image_shape=False).shape == (2, 784)


def test_output_scale_reads_the_last_activation():
    from aegan_tutorial import models

    assert data.output_scale(models.build_generator(8, 4)) == "tanh"
    assert data.output_scale(models.build_decoder(8)) == "sigmoid"
    assert data.output_scale(models.build_discriminator(4)) is None  # logits


# --- the per-epoch pipeline of the training runs, and the classifier's augmentation -----------------


@pytest.fixture(scope="module")
def small(train_images, mnist_train):
    return train_images[:100], mnist_train[1][:100]


def batches(ds) -> list[np.ndarray]:
    return [np.asarray(b[0] if isinstance(b, tuple) else b) for b in ds]


def test_every_epoch_is_a_fixed_permutation_whatever_epoch_you_start_at(small):
    images, labels = small
    full = batches(make_epoch_dataset(images, batch_size=10, seed=5, epochs=3))
    assert len(full) == 30 and all(b.shape == (10, 28, 28, 1) for b in full)
    later = batches(make_epoch_dataset(images, batch_size=10, seed=5, first_epoch=2, epochs=3))
    for a, b in zip(full[20:], later):
        np.testing.assert_array_equal(a, b)
    # each epoch shows every image once, in a new order
    first, second = np.concatenate(full[:10]), np.concatenate(full[10:20])
    assert sorted(map(bytes, first)) == sorted(map(bytes, second)) and not np.array_equal(first, second)
    other_seed = batches(make_epoch_dataset(images, batch_size=10, seed=6, epochs=1))
    assert not np.array_equal(np.concatenate(other_seed), first)


def test_labels_stay_with_their_images(small):
    images, labels = small
    for x, y in make_epoch_dataset(images, labels, batch_size=25, scale="sigmoid", seed=0, epochs=1):
        for image, label in zip(x.numpy(), y.numpy()):
            match = np.flatnonzero((images == np.rint(image[..., 0] * 255)).all(axis=(1, 2)))
            assert label in labels[match]


def test_epoch_dataset_checks_its_arguments(small):
    images, _ = small
    with pytest.raises(ValueError, match="first_epoch"):
        make_epoch_dataset(images, first_epoch=3, epochs=3)
    with pytest.raises(ValueError, match="larger than the 100 images"):
        make_epoch_dataset(images, batch_size=128)
    with pytest.raises(ValueError, match="seed"):
        make_epoch_dataset(images, seed=-1)


def test_shift_digits_moves_each_image_within_its_bounds(small):
    x = tf.constant(small[0][:64, ..., None] / 255.0, tf.float32)
    shifted = data.shift_digits(x, tf.constant([1, 2], tf.int64)).numpy()
    again = data.shift_digits(x, tf.constant([1, 2], tf.int64)).numpy()
    np.testing.assert_array_equal(shifted, again)  # stateless: same seed, same shifts
    moved = 0
    for original, out in zip(x.numpy()[..., 0], shifted[..., 0]):
        padded = np.pad(original, 2)
        candidates = [padded[r : r + 28, c : c + 28] for r in range(5) for c in range(5)]
        assert any(np.array_equal(out, c) for c in candidates)
        moved += not np.array_equal(out, original)
    assert moved > 40  # most images move (1 in 25 stays put); measured: 60 of 64
