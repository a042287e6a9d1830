"""Activation layers with PyTorch's names and arguments: ReLU, LeakyReLU, Tanh, Sigmoid, GELU,
Softmax(dim), LogSoftmax(dim)."""

from __future__ import annotations

import warnings
from typing import Any

from .. import functional as F
from .._checks import as_int, as_real, check_choice
from .module import Module


def implicit_dim(op: str, ndim: int) -> int:
    """PyTorch's choice when softmax is given no dim (with its warning): 0 for 0-, 1- and 3-D
    inputs, else 1."""
    warnings.warn(
        f"Implicit dimension choice for {op} has been deprecated. Change the call to "
        f"include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


class ReLU(Module):
    """y = max(x, 0)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Any) -> Any:
        return F.relu(x)


class LeakyReLU(Module):
    """y = x where x >= 0, negative_slope * x elsewhere."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        negative_slope = as_real("LeakyReLU", "negative_slope", negative_slope, finite=False)
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x: Any) -> Any:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    """y = tanh(x)."""

    def forward(self, x: Any) -> Any:
        return F.tanh(x)


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x))."""

    def forward(self, x: Any) -> Any:
        return F.sigmoid(x)


class GELU(Module):
    """y = x * Phi(x) (approximate="none"), or its tanh approximation (approximate="tanh")."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = check_choice("GELU", "approximate", approximate, ("none", "tanh"))

    def forward(self, x: Any) -> Any:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class _SoftmaxBase(Module):
    op = "softmax"

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = None if dim is None else as_int(type(self).__name__, "dim", dim)

    def forward(self, x: Any) -> Any:
        dim = implicit_dim(self.op, x.ndim) if self.dim is None else self.dim
        return getattr(F, self.op)(x, dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    """y = exp(x) / sum(exp(x)) along dim."""

    op = "softmax"


class LogSoftmax(_SoftmaxBase):
    """y = x - log(sum(exp(x))) along dim."""

    op = "log_softmax"
