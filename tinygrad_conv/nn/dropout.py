"""Dropout layers: zero elements (Dropout) or whole channels (Dropout2d) with probability p in
train(), the identity in eval(). Masks come from the library's generator (tc.manual_seed)."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..ops.dropout import check_p
from .module import Module


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        self.p = check_p(type(self).__name__, p)
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """y = x * mask / (1 - p) in train(), mask ~ Bernoulli(1 - p) per element; y = x in eval()."""

    def forward(self, x: Any) -> Any:
        return F.dropout(x, self.p, self.training)


class Dropout2d(_DropoutNd):
    """As Dropout, but one mask value per channel of an (N, C, H, W) input ((N, C, L) for 3-D,
    as PyTorch)."""

    def forward(self, x: Any) -> Any:
        return F.dropout2d(x, self.p, self.training)
