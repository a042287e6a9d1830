"""GELU, the readable twin of kernels/gelu.pyx.

Forward weighs each value by the probability that a standard normal lies below it:
y = x * Phi(x) with Phi(x) = (1 + erf(x / sqrt(2))) / 2 (approximate="none"), or PyTorch's
approximation y = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) (approximate="tanh").
Backward: dL/dx = dL/dy * (Phi(x) + x * phi(x)), phi the normal density; for the tanh form, the
derivative of that formula. NumPy has no erf, so this twin takes Python's math.erf element by
element (slow, but exact and plain); both compute in float64 and round to the array's dtype.
Both write into `out`/`grad_x`, preallocated by the caller, and return None, like the kernels.
"""

from __future__ import annotations

import math

import numpy as np

_erf = np.vectorize(math.erf, otypes=[np.float64])
K_TANH = math.sqrt(2 / math.pi)
C_TANH = 0.044715


def gelu_forward(
    x: np.ndarray, out: np.ndarray, approximate_tanh: bool, num_threads: int = 1
) -> None:
    """out = x Phi(x) (or the tanh form), on flat arrays."""
    v = x.astype(np.float64)
    if approximate_tanh:
        out[...] = 0.5 * v * (1 + np.tanh(K_TANH * (v + C_TANH * v**3)))
    else:
        out[...] = 0.5 * v * (1 + _erf(v / math.sqrt(2))) if v.size else v


def gelu_backward(
    x: np.ndarray,
    grad_out: np.ndarray,
    grad_x: np.ndarray,
    approximate_tanh: bool,
    num_threads: int = 1,
) -> None:
    """grad_x = grad_out * dy/dx, on flat arrays."""
    v = x.astype(np.float64)
    if approximate_tanh:
        t = np.tanh(K_TANH * (v + C_TANH * v**3))
        local = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * K_TANH * (1 + 3 * C_TANH * v * v)
    else:
        cdf = 0.5 * (1 + _erf(v / math.sqrt(2))) if v.size else v
        local = cdf + v * np.exp(-0.5 * v * v) / math.sqrt(2 * math.pi)
    grad_x[...] = grad_out * local
