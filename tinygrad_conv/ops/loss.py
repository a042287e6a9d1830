"""Losses over class indices: cross_entropy from logits, nll_loss from log-probabilities, each
with PyTorch's weight= (one per class), ignore_index and weighted mean.

Kernels: kernels/cross_entropy.pyx; readable twin: tinygrad_conv/reference/cross_entropy.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import kernels, num_threads
from .._checks import as_count, as_real, check_float, check_ndim, check_reduction
from ..autograd import Context, Function, is_tensor, make_tensor
from . import movement

__all__ = ["cross_entropy", "nll_loss"]

INDEX_RANGE = (-(2**63), 2**63 - 1)  # ignore_index reaches the kernel as a Py_ssize_t


def check_ignore_index(op: str, value: Any) -> int:
    return as_count(op, "ignore_index", value, *INDEX_RANGE)


def _check_target(
    target: np.ndarray, n: int, c: int, ignore_index: int = -100, op: str = "cross_entropy"
) -> None:
    if target.dtype.kind not in "iuf":
        raise TypeError(
            f"{op}: target must be an integer array of class indices, got dtype {target.dtype}"
        )
    if target.shape != (n,):
        raise ValueError(
            f"{op}: target must be 1-D (N,) with N = {n} (one class index per row "
            f"of x), got shape {target.shape}"
        )
    if target.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(target) | (target != np.round(target)))
        if bad.size:
            raise ValueError(
                f"{op}: target must hold integer class indices, got {target[bad[0]]} "
                f"at index {bad[0]}"
            )
    bad = np.flatnonzero((target != ignore_index) & ((target < 0) | (target >= c)))
    if bad.size:  # the kernel reads x[i, target[i]] unchecked: this test is what makes that safe
        value = target[bad[0]].item()
        raise ValueError(
            f"{op}: target must lie in [0, C) = [0, {c}) where C = x.shape[1] (or "
            f"equal ignore_index={ignore_index}), got {value:g} at index {bad[0]}"
        )


def _check_class_args(op: str, c: int, reduction: Any, weight: Any, ignore_index: Any):
    """reduction, weight (None or C numbers, returned as float64) and ignore_index (an int)."""
    check_reduction(op, reduction)
    ignore_index = check_ignore_index(op, ignore_index)
    if weight is None:
        return None, ignore_index
    array = np.asarray(weight.data if is_tensor(weight) else weight)
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"{op}: weight must hold numbers (one weight per class), got dtype {array.dtype}"
        )
    if array.shape != (c,):
        raise ValueError(
            f"{op}: weight must be 1-D with one weight per class, (C,) = ({c},), got "
            f"shape {array.shape}"
        )
    # A copy: later changes of the caller's array cannot reach the kernel or the backward.
    return np.array(array, dtype=np.float64, copy=True), ignore_index


def check_label_smoothing(op: str, value: Any) -> float:
    return as_real(op, "label_smoothing", value, 0, 1)


def _denominator(target: np.ndarray, weight: np.ndarray | None, ignore_index: int) -> float:
    """PyTorch's weighted mean divides by sum w[t] over the targets not ignored."""
    kept = target[target != ignore_index]
    return float(kept.size) if weight is None else float(weight[kept].sum())


class CrossEntropy(Function):
    name = "cross_entropy"
    inputs = ("logits", "target")

    @staticmethod
    def check(x, target, reduction="mean", label_smoothing=0.0, weight=None, ignore_index=-100):
        op = "cross_entropy"
        check_ndim(op, "x", x, 2, "(N, C) logits")
        check_float(op, "x", x)
        if x.shape[1] == 0:
            raise ValueError(f"{op}: x must have at least one class (C >= 1), got shape {x.shape}")
        weight, ignore_index = _check_class_args(op, x.shape[1], reduction, weight, ignore_index)
        _check_target(target, *x.shape, ignore_index)
        return {
            "reduction": reduction,
            "label_smoothing": check_label_smoothing(op, label_smoothing),
            "weight": weight,
            "ignore_index": ignore_index,
        }

    @staticmethod
    def forward(ctx: Context, x, target, reduction, label_smoothing, weight, ignore_index):
        x = np.ascontiguousarray(x)  # the kernel trusts C-contiguous rows
        # A private copy, range-checked again: check() saw the caller's array, which another
        # thread may change before the kernel reads x[i, target[i]] unchecked.
        target = np.array(target, dtype=np.intp)
        _check_target(target, *x.shape, ignore_index)
        n = x.shape[0]
        loss, softmax = np.empty(n), np.empty_like(x)  # loss: float64 per row, whatever x's dtype
        kernels().cross_entropy_forward(
            x, target, loss, softmax, label_smoothing, num_threads(x.size), weight, ignore_index
        )
        ctx.save_for_backward(softmax, target)  # backward needs softmax(x), not x
        return _reduce(loss, reduction, _denominator(target, weight, ignore_index), x.dtype)

    @staticmethod
    def backward(ctx: Context, grad_out):
        softmax, target = ctx.saved_tensors
        p = ctx.params
        grad_loss = _grad_rows(
            grad_out,
            softmax.shape[0],
            p["reduction"],
            _denominator(target, p["weight"], p["ignore_index"]),
        )
        grad_x = np.empty_like(softmax)
        kernels().cross_entropy_backward(
            softmax,
            target,
            grad_loss,
            grad_x,
            p["label_smoothing"],
            num_threads(grad_x.size),
            p["weight"],
            p["ignore_index"],
        )
        return grad_x, None  # no gradient for the class indices


