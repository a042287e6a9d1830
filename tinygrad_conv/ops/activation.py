"""Activations: relu (a Cython kernel), leaky_relu, gelu, tanh, sigmoid, softmax, log_softmax."""

from __future__ import annotations

import numpy as np

from .._backend import kernels
from .._checks import as_real, check_choice, check_float, is_int
from ..autograd import Context, Function
from ._args import check_float_input
from ._flat import flat_backward, flat_forward

__all__ = ["relu", "leaky_relu", "gelu", "tanh", "sigmoid", "softmax", "log_softmax"]


class ReLU(Function):
    name = "relu"
    inputs = ("x",)

    @staticmethod
    def check(x):
        check_float("relu", "x", x)

    @staticmethod
    def forward(ctx: Context, x):
        x, out = flat_forward(kernels().relu_forward, x)
        ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        (x,) = ctx.saved_tensors
        return (flat_backward(kernels().relu_backward, x, grad_out),)


class LeakyReLU(Function):
    """y = x if x > 0 else negative_slope * x; a Cython kernel (one pass, measured 3-5x NumPy's
    three passes on activation-sized arrays: benchmarks/bench_overhead.py's note)."""

    name = "leaky_relu"
    inputs = ("x",)

    @staticmethod
    def check(x, negative_slope=0.01):
        check_float_input("leaky_relu", x)
        return {
            "negative_slope": as_real("leaky_relu", "negative_slope", negative_slope, finite=False)
        }

    @staticmethod
    def forward(ctx: Context, x, negative_slope):
        x, out = flat_forward(kernels().leaky_relu_forward, x, negative_slope)
        ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        (x,) = ctx.saved_tensors
        slope = ctx.params["negative_slope"]
        return (flat_backward(kernels().leaky_relu_backward, x, grad_out, slope),)


class GELU(Function):
    """y = x * Phi(x) (approximate="none", erf) or PyTorch's tanh form; a Cython kernel, since
    NumPy has no erf (the NumPy twin calls math.erf per element)."""

    name = "gelu"
    inputs = ("x",)

    @staticmethod
    def check(x, approximate="none"):
        check_float_input("gelu", x)
        return {"approximate": check_choice("gelu", "approximate", approximate, ("none", "tanh"))}

    @staticmethod
    def forward(ctx: Context, x, approximate):
        x, out = flat_forward(kernels().gelu_forward, x, approximate == "tanh")
        ctx.save_for_backward(x)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        (x,) = ctx.saved_tensors
        tanh_form = ctx.params["approximate"] == "tanh"
        return (flat_backward(kernels().gelu_backward, x, grad_out, tanh_form),)


class Tanh(Function):
    name = "tanh"
    inputs = ("x",)

    @staticmethod
    def check(x):
        check_float_input("tanh", x)

    @staticmethod
    def forward(ctx: Context, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        (out,) = ctx.saved_tensors
        return (grad_out * (1 - out * out),)  # d tanh(x)/dx = 1 - tanh(x)^2


class Sigmoid(Function):
    name = "sigmoid"
    inputs = ("x",)

    @staticmethod
    def check(x):
        check_float_input("sigmoid", x)

    @staticmethod
    def forward(ctx: Context, x):
        out = np.exp(-np.logaddexp(0, -x))  # 1 / (1 + e^-x) without overflow for large |x|
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        (out,) = ctx.saved_tensors
        return (grad_out * out * (1 - out),)  # d sigmoid/dx = s (1 - s)


def _check_axis(op: str, x: np.ndarray, axis) -> dict:
    check_float_input(op, x)
    if not is_int(axis):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    if not -max(x.ndim, 1) <= axis < max(x.ndim, 1):
        raise ValueError(f"{op}: axis {axis} is out of range for a {x.ndim}-D tensor")
    # A 0-d tensor is a softmax over one value (PyTorch accepts axis 0 or -1 there).
    return {"axis": int(axis) % x.ndim if x.ndim else None}


class Softmax(Function):
    name = "softmax"
    inputs = ("x",)

    @staticmethod
    def check(x, axis=-1):
        return _check_axis("softmax", x, axis)

    @staticmethod
    def forward(ctx: Context, x, axis):
        if x.size == 0:
            ctx.save_for_backward(x)
            return x.copy()
        shifted = np.exp(x - x.max(axis=axis, keepdims=True))  # the shift avoids overflow
        out = shifted / shifted.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        (out,) = ctx.saved_tensors
        # dL/dx = s * (dL/ds - sum(dL/ds * s)): the Jacobian diag(s) - s s^T applied to dL/ds
        dot = (grad_out * out).sum(axis=ctx.params["axis"], keepdims=True)
        return (out * (grad_out - dot),)


class LogSoftmax(Function):
    name = "log_softmax"
    inputs = ("x",)

    @staticmethod
    def check(x, axis=-1):
        return _check_axis("log_softmax", x, axis)

    @staticmethod
    def forward(ctx: Context, x, axis):
        if x.size == 0:
            ctx.save_for_backward(x)
            return x.copy()
        shifted = x - x.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        (out,) = ctx.saved_tensors
        # dL/dx = dL/dy - softmax(x) * sum(dL/dy)
        total = grad_out.sum(axis=ctx.params["axis"], keepdims=True)
        return (grad_out - np.exp(out) * total,)


def relu(x):
    return ReLU.apply(x)


def tanh(x):
    return Tanh.apply(x)


def sigmoid(x):
    return Sigmoid.apply(x)


def leaky_relu(x, negative_slope=0.01):
    return LeakyReLU.apply(x, negative_slope=negative_slope)


def gelu(x, approximate="none"):
    return GELU.apply(x, approximate=approximate)


class _LastDim(int):
    """The default dim of softmax: -1, told apart from an explicit None (a TypeError)."""

    def __repr__(self) -> str:
        return "-1"


LAST = _LastDim(-1)


def _softmax_dim(op: str, dim, axis):
    if dim is not LAST and axis is not LAST:
        raise TypeError(
            f"{op}: got both dim= and axis= (the same argument in PyTorch's and "
            f"NumPy's spelling); pass one"
        )
    return axis if dim is LAST else dim


def softmax(x, dim=LAST, *, axis=LAST):
    return Softmax.apply(x, axis=_softmax_dim("softmax", dim, axis))


def log_softmax(x, dim=LAST, *, axis=LAST):
    return LogSoftmax.apply(x, axis=_softmax_dim("log_softmax", dim, axis))
