"""Elementwise arithmetic with NumPy broadcasting: add, sub, mul, div, pow, neg, exp, log, abs,
sqrt. Integer and bool operands follow PyTorch's promotion (an int operand of a float op takes the
float's dtype; int / int is float32)."""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Function
from ._args import FLOAT32, check_float_input, promote

__all__ = ["add", "sub", "mul", "div", "pow", "neg", "exp", "log", "abs", "sqrt"]


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Sum a broadcast gradient back to the input's `shape` (leading axes, then axes of size 1)."""
    if grad.shape != shape:
        extra = grad.ndim - len(shape)
        axes = tuple(range(extra)) + tuple(
            extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1
        )
        grad = grad.sum(axis=axes, keepdims=True).reshape(shape)
    return grad.astype(dtype, copy=False)


def _check_broadcast(name: str, a: np.ndarray, b: np.ndarray) -> None:
    if a.shape == b.shape:
        return
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"{name}: operands could not be broadcast together, got shapes {a.shape} and {b.shape}"
        ) from None


class BroadcastingBinary(Function):
    """Base of the binary ops that broadcast their two operands as NumPy does: one shared check."""

    inputs = ("a", "b")

    @classmethod
    def check(cls, a, b):
        _check_broadcast(cls.name, a, b)


class Add(BroadcastingBinary):
    name = "add"

    @staticmethod
    def forward(ctx: Context, a, b):
        a, b = promote(a, b)
        return a + b

    @staticmethod
    def backward(ctx: Context, grad_out):
        (a_shape, b_shape), (a_dtype, b_dtype) = ctx.input_shapes, ctx.input_dtypes
        return unbroadcast(grad_out, a_shape, a_dtype), unbroadcast(grad_out, b_shape, b_dtype)


class Sub(BroadcastingBinary):
    name = "sub"

    @staticmethod
    def check(a, b):
        _check_broadcast("sub", a, b)
        if a.dtype.kind == "b" or b.dtype.kind == "b":
            raise TypeError(
                "sub: subtraction with a bool tensor is not supported (PyTorch's "
                "rule); convert it with .long() or .float() first"
            )

    @staticmethod
    def forward(ctx: Context, a, b):
        a, b = promote(a, b)
        return a - b

    @staticmethod
    def backward(ctx: Context, grad_out):
        (a_shape, b_shape), (a_dtype, b_dtype) = ctx.input_shapes, ctx.input_dtypes
        return unbroadcast(grad_out, a_shape, a_dtype), unbroadcast(-grad_out, b_shape, b_dtype)


class Mul(BroadcastingBinary):
    name = "mul"

    @staticmethod
    def forward(ctx: Context, a, b):
        a, b = promote(a, b)
        need_a, need_b = ctx.needs_input_grad
        # Only what a gradient needs (PyTorch's rule): w * 2.0 keeps 2.0, not w, so an optimizer
        # step on w before this backward is no in-place conflict.
        ctx.save_for_backward(b if need_a else None, a if need_b else None)
        return a * b

    @staticmethod
    def backward(ctx: Context, grad_out):
        b_for_a, a_for_b = ctx.saved_tensors
        (a_shape, b_shape), (a_dtype, b_dtype) = ctx.input_shapes, ctx.input_dtypes
        grad_a = unbroadcast(grad_out * b_for_a, a_shape, a_dtype) if b_for_a is not None else None
        grad_b = unbroadcast(grad_out * a_for_b, b_shape, b_dtype) if a_for_b is not None else None
        return grad_a, grad_b


class Div(BroadcastingBinary):
    name = "div"

    @staticmethod
    def forward(ctx: Context, a, b):
        if a.dtype.kind != "f" and b.dtype.kind != "f":  # true division of ints: float32
            a, b = a.astype(FLOAT32), b.astype(FLOAT32)
        a, b = promote(a, b)
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)  # a only for dL/db
        return a / b

    @staticmethod
    def backward(ctx: Context, grad_out):
        a, b = ctx.saved_tensors
        (a_shape, b_shape), (a_dtype, b_dtype) = ctx.input_shapes, ctx.input_dtypes
        grad_a = unbroadcast(grad_out / b, a_shape, a_dtype) if ctx.needs_input_grad[0] else None
        grad_b = None
        if ctx.needs_input_grad[1]:
            grad_b = unbroadcast(-grad_out * a / (b * b), b_shape, b_dtype)  # d(a/b)/db = -a/b^2
        return grad_a, grad_b


