"""Pooling on NCHW images: max_pool2d and avg_pool2d.

Kernels: kernels/pool.pyx; readable twin: tinygrad_conv/reference/pool.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import kernels, num_threads
from .._checks import check_float, check_ndim, pool_window
from ..autograd import Context, Function

__all__ = ["max_pool2d", "avg_pool2d"]


def _check_pool(op: str, x: np.ndarray, kernel_size: Any, stride: Any, padding: Any) -> dict:
    """PyTorch's rules: 4-D float x; kernel, stride >= 1 (stride defaults to the kernel);
    0 <= padding <= kernel / 2; the window fits in the padded input. Returns the params as pairs."""
    check_ndim(op, "x", x, 4, "(N, C, H, W)")
    check_float(op, "x", x)
    (kh, kw), (sh, sw), (ph, pw) = pool_window(op, kernel_size, stride, padding)
    _, c, h, w = x.shape
    if c == 0 or h == 0 or w == 0:
        raise ValueError(f"{op}: x must have C, H and W >= 1, got shape {x.shape}")
    if h + 2 * ph < kh or w + 2 * pw < kw:
        raise ValueError(
            f"{op}: kernel_size {(kh, kw)} must fit in the padded input "
            f"{(h + 2 * ph, w + 2 * pw)} (x of shape {x.shape}, padding {(ph, pw)})"
        )
    return {"kernel_size": (kh, kw), "stride": (sh, sw), "padding": (ph, pw)}


def _out_shape(x: np.ndarray, kernel_size: tuple, stride: tuple, padding: tuple) -> tuple:
    n, c, h, w = x.shape
    oh = (h + 2 * padding[0] - kernel_size[0]) // stride[0] + 1
    ow = (w + 2 * padding[1] - kernel_size[1]) // stride[1] + 1
    return n, c, oh, ow


class MaxPool2d(Function):
    name = "max_pool2d"
    inputs = ("x",)

    @staticmethod
    def check(x, kernel_size, stride=None, padding=0):
        return _check_pool("max_pool2d", x, kernel_size, stride, padding)

    @staticmethod
    def forward(ctx: Context, x, kernel_size, stride, padding):
        x = np.ascontiguousarray(x)  # the kernel trusts C-contiguous NCHW
        out = np.empty(_out_shape(x, kernel_size, stride, padding), dtype=x.dtype)
        argmax = np.empty(out.shape, dtype=np.intp)  # flat index h * W + w of each window's maximum
        kernels().max_pool2d_forward(
            x, out, argmax, *kernel_size, *stride, *padding, num_threads(x.size)
        )
        ctx.save_for_backward(argmax)
        ctx.x_shape, ctx.dtype = x.shape, x.dtype
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        (argmax,) = ctx.saved_tensors
        grad_out = np.ascontiguousarray(grad_out, dtype=ctx.dtype)
        grad_x = np.empty(ctx.x_shape, dtype=ctx.dtype)
        kernels().max_pool2d_backward(grad_out, argmax, grad_x, num_threads(grad_x.size))
        return (grad_x,)


class AvgPool2d(Function):
    name = "avg_pool2d"
    inputs = ("x",)

    @staticmethod
    def check(x, kernel_size, stride=None, padding=0):
        return _check_pool("avg_pool2d", x, kernel_size, stride, padding)

    @staticmethod
    def forward(ctx: Context, x, kernel_size, stride, padding):
        x = np.ascontiguousarray(x)
        out = np.empty(_out_shape(x, kernel_size, stride, padding), dtype=x.dtype)
        kernels().avg_pool2d_forward(x, out, *kernel_size, *stride, *padding, num_threads(x.size))
        ctx.x_shape, ctx.dtype = x.shape, x.dtype
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        grad_out = np.ascontiguousarray(grad_out, dtype=ctx.dtype)
        grad_x = np.empty(ctx.x_shape, dtype=ctx.dtype)
        p = ctx.params
        kernels().avg_pool2d_backward(
            grad_out,
            grad_x,
            *p["kernel_size"],
            *p["stride"],
            *p["padding"],
            num_threads(grad_x.size),
        )
        return (grad_x,)


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0):
    """Max over each kernel_size window (stride defaults to kernel_size; padding never wins)."""
    return MaxPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding)


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0):
    """Mean over each kernel_size window, padded zeros counted (count_include_pad=True)."""
    return AvgPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding)
