"""Ops that pick, per element, one of their inputs: maximum, minimum, clamp (clip), where."""

from __future__ import annotations

import numbers

import numpy as np

from ..autograd import Context, Function, is_tensor, make_tensor
from ._args import promote, scalar_dtype
from .elementwise import BroadcastingBinary, _check_broadcast, unbroadcast

__all__ = ["maximum", "minimum", "clamp", "clip", "where"]


class Maximum(BroadcastingBinary):
    """Elementwise max; where a == b each side gets half the gradient (PyTorch's rule)."""

    name = "maximum"
    pick = staticmethod(np.maximum)

    @classmethod
    def forward(cls, ctx: Context, a, b):
        a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        return cls.pick(a, b)

    @classmethod
    def backward(cls, ctx: Context, grad_out):
        a, b = ctx.saved_tensors
        a_wins = a > b if cls.name == "maximum" else a < b
        tie = a == b
        share_a = np.where(tie, 0.5, a_wins).astype(grad_out.dtype)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = unbroadcast(grad_out * share_a, a.shape, ctx.input_dtypes[0])
        if ctx.needs_input_grad[1]:
            share_b = np.where(tie, 0.5, ~a_wins & ~tie).astype(grad_out.dtype)
            grad_b = unbroadcast(grad_out * share_b, b.shape, ctx.input_dtypes[1])
        return grad_a, grad_b


class Minimum(Maximum):
    name = "minimum"
    pick = staticmethod(np.minimum)


def _bound(name: str, value):
    if value is None:
        return None
    if is_tensor(value) or isinstance(value, np.ndarray):
        raise TypeError(
            f"clamp: {name} must be a number or None (for tensor bounds use "
            f"maximum/minimum), got {type(value).__name__}"
        )
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"clamp: {name} must be a number or None, got {value!r}")
    return value


class Clamp(Function):
    """y = min(max(x, min), max); dL/dx = dL/dy where min <= x <= max, else 0 (PyTorch passes
    the gradient at the bounds themselves). NaN stays NaN."""

    name = "clamp"
    inputs = ("x",)

    @staticmethod
    def check(x, min=None, max=None):  # noqa: A002 - PyTorch's argument names
        low, high = _bound("min", min), _bound("max", max)
        if low is None and high is None:
            raise ValueError("clamp: at least one of min and max must be given, got neither")
        if x.dtype.kind == "b":
            raise TypeError("clamp: not defined for a bool tensor, got dtype bool")
        if x.dtype.kind in "iu" and any(isinstance(v, float) for v in (low, high)):
            raise TypeError("clamp: float bounds on an integer tensor; convert it with .float()")
        return {"min": low, "max": high}

    @staticmethod
    def forward(ctx: Context, x, min, max):  # noqa: A002
        out = x
        if min is not None:
            out = np.maximum(out, x.dtype.type(min))
        if max is not None:
            out = np.minimum(out, x.dtype.type(max))  # min > max gives max, as PyTorch
        if out is x:
            out = x.copy()
        ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        (x,) = ctx.saved_tensors
        low, high = ctx.params["min"], ctx.params["max"]
        keep = np.ones(x.shape, dtype=bool) if low is None else x >= low
        if high is not None:
            keep &= x <= high
        return (np.where(keep, grad_out, 0).astype(x.dtype, copy=False),)


class Where(Function):
    """y = a where condition else b; the gradient goes to the side that was picked."""

    name = "where"
    inputs = ("condition", "x", "y")

    @staticmethod
    def check(condition, a, b):
        if condition.dtype.kind != "b":
            raise TypeError(f"where: condition must be a bool tensor, got dtype {condition.dtype}")
        _check_broadcast("where", a, b)
        try:
            np.broadcast_shapes(condition.shape, a.shape, b.shape)
        except ValueError:
            raise ValueError(
                f"where: condition {condition.shape}, x {a.shape} and y {b.shape} "
                f"could not be broadcast together"
            ) from None

    @staticmethod
    def forward(ctx: Context, condition, a, b):
        a, b = promote(a, b)
        ctx.save_for_backward(condition)
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx: Context, grad_out):
        (condition,) = ctx.saved_tensors
        a_shape, b_shape = ctx.input_shapes[1:]
        a_dtype, b_dtype = ctx.input_dtypes[1:]
        zero = grad_out.dtype.type(0)
        grad_a = grad_b = None
        if ctx.needs_input_grad[1]:
            grad_a = unbroadcast(np.where(condition, grad_out, zero), a_shape, a_dtype)
        if ctx.needs_input_grad[2]:
            grad_b = unbroadcast(np.where(condition, zero, grad_out), b_shape, b_dtype)
        return None, grad_a, grad_b


def maximum(a, b):
    return Maximum.apply(a, b)


def minimum(a, b):
    return Minimum.apply(a, b)


def clamp(x, min=None, max=None):  # noqa: A002 - PyTorch's argument names
    return Clamp.apply(x, min=min, max=max)


clip = clamp  # PyTorch's alias


def where(condition, x, y):
    """PyTorch's where(condition, x, y); a Python scalar x or y takes the other side's dtype."""
    if not is_tensor(condition):
        condition = make_tensor(np.array(condition))
    if not is_tensor(x) and is_tensor(y) and np.ndim(x) == 0:
        x = _scalar_beside(x, y)
    if not is_tensor(y) and is_tensor(x) and np.ndim(y) == 0:
        y = _scalar_beside(y, x)
    return Where.apply(condition, x, y)


def _scalar_beside(value, other):
    return make_tensor(np.asarray(value, dtype=scalar_dtype(value, other.dtype)))
