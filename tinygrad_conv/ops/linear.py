"""The affine layer as one op, y = x @ weight.T + bias over any leading dims (PyTorch's
F.linear), so that pictures show one node and ONNX export maps it to Gemm/MatMul+Add."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_float, check_same_dtype
from ..autograd import Context, Function

__all__ = ["linear"]


class Linear(Function):
    name = "linear"
    inputs = ("x", "weight", "bias")

    @staticmethod
    def check(x, weight, bias=None):
        op = "linear"
        for name, array in (("x", x), ("weight", weight), ("bias", bias)):
            if array is not None:
                check_float(op, name, array)
        check_same_dtype(op, x=x, weight=weight, bias=bias)
        if weight.ndim != 2:
            raise ValueError(f"{op}: weight must be 2-D (out_features, in_features), got shape "
                             f"{weight.shape}")
        if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
            raise ValueError(f"{op}: x must end in in_features={weight.shape[1]} (weight has "
                             f"shape {weight.shape}), got shape {x.shape}")
        if bias is not None and bias.shape != (weight.shape[0],):
            raise ValueError(f"{op}: bias must have shape (out_features,) = ({weight.shape[0]},), "
                             f"got {bias.shape}")

    @staticmethod
    def forward(ctx: Context, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        y = np.matmul(x, weight.T)
        if bias is not None:
            y += bias
        return y

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        rows = grad_out.reshape(-1, grad_out.shape[-1])  # (N*, out): every leading dim is a row
        grad_x = np.matmul(grad_out, weight) if needs[0] else None  # dL/dx = dL/dy @ W
        grad_weight = rows.T @ x.reshape(-1, x.shape[-1]) if needs[1] else None  # dL/dy^T @ x
        grads = (grad_x, grad_weight)
        if len(ctx.parents) == 3:
            grads += (rows.sum(axis=0) if needs[2] else None,)  # dL/db = sum over rows
        return grads


def linear(x: Any, weight: Any, bias: Any = None):
    """y = x @ weight.T + bias; x (..., in_features), weight (out_features, in_features)."""
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Linear.apply(*inputs)
