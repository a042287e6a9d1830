"""Data sets for the examples: scikit-learn's 8x8 digits (shipped with it, no download), MNIST-style
IDX files from a folder, and a batch iterator. Images come out as float32 (N, 1, H, W) in [0, 1],
labels as int64."""

from __future__ import annotations

import gzip
import math
import os
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from ._checks import as_int

MNIST_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def load_digits(test_fraction: float = 0.2, seed: int = 0):
    """(x_train, y_train, x_test, y_test): the 1797 8x8 digits, shuffled with `seed` and split so
    that ceil(test_fraction * 1797) of them are held out for testing (360 by default)."""
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)):
        raise TypeError(f"load_digits: test_fraction must be a float, got {test_fraction!r}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"load_digits: test_fraction must lie in (0, 1), got {test_fraction}")
    seed = as_int("load_digits", "seed", seed, minimum=0)
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError as err:
        raise ImportError(
            "load_digits needs scikit-learn, which ships the digits: pip install scikit-learn "
            "(or install this package with its `examples` extra)") from err
    bunch = sklearn_digits()
    x = (bunch.images.astype(np.float32) / 16.0)[:, None, :, :]
    y = bunch.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = math.ceil(test_fraction * len(y))  # as scikit-learn's train_test_split
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def load_mnist(path: str | os.PathLike):
    """(x_train, y_train, x_test, y_test) from the four IDX files of MNIST or Fashion-MNIST in the
    folder `path`, each named as in the original distribution, gzipped (.gz) or not."""
    if not os.path.isdir(path):
        raise FileNotFoundError(f"load_mnist: no such folder: {os.fspath(path)!r}")
    out = {key: read_idx(_find(path, stem)) for key, stem in MNIST_FILES.items()}
    for split in ("train", "test"):
        images, labels = out[f"x_{split}"], out[f"y_{split}"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"load_mnist: {MNIST_FILES['x_' + split]} holds shape {images.shape} but "
                f"{MNIST_FILES['y_' + split]} holds shape {labels.shape}; expected (N, H, W) "
                f"images and N labels")
    return tuple(
        (out[key].astype(np.float32) / 255.0)[:, None] if key.startswith("x")
        else out[key].astype(np.int64)
        for key in ("x_train", "y_train", "x_test", "y_test"))


def _find(folder: str | os.PathLike, stem: str) -> str:
    for name in (stem, stem + ".gz"):
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(f"load_mnist: {stem} (or {stem}.gz) not found in {os.fspath(folder)!r}")


_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(filename: str | os.PathLike) -> np.ndarray:
    """One IDX file (gzipped if its name ends in .gz): magic 0 0 type ndim, ndim big-endian sizes,
    data."""
    try:
        opener = gzip.open if os.fspath(filename).endswith(".gz") else open
        with opener(filename, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise ValueError(f"read_idx: {os.fspath(filename)!r} could not be read ({err})") from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"read_idx: {os.fspath(filename)!r} is not an IDX file (bad magic number "
                         f"{raw[:4].hex() or 'empty'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise ValueError(f"read_idx: {os.fspath(filename)!r} has a truncated header")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"read_idx: {os.fspath(filename)!r} should hold {expected} bytes of "
                         f"data for shape {shape}, found {len(raw) - header} (truncated or "
                         f"corrupt)")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape)


def batches(x: Any, y: Any, batch_size: int, shuffle: bool = True,
            seed: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(x, y) pairs of up to batch_size rows; the last batch may be smaller. shuffle draws a new
    order each time the iterator is made (from `seed` when given)."""
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"batches: x and y must have the same length, got {len(x)} and {len(y)}")
    batch_size = as_int("batches", "batch_size", batch_size, minimum=1)
    if not isinstance(shuffle, bool):
        raise TypeError(f"batches: shuffle must be a bool, got {shuffle!r}")
    order = np.random.default_rng(seed).permutation(len(x)) if shuffle else np.arange(len(x))
    return _iterate(x, y, order, batch_size)  # a plain function, so bad arguments raise at the call


def _iterate(x: np.ndarray, y: np.ndarray, order: np.ndarray,
             batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for start in range(0, len(order), batch_size):
        index = order[start:start + batch_size]
        yield x[index], y[index]