class CrossEntropyProbs(Function):
    """Cross-entropy against class probabilities t (N, C), PyTorch's soft-target form:
    loss_i = -sum_j w_j t'_ij log_softmax(x_i)_j, t' = (1 - eps) t + eps / C; the mean divides by
    N. dL/dx_ij = (sum_k w_k t'_ik) softmax_ij - w_j t'_ij; dL/dt_ij = -(1 - eps) w_j
    log_softmax_ij."""

    name = "cross_entropy"
    inputs = ("logits", "target")

    @staticmethod
    def check(x, target, reduction="mean", label_smoothing=0.0, weight=None):
        op = "cross_entropy"
        params = CrossEntropy.check(
            x, np.zeros(x.shape[:1], np.intp), reduction, label_smoothing, weight
        )
        if target.dtype != x.dtype:
            raise TypeError(
                f"{op}: a probability target must have x's dtype {x.dtype}, got {target.dtype}"
            )
        del params["ignore_index"]  # refused unless -100 (cross_entropy), as PyTorch
        return params

    @staticmethod
    def forward(ctx: Context, x, target, reduction, label_smoothing, weight):
        eps, c = label_smoothing, x.shape[1]
        with np.errstate(invalid="ignore", over="ignore"):
            m = x.max(axis=1, keepdims=True)
            shifted = x - m
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        smooth = (1 - eps) * target + eps / c
        w = np.ones(c, x.dtype) if weight is None else weight.astype(x.dtype)
        ctx.save_for_backward(log_p, smooth, w)
        loss = -(w * smooth * log_p).sum(axis=1)
        return _reduce(loss, reduction, float(x.shape[0]), x.dtype)

    @staticmethod
    def backward(ctx: Context, grad_out):
        log_p, smooth, w = ctx.saved_tensors
        n = log_p.shape[0]
        grad_loss = _grad_rows(grad_out, n, ctx.params["reduction"], float(n))[:, None]
        grad_x = grad_target = None
        if ctx.needs_input_grad[0]:
            weighted = (w * smooth).sum(axis=1, keepdims=True)
            grad_x = (grad_loss * (weighted * np.exp(log_p) - w * smooth)).astype(log_p.dtype)
        if ctx.needs_input_grad[1]:
            eps = ctx.params["label_smoothing"]
            grad_target = (grad_loss * -(1 - eps) * w * log_p).astype(log_p.dtype)
        return grad_x, grad_target


def _reduce(loss: np.ndarray, reduction: str, denominator: float, dtype: np.dtype) -> np.ndarray:
    if reduction == "none":
        return loss.astype(dtype)
    total = loss.sum()
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):  # PyTorch: no rows give NaN
            total = total / denominator if denominator else np.float64(np.nan)
    return np.asarray(total, dtype=dtype)


def _grad_rows(grad_out: np.ndarray, n: int, reduction: str, denominator: float) -> np.ndarray:
    """dL/d(loss_i): grad_out itself (none), 1 (sum) or 1 / denominator (mean)."""
    if reduction == "none":
        return np.ascontiguousarray(grad_out, dtype=np.float64)
    scale = 1.0 if reduction == "sum" else (1.0 / denominator if denominator else np.nan)
    return np.full(n, float(grad_out) * scale)


class NLLLoss(Function):
    """loss_i = -w[t_i] * x[i, t_i] (0 where t_i is ignore_index), x holding log-probabilities."""

    name = "nll_loss"
    inputs = ("x", "target")

    @staticmethod
    def check(x, target, weight=None, ignore_index=-100, reduction="mean"):
        op = "nll_loss"
        check_ndim(op, "x", x, 2, "(N, C) log-probabilities")
        check_float(op, "x", x)
        weight, ignore_index = _check_class_args(op, x.shape[1], reduction, weight, ignore_index)
        _check_target(target, *x.shape, ignore_index, op=op)
        return {"weight": weight, "ignore_index": ignore_index, "reduction": reduction}

    @staticmethod
    def forward(ctx: Context, x, target, weight, ignore_index, reduction):
        target = np.array(target, dtype=np.intp)  # a private copy, checked again (as above)
        _check_target(target, *x.shape, ignore_index, op="nll_loss")
        kept = target != ignore_index
        t = np.where(kept, target, 0)
        w_t = np.where(kept, 1.0 if weight is None else weight[t], 0.0)
        ctx.save_for_backward(target, w_t)
        loss = -w_t * x[np.arange(x.shape[0]), t]
        return _reduce(loss, reduction, _denominator(target, weight, ignore_index), x.dtype)

    @staticmethod
    def backward(ctx: Context, grad_out):
        target, w_t = ctx.saved_tensors
        (n, c), dtype = ctx.input_shapes[0], ctx.input_dtypes[0]
        p = ctx.params
        grad_loss = _grad_rows(
            grad_out, n, p["reduction"], _denominator(target, p["weight"], p["ignore_index"])
        )
        grad_x = np.zeros((n, c), dtype=dtype)
        grad_x[np.arange(n), np.where(w_t != 0, target, 0)] = -w_t * grad_loss
        return grad_x, None


