"""ReLU, the readable twin of kernels/relu.pyx.

Forward keeps positive values and zeroes the rest: y = max(x, 0).
Backward lets the incoming gradient through where the input was positive and stops it elsewhere:
dL/dx = dL/dy * (x > 0). At exactly x = 0 the gradient is 0, as PyTorch chooses; a NaN input stays
NaN and lets its gradient through, as in PyTorch.
Both write into `out`/`grad_x`, preallocated by the caller, and return None, like the kernels.
"""

from __future__ import annotations

import numpy as np


def relu_forward(x: np.ndarray, out: np.ndarray, num_threads: int = 1) -> None:
    """out = max(x, 0) on flat arrays (np.maximum keeps NaN)."""
    np.maximum(x, 0, out=out)


def relu_backward(
    x: np.ndarray, grad_out: np.ndarray, grad_x: np.ndarray, num_threads: int = 1
) -> None:
    """grad_x = grad_out where x > 0 (or NaN), else 0, on flat arrays."""
    np.copyto(grad_x, np.where(x <= 0, 0, grad_out))
