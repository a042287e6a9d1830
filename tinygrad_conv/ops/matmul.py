"""Matrix product `a @ b`, batched and broadcast over leading axes exactly as NumPy's matmul."""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Function
from .elementwise import unbroadcast

__all__ = ["matmul"]


class MatMul(Function):
    name = "matmul"
    inputs = ("a", "b")

    @staticmethod
    def check(a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul: both operands need at least 1 dimension, got shapes "
                f"{a.shape} and {b.shape}"
            )
        k_a = a.shape[-1]
        k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if k_a != k_b:
            raise ValueError(f"matmul: inner dimensions differ, got shapes {a.shape} and {b.shape}")
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ValueError(
                f"matmul: batch dimensions could not be broadcast, got shapes "
                f"{a.shape} and {b.shape}"
            ) from None

    @staticmethod
    def forward(ctx: Context, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx: Context, grad_out):
        a, b = ctx.saved_tensors
        # Treat 1-D operands as a row (a) or a column (b), as matmul does, then undo it at the end.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad_out
        if b.ndim == 1:
            g = g[..., None]
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:  # dL/dA = dL/dC @ B^T
            grad_a = unbroadcast(np.matmul(g, np.swapaxes(b2, -1, -2)), a2.shape, a.dtype)
            grad_a = grad_a.reshape(a.shape)
        if ctx.needs_input_grad[1]:  # dL/dB = A^T @ dL/dC
            grad_b = unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), g), b2.shape, b.dtype)
            grad_b = grad_b.reshape(b.shape)
        return grad_a, grad_b


def matmul(a, b):
    return MatMul.apply(a, b)
