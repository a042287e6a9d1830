"""Adagrad with PyTorch's update rule (lr decay, initial accumulator, weight decay, maximize)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, check_bool, check_number


class Adagrad(Optimizer):
    """torch.optim.Adagrad's rule (its state is made for every parameter at construction):

    t += 1;  g = ±grad + weight_decay p;  clr = lr / (1 + (t - 1) lr_decay)
    s += g^2;  p -= clr g / (sqrt(s) + eps)
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ):
        super().__init__(
            params,
            dict(
                lr=lr,
                lr_decay=lr_decay,
                eps=eps,
                weight_decay=weight_decay,
                initial_accumulator_value=initial_accumulator_value,
                maximize=maximize,
            ),
        )
        for group in self.param_groups:
            for param in group["params"]:
                self.state[param] = {
                    "step": 0.0,
                    "sum": np.full_like(param.data, group["initial_accumulator_value"]),
                }

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for param in group["params"]:
            self.state.setdefault(
                param,
                {"step": 0.0, "sum": np.full_like(param.data, group["initial_accumulator_value"])},
            )

    def _check_group(self, group: dict[str, Any]) -> None:
        for name in ("lr", "lr_decay", "eps", "weight_decay", "initial_accumulator_value"):
            check_number("Adagrad", name, group[name])
        check_bool("Adagrad", "maximize", group["maximize"])

    def _state_shapes(self, group: dict[str, Any]) -> tuple[set[str], set[str]]:
        return {"sum"}, {"step"}

    def _update(self, group, params, grads, states) -> None:
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for param, grad, state in zip(params, grads, states, strict=True):
            p = param.data
            if "sum" not in state:
                state["step"] = 0.0
                state["sum"] = np.full_like(p, group["initial_accumulator_value"])
            state["step"] += 1
            step = state["step"]
            if maximize:
                grad = -grad
            if weight_decay != 0:
                grad = grad + weight_decay * p
            clr = lr / (1 + (step - 1) * lr_decay)
            tmp = grad * grad
            state["sum"] += tmp
            np.sqrt(state["sum"], out=tmp)
            tmp += eps
            np.divide(grad, tmp, out=tmp)
            tmp *= clr
            p -= tmp
