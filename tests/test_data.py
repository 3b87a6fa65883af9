"""load_mnist reads and checks the IDX files; make_dataset builds the pipelines models train on."""

from __future__ import annotations

import gzip
import shutil

import keras
import numpy as np
import pytest

from aegan_tutorial import data
from aegan_tutorial.data import MNISTFileError, load_mnist, make_dataset

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
def test_make_dataset_scales_and_batches(mnist_train, scale, low, high):
    images, labels = mnist_train[0][:1000], mnist_train[1][:1000]
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
