"""The affine layer as one op, y = x @ weight.T + bias over any leading dims (PyTorch's
F.linear), so that pictures show one node and ONNX export maps it to Gemm/MatMul+Add.

Mixed float32/float64 inputs give a float64 output, as `x @ weight.T + bias` (what nn.Linear
computed before this op) does here; PyTorch refuses them. Each gradient has its input's dtype."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_float
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
        if weight.ndim != 2:
            raise ValueError(
                f"{op}: weight must be 2-D (out_features, in_features), got shape {weight.shape}"
            )
        if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
            raise ValueError(
                f"{op}: x must end in in_features={weight.shape[1]} (weight has "
                f"shape {weight.shape}), got shape {x.shape}"
            )
        if bias is not None and bias.shape != (weight.shape[0],):
            raise ValueError(
                f"{op}: bias must have shape (out_features,) = ({weight.shape[0]},), "
                f"got {bias.shape}"
            )

    @staticmethod
    def forward(ctx: Context, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        y = np.matmul(x, weight.T)
        if bias is not None:
            y = y + bias if y.dtype != np.result_type(y, bias) else np.add(y, bias, out=y)
        return y

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        rows = grad_out.reshape(-1, grad_out.shape[-1])  # (N*, out): every leading dim is a row
        dtypes = ctx.input_dtypes
        grad_x = grad_weight = None
        if needs[0]:  # dL/dx = dL/dy @ W
            grad_x = np.matmul(grad_out, weight).astype(dtypes[0], copy=False)
        if needs[1]:  # dL/dW = dL/dy^T @ x, every leading dim a row
            grad_weight = (rows.T @ x.reshape(-1, x.shape[-1])).astype(dtypes[1], copy=False)
        grads = (grad_x, grad_weight)
        if len(ctx.parents) == 3:  # dL/db = sum of dL/dy over the rows
            grads += (rows.sum(axis=0).astype(dtypes[2], copy=False) if needs[2] else None,)
        return grads


def linear(x: Any, weight: Any, bias: Any = None):
    """y = x @ weight.T + bias; x (..., in_features), weight (out_features, in_features)."""
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Linear.apply(*inputs)
