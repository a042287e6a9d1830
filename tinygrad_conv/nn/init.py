"""PyTorch's default initialisations, in place on a Tensor's array.

Conv2d and Linear weights: kaiming_uniform_(w, a=sqrt(5)), which is U(-1/sqrt(fan_in),
1/sqrt(fan_in)); their biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). fan_in = in_features, or
C_in/groups * kH * kW. Random numbers come from one NumPy Generator; manual_seed(seed) makes models
reproducible. Every function writes in place, bumps the tensor's version and returns it."""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_choice
from .._random import generator as _random_generator
from .._random import manual_seed  # noqa: F401 - nn.init.manual_seed is tc.manual_seed
from ..tensor import Tensor


def calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field (as PyTorch)."""
    if tensor.ndim < 2:
        raise ValueError(
            f"init: fan in and fan out need a tensor of at least 2 dimensions, got "
            f"shape {tuple(tensor.shape)}"
        )
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


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """Fill with U(a, b)."""
    rng = _random_generator() if generator is None else generator
    return _fill(tensor, rng.uniform(a, b, size=tensor.shape))


def _fill(tensor: Tensor, values) -> Tensor:
    tensor.data[...] = values
    tensor._bump_version()
    return tensor


def _fan(op: str, tensor: Tensor, mode: str) -> int:
    check_choice(op, "mode", mode, ("fan_in", "fan_out"))
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Fill with N(mean, std^2)."""
    rng = _random_generator() if generator is None else generator
    return _fill(tensor, rng.normal(mean, std, size=tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0)


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio)."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(
    tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return normal_(tensor, 0.0, std, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Tensor:
    """N(0, std^2), std = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a) (He et al.)."""
    fan = _fan("kaiming_normal_", tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan) if fan else 0.0
    return normal_(tensor, 0.0, std, generator)


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """N(mean, std^2) restricted to [a, b]: values outside are drawn again."""
    if not a < b:
        raise ValueError(f"trunc_normal_: a must be smaller than b, got a={a}, b={b}")
    rng = _random_generator() if generator is None else generator
    values = rng.normal(mean, std, size=tensor.shape)
    outside = (values < a) | (values > b)
    for _ in range(1000):  # each round keeps a fixed share; 1000 rounds leave none in practice
        if not outside.any():
            break
        values[outside] = rng.normal(mean, std, size=int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, np.clip(values, a, b))


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Fill with U(-bound, bound), bound = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity,
    a)."""
    fan = _fan("kaiming_uniform_", tensor, mode)
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
