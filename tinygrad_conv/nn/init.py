"""PyTorch's default initialisations, in place on a Tensor's array.

Conv2d and Linear weights: kaiming_uniform_(w, a=sqrt(5)), which is U(-1/sqrt(fan_in),
1/sqrt(fan_in)); their biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). fan_in = in_features, or
C_in/groups * kH * kW. Random numbers come from one NumPy Generator; manual_seed(seed) makes models
reproducible."""

from __future__ import annotations

import math

import numpy as np

from .._random import generator as _random_generator
from .._random import manual_seed  # noqa: F401 - nn.init.manual_seed is tc.manual_seed
from ..tensor import Tensor


def calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field (as PyTorch)."""
    if tensor.ndim < 2:
        raise ValueError(f"init: fan in and fan out need a tensor of at least 2 dimensions, got "
                         f"shape {tuple(tensor.shape)}")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gains PyTorch uses: linear/conv/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu
    sqrt(2/(1+a^2))."""
    if nonlinearity in ("linear", "conv2d", "sigmoid", "conv1d", "conv3d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: np.random.Generator | None = None) -> Tensor:
    """Fill with U(a, b)."""
    rng = _random_generator() if generator is None else generator
    tensor.data[...] = rng.uniform(a, b, size=tensor.shape)
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    tensor.data[...] = 0
    return tensor


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> Tensor:
    """Fill with U(-bound, bound), bound = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity,
    a)."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming_uniform_: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan) if fan else 0.0
    return uniform_(tensor, -bound, bound, generator)


def default_weight_and_bias_(weight: Tensor, bias: Tensor | None) -> None:
    """What Conv2d and Linear do in reset_parameters: kaiming_uniform_(a=sqrt(5)), bias
    U(+-1/sqrt(fan_in))."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform_(bias, -bound, bound)
