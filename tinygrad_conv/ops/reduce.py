"""Reductions over axes: sum, mean, max (with keepdims)."""

from __future__ import annotations

import numpy as np

from .._checks import is_int, normalize_axis
from ..autograd import Context, Function

__all__ = ["sum", "mean", "max"]


def _check_reduce(op: str, x: np.ndarray, axis, keepdims) -> dict:
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"{op}: keepdims must be a bool, got {keepdims!r}")
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if x.ndim == 0 and len(axes) == 1 and is_int(axes[0]) and axes[0] in (0, -1):
        return {"axis": (), "keepdims": bool(keepdims)}  # PyTorch: dim 0 or -1 of a 0-d tensor
    return {"axis": normalize_axis(op, axis, x.ndim), "keepdims": bool(keepdims)}


def _expand(grad: np.ndarray, shape: tuple[int, ...], axis, keepdims: bool) -> np.ndarray:
    """Give a reduced gradient back its reduced axes (size 1) so it broadcasts over the input."""
    if not keepdims:
        axes = range(len(shape)) if axis is None else axis
        grad = np.expand_dims(grad, tuple(axes))
    return grad


class Sum(Function):
    name = "sum"
    inputs = ("x",)

    @staticmethod
    def check(x, axis=None, keepdims=False):
        return _check_reduce("sum", x, axis, keepdims)

    @staticmethod
    def forward(ctx: Context, x, axis, keepdims):
        ctx.shape, ctx.dtype = x.shape, x.dtype
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad_out):
        grad = _expand(grad_out, ctx.shape, ctx.params["axis"], ctx.params["keepdims"])
        return (np.broadcast_to(grad, ctx.shape).astype(ctx.dtype),)  # dL/dx_i = dL/dsum


class Mean(Function):
    name = "mean"
    inputs = ("x",)

    @staticmethod
    def check(x, axis=None, keepdims=False):
        params = _check_reduce("mean", x, axis, keepdims)
        axes = range(x.ndim) if params["axis"] is None else params["axis"]
        if any(x.shape[a] == 0 for a in axes):
            raise ValueError(f"mean: cannot average over an empty axis, got shape {x.shape}")
        return params

    @staticmethod
    def forward(ctx: Context, x, axis, keepdims):
        ctx.shape, ctx.dtype = x.shape, x.dtype
        axes = range(x.ndim) if axis is None else axis
        ctx.count = int(np.prod([x.shape[a] for a in axes]))
        return np.mean(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Context, grad_out):
        grad = _expand(grad_out, ctx.shape, ctx.params["axis"], ctx.params["keepdims"])
        return (np.broadcast_to(grad / ctx.count, ctx.shape).astype(ctx.dtype),)  # 1/n each


class Max(Function):
    name = "max"
    inputs = ("x",)

    @staticmethod
    def check(x, axis=None, keepdims=False):
        params = _check_reduce("max", x, axis, keepdims)
        if x.size == 0:
            raise ValueError(f"max: cannot take the max of an empty tensor, got shape {x.shape}")
        return params

    @staticmethod
    def forward(ctx: Context, x, axis, keepdims):
        out = np.max(x, axis=axis, keepdims=keepdims)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, out = ctx.saved_tensors
        axis, keepdims = ctx.params["axis"], ctx.params["keepdims"]
        is_max = x == _expand(out, x.shape, axis, keepdims)
        # Ties share the gradient equally (PyTorch's amax rule), so it still sums to grad_out.
        ties = is_max.sum(axis=axis, keepdims=True)
        grad = _expand(grad_out, x.shape, axis, keepdims) * np.divide(is_max, ties, dtype=x.dtype)
        return (grad.astype(x.dtype, copy=False),)


def sum(x, axis=None, keepdims=False):  # noqa: A001 - the method's own name
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return Mean.apply(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return Max.apply(x, axis=axis, keepdims=keepdims)
