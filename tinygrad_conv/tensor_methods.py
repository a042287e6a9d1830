"""The op methods of Tensor (x.relu(), x + y, x.sum(1), ...), each a one-line call of its op in
functional. Kept explicit, one method per op, so a reader sees every name a Tensor answers to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import functional as F

if TYPE_CHECKING:
    from .tensor import Tensor


class TensorMethods:
    """Mixed into Tensor: operators and methods that record graph nodes."""

    __slots__ = ()

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

    def __matmul__(self, other: Any) -> Tensor:
        return F.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return F.matmul(other, self)

    # --- reductions, movement, indexing ----------------------------------------------------------
    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return F.sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return F.mean(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return F.max(self, axis, keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        return F.reshape(self, *shape)

    def transpose(self, *axes: Any) -> Tensor:
        return F.transpose(self, *axes)

    @property
    def T(self) -> Tensor:
        return F.transpose(self)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return F.flatten(self, start_dim, end_dim)

    def __getitem__(self, index: Any) -> Tensor:
        return F.getitem(self, index)

    # --- activations and the network ops ---------------------------------------------------------
    def exp(self) -> Tensor:
        return F.exp(self)

    def log(self) -> Tensor:
        return F.log(self)

    def tanh(self) -> Tensor:
        return F.tanh(self)

    def sigmoid(self) -> Tensor:
        return F.sigmoid(self)

    def relu(self) -> Tensor:
        return F.relu(self)

    def softmax(self, axis: int = -1) -> Tensor:
        return F.softmax(self, axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return F.log_softmax(self, axis)

    def conv2d(
        self,
        weight: Any,
        bias: Any = None,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
    ) -> Tensor:
        return F.conv2d(self, weight, bias, stride, padding, dilation, groups)

    def max_pool2d(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
        return F.max_pool2d(self, kernel_size, stride, padding)

    def avg_pool2d(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
        return F.avg_pool2d(self, kernel_size, stride, padding)

    def cross_entropy(
        self, target: Any, reduction: str = "mean", label_smoothing: float = 0.0
    ) -> Tensor:
        return F.cross_entropy(self, target, reduction, label_smoothing)
