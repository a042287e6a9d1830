""".npz files from elsewhere are untrusted: read the zip directory and each member's .npy header
first, check the names, shapes and dtypes against what the model expects, and only then inflate.

A 1 MB file may claim a (10**6, 10**6) array, or hold members the model does not have: both are
refused from the headers, before any array is decompressed. Every failure is a ValueError that
names the file.
"""

from __future__ import annotations

import math
import zipfile
import zlib
from collections.abc import Mapping

import numpy as np
from numpy.lib import format as npy_format

MAX_BYTES = 1 << 40  # no array claims more than a terabyte; also what keeps the product sane


def read_npz(
    path: str, expected: Mapping[str, tuple[int, ...]], strict: bool = True
) -> dict[str, np.ndarray]:
    """name -> array for the members of the .npz at `path`. `expected` maps the model's keys to
    their shapes: with strict, unexpected or missing keys are refused before any inflation; a
    member whose header shape differs from the expected one is always refused."""

    def fail(why: str) -> ValueError:
        return ValueError(f"load: {path!r} is not a readable .npz file ({why})")

    try:
        with open(path, "rb") as file:
            head = file.read(4)
    except OSError as err:
        raise fail(str(err)) from err
    if not head:
        raise fail("the file is empty")
    if not zipfile.is_zipfile(path):
        raise fail("not a zip archive")
    try:
        with zipfile.ZipFile(path) as archive:
            members = _check_directory(archive, expected, strict, fail)
            headers = {key: _read_header(archive, info, key, fail) for key, info in members.items()}
            for key, (shape, dtype) in headers.items():
                _check_header(key, shape, dtype, members[key], expected, fail)
            arrays = {}
            for key, info in members.items():
                with archive.open(info) as member:
                    arrays[key] = npy_format.read_array(member, allow_pickle=False)
    except ValueError as err:
        if str(err).startswith("load:"):
            raise
        raise fail(str(err)) from err
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        RuntimeError,
        NotImplementedError,
        KeyError,
    ) as err:
        raise fail(f"{type(err).__name__}: {err}") from err
    return arrays


def _check_directory(archive: zipfile.ZipFile, expected, strict, fail) -> dict:
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            raise fail(f"member {info.filename!r} is not an .npy array")
        key = info.filename[:-4]
        if key in members:
            raise fail(f"member {info.filename!r} appears twice")
        members[key] = info
    if strict:
        missing = [k for k in expected if k not in members]
        unexpected = [k for k in members if k not in expected]
        if missing or unexpected:
            raise ValueError(
                f"load: {archive.filename!r} does not match the model: missing "
                f"{missing}, unexpected {unexpected}"
            )
    return {k: info for k, info in members.items() if k in expected}


def _read_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, fail):
    with archive.open(info) as member:  # inflates only the first block, for the header
        version = npy_format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = npy_format.read_array_header_1_0(member)
        elif version in ((2, 0), (3, 0)):
            shape, _, dtype = npy_format.read_array_header_2_0(member)
        else:
            raise fail(f"{key!r} has an unknown .npy version {version}")
    return shape, dtype


def _check_header(key, shape, dtype, info, expected, fail) -> None:
    if dtype.hasobject or dtype.kind not in "biuf":
        raise fail(f"{key!r} holds dtype {dtype}, not numbers")
    if not all(isinstance(d, int) and d >= 0 for d in shape):
        raise fail(f"{key!r} has a bad shape {shape!r} in its header")
    count = math.prod(shape)  # Python ints: no overflow here, but refuse what no buffer can hold
    if (
        count > np.iinfo(np.int64).max // max(dtype.itemsize, 1)
        or count * dtype.itemsize > MAX_BYTES
    ):
        raise fail(f"{key!r} claims shape {shape}, whose size overflows")
    if count * dtype.itemsize > info.file_size:
        raise fail(
            f"{key!r} claims shape {shape} ({count * dtype.itemsize} bytes) but its "
            f"member holds {info.file_size} bytes"
        )
    if tuple(shape) != tuple(expected[key]):
        raise fail(
            f"{key!r} has shape {tuple(shape)}, the model's has shape {tuple(expected[key])}"
        )
