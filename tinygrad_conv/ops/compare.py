"""Elementwise comparisons (== != < <= > >= and eq, ne, lt, le, gt, ge): bool tensors, no graph
(a comparison has no gradient, as in PyTorch)."""

from __future__ import annotations

import numpy as np

from ..autograd import is_tensor, make_tensor
from ._args import promote, scalar_dtype

__all__ = ["eq", "ne", "lt", "le", "gt", "ge"]


def _operand(op: str, value, like):
    if is_tensor(value):
        return value.data
    if (
        like is not None
        and np.ndim(value) == 0
        and isinstance(value, (int, float, bool, np.generic, np.ndarray))
    ):
        return np.asarray(value, dtype=scalar_dtype(value, like.dtype))  # as PyTorch's scalars
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{op}: cannot compare with {type(value).__name__}: {err}") from None
    if array.dtype.kind not in "fiub" or (array.dtype.kind == "f" and array.dtype.itemsize < 4):
        raise TypeError(
            f"{op}: cannot compare with {type(value).__name__} of dtype {array.dtype} (expected "
            f"float32, float64, an int type or bool)"
        )
    return array


def _compare(op: str, ufunc, a, b):
    like = a if is_tensor(a) else b if is_tensor(b) else None
    x, y = _operand(op, a, like), _operand(op, b, like)
    if x.shape != y.shape:
        try:
            np.broadcast_shapes(x.shape, y.shape)
        except ValueError:
            raise ValueError(
                f"{op}: operands could not be broadcast together, got shapes "
                f"{x.shape} and {y.shape}"
            ) from None
    x, y = promote(x, y)
    return make_tensor(np.asarray(ufunc(x, y)))


def eq(a, b):
    return _compare("eq", np.equal, a, b)


def ne(a, b):
    return _compare("ne", np.not_equal, a, b)


def lt(a, b):
    return _compare("lt", np.less, a, b)


def le(a, b):
    return _compare("le", np.less_equal, a, b)


def gt(a, b):
    return _compare("gt", np.greater, a, b)


def ge(a, b):
    return _compare("ge", np.greater_equal, a, b)
