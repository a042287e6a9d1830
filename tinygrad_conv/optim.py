"""Optimizers with PyTorch's update rules: the same start and the same gradients give the same
parameters.

Each step updates `param.data` in place (its dtype kept); a parameter whose .grad is None is left
alone, and so is its state."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from .tensor import Tensor


def _number(owner: str, name: str, value: Any, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    if not value >= minimum:  # also rejects NaN
        raise ValueError(f"{owner}: {name} must be >= {minimum}, got {value!r}")
    return float(value)


class Optimizer:
    """Holds the parameters and per-parameter state; subclasses define step()."""

    def __init__(self, params: Iterable[Tensor]):
        owner = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{owner}: params must be an iterable of Tensors (e.g. "
                            f"model.parameters()), got a single Tensor")
        self.params: list[Tensor] = list(params)
        if not self.params:
            raise ValueError(f"{owner}: params is an empty list; pass model.parameters()")
        for i, param in enumerate(self.params):
            if not isinstance(param, Tensor):
                raise TypeError(f"{owner}: params[{i}] must be a Tensor, got "
                                f"{type(param).__name__}")
            if not param.requires_grad:
                raise ValueError(f"{owner}: params[{i}] does not require grad, so it can't be "
                                 f"trained")
        self.state: dict[int, dict[str, Any]] = {}

    def zero_grad(self) -> None:
        """Set every parameter's .grad to None (PyTorch's default, set_to_none=True)."""
        for param in self.params:
            param.grad = None

    def step(self) -> None:
        raise NotImplementedError

    def _grads(self) -> Iterable[tuple[Tensor, np.ndarray, dict[str, Any]]]:
        for param in self.params:
            if param.grad is not None:
                yield param, param.grad, self.state.setdefault(id(param), {})


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay.

    g = grad + weight_decay * p;  b = g (first step), else b = momentum * b + g
    p -= lr * (g + momentum * b if nesterov else b)        (without momentum: p -= lr * g)
    """

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        self.lr = _number("SGD", "lr", lr)
        self.momentum = _number("SGD", "momentum", momentum)
        self.weight_decay = _number("SGD", "weight_decay", weight_decay)
        if not isinstance(nesterov, bool):
            raise TypeError(f"SGD: nesterov must be a bool, got {nesterov!r}")
        if nesterov and self.momentum <= 0:
            raise ValueError("SGD: nesterov=True needs momentum > 0")
        self.nesterov = nesterov
        super().__init__(params)

    def step(self) -> None:
        for param, grad, state in self._grads():
            if self.weight_decay:
                grad = grad + self.weight_decay * param.data
            if self.momentum:
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = grad.copy()
                else:
                    buf *= self.momentum
                    buf += grad
                grad = grad + self.momentum * buf if self.nesterov else buf
            param.data -= self.lr * grad


class Adam(Optimizer):
    """Adam (Kingma and Ba), with L2 weight decay added to the gradient as torch.optim.Adam does.

    g = grad + weight_decay * p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  t += 1
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        self.lr = _number("Adam", "lr", lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair of floats, got {betas!r}")
        beta1 = _number("Adam", "betas[0]", betas[0])
        beta2 = _number("Adam", "betas[1]", betas[1])
        if beta1 >= 1 or beta2 >= 1:
            raise ValueError(f"Adam: betas must lie in [0, 1), got {tuple(betas)}")
        self.betas = (beta1, beta2)
        self.eps = _number("Adam", "eps", eps)
        self.weight_decay = _number("Adam", "weight_decay", weight_decay)
        super().__init__(params)

    def step(self) -> None:
        beta1, beta2 = self.betas
        for param, grad, state in self._grads():
            if self.weight_decay:
                grad = grad + self.weight_decay * param.data
            if not state:
                state["step"] = 0
                state["exp_avg"] = np.zeros_like(param.data)
                state["exp_avg_sq"] = np.zeros_like(param.data)
            state["step"] += 1
            step, exp_avg, exp_avg_sq = state["step"], state["exp_avg"], state["exp_avg_sq"]
            exp_avg += (1 - beta1) * (grad - exp_avg)  # torch's lerp_(grad, 1 - beta1)
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * grad * grad
            step_size = self.lr / (1 - beta1**step)
            denom = np.sqrt(exp_avg_sq) / math.sqrt(1 - beta2**step) + self.eps
            param.data -= step_size * (exp_avg / denom)
