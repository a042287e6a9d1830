"""Clamp, the readable twin of kernels/clamp.pyx.

Forward limits each value to [low, high]: y = min(max(x, low), high), with low = -inf or
high = +inf when that bound is not given; NaN stays NaN, and low > high gives high (PyTorch).
Backward lets the incoming gradient through where the input was inside the bounds, the bounds
themselves included (PyTorch's choice), and stops it elsewhere (and at NaN):
dL/dx = dL/dy * (low <= x <= high).
Both write into `out`/`grad_x`, preallocated by the caller, and return None, like the kernels.
"""

from __future__ import annotations

import numpy as np


def clamp_forward(
    x: np.ndarray, out: np.ndarray, low: float, high: float, num_threads: int = 1
) -> None:
    """out = min(max(x, low), high) on flat arrays (np.maximum/np.minimum keep NaN)."""
    np.minimum(np.maximum(x, x.dtype.type(low)), x.dtype.type(high), out=out)


def clamp_backward(
    x: np.ndarray,
    grad_out: np.ndarray,
    grad_x: np.ndarray,
    low: float,
    high: float,
    num_threads: int = 1,
) -> None:
    """grad_x = grad_out where low <= x <= high, else 0, on flat arrays."""
    inside = (x >= x.dtype.type(low)) & (x <= x.dtype.type(high))
    np.copyto(grad_x, np.where(inside, grad_out, 0))
