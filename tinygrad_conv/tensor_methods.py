"""The op methods of Tensor (x.relu(), x + y, x.sum(1), x == y, ...), each a one-line call of its
op in functional, with PyTorch's names and argument order, and PyTorch's small helpers composed of
those ops (square is pow, masked_fill is where, amax is max over axes, ...). Kept explicit, one
method per name, so a reader sees every name a Tensor answers to. Shape and network methods:
tensor_methods_nn.py; to(), cpu(), .device, new_zeros(), ...: _device.py."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from . import functional as F
from ._device import DeviceMethods
from .autograd import is_tensor, make_tensor
from .ops._args import reduce_args
from .ops.convert import convert
from .tensor_methods_nn import NetworkMethods

if TYPE_CHECKING:
    from .tensor import Tensor


class TensorMethods(NetworkMethods, DeviceMethods):
    """Mixed into Tensor: operators and methods that record graph nodes."""

    __slots__ = ()
    # `==` gives a bool tensor (PyTorch), so hashing stays by identity: dict keys and sets of
    # tensors work, and `t in list` compares by identity first (then elementwise: avoid it).
    __hash__ = object.__hash__

    # --- arithmetic ----------------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return F.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return F.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return F.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return F.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return F.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return F.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return F.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return F.div(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return F.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return F.pow(other, self)

    def __neg__(self) -> Tensor:
        return F.neg(self)

    def __abs__(self) -> Tensor:
        return F.abs(self)

    def __matmul__(self, other: Any) -> Tensor:
        return F.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return F.matmul(other, self)

    def abs(self) -> Tensor:
        return F.abs(self)

    def sqrt(self) -> Tensor:
        return F.sqrt(self)

    def exp(self) -> Tensor:
        return F.exp(self)

    def log(self) -> Tensor:
        return F.log(self)

    def pow(self, exponent: Any) -> Tensor:
        return F.pow(self, exponent)

    def matmul(self, other: Any) -> Tensor:
        return F.matmul(self, other)

    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """self + alpha * other (PyTorch's add)."""
        return F.add(self, _scaled(other, alpha))

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return F.sub(self, _scaled(other, alpha))

    def mul(self, other: Any) -> Tensor:
        return F.mul(self, other)

    def div(self, other: Any, *, rounding_mode: Any = None) -> Tensor:
        if rounding_mode is not None:
            raise ValueError(
                f"div: only rounding_mode=None (true division) exists here, got {rounding_mode!r}"
            )
        return F.div(self, other)

    def neg(self) -> Tensor:
        return F.neg(self)

    negative = neg

    def square(self) -> Tensor:
        return F.pow(self, 2)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's names
        return F.clamp(self, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        return F.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return F.minimum(self, other)

    def where(self, condition: Any, other: Any) -> Tensor:
        """PyTorch's x.where(condition, y): x where condition, else y."""
        return F.where(condition, self, other)

    # --- comparisons: bool tensors that never require grad (a node when an operand is in a graph)
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return F.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return F.ne(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return F.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        return F.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return F.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return F.ge(self, other)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a tensor of shape {self.shape} (more "
                f"than one value) is ambiguous; use .any() or .all() on .numpy()"
            )
        return bool(self.data.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """classes[label], range(n) with an integer or bool one-element tensor (PyTorch)."""
        data = self._data
        if data.size != 1 or data.dtype.kind not in "iub":
            raise TypeError(
                f"only integer tensors of a single element can be converted to an "
                f"index, got dtype {data.dtype} and shape {data.shape}"
            )
        return int(data.reshape(()).item())

    def __format__(self, spec: str) -> str:
        """f"{loss:.3f}": a 0-d tensor formats as its number, as in PyTorch; others as str()."""
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        return object.__format__(self, spec)

    # --- reductions ----------------------------------------------------------------------------
    def sum(
        self, dim: Any = None, keepdim: Any = None, *, axis: Any = None, keepdims: Any = None
    ) -> Tensor:
        return F.sum(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def mean(
        self, dim: Any = None, keepdim: Any = None, *, axis: Any = None, keepdims: Any = None
    ) -> Tensor:
        return F.mean(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def max(
        self, dim: Any = None, keepdim: Any = None, *, axis: Any = None, keepdims: Any = None
    ) -> Any:
        """x.max(1): PyTorch's (values, indices); x.max(axis=1): NumPy's amax; x.max(y): maximum."""
        return F.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(
        self, dim: Any = None, keepdim: Any = None, *, axis: Any = None, keepdims: Any = None
    ) -> Any:
        return F.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmax(
        self, dim: Any = None, keepdim: Any = None, *, axis: Any = None, keepdims: Any = None
    ) -> Tensor:
        return F.argmax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmin(
        self, dim: Any = None, keepdim: Any = None, *, axis: Any = None, keepdims: Any = None
    ) -> Tensor:
        return F.argmin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(
        self, dim: Any = (), keepdim: Any = None, *, axis: Any = None, keepdims: Any = None
    ) -> Tensor:
        """PyTorch's amax: the values alone over dim (an int or a tuple; () means all dims);
        ties share the gradient evenly."""
        dim, keepdim = reduce_args("amax", _all_dims(dim), keepdim, axis, keepdims)
        if dim is None and not keepdim:
            return F.max(self)
        return F.max(self, axis=dim, keepdims=keepdim)

    def amin(
        self, dim: Any = (), keepdim: Any = None, *, axis: Any = None, keepdims: Any = None
    ) -> Tensor:
        dim, keepdim = reduce_args("amin", _all_dims(dim), keepdim, axis, keepdims)
        if dim is None and not keepdim:
            return F.min(self)
        return F.min(self, axis=dim, keepdims=keepdim)

    def all(
        self, dim: Any = None, keepdim: Any = None, *, axis: Any = None, keepdims: Any = None
    ) -> Tensor:
        """A bool tensor (uint8 for a uint8 tensor, as in PyTorch): no graph."""
        return _logical(self, np.all, "all", reduce_args("all", dim, keepdim, axis, keepdims))

    def any(
        self, dim: Any = None, keepdim: Any = None, *, axis: Any = None, keepdims: Any = None
    ) -> Tensor:
        return _logical(self, np.any, "any", reduce_args("any", dim, keepdim, axis, keepdims))

    def var(
        self,
        dim: Any = None,
        unbiased: Any = None,
        keepdim: Any = None,
        *,
        correction: Any = None,
        axis: Any = None,
        keepdims: Any = None,
    ) -> Tensor:
        return F.var(
            self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims
        )

    def std(
        self,
        dim: Any = None,
        unbiased: Any = None,
        keepdim: Any = None,
        *,
        correction: Any = None,
        axis: Any = None,
        keepdims: Any = None,
    ) -> Tensor:
        return F.std(
            self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims
        )

    def logsumexp(
        self, dim: Any = None, keepdim: Any = None, *, axis: Any = None, keepdims: Any = None
    ) -> Tensor:
        return F.logsumexp(self, dim, keepdim, axis=axis, keepdims=keepdims)

    # --- dtype conversions ---------------------------------------------------------------------
    def contiguous(self, memory_format: Any = None) -> Tensor:
        return self

    def type_as(self, other: Any) -> Tensor:
        return convert(self, other.dtype, "type_as")

    def float(self) -> Tensor:
        return convert(self, np.float32, "float")

    def double(self) -> Tensor:
        return convert(self, np.float64, "double")

    def long(self) -> Tensor:
        return convert(self, np.int64, "long")

    def int(self) -> Tensor:
        return convert(self, np.int32, "int")

    def bool(self) -> Tensor:
        return convert(self, np.bool_, "bool")

    def tolist(self) -> Any:
        return self.data.tolist()

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    # --- PyTorch's small helpers ---------------------------------------------------------------
    def t(self) -> Tensor:
        """The transpose of a 2-D tensor; a 0-d or 1-d tensor as it is (PyTorch's t())."""
        if self._data.ndim > 2:
            raise ValueError(
                f"t: expects a tensor with <= 2 dimensions, but self is "
                f"{self._data.ndim}D (use transpose(dim0, dim1) or permute)"
            )
        return F.transpose(self) if self._data.ndim == 2 else self

    def reshape_as(self, other: Any) -> Tensor:
        return F.reshape(self, tuple(other.shape))

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """value where mask is True, else self (broadcast as where; differentiable in self and a
        0-d tensor value). value takes self's dtype, as in PyTorch."""
        mask_dtype = getattr(mask, "dtype", None)
        if mask_dtype is None or np.dtype(mask_dtype).kind != "b":
            raise TypeError(
                f"masked_fill: mask must be a bool tensor, got "
                f"{getattr(mask, 'dtype', type(mask).__name__)}"
            )
        if is_tensor(value):
            if value.ndim != 0:
                raise ValueError(
                    f"masked_fill: value must be a number or a 0-d tensor, got a "
                    f"tensor of shape {value.shape}"
                )
            value = convert(value, self.dtype, "masked_fill")
        elif isinstance(value, numbers.Number) and not isinstance(value, complex):
            if self.dtype.kind != "f" and not np.isfinite(value):
                raise ValueError(
                    f"masked_fill: value {value!r} cannot be converted to the "
                    f"tensor's dtype {self.dtype}"
                )
            value = make_tensor(np.asarray(value).astype(self.dtype))
        else:
            raise TypeError(
                f"masked_fill: value must be a number or a 0-d tensor, got {type(value).__name__}"
            )
        return F.where(mask, value, self)


def _scaled(other: Any, alpha: Any) -> Any:
    """alpha * other for add/sub: a number stays a number (so it takes the tensor's dtype)."""
    if alpha == 1:
        return other
    if isinstance(other, numbers.Number):
        return other * alpha
    return F.mul(other, alpha)


def _all_dims(dim: Any) -> Any:
    """amax/amin's dim: () or [] (PyTorch's default) means every dim, as None does."""
    return None if isinstance(dim, tuple | list) and not dim else dim


def _logical(x: Any, reduce: Any, op: str, dims: tuple[Any, Any]) -> Any:
    """all/any over `dims` = (dim, keepdim) of x's nonzero values, as a tensor with no graph."""
    dim, keepdim = dims
    if isinstance(dim, list):
        dim = tuple(dim)
    try:
        out = np.asarray(reduce(x._data, axis=dim, keepdims=bool(keepdim)))
    except np.exceptions.AxisError:
        raise IndexError(
            f"{op}: dim {dim!r} is out of range for a tensor of {x._data.ndim} dims"
        ) from None
    except TypeError:
        raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dim!r}") from None
    return make_tensor(out.astype(np.uint8) if x._data.dtype == np.uint8 else out)
