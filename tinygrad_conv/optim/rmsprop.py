"""RMSprop with PyTorch's update rule (momentum, centered, weight decay, maximize)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, check_bool, check_number


class RMSprop(Optimizer):
    """torch.optim.RMSprop's rule:

    g = ±grad + weight_decay p;  v = alpha v + (1 - alpha) g^2
    centered: a = lerp(a, g, 1 - alpha), avg = sqrt(v - a^2) + eps;  else avg = sqrt(v) + eps
    momentum > 0: b = momentum b + g / avg, p -= lr b;  else p -= lr g / avg
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                maximize=maximize,
            ),
        )

    def _check_group(self, group: dict[str, Any]) -> None:
        for name in ("lr", "alpha", "eps", "weight_decay", "momentum"):
            check_number("RMSprop", name, group[name])
        check_bool("RMSprop", "centered", group["centered"])
        check_bool("RMSprop", "maximize", group["maximize"])

    def _state_shapes(self, group: dict[str, Any]) -> tuple[set[str], set[str]]:
        arrays = (
            {"square_avg"}
            | ({"momentum_buffer"} if group["momentum"] > 0 else set())
            | ({"grad_avg"} if group["centered"] else set())
        )
        return arrays, {"step"}

    def _update(self, group, params, grads, states) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        centered, maximize = group["centered"], group["maximize"]
        for param, grad, state in zip(params, grads, states, strict=True):
            p = param.data
            if not state:
                state["step"] = 0.0
                state["square_avg"] = np.zeros_like(p)
            if momentum > 0 and "momentum_buffer" not in state:
                state["momentum_buffer"] = np.zeros_like(p)
            if centered and "grad_avg" not in state:
                state["grad_avg"] = np.zeros_like(p)
            if maximize:
                grad = -grad
            state["step"] += 1
            if weight_decay != 0:
                grad = grad + weight_decay * p
            square_avg = state["square_avg"]
            square_avg *= alpha
            avg = grad * grad
            avg *= 1 - alpha
            square_avg += avg
            if centered:
                grad_avg = state["grad_avg"]
                np.subtract(grad, grad_avg, out=avg)  # lerp_(grad, 1 - alpha)
                avg *= 1 - alpha
                grad_avg += avg
                np.multiply(grad_avg, grad_avg, out=avg)
                np.subtract(square_avg, avg, out=avg)
                np.sqrt(avg, out=avg)
            else:
                np.sqrt(square_avg, out=avg)
            avg += eps
            if momentum > 0:
                buf = state["momentum_buffer"]
                buf *= momentum
                np.divide(grad, avg, out=avg)
                buf += avg
                if lr == 1:
                    p -= buf
                else:
                    p -= lr * buf
            else:
                np.divide(grad, avg, out=avg)
                avg *= lr
                p -= avg
