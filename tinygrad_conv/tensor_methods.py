"""The op methods of Tensor (x.relu(), x + y, x.sum(1), x == y, ...), each a one-line call of its
op in functional, with PyTorch's names and argument order. Kept explicit, one method per op, so a
reader sees every name a Tensor answers to. Shape and network methods: tensor_methods_nn.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import functional as F
from .ops.convert import convert
from .tensor_methods_nn import NetworkMethods

if TYPE_CHECKING:
    from .tensor import Tensor


class TensorMethods(NetworkMethods):
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

    # --- comparisons: bool tensors, no graph -----------------------------------------------------
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
    def to(self, *args: Any, dtype: Any = None, device: Any = None) -> Tensor:
        """x.to(np.float64), x.to("cpu"), x.to(other) (its dtype), x.to("cpu", np.float64)."""
        for arg in args:
            if isinstance(arg, str):
                device = arg if device is None else device
            elif hasattr(arg, "data") and hasattr(arg, "dtype") and not isinstance(arg, type):
                dtype = arg.dtype  # another tensor: its dtype
            else:
                dtype = arg
        if device is not None and (not isinstance(device, str) or device.split(":")[0] != "cpu"):
            raise ValueError(f"to: only the 'cpu' device exists here, got {device!r}")
        return self if dtype is None else convert(self, dtype)

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
