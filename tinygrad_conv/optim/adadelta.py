"""Adadelta with PyTorch's update rule (weight decay, maximize)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, check_bool, check_number


class Adadelta(Optimizer):
    """torch.optim.Adadelta's rule:

    g = ±grad + weight_decay p;  v = rho v + (1 - rho) g^2
    d = sqrt(u + eps) / sqrt(v + eps) * g;  u = rho u + (1 - rho) d^2;  p -= lr d
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        super().__init__(
            params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        )

    def _check_group(self, group: dict[str, Any]) -> None:
        for name in ("lr", "eps", "weight_decay"):
            check_number("Adadelta", name, group[name])
        check_number("Adadelta", "rho", group["rho"], maximum=1)
        check_bool("Adadelta", "maximize", group["maximize"])

    def _state_shapes(self, group: dict[str, Any]) -> tuple[set[str], set[str]]:
        return {"square_avg", "acc_delta"}, {"step"}

    def _update(self, group, params, grads, states) -> None:
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for param, grad, state in zip(params, grads, states, strict=True):
            p = param.data
            if not state:
                state["step"] = 0.0
                state["square_avg"] = np.zeros_like(p)
                state["acc_delta"] = np.zeros_like(p)
            state["step"] += 1
            if maximize:
                grad = -grad
            if weight_decay != 0:
                grad = grad + weight_decay * p
            square_avg, acc_delta = state["square_avg"], state["acc_delta"]
            square_avg *= rho
            std = grad * grad
            std *= 1 - rho
            square_avg += std
            np.add(square_avg, eps, out=std)
            np.sqrt(std, out=std)
            delta = acc_delta + eps
            np.sqrt(delta, out=delta)
            delta /= std
            delta *= grad
            acc_delta *= rho
            np.multiply(delta, delta, out=std)
            std *= 1 - rho
            acc_delta += std
            if lr != 1:
                delta *= lr
            p -= delta
