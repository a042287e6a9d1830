"""Dropout, as PyTorch's: in training each element (dropout) or each whole channel (dropout2d) is
zeroed with probability p and the rest scaled by 1 / (1 - p), so the expected value stays; outside
training it is the identity. Masks come from the library's generator (tc.manual_seed)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._checks import as_bool, as_real
from .._random import generator
from ..autograd import Context, Function, is_tensor

__all__ = ["dropout", "dropout2d"]


def check_p(op: str, p: Any) -> float:
    """The dropout probability: a real number in [0, 1]."""
    return as_real(op, "p", p, 0, 1)


class Dropout(Function):
    """y = x * mask / (1 - p), mask ~ Bernoulli(1 - p) per element; dL/dx = dL/dy * mask / (1-p).
    ctx.params: p, training and kept (the fraction of the mask that was kept). training=False is
    the identity (no mask drawn), for inputs that are not Tensors yet."""

    name = "dropout"
    inputs = ("x",)

    @classmethod
    def check(cls, x, p=0.5, training=True):
        if x.dtype.kind != "f":
            raise TypeError(f"{cls.name}: x must be a float tensor, got dtype {x.dtype}")
        return {"p": check_p(cls.name, p), "training": bool(training)}

    @staticmethod
    def mask_shape(x: np.ndarray) -> tuple[int, ...]:
        return x.shape

    @classmethod
    def forward(cls, ctx: Context, x, p, training):
        if not training:
            ctx.params["kept"] = 1.0
            return x
        shape = cls.mask_shape(x)
        keep = generator().random(shape) >= p  # P(keep) = 1 - p; p = 1 keeps nothing
        scale = np.zeros((), x.dtype) if p == 1 else np.asarray(1 / (1 - p), dtype=x.dtype)
        mask = keep.astype(x.dtype) * scale
        ctx.params["kept"] = float(keep.mean()) if keep.size else 1.0
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx: Context, grad_out):
        if not ctx.params["training"]:
            return grad_out
        (mask,) = ctx.saved_tensors
        return grad_out * mask


class Dropout2d(Dropout):
    """Zeroes whole channels: one mask value per (n, c) of an (N, C, H, W) input. A 3-D input is
    read as (N, C, L), one mask value per (n, c), with PyTorch's warning (its current rule)."""

    name = "dropout2d"

    @classmethod
    def check(cls, x, p=0.5, training=True):
        if x.ndim not in (3, 4):
            raise ValueError(
                f"dropout2d: x must be 4-D (N, C, H, W) or 3-D (N, C, L), got shape {x.shape}"
            )
        return super().check(x, p, training)

    @staticmethod
    def mask_shape(x: np.ndarray) -> tuple[int, ...]:
        return x.shape[:2] + (1,) * (x.ndim - 2)


def _dropout(fn: type[Function], x: Any, p: Any, training: Any, op: str):
    as_bool(op, "training", training)
    check_p(op, p)
    if not training and is_tensor(x):
        if x.dtype.kind != "f":
            raise TypeError(f"{op}: x must be a float tensor, got dtype {x.dtype}")
        return x  # the input itself, as PyTorch's F.dropout outside training
    return fn.apply(x, p=p, training=bool(training))


def dropout(x: Any, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (training only)."""
    return _dropout(Dropout, x, p, training, "dropout")


def dropout2d(x: Any, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero each whole channel with probability p and scale the rest by 1 / (1 - p)."""
    if len(getattr(x, "shape", ())) == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim (PyTorch's rule).",
            stacklevel=2,
        )
    return _dropout(Dropout2d, x, p, training, "dropout2d")
