"""Reductions over axes: sum, mean, max, min (NumPy's amax/amin, or PyTorch's (values, indices)
with one int dim), argmax, argmin. Both spellings: dim=/keepdim= (PyTorch), axis=/keepdims=."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import autograd
from .._checks import is_int, normalize_axis
from ..autograd import Context, Function, is_tensor, record_without_grad
from ._args import check_float_input, one_of, reduce_args
from .select import maximum, minimum

__all__ = ["sum", "mean", "max", "min", "argmax", "argmin"]

# PyTorch's torch.return_types.max / .min: a named tuple (values, indices).
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])


def _check_reduce(op: str, x: np.ndarray, axis, keepdims) -> dict:
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"{op}: keepdims must be a bool, got {keepdims!r}")
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if x.ndim == 0 and len(axes) == 1 and is_int(axes[0]) and axes[0] in (0, -1):
        return {"axis": (), "keepdims": bool(keepdims)}  # PyTorch: dim 0 or -1 of a 0-d tensor
    return {"axis": normalize_axis(op, axis, x.ndim), "keepdims": bool(keepdims)}


def _count(shape: tuple[int, ...], axis) -> int:
    axes = range(len(shape)) if axis is None else axis
    return int(np.prod([shape[a] for a in axes]))


def _expand(grad: np.ndarray, shape: tuple[int, ...], axis, keepdims: bool) -> np.ndarray:
    """Give a reduced gradient back its reduced axes (size 1) so it broadcasts over the input."""
    if not keepdims:
        axes = range(len(shape)) if axis is None else axis
        grad = np.expand_dims(grad, tuple(axes))
    return grad


class Sum(Function):
    name = "sum"
    inputs = ("x",)

    @staticmethod
    def check(x, axis=None, keepdims=False):
        return _check_reduce("sum", x, axis, keepdims)

    @staticmethod
    def forward(ctx: Context, x, axis, keepdims):
        dtype = np.int64 if x.dtype.kind in "biu" else None  # bool and int sums are int64
        return np.sum(x, axis=axis, keepdims=keepdims, dtype=dtype)

    @staticmethod
    def backward(ctx: Context, grad_out):
        (shape,), (dtype,) = ctx.input_shapes, ctx.input_dtypes
        grad = _expand(grad_out, shape, ctx.params["axis"], ctx.params["keepdims"])
        return (np.broadcast_to(grad, shape).astype(dtype),)  # dL/dx_i = dL/dsum


class Mean(Function):
    name = "mean"
    inputs = ("x",)

    @staticmethod
    def check(x, axis=None, keepdims=False):
        check_float_input("mean", x)
        return _check_reduce("mean", x, axis, keepdims)

    @staticmethod
    def forward(ctx: Context, x, axis, keepdims):
        with np.errstate(invalid="ignore", divide="ignore"):  # an empty axis: NaN, as PyTorch
            total = np.sum(x, axis=axis, keepdims=keepdims)
            return np.asarray(total / x.dtype.type(_count(x.shape, axis)), dtype=x.dtype)

    @staticmethod
    def backward(ctx: Context, grad_out):
        (shape,), (dtype,) = ctx.input_shapes, ctx.input_dtypes
        axis = ctx.params["axis"]
        grad = _expand(grad_out, shape, axis, ctx.params["keepdims"])
        with np.errstate(invalid="ignore", divide="ignore"):
            grad = grad / dtype.type(_count(shape, axis))
        return (np.broadcast_to(grad, shape).astype(dtype),)  # 1/n each


class Max(Function):
    """NumPy's amax over one axis, several or all; ties share the gradient equally (PyTorch's
    amax rule), so it still sums to grad_out."""

    name = "max"
    inputs = ("x",)
    reduce = staticmethod(np.max)

    @classmethod
    def check(cls, x, axis=None, keepdims=False):
        params = _check_reduce(cls.name, x, axis, keepdims)
        axis = params["axis"]
        if x.size == 0 and (axis is None or any(x.shape[a] == 0 for a in axis)):
            raise ValueError(
                f"{cls.name}: cannot reduce over an empty dim (no identity), got shape {x.shape}"
            )
        return params

    @classmethod
    def forward(cls, ctx: Context, x, axis, keepdims):
        out = cls.reduce(x, axis=axis, keepdims=keepdims)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Context, grad_out):
        x, out = ctx.saved_tensors
        axis, keepdims = ctx.params["axis"], ctx.params["keepdims"]
        is_max = x == _expand(out, x.shape, axis, keepdims)
        ties = is_max.sum(axis=axis, keepdims=True)
        grad = _expand(grad_out, x.shape, axis, keepdims) * np.divide(is_max, ties, dtype=x.dtype)
        return (grad.astype(x.dtype, copy=False),)


class Min(Max):
    name = "min"
    reduce = staticmethod(np.min)


class MaxDim(Function):
    """The values of max(x, dim): the gradient goes to the index returned (the first maximum),
    as PyTorch routes it. `params` is an amax's ({"axis": (dim,), "keepdims": ...})."""

    name = "max"
    inputs = ("x",)
    arg = staticmethod(np.argmax)

    check = Max.__dict__["check"]  # the same classmethod, naming this class's op

    @classmethod
    def forward(cls, ctx: Context, x, axis, keepdims):
        flat = x.reshape(1) if x.ndim == 0 else x
        dim = axis[0] if axis else 0
        index = np.expand_dims(cls.arg(flat, axis=dim), dim)
        ctx.save_for_backward(index)  # released with the graph (autograd.Context)
        values = np.take_along_axis(flat, index, axis=dim)
        if x.ndim == 0:
            return values.reshape(())
        return values if keepdims else values.squeeze(dim)

    @staticmethod
    def backward(ctx: Context, grad_out):
        (shape,), (dtype,) = ctx.input_shapes, ctx.input_dtypes
        axis = ctx.params["axis"]
        dim = axis[0] if axis else 0
        grad = np.zeros(shape if shape else (1,), dtype=dtype)
        (index,) = ctx.saved_tensors
        g = grad_out.reshape(index.shape)
        np.put_along_axis(grad, index, g, axis=dim)
        return (grad.reshape(shape),)


