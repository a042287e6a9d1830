"""Adam and AdamW with PyTorch's update rules (amsgrad, maximize; L2 or decoupled decay)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, check_betas, check_bool, check_number


class Adam(Optimizer):
    """Adam (Kingma and Ba), torch.optim.Adam's rule; weight decay is added to the gradient (L2):

    g = ±grad + weight_decay p;  m = lerp(m, g, 1 - b1);  v = b2 v + (1 - b2) g^2;  t += 1
    v_hat = max(v_hat, v) if amsgrad else v
    p -= lr / (1 - b1^t) * m / (sqrt(v_hat) / sqrt(1 - b2^t) + eps)
    """

    _decoupled = False

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ):
        # foreach/capturable/differentiable/fused are accepted as PyTorch's are; nothing changes.
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                amsgrad=amsgrad,
                maximize=maximize,
            ),
        )

    def _check_group(self, group: dict[str, Any]) -> None:
        owner = type(self).__name__
        for name in ("lr", "eps", "weight_decay"):
            check_number(owner, name, group[name])
        group["betas"] = check_betas(owner, group["betas"])
        check_bool(owner, "amsgrad", group["amsgrad"])
        check_bool(owner, "maximize", group["maximize"])

    def _state_shapes(self, group: dict[str, Any]) -> tuple[set[str], set[str]]:
        arrays = {"exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if group["amsgrad"] else set())
        return arrays, {"step"}

    def _update(self, group, params, grads, states) -> None:
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        amsgrad, maximize = group["amsgrad"], group["maximize"]
        for param, grad, state in zip(params, grads, states, strict=True):
            p = param.data
            if not state:
                state["step"] = 0.0
                state["exp_avg"] = np.zeros_like(p)
                state["exp_avg_sq"] = np.zeros_like(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = np.zeros_like(p)
            elif amsgrad and "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = np.zeros_like(p)
            if maximize:
                grad = -grad
            state["step"] += 1
            step = state["step"]
            if weight_decay != 0:
                if self._decoupled:
                    p *= 1 - lr * weight_decay
                else:
                    grad = grad + weight_decay * p
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            tmp = grad - exp_avg  # torch's lerp_(grad, 1 - beta1) for a weight below 0.5
            tmp *= 1 - beta1
            exp_avg += tmp
            exp_avg_sq *= beta2
            np.multiply(grad, grad, out=tmp)
            tmp *= 1 - beta2
            exp_avg_sq += tmp
            step_size = lr / (1 - beta1**step)
            bias_correction2_sqrt = (1 - beta2**step) ** 0.5
            if amsgrad:
                np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
                np.sqrt(state["max_exp_avg_sq"], out=tmp)
            else:
                np.sqrt(exp_avg_sq, out=tmp)
            tmp /= bias_correction2_sqrt
            tmp += eps
            np.divide(exp_avg, tmp, out=tmp)
            tmp *= step_size
            p -= tmp


class AdamW(Adam):
    """AdamW (Loshchilov and Hutter), torch.optim.AdamW's rule: Adam with decoupled weight decay,
    p *= 1 - lr weight_decay before the Adam step (default weight_decay 1e-2)."""

    _decoupled = True

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
