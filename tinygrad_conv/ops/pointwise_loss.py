"""Losses that compare x and target element by element: mse_loss, l1_loss, smooth_l1_loss,
binary_cross_entropy, binary_cross_entropy_with_logits. PyTorch's signatures, formulas and
reductions ("mean" over every element, "sum", "none"); target broadcasts against x as in PyTorch
and gets its gradient too when it requires one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import as_real, check_reduction
from ..autograd import Context, Function, is_tensor, make_tensor
from ._args import check_float_input
from .elementwise import unbroadcast
from .loss import legacy_reduction

__all__ = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]


def _constant(op: str, name: str, value: Any, like: np.ndarray, shape: tuple) -> np.ndarray | None:
    """weight / pos_weight: None, or numbers broadcastable to `shape`, as a private copy."""
    if value is None:
        return None
    array = np.asarray(value.data if is_tensor(value) else value)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{op}: {name} must hold numbers, got dtype {array.dtype}")
    try:
        np.broadcast_shapes(array.shape, shape)
    except ValueError:
        raise ValueError(
            f"{op}: {name} of shape {array.shape} does not broadcast to x's shape {shape}"
        ) from None
    return np.array(array, dtype=like.dtype, copy=True)


def check_beta(op: str, beta: Any) -> float:
    """smooth_l1_loss's beta: a real number >= 0 (inf allowed, as PyTorch: the loss is then
    0.5 d^2 / inf = 0)."""
    return as_real(op, "beta", beta, low=0.0, finite=False)


class PointwiseLoss(Function):
    """Base: loss = reduce(f(x, t)); subclasses give f and its two partial derivatives."""

    inputs = ("x", "target")
    same_shape = False  # PyTorch's BCE losses refuse a target of another shape

    @classmethod
    def check(cls, x, target, reduction="mean", **extra):
        op = cls.name
        check_float_input(op, x, target, names=("x", "target"))
        if x.dtype != target.dtype:
            raise TypeError(
                f"{op}: x and target must share one dtype, got {x.dtype} and {target.dtype}"
            )
        if cls.same_shape and x.shape != target.shape:
            raise ValueError(f"{op}: target must have x's shape {x.shape}, got {target.shape}")
        try:
            np.broadcast_shapes(x.shape, target.shape)
        except ValueError:
            raise ValueError(
                f"{op}: target of shape {target.shape} does not broadcast with x's shape {x.shape}"
            ) from None
        check_reduction(op, reduction)
        return {"reduction": reduction, **cls.check_extra(x, target, **extra)}

    @staticmethod
    def check_extra(x, target, **extra) -> dict:
        return {}

    @classmethod
    def forward(cls, ctx: Context, x, target, reduction, **extra):
        ctx.save_for_backward(x, target)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            loss = cls.f(x, target, **extra)
        if reduction == "none":
            return loss.astype(x.dtype, copy=False)
        total = loss.sum() if reduction == "sum" else loss.mean()
        return np.asarray(total, dtype=x.dtype)

    @classmethod
    def backward(cls, ctx: Context, grad_out):
        x, target = ctx.saved_tensors
        params = dict(ctx.params)
        reduction = params.pop("reduction")
        shape = np.broadcast_shapes(x.shape, target.shape)
        scale = grad_out if reduction != "mean" else grad_out / max(int(np.prod(shape)), 1)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            d_x, d_target = cls.df(x, target, **params)
        grad_x = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_x = unbroadcast(np.broadcast_to(d_x * scale, shape), x.shape, x.dtype)
        if ctx.needs_input_grad[1]:
            grad_target = unbroadcast(
                np.broadcast_to(d_target * scale, shape), target.shape, target.dtype
            )
        return grad_x, grad_target


class MSELoss(PointwiseLoss):
    """l = (x - t)^2; dl/dx = 2 (x - t) = -dl/dt."""

    name = "mse_loss"

    @staticmethod
    def f(x, t):
        return (x - t) ** 2

    @staticmethod
    def df(x, t):
        d = 2 * (x - t)
        return d, -d


class L1Loss(PointwiseLoss):
    """l = |x - t|; dl/dx = sign(x - t) = -dl/dt (0 at x = t, as PyTorch)."""

    name = "l1_loss"

    @staticmethod
    def f(x, t):
        return np.abs(x - t)

    @staticmethod
    def df(x, t):
        d = np.sign(x - t)
        return d, -d


class SmoothL1Loss(PointwiseLoss):
    """l = 0.5 (x - t)^2 / beta where |x - t| < beta, else |x - t| - 0.5 beta (beta = 0: L1)."""

    name = "smooth_l1_loss"

    @staticmethod
    def check_extra(x, target, beta=1.0):
        return {"beta": check_beta("smooth_l1_loss", beta)}

    @staticmethod
    def f(x, t, beta):
        d = np.abs(x - t)
        if beta == 0:
            return d
        return np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)

    @staticmethod
    def df(x, t, beta):
        d = x - t
        grad = np.sign(d) if beta == 0 else np.where(np.abs(d) < beta, d / beta, np.sign(d))
        return grad, -grad


class BinaryCrossEntropy(PointwiseLoss):
    """l = -w (t log x + (1 - t) log(1 - x)), each log clamped at -100 (PyTorch);
    dl/dx = w (x - t) / max(x (1 - x), 1e-12); dl/dt = w (log(1 - x) - log x)."""

    name = "binary_cross_entropy"
    same_shape = True

    @staticmethod
    def check_extra(x, target, weight=None):
        inside = (x >= 0) & (x <= 1)
        if not inside.all():
            bad = x[~inside].flat[0]
            raise ValueError(
                f"binary_cross_entropy: x must hold probabilities in [0, 1], got {bad}"
            )
        return {"weight": _constant("binary_cross_entropy", "weight", weight, x, x.shape)}

    @staticmethod
    def f(x, t, weight):
        log_x, log_1mx = np.maximum(np.log(x), -100), np.maximum(np.log1p(-x), -100)
        loss = -(t * log_x + (1 - t) * log_1mx)
        return loss if weight is None else loss * weight

    @staticmethod
    def df(x, t, weight):
        w = 1 if weight is None else weight
        d_x = w * (x - t) / np.maximum(x * (1 - x), 1e-12)
        log_x, log_1mx = np.maximum(np.log(x), -100), np.maximum(np.log1p(-x), -100)
        return d_x, w * (log_1mx - log_x)


def _softplus(v):
    """log(1 + exp(v)) without overflow."""
    return np.maximum(v, 0) + np.log1p(np.exp(-np.abs(v)))


def _sigmoid(v):
    e = np.exp(-np.abs(v))
    return np.where(v >= 0, 1 / (1 + e), e / (1 + e))


class BinaryCrossEntropyWithLogits(PointwiseLoss):
    """l = w (p t softplus(-x) + (1 - t) softplus(x)) (p = pos_weight, broadcast over the last
    dim); dl/dx = w ((1 - t) sigmoid(x) - p t (1 - sigmoid(x)));
    dl/dt = w (p softplus(-x) - softplus(x))."""

    name = "binary_cross_entropy_with_logits"
    same_shape = True

    @staticmethod
    def check_extra(x, target, weight=None, pos_weight=None):
        op = "binary_cross_entropy_with_logits"
        return {
            "weight": _constant(op, "weight", weight, x, x.shape),
            "pos_weight": _constant(op, "pos_weight", pos_weight, x, x.shape),
        }

    @staticmethod
    def f(x, t, weight, pos_weight):
        p = 1 if pos_weight is None else pos_weight
        loss = p * t * _softplus(-x) + (1 - t) * _softplus(x)
        return loss if weight is None else loss * weight

    @staticmethod
    def df(x, t, weight, pos_weight):
        w = 1 if weight is None else weight
        p = 1 if pos_weight is None else pos_weight
        s = _sigmoid(x)
        return w * ((1 - t) * s - p * t * (1 - s)), w * (p * _softplus(-x) - _softplus(x))


def _target(target: Any, x: Any) -> Any:
    """A Tensor as is; numbers become a constant of x's dtype."""
    if is_tensor(target):
        return target
    x_dtype = x.dtype if is_tensor(x) else np.asarray(x).dtype
    # x as an array becomes a Tensor of its own float dtype (ints: float32), so the target follows
    dtype = x_dtype if x_dtype in (np.float32, np.float64) else np.float32
    array = np.asarray(target)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"loss: target must hold numbers, got dtype {array.dtype}")
    return make_tensor(np.array(array, dtype=dtype, copy=True))


