"""Leaky ReLU, the readable twin of kernels/leaky_relu.pyx.

Forward keeps positive values and scales the rest: y = x if x > 0 else negative_slope * x.
Backward passes the incoming gradient where the input was positive and scales it elsewhere:
dL/dx = dL/dy if x > 0 else negative_slope * dL/dy. At exactly x = 0 the slope applies, as PyTorch
chooses; a NaN input stays NaN.
Both write into `out`/`grad_x`, preallocated by the caller, and return None, like the kernels.
"""

from __future__ import annotations

import numpy as np


def leaky_relu_forward(
    x: np.ndarray, out: np.ndarray, negative_slope: float, num_threads: int = 1
) -> None:
    """out = x where x > 0, else negative_slope * x, on flat arrays."""
    np.copyto(out, np.where(x > 0, x, x * x.dtype.type(negative_slope)))


def leaky_relu_backward(
    x: np.ndarray,
    grad_out: np.ndarray,
    grad_x: np.ndarray,
    negative_slope: float,
    num_threads: int = 1,
) -> None:
    """grad_x = grad_out where x > 0, else negative_slope * grad_out, on flat arrays."""
    np.copyto(grad_x, np.where(x > 0, grad_out, grad_out * x.dtype.type(negative_slope)))