class Pow(BroadcastingBinary):
    name = "pow"
    inputs = ("base", "exp")

    @staticmethod
    def check(a, b):
        _check_broadcast("pow", a, b)
        if a.dtype.kind in "iub" and b.dtype.kind in "iub" and (b < 0).any():
            raise ValueError(
                "pow: integers to negative integer powers are not allowed; "
                "convert the base with .float()"
            )

    @staticmethod
    def forward(ctx: Context, a, b):
        a, b = promote(a, b)
        out = a**b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        (a, b, out), (a_dtype, b_dtype) = ctx.saved_tensors, ctx.input_dtypes
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:  # d(a^b)/da = b * a^(b-1), taken as 0 where b == 0 (PyTorch):
            with np.errstate(divide="ignore", invalid="ignore"):  # else 0 * 0^-1 = NaN at a == 0
                local = np.where(b == 0, 0, b * a ** (b - 1))
            grad_a = unbroadcast(grad_out * local, a.shape, a_dtype)
        if ctx.needs_input_grad[1]:  # d(a^b)/db = a^b * ln(a); 0 where a == 0 and b >= 0 (PyTorch)
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.where((a == 0) & (b >= 0), 0, np.log(a))
            grad_b = unbroadcast(grad_out * out * log_a, b.shape, b_dtype)
        return grad_a, grad_b


class Neg(Function):
    name = "neg"
    inputs = ("x",)

    @staticmethod
    def check(a):
        if a.dtype.kind == "b":
            raise TypeError(
                "neg: negation of a bool tensor is not supported (PyTorch's rule); "
                "use ~ on the NumPy array, or convert with .long()"
            )

    @staticmethod
    def forward(ctx: Context, a):
        return -a

    @staticmethod
    def backward(ctx: Context, grad_out):
        return (-grad_out,)


class Exp(Function):
    name = "exp"
    inputs = ("x",)

    @staticmethod
    def check(a):
        check_float_input("exp", a)

    @staticmethod
    def forward(ctx: Context, a):
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        (out,) = ctx.saved_tensors
        return (grad_out * out,)  # d(e^a)/da = e^a


class Log(Function):
    name = "log"
    inputs = ("x",)

    @staticmethod
    def check(a):
        check_float_input("log", a)

    @staticmethod
    def forward(ctx: Context, a):
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx: Context, grad_out):
        (a,) = ctx.saved_tensors
        return (grad_out / a,)  # d(ln a)/da = 1/a


class Abs(Function):
    name = "abs"
    inputs = ("x",)

    @staticmethod
    def check(a):
        if a.dtype.kind == "b":
            raise TypeError("abs: not defined for a bool tensor, got dtype bool")

    @staticmethod
    def forward(ctx: Context, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx: Context, grad_out):
        (a,) = ctx.saved_tensors
        with np.errstate(invalid="ignore"):  # inf * 0 is NaN, silently, as in PyTorch
            return (grad_out * np.sign(a),)  # d|a|/da = sign(a), 0 at a == 0 (PyTorch)


class Sqrt(Function):
    name = "sqrt"
    inputs = ("x",)

    @staticmethod
    def check(a):
        check_float_input("sqrt", a)

    @staticmethod
    def forward(ctx: Context, a):
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        (out,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):  # inf at 0, as PyTorch
            return (grad_out / (2 * out),)  # d sqrt(a)/da = 1 / (2 sqrt(a))


def add(a, b):
    return Add.apply(a, b)


def sub(a, b):
    return Sub.apply(a, b)


def mul(a, b):
    return Mul.apply(a, b)


def div(a, b):
    return Div.apply(a, b)


def pow(a, b):  # noqa: A001 - the operator's own name
    return Pow.apply(a, b)


def neg(a):
    return Neg.apply(a)


def exp(a):
    return Exp.apply(a)


def log(a):
    return Log.apply(a)


def abs(a):  # noqa: A001 - the method's own name
    return Abs.apply(a)


def sqrt(a):
    return Sqrt.apply(a)
