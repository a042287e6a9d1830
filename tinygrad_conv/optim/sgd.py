"""SGD with PyTorch's update rule (momentum, dampening, Nesterov, weight decay, maximize)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, check_bool, check_number


class SGD(Optimizer):
    """Stochastic gradient descent, torch.optim.SGD's rule:

    g = ±grad + weight_decay p;  b = g (first step), else b = momentum b + (1 - dampening) g
    p -= lr (g + momentum b if nesterov else b)          (without momentum: p -= lr g)
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ):
        # foreach/differentiable/fused are accepted as PyTorch's are and change nothing here.
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
                maximize=maximize,
            ),
        )

    def _check_group(self, group: dict[str, Any]) -> None:
        for name in ("lr", "momentum", "dampening", "weight_decay"):
            check_number("SGD", name, group[name])
        check_bool("SGD", "nesterov", group["nesterov"])
        check_bool("SGD", "maximize", group["maximize"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def _state_shapes(self, group: dict[str, Any]) -> tuple[set[str], set[str]]:
        return {"momentum_buffer"}, set()

    def _update(self, group, params, grads, states) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
        maximize = group["maximize"]
        for param, grad, state in zip(params, grads, states, strict=True):
            p = param.data
            if maximize:
                grad = -grad
            if weight_decay != 0:
                grad = grad + weight_decay * p
            if momentum != 0:
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = np.array(grad, copy=True)
                else:
                    buf *= momentum
                    if dampening == 0:
                        buf += grad
                    else:
                        buf += (1 - dampening) * grad
                grad = grad + momentum * buf if nesterov else buf
            if lr == 1:
                p -= grad
            else:
                p -= lr * grad