class MinDim(MaxDim):
    name = "min"
    arg = staticmethod(np.argmin)


def _extreme(op: str, x, dim, keepdim, axis, keepdims, elementwise, whole, by_dim, result):
    if dim is not None and (is_tensor(dim) or isinstance(dim, np.ndarray)):
        if keepdim is not None or axis is not None or keepdims is not None:
            raise TypeError(f"{op}: {op}(a, b) of two tensors takes no dim or keepdim")
        return elementwise(x, dim)  # tc.max(a, b) is maximum(a, b), as torch.max
    keep = one_of(op, "keepdim", keepdim, "keepdims", keepdims, False)
    if dim is not None:
        one_of(op, "dim", dim, "axis", axis)
        if is_int(dim):
            values = by_dim.apply(x, axis=dim, keepdims=keep)
            saved = values._ctx.saved_tensors if values._ctx is not None else ()
            # Under no_grad, or for a constant, nothing was saved: then the indices are found again.
            index = saved[0] if saved else _arg_of(op, x, dim)
            arg = ArgMax if op == "max" else ArgMin
            return result(values, _indices(arg, x, index.reshape(values.shape), dim, keep))
        axis = dim  # a tuple of dims: NumPy's amax meaning
    return whole.apply(x, axis=axis, keepdims=keep)


def _arg_of(op: str, x, dim: int) -> np.ndarray:
    data = x.data if is_tensor(x) else np.asarray(x)
    flat = data.reshape(1) if data.ndim == 0 else data
    return (np.argmax if op == "max" else np.argmin)(flat, axis=dim % flat.ndim)


