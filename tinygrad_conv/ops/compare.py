"""Elementwise comparisons (== != < <= > >= and eq, ne, lt, le, gt, ge): bool tensors that never
require grad (a comparison has no gradient, as in PyTorch).

When grad mode is on and an operand is part of a graph (it requires grad or was made by a recorded
op), the comparison is recorded as a node whose backward gives no gradient, so that the graph
shows where a mask came from and the ONNX export can replay it (`where(x > 0, x, 0.1 * x)` runs
on other inputs). Comparisons of plain data (`pred.eq(target)` on int labels) record nothing.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Function, is_tensor, record_without_grad
from ._args import promote, scalar_dtype

__all__ = ["eq", "ne", "lt", "le", "gt", "ge"]


class Compare(Function):
    """out = x <op> y elementwise, bool. No gradient: backward returns None for both inputs (and
    the output never requires grad, so the engine never calls it). params["dtype"] is the dtype
    both operands were compared in (after PyTorch's promotion)."""

    inputs = ("x", "y")
    ufunc = staticmethod(np.equal)

    @staticmethod
    def forward(ctx: Context, x, y, dtype=None):
        x, y = promote(x, y)
        return np.asarray(ctx.fn.ufunc(x, y))

    @staticmethod
    def backward(ctx: Context, grad_out):
        return None, None


class Eq(Compare):
    name = "eq"
    ufunc = staticmethod(np.equal)


class Ne(Compare):
    name = "ne"
    ufunc = staticmethod(np.not_equal)


class Lt(Compare):
    name = "lt"
    ufunc = staticmethod(np.less)


class Le(Compare):
    name = "le"
    ufunc = staticmethod(np.less_equal)


class Gt(Compare):
    name = "gt"
    ufunc = staticmethod(np.greater)


class Ge(Compare):
    name = "ge"
    ufunc = staticmethod(np.greater_equal)


def _operand(op: str, value, like):
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


def _compare(fn: type[Compare], ufunc, a, b):
    a_tensor, b_tensor = is_tensor(a), is_tensor(b)
    like = a if a_tensor else b if b_tensor else None
    x = a.data if a_tensor else _operand(fn.name, a, like)
    y = b.data if b_tensor else _operand(fn.name, b, like)
    if x.shape != y.shape and x.ndim and y.ndim:  # a 0-d operand broadcasts to anything
        try:
            np.broadcast_shapes(x.shape, y.shape)
        except ValueError:
            raise ValueError(
                f"{fn.name}: operands could not be broadcast together, got shapes "
                f"{x.shape} and {y.shape}"
            ) from None
    px, py = promote(x, y)
    out = np.asarray(ufunc(px, py))
    dtype = px.dtype if px.dtype == py.dtype else np.result_type(px, py)
    return record_without_grad(
        fn, (a if a_tensor else x, b if b_tensor else y), {"dtype": dtype}, out
    )


def eq(a, b):
    return _compare(Eq, np.equal, a, b)


def ne(a, b):
    return _compare(Ne, np.not_equal, a, b)


def lt(a, b):
    return _compare(Lt, np.less, a, b)


def le(a, b):
    return _compare(Le, np.less_equal, a, b)


def gt(a, b):
    return _compare(Gt, np.greater, a, b)


def ge(a, b):
    return _compare(Ge, np.greater_equal, a, b)
