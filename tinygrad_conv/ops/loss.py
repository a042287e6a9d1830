"""Losses: cross_entropy from logits.

Kernels: kernels/cross_entropy.pyx; readable twin: tinygrad_conv/reference/cross_entropy.py.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._backend import kernels, num_threads
from .._checks import check_float, check_ndim
from ..autograd import Context, Function, is_tensor, make_tensor

__all__ = ["cross_entropy"]

REDUCTIONS = ("mean", "sum", "none")


def _check_target(target: np.ndarray, n: int, c: int) -> None:
    op = "cross_entropy"
    if target.dtype.kind not in "iuf":
        raise TypeError(f"{op}: target must be an integer array of class indices, "
                        f"got dtype {target.dtype}")
    if target.shape != (n,):
        raise ValueError(f"{op}: target must be 1-D (N,) with N = {n} (one class index per row "
                         f"of x), got shape {target.shape}")
    if target.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(target) | (target != np.round(target)))
        if bad.size:
            raise ValueError(f"{op}: target must hold integer class indices, got {target[bad[0]]} "
                             f"at index {bad[0]}")
    bad = np.flatnonzero((target < 0) | (target >= c))
    if bad.size:  # the kernel reads x[i, target[i]] unchecked: this test is what makes that safe
        value = target[bad[0]].item()
        raise ValueError(f"{op}: target must lie in [0, C) = [0, {c}) where C = x.shape[1], "
                         f"got {value:g} at index {bad[0]}")


class CrossEntropy(Function):
    name = "cross_entropy"
    inputs = ("logits", "target")

    @staticmethod
    def check(x, target, reduction="mean", label_smoothing=0.0):
        op = "cross_entropy"
        check_ndim(op, "x", x, 2, "(N, C) logits")
        check_float(op, "x", x)
        if x.shape[1] == 0:
            raise ValueError(f"{op}: x must have at least one class (C >= 1), got shape {x.shape}")
        _check_target(target, *x.shape)
        if not isinstance(reduction, str):
            raise TypeError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
        if reduction not in REDUCTIONS:
            raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
        eps = label_smoothing
        if not isinstance(eps, numbers.Real) or isinstance(eps, (bool, np.bool_)):
            raise TypeError(f"{op}: label_smoothing must be a float in [0, 1], got {eps!r}")
        if not 0.0 <= eps <= 1.0:  # NaN fails too
            raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {eps!r}")
        return {"reduction": reduction, "label_smoothing": float(eps)}

    @staticmethod
    def forward(ctx: Context, x, target, reduction, label_smoothing):
        x = np.ascontiguousarray(x)  # the kernel trusts C-contiguous rows
        target = target.astype(np.intp, copy=False)  # range-checked in check
        n = x.shape[0]
        loss, softmax = np.empty(n), np.empty_like(x)  # loss: float64 per row, whatever x's dtype
        kernels().cross_entropy_forward(x, target, loss, softmax, label_smoothing,
                                        num_threads(x.size))
        ctx.save_for_backward(softmax, target)  # backward needs softmax(x), not x
        if reduction == "none":
            return loss.astype(x.dtype)
        total = loss.sum()
        if reduction == "mean":
            total = total / n if n else np.nan  # PyTorch: the mean of no rows is NaN
        return np.asarray(total, dtype=x.dtype)

    @staticmethod
    def backward(ctx: Context, grad_out):
        softmax, target = ctx.saved_tensors
        n, reduction = softmax.shape[0], ctx.params["reduction"]
        if reduction == "none":
            grad_loss = np.ascontiguousarray(grad_out, dtype=np.float64)
        else:  # d(sum)/d(loss_i) = 1, d(mean)/d(loss_i) = 1 / N
            grad_loss = np.full(n, float(grad_out) / (n if reduction == "mean" and n else 1))
        grad_x = np.empty_like(softmax)
        kernels().cross_entropy_backward(softmax, target, grad_loss, grad_x,
                                         ctx.params["label_smoothing"], num_threads(grad_x.size))
        return grad_x, None  # no gradient for the class indices


def _as_target(target: Any):
    """A Tensor as is; class indices (a list, an integer or float array) as a constant Tensor."""
    if is_tensor(target):
        return target
    array = np.asarray(target)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"cross_entropy: target must be an integer array of class indices, got "
                        f"dtype {array.dtype}")
    # Integer indices stay integers (API.md); check() rejects non-integers and bad ranges.
    return make_tensor(np.array(array, copy=True))


def cross_entropy(x: Any, target: Any, reduction: str = "mean", label_smoothing: float = 0.0):
    """loss_i = (1 - eps) * -log_softmax(x_i)[target_i] + eps * mean_j -log_softmax(x_i)[j],
    then the mean, the sum or none of them (reduction)."""
    return CrossEntropy.apply(x, _as_target(target), reduction=reduction,
                              label_smoothing=label_smoothing)
