"""torch.nn.functional's names and signatures: `import tinygrad_conv.nn.functional as F`.

Everything of tinygrad_conv.functional is here, plus the functions whose PyTorch signature
differs from the library's own (cross_entropy's argument order, softmax's implicit dim, the pools'
ceil_mode, relu's inplace) and one_hot."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import autograd
from .. import functional as _F
from .._checks import as_int
from ..functional import *  # noqa: F403 - the ops, under their own names
from ..ops.loss import legacy_reduction
from .activation import implicit_dim

__all__ = list(_F.__all__)


def _export(fn):
    if fn.__name__ not in __all__:
        __all__.append(fn.__name__)
    return fn


@_export
def relu(input: Any, inplace: bool = False):
    """y = max(x, 0) (inplace is accepted and ignored: a new tensor is returned)."""
    return _F.relu(input)


@_export
def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False):
    return _F.leaky_relu(input, negative_slope)


@_export
def softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None):
    """exp(x) / sum(exp(x)) along dim (no dim: PyTorch's implicit choice, with its warning)."""
    x = input if dtype is None else input.to(dtype)
    return _F.softmax(x, implicit_dim("softmax", x.ndim) if dim is None else dim)


@_export
def log_softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None):
    """x - log(sum(exp(x))) along dim (no dim: PyTorch's implicit choice, with its warning)."""
    x = input if dtype is None else input.to(dtype)
    return _F.log_softmax(x, implicit_dim("log_softmax", x.ndim) if dim is None else dim)


@_export
def cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
):
    """PyTorch's F.cross_entropy (its argument order) on the library's cross_entropy op."""
    reduction = legacy_reduction("cross_entropy", size_average, reduce, reduction)
    return _F.cross_entropy(
        input, target, reduction, label_smoothing, weight=weight, ignore_index=ignore_index
    )


def _pool_options(op: str, dilation: Any, ceil_mode: Any, return_indices: Any) -> None:
    if dilation not in (1, (1, 1)):
        raise NotImplementedError(f"{op}: dilation other than 1 is not supported, got {dilation!r}")
    if ceil_mode:
        raise NotImplementedError(f"{op}: ceil_mode=True is not supported")
    if return_indices:
        raise NotImplementedError(f"{op}: return_indices=True is not supported")


@_export
def max_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    _pool_options("max_pool2d", dilation, ceil_mode, return_indices)
    return _F.max_pool2d(input, kernel_size, stride, padding)


@_export
def avg_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: Any = None,
):
    _pool_options("avg_pool2d", 1, ceil_mode, False)
    if not count_include_pad or divisor_override is not None:
        raise NotImplementedError(
            "avg_pool2d: only count_include_pad=True without divisor_override is supported"
        )
    return _F.avg_pool2d(input, kernel_size, stride, padding)


@_export
def one_hot(tensor: Any, num_classes: int = -1):
    """(..., ) class indices -> (..., num_classes) int64 one-hot rows (num_classes=-1: max + 1),
    as torch.nn.functional.one_hot; no gradient."""
    index = np.asarray(tensor.data if autograd.is_tensor(tensor) else tensor)
    if index.dtype.kind not in "iu":
        raise TypeError(f"one_hot: tensor must hold integer class indices, got dtype {index.dtype}")
    num_classes = as_int("one_hot", "num_classes", num_classes)
    if index.size and index.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {index.min()}")
    if num_classes == -1:
        if not index.size:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor")
        num_classes = int(index.max()) + 1
    if num_classes < 1 and index.size or num_classes < 0:
        raise ValueError(f"one_hot: num_classes must be >= 1 or -1, got {num_classes}")
    if index.size and index.max() >= num_classes:
        raise ValueError(
            f"one_hot: class values must be smaller than num_classes "
            f"({num_classes}), got {index.max()}"
        )
    out = np.zeros(index.shape + (int(num_classes),), dtype=np.int64)
    np.put_along_axis(out, index[..., None].astype(np.intp), 1, axis=-1)
    # indices computed in the graph (an argmax) are recorded, so the ONNX export follows them
    return autograd.record_without_grad(OneHot, (tensor,), {"num_classes": int(num_classes)}, out)


class OneHot(autograd.Function):
    """one_hot's node when its indices come from the graph; no gradient."""

    name = "one_hot"
    inputs = ("indices",)

    @staticmethod
    def backward(ctx, grad_out):
        return (None,)
