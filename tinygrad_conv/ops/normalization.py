"""batch_norm over the channels (dim 1) of (N, C), (N, C, L) or (N, C, H, W) inputs, as
torch.nn.functional.batch_norm.

Kernels: kernels/batchnorm.pyx; readable twin: tinygrad_conv/reference/batchnorm.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import kernels, num_threads
from .._checks import as_bool, as_real, check_float, check_same_dtype
from ..autograd import Context, Function, is_tensor

__all__ = ["batch_norm"]

OP = "batch_norm"


def check_eps(op: str, eps: Any, positive: bool) -> float:
    """eps: a real number > 0 (positive=True: training, the layers) or >= 0 (eval mode)."""
    return as_real(op, "eps", eps, low=0, low_open=positive, finite=False)


def check_momentum(op: str, momentum: Any, low: float | None = None, high: float | None = None):
    """momentum: a real number (the layers: in [0, 1], or None)."""
    return as_real(op, "momentum", momentum, low, high, finite=False)


def _check_stat(name: str, value: Any, x: np.ndarray, training: bool) -> None:
    """A running statistic: None, or a Tensor / NumPy array of shape (C,) in x's dtype."""
    if value is None:
        return
    array = value.data if is_tensor(value) else value
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"{OP}: {name} must be a Tensor, a NumPy array or None, got {type(value).__name__}"
        )
    check_float(OP, name, array)
    check_same_dtype(OP, x=x, **{name: array})
    if array.shape != (x.shape[1],):
        raise ValueError(
            f"{OP}: {name} must have shape (C,) = ({x.shape[1]},), one value per "
            f"channel of x (shape {x.shape}), got shape {array.shape}"
        )
    if training and not array.flags.writeable:
        raise ValueError(f"{OP}: {name} is read-only, and training mode updates it in place")


def _data(value: Any) -> np.ndarray:
    return value.data if is_tensor(value) else np.asarray(value)


def _store(stat: Any, values: np.ndarray) -> None:
    """Write into a running statistic in place (a Tensor's version moves on)."""
    if is_tensor(stat):
        stat.data[...] = values
        stat._bump_version()
    else:
        stat[...] = values


class BatchNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, per channel (dim 1).

    Train mode: mean and var (biased) are the batch's, over N and every dim after C; the running
    statistics, when given, move towards them in place: running = (1 - momentum) * running +
    momentum * batch, with the unbiased variance (var * M / (M - 1), M values per channel).
    Eval mode: mean and var are the running statistics.
    After forward, ctx.params holds training, momentum, eps and the statistics this call used:
    "mean" and "var", float64 arrays (C,) (the batch mean and biased variance in train mode, a copy
    of the running ones in eval mode); the graph label reads them from there.
    """

    name = "batch_norm"
    inputs = ("x", "weight", "bias")

    @staticmethod
    def check(
        x,
        weight=None,
        bias=None,
        *,
        running_mean=None,
        running_var=None,
        training=False,
        momentum=0.1,
        eps=1e-5,
    ):
        if x.ndim < 2:
            raise ValueError(
                f"{OP}: x must be at least 2-D (N, C, ...), channels on dim 1, got shape {x.shape}"
            )
        check_float(OP, "x", x)
        for name, array in (("weight", weight), ("bias", bias)):
            if array is not None:
                check_float(OP, name, array)
                if array.shape != (x.shape[1],):
                    raise ValueError(
                        f"{OP}: {name} must have shape (C,) = ({x.shape[1]},), one "
                        f"value per channel of x (shape {x.shape}), got shape "
                        f"{array.shape}"
                    )
        check_same_dtype(OP, x=x, weight=weight, bias=bias)
        training = as_bool(OP, "training", training)
        if momentum is None:
            raise TypeError(
                f"{OP}: momentum must be a float, got None (BatchNorm's momentum=None "
                f"passes 1 / num_batches_tracked here)"
            )
        momentum = check_momentum(OP, momentum)
        eps = check_eps(OP, eps, positive=training)  # eval mode may divide by sqrt(var + 0)
        _check_stat("running_mean", running_mean, x, training)
        _check_stat("running_var", running_var, x, training)
        if (running_mean is None) != (running_var is None):
            raise ValueError(
                f"{OP}: running_mean and running_var must be given together (or both "
                f"None), got only "
                f"{'running_mean' if running_var is None else 'running_var'}"
            )
        if not training and running_mean is None:
            raise ValueError(
                f"{OP}: eval mode (training=False) needs running_mean and running_var, got None"
            )
        per_channel = x.size // x.shape[1] if x.shape[1] else 0
        if training and per_channel == 1:
            raise ValueError(
                f"{OP}: expected more than 1 value per channel when training, got "
                f"x of shape {x.shape}"
            )
        return {
            "training": training,
            "momentum": momentum,
            "eps": eps,
            "running_mean": running_mean,
            "running_var": running_var,
        }

    @staticmethod
    def forward(
        ctx: Context,
        x,
        weight=None,
        bias=None,
        *,
        training,
        momentum,
        eps,
        running_mean,
        running_var,
    ):
        n, c = x.shape[:2]
        length = int(np.prod(x.shape[2:]))  # L: 1 for (N, C); reshape's -1 fails on empty x
        x3 = np.ascontiguousarray(x).reshape(n, c, length)  # (N, C, L): what the kernels trust
        weight = np.ones(c, x.dtype) if weight is None else np.ascontiguousarray(weight)
        bias = np.zeros(c, x.dtype) if bias is None else np.ascontiguousarray(bias)
        y = np.empty_like(x3)
        count = x3.shape[0] * x3.shape[2]
        if training:
            mean, var, invstd = np.empty(c), np.empty(c), np.empty(c)
            kernels().batch_norm_forward_train(
                x3, weight, bias, y, mean, var, invstd, eps, num_threads(x.size)
            )
            if running_mean is not None and count > 0:  # an empty batch leaves them as they were
                old_mean, old_var = _data(running_mean), _data(running_var)
                unbiased = var * (count / (count - 1))
                _store(running_mean, (1 - momentum) * old_mean + momentum * mean)
                _store(running_var, (1 - momentum) * old_var + momentum * unbiased)
        else:
            mean = np.array(_data(running_mean), dtype=np.float64)  # copies: see ctx.params
            var = np.array(_data(running_var), dtype=np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):  # eps = 0: as PyTorch, inf/NaN
                invstd = 1 / np.sqrt(var + eps)
            kernels().batch_norm_forward_eval(
                x3, mean, invstd, weight, bias, y, num_threads(x.size)
            )
        ctx.save_for_backward(x3, mean, invstd, weight)
        # The running statistics are the caller's, not this call's: keep what was used instead.
        ctx.params = {
            "training": training,
            "momentum": momentum,
            "eps": eps,
            "mean": mean,
            "var": var,
        }
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx: Context, grad_out):
        x3, mean, invstd, weight = ctx.saved_tensors
        need = ctx.needs_input_grad + (False, False)
        need_x, need_w, need_b = need[0], need[1], need[2]
        grad_out3 = np.ascontiguousarray(grad_out, dtype=x3.dtype).reshape(x3.shape)
        grad_x = np.empty_like(x3) if need_x else np.empty((0, 0, 0), x3.dtype)
        sum_dy, sum_dy_xmu = np.zeros(x3.shape[1]), np.zeros(x3.shape[1])
        threads = num_threads(x3.size)
        if ctx.params["training"]:
            kernels().batch_norm_backward_train(
                x3, grad_out3, mean, invstd, weight, grad_x, sum_dy, sum_dy_xmu, need_x, threads
            )
        else:
            kernels().batch_norm_backward_eval(
                x3,
                grad_out3,
                mean,
                invstd,
                weight,
                grad_x,
                sum_dy,
                sum_dy_xmu,
                need_x,
                need_w or need_b,
                threads,
            )
        grad_x = grad_x.reshape(ctx.parents[0].shape) if need_x else None
        # dL/dweight = sum(dy * x_hat) = invstd * sum(dy * (x - mean)); dL/dbias = sum(dy)
        grad_weight = (sum_dy_xmu * invstd).astype(x3.dtype) if need_w else None
        grad_bias = sum_dy.astype(x3.dtype) if need_b else None
        return (grad_x, grad_weight, grad_bias)[: len(ctx.parents)]


def batch_norm(
    x: Any,
    running_mean: Any,
    running_var: Any,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
):
    """Normalise each channel (dim 1) of x, as torch.nn.functional.batch_norm: batch statistics
    when training (updating running_mean/running_var in place when given), else the running ones.
    y = (x - mean) / sqrt(var + eps) * weight + bias."""
    if weight is None and bias is None:
        inputs = (x,)
    else:  # one of them missing: a constant in its place (weight 1, bias 0)
        if weight is None:
            weight = np.ones_like(_data(bias))
        if bias is None:
            bias = np.zeros_like(_data(weight))
        inputs = (x, weight, bias)
    return BatchNorm.apply(
        *inputs,
        running_mean=running_mean,
        running_var=running_var,
        training=training,
        momentum=momentum,
        eps=eps,
    )
