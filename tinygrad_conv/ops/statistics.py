"""Reductions that summarise a spread: var, std (PyTorch's correction=, unbiased=) and logsumexp."""

from __future__ import annotations

import numbers

import numpy as np

from ..autograd import Context, Function
from ._args import check_float_input, reduce_args
from .reduce import _check_reduce, _count, _expand

__all__ = ["var", "std", "logsumexp"]


class Var(Function):
    """var = sum((x - mean)^2) / max(n - correction, 0) (PyTorch: NaN or Inf when n <= correction);
    dL/dx = dL/dvar * 2 (x - mean) / (n - correction)."""

    name = "var"
    inputs = ("x",)

    @classmethod
    def check(cls, x, axis=None, correction=1, keepdims=False):
        check_float_input(cls.name, x)
        if not isinstance(correction, numbers.Real) or isinstance(correction, (bool, np.bool_)):
            raise TypeError(f"{cls.name}: correction must be a number, got {correction!r}")
        return {**_check_reduce(cls.name, x, axis, keepdims), "correction": correction}

    @classmethod
    def forward(cls, ctx: Context, x, axis, correction, keepdims):
        with np.errstate(invalid="ignore", divide="ignore"):
            n = _count(x.shape, axis)
            centred = x - np.sum(x, axis=axis, keepdims=True) / x.dtype.type(n)
            divisor = x.dtype.type(np.maximum(n - correction, 0))
            out = np.sum(centred * centred, axis=axis, keepdims=keepdims) / divisor
            if cls.name == "std":
                out = np.sqrt(out)
        ctx.save_for_backward(centred, out)
        ctx.divisor = divisor
        return np.asarray(out, dtype=x.dtype)

    @classmethod
    def backward(cls, ctx: Context, grad_out):
        centred, out = ctx.saved_tensors
        axis, keepdims = ctx.params["axis"], ctx.params["keepdims"]
        grad = _expand(grad_out, centred.shape, axis, keepdims)
        with np.errstate(invalid="ignore", divide="ignore"):
            if cls.name == "std":  # d sqrt(v) = dv / (2 sqrt(v)), taken as 0 where std is 0
                std = _expand(out, centred.shape, axis, keepdims)  # (PyTorch's masked_fill)
                grad = np.where(std == 0, 0, grad / (2 * std))
            grad = grad * (2 * centred / ctx.divisor)
        return (grad.astype(centred.dtype, copy=False),)


class Std(Var):
    name = "std"


class LogSumExp(Function):
    """y = m + log(sum(exp(x - m))) with m the max (no overflow); dL/dx = dL/dy * exp(x - y)."""

    name = "logsumexp"
    inputs = ("x",)

    @staticmethod
    def check(x, axis, keepdims=False):
        check_float_input("logsumexp", x)
        return _check_reduce("logsumexp", x, axis, keepdims)

    @staticmethod
    def forward(ctx: Context, x, axis, keepdims):
        if x.size == 0:
            out = np.full(np.sum(x, axis=axis, keepdims=True).shape, -np.inf, dtype=x.dtype)
        else:
            m = np.max(x, axis=axis, keepdims=True)
            m = np.where(np.isfinite(m), m, 0)  # all -inf (or an inf): shift by 0 instead
            with np.errstate(divide="ignore"):
                out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
        ctx.save_for_backward(x, out)
        return out if keepdims else np.squeeze(out, axis=axis)

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, out = ctx.saved_tensors
        axis, keepdims = ctx.params["axis"], ctx.params["keepdims"]
        grad = _expand(grad_out, x.shape, axis, keepdims)
        with np.errstate(invalid="ignore"):
            return ((grad * np.exp(x - out)).astype(x.dtype, copy=False),)  # softmax(x)


def _var_args(op, dim, unbiased, keepdim, correction, axis, keepdims):
    if isinstance(dim, (bool, np.bool_)):  # var(x, True): the old var(input, unbiased) overload
        if unbiased is not None:
            raise TypeError(f"{op}: unbiased given twice")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: give correction= or unbiased=, not both")
    if unbiased is not None:
        if not isinstance(unbiased, (bool, np.bool_)):
            raise TypeError(f"{op}: unbiased must be a bool, got {unbiased!r}")
        correction = 1 if unbiased else 0
    axis, keepdims = reduce_args(op, dim, keepdim, axis, keepdims)
    return axis, 1 if correction is None else correction, keepdims


def var(x, dim=None, unbiased=None, keepdim=None, *, correction=None, axis=None, keepdims=None):
    axis, correction, keepdims = _var_args(
        "var", dim, unbiased, keepdim, correction, axis, keepdims
    )
    return Var.apply(x, axis=axis, correction=correction, keepdims=keepdims)


def std(x, dim=None, unbiased=None, keepdim=None, *, correction=None, axis=None, keepdims=None):
    axis, correction, keepdims = _var_args(
        "std", dim, unbiased, keepdim, correction, axis, keepdims
    )
    return Std.apply(x, axis=axis, correction=correction, keepdims=keepdims)


def logsumexp(x, dim=None, keepdim=None, *, axis=None, keepdims=None):
    axis, keepdims = reduce_args("logsumexp", dim, keepdim, axis, keepdims)
    if axis is None:
        raise TypeError("logsumexp: missing dim (PyTorch's logsumexp needs one; a tuple works)")
    return LogSumExp.apply(x, axis=axis, keepdims=keepdims)
