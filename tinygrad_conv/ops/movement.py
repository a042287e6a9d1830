"""Operations that move values without changing them: reshape, transpose, flatten, indexing."""

from __future__ import annotations

import numpy as np

from .._checks import is_int
from ..autograd import Context, Function, is_tensor

__all__ = ["reshape", "transpose", "flatten", "getitem"]


class Reshape(Function):
    name = "reshape"
    inputs = ("x",)

    @staticmethod
    def check(x, shape):
        if not all(is_int(s) for s in shape):
            raise TypeError(f"reshape: shape must be ints, got {shape!r}")
        try:
            np.empty(x.shape, dtype=np.bool_).reshape(shape)  # NumPy's own rules, on a tiny dummy
        except ValueError as err:
            raise ValueError(f"reshape: cannot reshape {x.shape} into {shape}: {err}") from None
        return {"shape": tuple(int(s) for s in shape)}

    @staticmethod
    def forward(ctx: Context, x, shape):
        ctx.input_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return (grad_out.reshape(ctx.input_shape),)


class Flatten(Reshape):
    name = "flatten"

    @staticmethod
    def check(x, start_dim=0, end_dim=-1):
        ndim = max(x.ndim, 1)
        for arg, value in (("start_dim", start_dim), ("end_dim", end_dim)):
            if not is_int(value):
                raise TypeError(f"flatten: {arg} must be an int, got {value!r}")
            if not -ndim <= value < ndim:
                raise ValueError(f"flatten: {arg}={value} is out of range for a {x.ndim}-D tensor")
        start, end = start_dim % ndim, end_dim % ndim
        if start > end:
            raise ValueError(f"flatten: start_dim ({start_dim}) comes after end_dim ({end_dim})")
        shape = x.shape if x.ndim else (1,)
        merged = int(np.prod(shape[start : end + 1]))
        return {"shape": shape[:start] + (merged,) + shape[end + 1 :]}


class Transpose(Function):
    name = "transpose"
    inputs = ("x",)

    @staticmethod
    def check(x, axes):
        if not all(is_int(a) for a in axes):
            raise TypeError(f"transpose: axes must be ints, got {axes!r}")
        if len(axes) == 0:
            return {"axes": tuple(reversed(range(x.ndim)))}
        if len(axes) == 2 and x.ndim != 2:  # PyTorch's transpose(dim0, dim1): swap two axes
            axes = _swap(x.ndim, *axes)
        in_range = all(-x.ndim <= a < x.ndim for a in axes)  # before `%`, which would wrap 5 to 2
        if not in_range or sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
            raise ValueError(
                f"transpose: axes must be a permutation of 0..{x.ndim - 1} (or two axes to swap), "
                f"got {axes!r}"
            )
        return {"axes": tuple(int(a) % x.ndim for a in axes)}

    @staticmethod
    def forward(ctx: Context, x, axes):
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return (np.transpose(grad_out, np.argsort(ctx.params["axes"])),)


def _swap(ndim: int, dim0: int, dim1: int) -> tuple[int, ...]:
    for d in (dim0, dim1):
        if not -ndim <= d < ndim:
            raise ValueError(f"transpose: axis {d} is out of range for a {ndim}-D tensor")
    axes = list(range(ndim))
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return tuple(axes)


class GetItem(Function):
    name = "getitem"
    inputs = ("x",)

    @staticmethod
    def check(x, index):
        index = _plain_index(index)
        try:
            np.empty(x.shape, dtype=np.bool_)[index]  # NumPy's own rules, on a cheap dummy
        except IndexError as err:
            raise IndexError(f"getitem: index {index!r} is invalid for shape {x.shape}: {err}") \
                from None
        except (TypeError, ValueError) as err:
            raise TypeError(f"getitem: unsupported index {index!r}: {err}") from None
        return {"index": index}

    @staticmethod
    def forward(ctx: Context, x, index):
        ctx.shape, ctx.dtype = x.shape, x.dtype
        return x[index]

    @staticmethod
    def backward(ctx: Context, grad_out):
        grad = np.zeros(ctx.shape, dtype=ctx.dtype)
        index = ctx.params["index"]
        if _is_basic(index):
            grad[index] = grad_out  # slices and ints pick each element at most once
        else:
            np.add.at(grad, index, grad_out)  # integer arrays may repeat: contributions accumulate
        return (grad,)


def _is_basic(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, slice) or is_int(i) for i in items)


def _plain_index(index):
    """Tensors inside an index become their arrays (integer-valued floats become int arrays)."""
    def plain(item):
        if is_tensor(item):  # a Tensor holds floats: PyTorch refuses float indices too
            raise IndexError("getitem: a float Tensor cannot index; use ints, slices or an "
                             "integer/boolean NumPy array")
        if isinstance(item, list):
            item = np.asarray(item)
        return item

    return tuple(plain(i) for i in index) if isinstance(index, tuple) else plain(index)


def _shape_args(shape) -> tuple:
    """reshape(2, 3) and reshape((2, 3)) both mean (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(x, *shape):
    return Reshape.apply(x, shape=_shape_args(shape))


def transpose(x, *axes):
    return Transpose.apply(x, axes=_shape_args(axes))


def flatten(x, start_dim=0, end_dim=-1):
    return Flatten.apply(x, start_dim=start_dim, end_dim=end_dim)


def getitem(x, index):
    return GetItem.apply(x, index=index)
