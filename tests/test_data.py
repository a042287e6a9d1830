"""tinygrad_conv.data: the digits split, IDX files written here (plain, gzipped, missing, corrupt),
batches."""

from __future__ import annotations

import gzip
import struct
import sys

import numpy as np
import pytest

from tinygrad_conv import data


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX format written from its definition: 0, 0, type 0x08 (ubyte), ndim, big-endian sizes,
    data."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_mnist(folder, n_train=5, n_test=3, gz=False, size=4):
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, size, size)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, size, size)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    for name, array in arrays.items():
        raw = idx_bytes(array)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return arrays


def test_load_digits_shapes_range_and_split():
    pytest.importorskip("sklearn")
    x_train, y_train, x_test, y_test = data.load_digits()
    assert x_train.shape == (1437, 1, 8, 8) and x_test.shape == (360, 1, 8, 8)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert set(np.unique(y_test)) == set(range(10))
    again = data.load_digits()
    np.testing.assert_array_equal(again[2], x_test)
    other = data.load_digits(test_fraction=0.5, seed=1)
    assert len(other[2]) == 899 and not np.array_equal(other[3][:50], y_test[:50])
    # train and test are disjoint and together are the whole set
    from sklearn.datasets import load_digits

    everything = np.sort(load_digits().images.reshape(1797, -1) / 16.0, axis=0)
    joined = np.concatenate([x_train, x_test]).reshape(1797, -1)
    np.testing.assert_allclose(np.sort(joined, axis=0), everything, rtol=1e-6)


def test_load_digits_bad_arguments():
    with pytest.raises(ValueError, match="test_fraction"):
        data.load_digits(test_fraction=1.0)
    with pytest.raises(TypeError, match="test_fraction"):
        data.load_digits(test_fraction="0.2")
    with pytest.raises(TypeError, match="seed"):
        data.load_digits(seed=0.5)


def test_load_digits_without_sklearn_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        data.load_digits()


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_reads_idx_files(tmp_path, gz):
    arrays = write_mnist(tmp_path, gz=gz)
    x_train, y_train, x_test, y_test = data.load_mnist(tmp_path)
    assert x_train.shape == (5, 1, 4, 4) and x_test.shape == (3, 1, 4, 4)
    assert x_train.dtype == np.float32 and y_test.dtype == np.int64
    np.testing.assert_allclose(x_train[:, 0] * 255, arrays["train-images-idx3-ubyte"], atol=1e-4)
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte"])
    assert 0.0 <= x_test.min() and x_test.max() <= 1.0


def test_load_mnist_missing_file_is_named(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        data.load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        data.load_mnist(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "corrupt, fragment",
    [
        (lambda raw: raw[:-3], "truncated or corrupt"),
        (lambda raw: b"\x01\x02" + raw[2:], "bad magic"),
        (lambda raw: b"", "is empty"),
        (lambda raw: raw[:6], "truncated header"),
    ],
)
def test_load_mnist_corrupt_file_is_named(tmp_path, corrupt, fragment):
    write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(corrupt(path.read_bytes()))
    with pytest.raises(ValueError, match=fragment) as info:
        data.load_mnist(tmp_path)
    assert "train-images-idx3-ubyte" in str(info.value)


def test_load_mnist_bad_gzip_and_mismatched_counts(tmp_path):
    write_mnist(tmp_path, gz=True)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz"):
        data.load_mnist(tmp_path)
    write_mnist(tmp_path, gz=True)
    labels = np.zeros(4, dtype=np.uint8)  # 4 labels for 5 images
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte"):
        data.load_mnist(tmp_path)


def test_batches_cover_every_row_once():
    x = np.arange(10).reshape(10, 1)
    y = np.arange(10) * 10
    got = list(data.batches(x, y, 4, seed=0))
    assert [len(b[0]) for b in got] == [4, 4, 2]
    rows = np.concatenate([b[0][:, 0] for b in got])
    assert sorted(rows) == list(range(10)) and list(rows) != list(range(10))
    assert all(np.array_equal(bx[:, 0] * 10, by) for bx, by in got)
    again = np.concatenate([b[0][:, 0] for b in data.batches(x, y, 4, seed=0)])
    np.testing.assert_array_equal(rows, again)
    plain = [b[1] for b in data.batches(x, y, 3, shuffle=False)]
    np.testing.assert_array_equal(plain[0], [0, 10, 20])
    np.testing.assert_array_equal(plain[-1], [90])


@pytest.mark.parametrize(
    "args, error, fragment",
    [
        ((np.zeros(3), np.zeros(4), 2), ValueError, "same length"),
        ((np.zeros(3), np.zeros(3), 0), ValueError, "batch_size"),
        ((np.zeros(3), np.zeros(3), 2.0), TypeError, "batch_size"),
    ],
)
def test_batches_bad_arguments_raise_at_the_call(args, error, fragment):
    with pytest.raises(error, match=fragment):
        data.batches(*args)
