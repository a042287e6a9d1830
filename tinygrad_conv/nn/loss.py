"""Loss layers with PyTorch's names, constructor arguments and results: CrossEntropyLoss, NLLLoss,
MSELoss, L1Loss, SmoothL1Loss, BCELoss, BCEWithLogitsLoss. As in PyTorch, weight and pos_weight
are buffers (in the state dict when given)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from .._checks import check_reduction
from ..ops.loss import check_ignore_index, check_label_smoothing, legacy_reduction
from ..ops.pointwise_loss import check_beta
from .module import Module


class _Loss(Module):
    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean"):
        super().__init__()
        name = type(self).__name__
        reduction = legacy_reduction(name, size_average, reduce, reduction)
        self.reduction = check_reduction(name, reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
    ):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _weight(type(self).__name__, "weight", weight))


def _weight(owner: str, name: str, value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    array = np.asarray(getattr(value, "data", value))
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{owner}: {name} must hold numbers, got dtype {array.dtype}")
    return array.astype(array.dtype if array.dtype.kind == "f" else np.float32)


class CrossEntropyLoss(_WeightedLoss):
    """loss = cross_entropy(logits, target): log-softmax, then the target's negative
    log-probability, with class weights, ignore_index and label smoothing as PyTorch."""

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        ignore_index: int = -100,
        reduce: Any = None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = check_ignore_index("CrossEntropyLoss", ignore_index)
        self.label_smoothing = check_label_smoothing("CrossEntropyLoss", label_smoothing)

    def forward(self, x: Any, target: Any) -> Any:
        return F.cross_entropy(
            x,
            target,
            self.reduction,
            self.label_smoothing,
            weight=self.weight,
            ignore_index=self.ignore_index,
        )

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, label_smoothing={self.label_smoothing}"


class NLLLoss(_WeightedLoss):
    """loss = -x[i, target_i] * weight[target_i] for log-probabilities x."""

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        ignore_index: int = -100,
        reduce: Any = None,
        reduction: str = "mean",
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = check_ignore_index("NLLLoss", ignore_index)

    def forward(self, x: Any, target: Any) -> Any:
        return F.nll_loss(
            x, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


class MSELoss(_Loss):
    """loss = (x - target)^2, reduced."""

    def forward(self, x: Any, target: Any) -> Any:
        return F.mse_loss(x, target, reduction=self.reduction)


class L1Loss(_Loss):
    """loss = |x - target|, reduced."""

    def forward(self, x: Any, target: Any) -> Any:
        return F.l1_loss(x, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """loss = 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = x - target)."""

    def __init__(
        self,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
        beta: float = 1.0,
    ):
        super().__init__(size_average, reduce, reduction)
        self.beta = check_beta("SmoothL1Loss", beta)

    def forward(self, x: Any, target: Any) -> Any:
        return F.smooth_l1_loss(x, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_WeightedLoss):
    """loss = -weight * (t log x + (1 - t) log(1 - x)) for probabilities x."""

    def forward(self, x: Any, target: Any) -> Any:
        return F.binary_cross_entropy(x, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """BCELoss of sigmoid(x), computed stably from the logits; pos_weight scales the positive
    term per class (the last dim)."""

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        reduce: Any = None,
        reduction: str = "mean",
        pos_weight: Any = None,
    ):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _weight("BCEWithLogitsLoss", "weight", weight))
        self.register_buffer("pos_weight", _weight("BCEWithLogitsLoss", "pos_weight", pos_weight))

    def forward(self, x: Any, target: Any) -> Any:
        return F.binary_cross_entropy_with_logits(
            x, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )
