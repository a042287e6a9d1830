"""The base of every learning-rate scheduler (PyTorch's LRScheduler: step, get_last_lr, state_dict)
and the argument checks the schedulers share."""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

from .._checks import as_int, as_real
from .optimizer import Optimizer


def _real(
    owner: str,
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float:
    """A real number (not NaN; infinities allowed) in [low, high] ((low, high] with low_open)."""
    return as_real(owner, name, value, low, high, low_open=low_open, finite=False)


def _positive_int(owner: str, name: str, value: Any) -> int:
    return as_int(owner, name, value, minimum=1)


def _per_group(owner: str, name: str, optimizer: Optimizer, value: Any) -> list:
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(
                f"{owner}: {name} has {len(value)} values, the optimizer has "
                f"{len(optimizer.param_groups)} parameter groups"
            )
        return list(value)
    return [value] * len(optimizer.param_groups)


class LRScheduler:
    """Base class: base_lrs from each group's "initial_lr", last_epoch counting step() calls (the
    constructor makes the first one), get_last_lr() the rates it set."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        owner = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{owner}: optimizer must be a tinygrad_conv.optim Optimizer, got "
                f"{type(optimizer).__name__}"
            )
        last_epoch = as_int(owner, "last_epoch", last_epoch)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{owner}: param_groups[{i}] has no 'initial_lr', needed to "
                        f"resume with last_epoch={last_epoch}; load the optimizer's "
                        f"state dict first"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = int(last_epoch)
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The learning rates the last step() set, one per parameter group."""
        return list(self._last_lr)

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (or batch) and write the new rates into the optimizer's groups."""
        if self._step_count == 1 and not getattr(self.optimizer, "_step_called", True):
            warnings.warn(
                "Detected call of lr_scheduler.step() before optimizer.step(): call "
                "optimizer.step() first, or the first value of the schedule is skipped "
                "(as in PyTorch)",
                UserWarning,
                stacklevel=2,
            )
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            warnings.warn(
                "scheduler.step(epoch) is deprecated (as in PyTorch); call step()",
                UserWarning,
                stacklevel=2,
            )
            self.last_epoch = epoch
            closed = getattr(self, "_get_closed_form_lr", None)
            values = closed() if closed is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _group_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's own attributes (not the optimizer), as PyTorch's state_dict()."""
        return {
            key: (dict(value) if isinstance(value, Counter) else value)
            for key, value in self.__dict__.items()
            if key != "optimizer"
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not isinstance(state_dict, dict):
            raise TypeError(
                f"{type(self).__name__}.load_state_dict: expected a dict, got "
                f"{type(state_dict).__name__}"
            )
        unknown = set(state_dict) - set(self.state_dict()) - {"_get_lr_called_within_step"}
        if unknown:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: unknown entries "
                f"{sorted(unknown)} (a state dict of another scheduler?)"
            )
        self.__dict__.update(state_dict)
