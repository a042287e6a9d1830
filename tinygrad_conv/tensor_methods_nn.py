"""The shape and network methods of Tensor (x.view(2, -1), x.permute(0, 2, 3, 1), x.softmax(1),
x.conv2d(w), ...), each a one-line call of its op in functional (see tensor_methods.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import functional as F
from .ops.activation import LAST

if TYPE_CHECKING:
    from .tensor import Tensor


class NetworkMethods:
    """Mixed into Tensor (through TensorMethods): movement, indexing, activations, network ops."""

    __slots__ = ()

    # --- movement and indexing -----------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        return F.reshape(self, *shape)

    def view(self, *shape: Any) -> Tensor:
        return F.view(self, *shape)

    def view_as(self, other: Any) -> Tensor:
        return F.view_as(self, other)

    def transpose(self, *dims: Any, dim0: Any = None, dim1: Any = None) -> Tensor:
        """x.transpose(0, 1) swaps two dims (PyTorch); x.transpose((2, 0, 1)) permutes (NumPy)."""
        return F.transpose(self, *dims, dim0=dim0, dim1=dim1)

    def permute(self, *dims: Any) -> Tensor:
        return F.permute(self, *dims)

    @property
    def T(self) -> Tensor:
        return F.transpose(self)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return F.flatten(self, start_dim, end_dim)

    def squeeze(self, dim: Any = None, *, axis: Any = None) -> Tensor:
        return F.squeeze(self, dim, axis=axis)

    def unsqueeze(self, dim: Any = None, *, axis: Any = None) -> Tensor:
        return F.unsqueeze(self, dim, axis=axis)

    def expand(self, *sizes: Any) -> Tensor:
        return F.expand(self, *sizes)

    def expand_as(self, other: Any) -> Tensor:
        return F.expand(self, tuple(other.shape))

    def __getitem__(self, index: Any) -> Tensor:
        return F.getitem(self, index)

    # --- activations ---------------------------------------------------------------------------
    def tanh(self) -> Tensor:
        return F.tanh(self)

    def sigmoid(self) -> Tensor:
        return F.sigmoid(self)

    def relu(self) -> Tensor:
        return F.relu(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return F.leaky_relu(self, negative_slope)

    def gelu(self, approximate: str = "none") -> Tensor:
        return F.gelu(self, approximate)

    def softmax(self, dim: Any = LAST, *, axis: Any = LAST) -> Tensor:
        return F.softmax(self, dim, axis=axis)

    def log_softmax(self, dim: Any = LAST, *, axis: Any = LAST) -> Tensor:
        return F.log_softmax(self, dim, axis=axis)

    # --- the network ops -----------------------------------------------------------------------
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