def _as_target(target: Any, op: str = "cross_entropy"):
    """A Tensor as is; class indices (a list, an integer or float array) as a constant Tensor."""
    if is_tensor(target):
        return target
    array = np.asarray(target)
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"{op}: target must be an integer array of class indices, got dtype {array.dtype}"
        )
    # Integer indices stay integers (API.md); check() rejects non-integers and bad ranges.
    return make_tensor(np.array(array, copy=True))


def cross_entropy(
    x: Any,
    target: Any,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    *,
    weight: Any = None,
    ignore_index: int = -100,
):
    """loss_i = (1 - eps) * w_t * -log_softmax(x_i)[t] + eps / C * sum_j w_j * -log_softmax(x_i)[j]
    (0 where t = ignore_index), then the sum, none, or the weighted mean sum_i loss_i / sum_i w_t.
    x (N, C, d1, ...) with target (N, d1, ...) is read as N * d1 * ... rows, as PyTorch does.
    A float target of x's shape (N, C) holds class probabilities (PyTorch's other form).
    (nn.functional.cross_entropy takes PyTorch's argument order.)"""
    target = _as_target(target)
    shape = tuple(np.shape(x.data if is_tensor(x) else x))
    if target.dtype.kind == "f" and target.shape == shape and len(shape) == 2:
        dtype = x.dtype if is_tensor(x) else np.result_type(np.asarray(x).dtype, np.float32)
        if target.dtype != dtype and not target.requires_grad:  # a constant takes x's dtype
            target = make_tensor(target.data.astype(dtype))
        if ignore_index != -100:
            raise ValueError(
                f"cross_entropy: ignore_index is not supported for probability targets (a float "
                f"target of x's shape {shape}), got ignore_index={ignore_index!r}"
            )
        return CrossEntropyProbs.apply(
            x, target, reduction=reduction, label_smoothing=label_smoothing, weight=weight
        )
    x, target, unflatten = _rows("cross_entropy", x, target, reduction)
    loss = CrossEntropy.apply(
        x,
        target,
        reduction=reduction,
        label_smoothing=label_smoothing,
        weight=weight,
        ignore_index=ignore_index,
    )
    return unflatten(loss)


def nll_loss(
    x: Any,
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
):
    """loss_i = -w[t_i] * x[i, t_i] for log-probabilities x (log_softmax's output); the weighted
    mean divides by sum_i w[t_i]. PyTorch's signature (size_average and reduce are its legacy
    spellings of reduction)."""
    reduction = legacy_reduction("nll_loss", size_average, reduce, reduction)
    x, target, unflatten = _rows("nll_loss", x, _as_target(target, "nll_loss"), reduction)
    loss = NLLLoss.apply(x, target, weight=weight, ignore_index=ignore_index, reduction=reduction)
    return unflatten(loss)


def _rows(op: str, x: Any, target: Any, reduction: Any):
    """(N, C, d1, ...) inputs and (N, d1, ...) targets as (N * d1 * ..., C) rows and their
    targets (a permute and a reshape in the graph); the function that gives reduction="none"
    results back their (N, d1, ...) shape. 2-D inputs pass through."""
    shape = tuple(np.shape(x.data if is_tensor(x) else x))
    if len(shape) <= 2:
        return x, target, lambda loss: loss
    want = shape[:1] + shape[2:]
    if target.shape != want:
        raise ValueError(
            f"{op}: x must be 2-D (N, C), or (N, C, d1, ...) with a target of shape (N, d1, ...) "
            f"= {want}; got x of shape {shape} and target of shape {target.shape}"
        )
    dims = (0, *range(2, len(shape)), 1)
    rows = movement.reshape(movement.permute(x, *dims), -1, shape[1])
    flat = make_tensor(target.data.reshape(-1))
    if reduction != "none":
        return rows, flat, lambda loss: loss
    return rows, flat, lambda loss: movement.reshape(loss, *want)


def legacy_reduction(op: str, size_average: Any, reduce: Any, reduction: str) -> str:
    """PyTorch's deprecated size_average/reduce flags, when given, decide the reduction."""
    if size_average is None and reduce is None:
        return reduction
    for name, value in (("size_average", size_average), ("reduce", reduce)):
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"{op}: {name} must be a bool or None, got {value!r}")
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"
