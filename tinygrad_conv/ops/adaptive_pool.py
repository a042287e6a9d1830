"""Adaptive pooling to a given output size, as PyTorch splits the windows: output row i covers
input rows floor(i * H / oh) to ceil((i + 1) * H / oh) (exclusive), so windows may overlap or
differ in size when H is no multiple of oh; the same for columns."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import as_output_size
from ..autograd import Context, Function

__all__ = ["adaptive_avg_pool2d", "adaptive_max_pool2d"]


def _windows(size: int, out: int) -> list[tuple[int, int]]:
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def _check(op: str, x: np.ndarray, output_size: Any) -> dict:
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: x must be 4-D (N, C, H, W) or 3-D (C, H, W), got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: x must be a float tensor, got dtype {x.dtype}")
    items = as_output_size(op, output_size)
    size = tuple(int(x.shape[-2 + k] if v is None else v) for k, v in enumerate(items))
    if x.shape[-1] < 1 or x.shape[-2] < 1:
        raise ValueError(f"{op}: x must have H, W >= 1, got shape {x.shape}")
    return {"output_size": size}


class _Adaptive(Function):
    inputs = ("x",)

    @classmethod
    def check(cls, x, output_size=1):
        return _check(cls.name, x, output_size)

    @staticmethod
    def grid(shape: tuple[int, ...], output_size: tuple[int, int]):
        return _windows(shape[-2], output_size[0]), _windows(shape[-1], output_size[1])


class AdaptiveAvgPool2d(_Adaptive):
    """y[i, j] = mean of x over window (i, j); dL/dx adds dL/dy[i, j] / window size to it."""

    name = "adaptive_avg_pool2d"

    @classmethod
    def forward(cls, ctx: Context, x, output_size):
        rows, cols = cls.grid(x.shape, output_size)
        y = np.empty(x.shape[:-2] + output_size, dtype=x.dtype)
        for i, (r0, r1) in enumerate(rows):
            for j, (c0, c1) in enumerate(cols):
                y[..., i, j] = x[..., r0:r1, c0:c1].mean(axis=(-2, -1))
        return y

    @classmethod
    def backward(cls, ctx: Context, grad_out):
        shape, dtype = ctx.input_shapes[0], ctx.input_dtypes[0]
        rows, cols = cls.grid(shape, ctx.params["output_size"])
        grad_x = np.zeros(shape, dtype=dtype)
        for i, (r0, r1) in enumerate(rows):
            for j, (c0, c1) in enumerate(cols):
                share = grad_out[..., i, j] / ((r1 - r0) * (c1 - c0))
                grad_x[..., r0:r1, c0:c1] += share[..., None, None]
        return grad_x


class AdaptiveMaxPool2d(_Adaptive):
    """y[i, j] = max of x over window (i, j); dL/dx routes dL/dy[i, j] to the first maximum
    (a NaN counts as the maximum, as in PyTorch)."""

    name = "adaptive_max_pool2d"

    @classmethod
    def forward(cls, ctx: Context, x, output_size):
        rows, cols = cls.grid(x.shape, output_size)
        lead = x.shape[:-2]
        y = np.empty(lead + output_size, dtype=x.dtype)
        where = np.empty(lead + output_size, dtype=np.intp)  # flat index into H * W
        width = x.shape[-1]
        for i, (r0, r1) in enumerate(rows):
            for j, (c0, c1) in enumerate(cols):
                window = x[..., r0:r1, c0:c1].reshape(lead + (-1,))
                nan = np.isnan(window)
                k = np.where(nan.any(axis=-1), nan.argmax(axis=-1), window.argmax(axis=-1))
                y[..., i, j] = np.take_along_axis(window, k[..., None], axis=-1)[..., 0]
                where[..., i, j] = (r0 + k // (c1 - c0)) * width + c0 + k % (c1 - c0)
        ctx.save_for_backward(where)
        return y

    @staticmethod
    def backward(ctx: Context, grad_out):
        (where,) = ctx.saved_tensors
        shape, dtype = ctx.input_shapes[0], ctx.input_dtypes[0]
        planes = int(np.prod(shape[:-2]))
        grad = np.zeros((planes, shape[-2] * shape[-1]), dtype=dtype)
        index = where.reshape(planes, -1)
        np.add.at(grad, (np.arange(planes)[:, None], index), grad_out.reshape(planes, -1))
        return grad.reshape(shape)


def adaptive_avg_pool2d(x: Any, output_size: Any):
    """The mean over PyTorch's adaptive windows, output (..., oh, ow)."""
    return AdaptiveAvgPool2d.apply(x, output_size=output_size)


def adaptive_max_pool2d(x: Any, output_size: Any, return_indices: bool = False):
    """The maximum over PyTorch's adaptive windows, output (..., oh, ow)."""
    if return_indices:
        raise NotImplementedError("adaptive_max_pool2d: return_indices=True is not supported")
    return AdaptiveMaxPool2d.apply(x, output_size=output_size)
