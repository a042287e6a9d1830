"""Ops that pick, per element, one of their inputs: maximum, minimum, clamp (clip), where."""

from __future__ import annotations

import numbers

import numpy as np

from .._backend import kernels
from ..autograd import Context, Function, is_tensor, make_tensor
from ._args import promote, scalar_dtype
from ._flat import flat_backward, flat_forward
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
        half_tie = np.multiply(a == b, 0.5, dtype=grad_out.dtype)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            share_a = np.add(a_wins, half_tie, dtype=grad_out.dtype)
            grad_a = unbroadcast(_masked(grad_out, share_a), a.shape, ctx.input_dtypes[0])
        if ctx.needs_input_grad[1]:
            share_b = np.subtract(1, np.add(a_wins, half_tie, dtype=grad_out.dtype))
            grad_b = unbroadcast(_masked(grad_out, share_b), b.shape, ctx.input_dtypes[1])
        return grad_a, grad_b


def _masked(grad: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """grad * weight for weights in {0, 0.5, 1}, with exact zeros where the weight is 0 even for
    an Inf or NaN grad (PyTorch's masked_fill). A multiply, not np.where: a select on a random
    mask (an activation's signs) costs NumPy ~6x a multiply (benchmarks/bench_overhead.py)."""
    out = grad * weight
    if not np.isfinite(grad).all():
        out[np.broadcast_to(weight == 0, out.shape)] = 0
    return out


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
        if x.dtype.kind != "f":  # integer tensors: NumPy (no gradient to keep for them)
            low = x if min is None else np.maximum(x, x.dtype.type(min))
            return low.copy() if max is None else np.minimum(low, x.dtype.type(max))
        x, out = flat_forward(kernels().clamp_forward, x, *_limits(min, max))
        ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        (x,) = ctx.saved_tensors
        limits = _limits(ctx.params["min"], ctx.params["max"])
        return (flat_backward(kernels().clamp_backward, x, grad_out, *limits),)


def _limits(low, high) -> tuple[float, float]:
    """The kernel's bounds: -inf / +inf stand for a bound not given."""
    return (-np.inf if low is None else float(low)), (np.inf if high is None else float(high))


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
        grad_a = grad_b = None
        if ctx.needs_input_grad[1]:
            grad_a = unbroadcast(_masked(grad_out, condition), a_shape, a_dtype)
        if ctx.needs_input_grad[2]:
            grad_b = unbroadcast(_masked(grad_out, ~condition), b_shape, b_dtype)
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
