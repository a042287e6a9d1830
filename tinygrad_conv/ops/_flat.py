"""Calling an elementwise kernel (relu, leaky_relu, gelu, clamp): the kernels take flat,
C-contiguous buffers of one float dtype and write into an output the caller allocates."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import num_threads


def flat_forward(kernel: Any, x: np.ndarray, *params: Any) -> tuple[np.ndarray, np.ndarray]:
    """kernel(x, out, *params, threads) -> (the contiguous x the kernel read, out)."""
    x = np.ascontiguousarray(x).reshape(x.shape)  # the kernel trusts a flat, contiguous buffer
    out = np.empty_like(x)
    kernel(x.reshape(-1), out.reshape(-1), *params, num_threads(x.size))
    return x, out


def flat_backward(kernel: Any, x: np.ndarray, grad_out: np.ndarray, *params: Any) -> np.ndarray:
    """kernel(x, grad_out, grad_x, *params, threads) -> grad_x (x as flat_forward returned it)."""
    grad_out = np.ascontiguousarray(grad_out, dtype=x.dtype)
    grad_x = np.empty_like(x)
    kernel(x.reshape(-1), grad_out.reshape(-1), grad_x.reshape(-1), *params, num_threads(x.size))
    return grad_x
