"""Tensor creation as PyTorch spells it: tensor, zeros, ones, full, zeros_like, ones_like, rand,
randn, arange. Random values come from the library's one generator (tc.manual_seed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import _random
from ._checks import is_int
from .autograd import is_tensor, new_tensor
from .ops.convert import as_dtype

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["tensor", "zeros", "ones", "full", "zeros_like", "ones_like", "rand", "randn", "arange"]


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """PyTorch's torch.tensor: Python bools become bool, ints int64, floats float32; a NumPy array
    keeps its dtype (float16 and other dtypes are refused)."""
    if is_tensor(data):
        data = data.data
    if dtype is None:
        array = np.asarray(data)
        if not isinstance(data, np.ndarray | np.generic):
            if array.dtype.kind == "f":
                array = array.astype(np.float32)
            elif array.dtype.kind in "iu":
                array = array.astype(np.int64)
        if array.dtype.kind not in "fiub":
            raise TypeError(f"tensor: data must be numbers or bools, got dtype {array.dtype}")
        dtype = array.dtype
        data = array
    return new_tensor(data, requires_grad=requires_grad, dtype=as_dtype("tensor", dtype))


def _size(op: str, size: tuple) -> tuple[int, ...]:
    """zeros(2, 3), zeros((2, 3)) and zeros([2, 3]) all mean (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if not all(is_int(s) for s in size):
        raise TypeError(f"{op}: size must be ints, got {size!r}")
    if any(s < 0 for s in size):
        raise ValueError(f"{op}: sizes must be non-negative, got {size!r}")
    return tuple(int(s) for s in size)


def _made(array: np.ndarray, requires_grad: bool) -> Tensor:
    return new_tensor(array, requires_grad=requires_grad, dtype=array.dtype)


def zeros(*size: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    return _made(np.zeros(_size("zeros", size), dtype=as_dtype("zeros", dtype)), requires_grad)


def ones(*size: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    return _made(np.ones(_size("ones", size), dtype=as_dtype("ones", dtype)), requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """PyTorch's dtype rule: from fill_value (bool, int64 or float32) unless dtype= is given."""
    size = _size("full", (size,) if is_int(size) else tuple(size))
    if dtype is None:
        dtype = (
            np.bool_
            if isinstance(fill_value, (bool, np.bool_))
            else np.int64
            if is_int(fill_value)
            else np.float32
        )
    return _made(np.full(size, fill_value, dtype=as_dtype("full", dtype)), requires_grad)


def _like(op: str, other: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
    shape = tuple(np.shape(other.data if is_tensor(other) else other))
    if dtype is None:
        dtype = other.dtype if is_tensor(other) or isinstance(other, np.ndarray) else np.float32
    return shape, as_dtype(op, dtype)


def zeros_like(other: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dtype = _like("zeros_like", other, dtype)
    return _made(np.zeros(shape, dtype=dtype), requires_grad)


def ones_like(other: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dtype = _like("ones_like", other, dtype)
    return _made(np.ones(shape, dtype=dtype), requires_grad)


def _float(op: str, dtype: Any) -> np.dtype:
    wanted = as_dtype(op, dtype)
    if wanted.kind != "f":
        raise TypeError(f"{op}: dtype must be float32 or float64, got {wanted}")
    return wanted


def rand(*size: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1), drawn from the library's generator (tc.manual_seed)."""
    wanted = _float("rand", dtype)
    return _made(_random.generator().random(_size("rand", size), dtype=wanted), requires_grad)


def randn(*size: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    """Standard normal, drawn from the library's generator (tc.manual_seed)."""
    wanted = _float("randn", dtype)
    array = _random.generator().standard_normal(_size("randn", size), dtype=wanted)
    return _made(array, requires_grad)


def arange(
    start: Any, end: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """PyTorch's arange: int64 when start, end and step are ints, else float32 (computed as
    start + i * step in float64, then rounded, as PyTorch does)."""
    if end is None:
        start, end = 0, start
    for name, value in (("start", start), ("end", end), ("step", step)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"arange: {name} must be a number, got {value!r}")
        if not np.isfinite(value):
            raise ValueError(f"arange: {name} must be finite, got {value!r}")
    if step == 0:
        raise ValueError("arange: step must be nonzero, got 0")
    if (end - start) * step < 0:
        raise ValueError(
            f"arange: upper bound and step are inconsistent: start={start}, end={end}, step={step}"
        )
    if dtype is None:
        dtype = np.int64 if all(is_int(v) for v in (start, end, step)) else np.float32
    wanted = as_dtype("arange", dtype)
    count = int(np.ceil((end - start) / step))
    values = start + np.arange(count, dtype=np.float64 if wanted.kind == "f" else np.int64) * step
    return _made(values.astype(wanted), requires_grad)
