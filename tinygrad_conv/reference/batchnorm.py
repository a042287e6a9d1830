"""Batch normalisation, the readable twin of kernels/batchnorm.pyx.

The input is viewed as (N, C, L): N samples, C channels, L values per channel and sample (H * W for
images, 1 for a (N, C) batch). Each channel c is normalised over its M = N * L values:
    mean = sum(x) / M,    var = sum((x - mean)^2) / M     (biased: what the normalisation uses)
    x_hat = (x - mean) * invstd,    invstd = 1 / sqrt(var + eps)
    y = x_hat * weight + bias
In eval mode mean and var are the running statistics instead, constants for the gradient.

Backward in train mode: mean and var depend on every x of the channel, so the gradient has two
correction terms (the derivation in PyTorch's and most textbooks' notation):
    grad_bias = sum(dy),    grad_weight = sum(dy * x_hat) = invstd * sum(dy * (x - mean))
    grad_x = weight * invstd * (dy - sum(dy) / M - x_hat * sum(dy * x_hat) / M)
In eval mode only the first term stays: grad_x = dy * weight * invstd.

The kernel computes the same numbers in one pass for the sums and one for the output, per
channel; it sums x - shift, shift a value near the mean, to keep float32's digits (a shifted-data
variance). This twin takes the plain two-pass route in float64. The per-channel vectors (mean, var,
invstd, sum_dy, sum_dy_xmu) are float64 whatever x's dtype. Outputs are preallocated by the caller
and written with `out[...] = ...`; the functions return None.
"""

from __future__ import annotations

import numpy as np

AXES = (0, 2)  # the axes a channel's values lie along in (N, C, L)


def _per_channel(v: np.ndarray) -> np.ndarray:
    return v[None, :, None]  # (C,) -> (1, C, 1), which broadcasts against (N, C, L)


def batch_norm_forward_train(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray,
    y: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    invstd: np.ndarray,
    eps: float,
    num_threads: int = 1,
) -> None:
    """mean = sum(x) / M, var = sum((x - mean)^2) / M; y = (x - mean) * invstd * weight + bias."""
    x64 = x.astype(np.float64)
    if x.shape[0] * x.shape[2] == 0:  # no values: nothing to average (the caller skips updates)
        mean[...], var[...] = 0.0, 0.0
    else:
        mean[...] = x64.mean(axis=AXES)
        var[...] = ((x64 - _per_channel(mean)) ** 2).mean(axis=AXES)
    invstd[...] = 1.0 / np.sqrt(var + eps)
    batch_norm_forward_eval(x, mean, invstd, weight, bias, y)


def batch_norm_forward_eval(
    x: np.ndarray,
    mean: np.ndarray,
    invstd: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray,
    y: np.ndarray,
    num_threads: int = 1,
) -> None:
    """y = (x - mean) * invstd * weight + bias."""
    dtype = x.dtype.type
    center = _per_channel(mean.astype(dtype))
    scale = _per_channel((invstd * weight).astype(dtype))
    y[...] = (x - center) * scale + _per_channel(bias)


def _dy_sums(
    x: np.ndarray,
    grad_out: np.ndarray,
    mean: np.ndarray,
    sum_dy: np.ndarray,
    sum_dy_xmu: np.ndarray,
) -> None:
    """sum_dy = sum(dy), sum_dy_xmu = sum(dy * (x - mean)) per channel, in float64."""
    dy = grad_out.astype(np.float64)
    sum_dy[...] = dy.sum(axis=AXES)
    sum_dy_xmu[...] = (dy * (x - _per_channel(mean))).sum(axis=AXES)


def batch_norm_backward_train(
    x: np.ndarray,
    grad_out: np.ndarray,
    mean: np.ndarray,
    invstd: np.ndarray,
    weight: np.ndarray,
    grad_x: np.ndarray,
    sum_dy: np.ndarray,
    sum_dy_xmu: np.ndarray,
    need_grad_x: bool,
    num_threads: int = 1,
) -> None:
    """grad_x = weight * invstd * (dy - sum(dy) / M - x_hat * sum(dy * x_hat) / M)."""
    _dy_sums(x, grad_out, mean, sum_dy, sum_dy_xmu)
    count = x.shape[0] * x.shape[2]
    if not need_grad_x or count == 0:
        return
    x_hat = (x - _per_channel(mean)) * _per_channel(invstd)
    mean_dy = sum_dy / count
    mean_dy_xhat = sum_dy_xmu * invstd / count  # sum(dy * x_hat) / M
    grad = grad_out - _per_channel(mean_dy) - x_hat * _per_channel(mean_dy_xhat)
    grad_x[...] = grad * _per_channel(weight * invstd)


def batch_norm_backward_eval(
    x: np.ndarray,
    grad_out: np.ndarray,
    mean: np.ndarray,
    invstd: np.ndarray,
    weight: np.ndarray,
    grad_x: np.ndarray,
    sum_dy: np.ndarray,
    sum_dy_xmu: np.ndarray,
    need_grad_x: bool,
    need_sums: bool,
    num_threads: int = 1,
) -> None:
    """grad_x = dy * weight * invstd (the running statistics are constants); sums as in train."""
    if need_sums:
        _dy_sums(x, grad_out, mean, sum_dy, sum_dy_xmu)
    if need_grad_x:
        grad_x[...] = grad_out * _per_channel(weight * invstd)
