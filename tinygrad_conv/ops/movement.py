"""Operations that move values without changing them: reshape (view, view_as, squeeze, unsqueeze,
flatten), transpose, permute, expand, indexing."""

from __future__ import annotations

import numpy as np

from .._checks import is_int, normalize_axis
from ..autograd import Context, Function, is_tensor
from ._args import one_of
from .elementwise import unbroadcast

__all__ = [
    "reshape",
    "view",
    "view_as",
    "transpose",
    "permute",
    "flatten",
    "squeeze",
    "unsqueeze",
    "expand",
    "getitem",
]


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
    """Two ints swap two dims on any rank (PyTorch's transpose(dim0, dim1)); a full permutation
    (a tuple, or as many ints as dims when that is not 2) reorders as NumPy; none reverses."""

    name = "transpose"
    inputs = ("x",)

    @classmethod
    def check(cls, x, axes, swap=False):
        if not all(is_int(a) for a in axes):
            raise TypeError(f"{cls.name}: axes (dims) must be ints, got {axes!r}")
        if len(axes) == 0:
            return {"axes": tuple(reversed(range(x.ndim)))}
        if swap:
            axes = _swap(cls.name, max(x.ndim, 1), *axes)
        in_range = all(-x.ndim <= a < max(x.ndim, 1) for a in axes)  # before `%` wraps 5 to 2
        if not in_range or sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ValueError(
                f"{cls.name}: axes must be a permutation of 0..{x.ndim - 1} (or two dims to swap), "
                f"got {axes!r} for a {x.ndim}-D tensor"
            )
        return {"axes": tuple(int(a) % max(x.ndim, 1) for a in axes)[: x.ndim]}

    @staticmethod
    def forward(ctx: Context, x, axes):
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx: Context, grad_out):
        return (np.transpose(grad_out, np.argsort(ctx.params["axes"])),)


class Permute(Transpose):
    name = "permute"

    @classmethod
    def check(cls, x, axes):
        if len(axes) != x.ndim:
            raise ValueError(f"permute: dims must list all {x.ndim} dims once, got {axes!r}")
        return Transpose.__dict__["check"].__func__(cls, x, axes)


def _swap(op: str, ndim: int, dim0: int, dim1: int) -> tuple[int, ...]:
    for d in (dim0, dim1):
        if not -ndim <= d < ndim:
            raise ValueError(f"{op}: axis {d} is out of range for a {ndim}-D tensor")
    axes = list(range(ndim))
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return tuple(axes)


class Squeeze(Reshape):
    name = "squeeze"

    @staticmethod
    def check(x, dim=None):
        dims = range(x.ndim) if dim is None else normalize_axis("squeeze", dim, x.ndim) or ()
        # PyTorch: a named dim whose size is not 1 is left alone, not an error
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
        return {"shape": shape}


class Unsqueeze(Reshape):
    name = "unsqueeze"

    @staticmethod
    def check(x, dim):
        if not is_int(dim):
            raise TypeError(f"unsqueeze: dim must be an int, got {dim!r}")
        if not -x.ndim - 1 <= dim <= x.ndim:
            raise ValueError(
                f"unsqueeze: dim {dim} is out of range for a {x.ndim}-D tensor "
                f"(expected {-x.ndim - 1} to {x.ndim})"
            )
        d = int(dim) % (x.ndim + 1)
        return {"shape": x.shape[:d] + (1,) + x.shape[d:]}


class Expand(Function):
    """y = x broadcast to `shape` (a view, as PyTorch); -1 keeps a dim; dL/dx sums it back."""

    name = "expand"
    inputs = ("x",)

    @staticmethod
    def check(x, shape):
        if not all(is_int(s) for s in shape):
            raise TypeError(f"expand: sizes must be ints, got {shape!r}")
        lead = len(shape) - x.ndim
        if lead < 0:
            raise ValueError(
                f"expand: got {len(shape)} sizes for a {x.ndim}-D tensor "
                f"{x.shape}; give at least {x.ndim}"
            )
        target = []
        for i, size in enumerate(shape):
            own = x.shape[i - lead] if i >= lead else None
            if size == -1 and own is not None:
                size = own
            if size < 0 or (own is not None and own != 1 and own != size):
                raise ValueError(
                    f"expand: cannot expand {x.shape} to {tuple(shape)}: dim {i} "
                    f"is {own if own is not None else 'new'}, asked {size}"
                )
            target.append(int(size))
        return {"shape": tuple(target)}

    @staticmethod
    def forward(ctx: Context, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Context, grad_out):
        (shape,), (dtype,) = ctx.input_shapes, ctx.input_dtypes
        return (unbroadcast(grad_out, shape, dtype),)


class GetItem(Function):
    name = "getitem"
    inputs = ("x",)

    @staticmethod
    def check(x, index):
        index = _plain_index(index)
        try:
            np.empty(x.shape, dtype=np.bool_)[index]  # NumPy's own rules, on a cheap dummy
        except IndexError as err:
            raise IndexError(
                f"getitem: index {index!r} is invalid for shape {x.shape}: {err}"
            ) from None
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
        if is_tensor(item):  # int64 and bool tensors index; float ones do not (PyTorch)
            if item.dtype.kind == "f":
                raise IndexError(
                    "getitem: a float Tensor cannot index; use ints, slices, or an "
                    "integer or bool tensor or array"
                )
            item = item.data
        if isinstance(item, list):
            item = np.asarray(item)
        if (
            isinstance(item, slice)
            and item.step is not None
            and is_int(item.step)
            and item.step == 0
        ):
            raise ValueError(f"getitem: slice step cannot be zero, got {item!r}")
        return item

    return tuple(plain(i) for i in index) if isinstance(index, tuple) else plain(index)


def _shape_args(shape) -> tuple:
    """reshape(2, 3) and reshape((2, 3)) both mean (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def reshape(x, *shape):
    return Reshape.apply(x, shape=_shape_args(shape))


def view(x, *shape):
    """PyTorch's view: here the same as reshape (the result may share memory with x)."""
    return Reshape.apply(x, shape=_shape_args(shape))


def view_as(x, other):
    return Reshape.apply(x, shape=tuple(other.shape))


def transpose(x, *axes, dim0=None, dim1=None):
    if dim0 is not None or dim1 is not None:
        if axes or dim0 is None or dim1 is None:
            raise TypeError("transpose: give dim0= and dim1= together, and no other dims")
        axes = (dim0, dim1)
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        return Transpose.apply(x, axes=tuple(axes[0]))  # a tuple: NumPy's permutation
    return Transpose.apply(x, axes=axes, swap=len(axes) == 2)


def permute(x, *dims):
    return Permute.apply(x, axes=_shape_args(dims))


def flatten(x, start_dim=0, end_dim=-1):
    return Flatten.apply(x, start_dim=start_dim, end_dim=end_dim)


def squeeze(x, dim=None, *, axis=None):
    return Squeeze.apply(x, dim=one_of("squeeze", "dim", dim, "axis", axis))


def unsqueeze(x, dim=None, *, axis=None):
    dim = one_of("unsqueeze", "dim", dim, "axis", axis)
    if dim is None:
        raise TypeError("unsqueeze: missing the dim to insert")
    return Unsqueeze.apply(x, dim=dim)


def expand(x, *sizes):
    return Expand.apply(x, shape=_shape_args(sizes))


def getitem(x, index):
    return GetItem.apply(x, index=index)