def mse_loss(x, target, size_average=None, reduce=None, reduction="mean"):
    """mean/sum/none of (x - target)^2."""
    reduction = legacy_reduction("mse_loss", size_average, reduce, reduction)
    return MSELoss.apply(x, _target(target, x), reduction=reduction)


def l1_loss(x, target, size_average=None, reduce=None, reduction="mean"):
    """mean/sum/none of |x - target|."""
    reduction = legacy_reduction("l1_loss", size_average, reduce, reduction)
    return L1Loss.apply(x, _target(target, x), reduction=reduction)


def smooth_l1_loss(x, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """mean/sum/none of the Huber-like loss, quadratic below beta and linear above."""
    reduction = legacy_reduction("smooth_l1_loss", size_average, reduce, reduction)
    return SmoothL1Loss.apply(x, _target(target, x), reduction=reduction, beta=beta)


def binary_cross_entropy(x, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """mean/sum/none of -w (t log x + (1 - t) log(1 - x)), x probabilities in [0, 1]."""
    reduction = legacy_reduction("binary_cross_entropy", size_average, reduce, reduction)
    return BinaryCrossEntropy.apply(x, _target(target, x), reduction=reduction, weight=weight)


def binary_cross_entropy_with_logits(
    x, target, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
):
    """binary_cross_entropy(sigmoid(x), target) computed stably from the logits x."""
    reduction = legacy_reduction(
        "binary_cross_entropy_with_logits", size_average, reduce, reduction
    )
    return BinaryCrossEntropyWithLogits.apply(
        x, _target(target, x), reduction=reduction, weight=weight, pos_weight=pos_weight
    )