def max(x, dim=None, keepdim=None, *, axis=None, keepdims=None):  # noqa: A001 - the method's name
    """With one int dim: PyTorch's (values, indices); with axis= (or a tuple): NumPy's amax;
    with none: the overall max; max(a, b) of two tensors: maximum(a, b)."""
    return _extreme("max", x, dim, keepdim, axis, keepdims, maximum, Max, MaxDim, max_result)


def min(x, dim=None, keepdim=None, *, axis=None, keepdims=None):  # noqa: A001
    """Like max: (values, indices) with one int dim, NumPy's amin with axis=, or minimum(a, b)."""
    return _extreme("min", x, dim, keepdim, axis, keepdims, minimum, Min, MinDim, min_result)


def sum(x, dim=None, keepdim=None, *, axis=None, keepdims=None):  # noqa: A001
    axis, keepdims = reduce_args("sum", dim, keepdim, axis, keepdims)
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x, dim=None, keepdim=None, *, axis=None, keepdims=None):
    axis, keepdims = reduce_args("mean", dim, keepdim, axis, keepdims)
    return Mean.apply(x, axis=axis, keepdims=keepdims)


class ArgMax(Function):
    """Indices of the maxima along dim (int64). No gradient; recorded as a node (params: dim,
    keepdim) when x is part of a graph, so that pictures show it and the ONNX export computes the
    indices from each input instead of freezing the example's."""

    name = "argmax"
    inputs = ("x",)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return (None,)


class ArgMin(ArgMax):
    name = "argmin"


def _indices(fn: type[ArgMax], x, index: np.ndarray, dim, keepdim: bool):
    out = np.asarray(index).astype(np.int64, copy=False)
    return record_without_grad(fn, (x,), {"dim": dim, "keepdim": bool(keepdim)}, out)


def _argextreme(op: str, fn, x, dim, keepdim, axis, keepdims):
    """An int64 tensor of indices (no graph: indices have no gradient)."""
    dim, keep = reduce_args(op, dim, keepdim, axis, keepdims)
    if not is_tensor(x):  # the Tensor rules for plain data: float16, objects, strings refused
        try:
            x = autograd._as_tensor(x)
        except TypeError as err:
            raise TypeError(f"{op}: the input could not become a Tensor: {err}") from None
    data = x.data
    if not isinstance(keep, (bool, np.bool_)):
        raise TypeError(f"{op}: keepdim must be a bool, got {keep!r}")
    if dim is None:
        if data.size == 0:
            raise ValueError(
                f"{op}: cannot take the {op} of an empty tensor, got shape {data.shape}"
            )
        index = np.asarray(fn(data), dtype=np.int64)
        arg = ArgMax if op == "argmax" else ArgMin
        return _indices(arg, x, index.reshape((1,) * data.ndim) if keep else index, None, keep)
    if not is_int(dim):
        raise TypeError(f"{op}: dim must be an int or None, got {dim!r}")
    (d,) = normalize_axis(op, dim, data.ndim) or (0,)
    flat = data.reshape(1) if data.ndim == 0 else data
    if flat.shape[d] == 0:
        raise ValueError(f"{op}: cannot reduce over an empty dim, got shape {data.shape}")
    index = np.asarray(fn(flat, axis=d, keepdims=bool(keep)), dtype=np.int64)
    arg = ArgMax if op == "argmax" else ArgMin
    return _indices(arg, x, index.reshape(data.shape) if data.ndim == 0 else index, dim, keep)


def argmax(x, dim=None, keepdim=None, *, axis=None, keepdims=None):
    return _argextreme("argmax", np.argmax, x, dim, keepdim, axis, keepdims)


def argmin(x, dim=None, keepdim=None, *, axis=None, keepdims=None):
    return _argextreme("argmin", np.argmin, x, dim, keepdim, axis, keepdims)
