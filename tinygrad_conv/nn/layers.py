"""The layers, with PyTorch's constructor arguments, parameter names, shapes and default
initialisation."""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import functional as F
from .._checks import as_int, as_pair, is_int
from ..tensor import Tensor
from . import init
from .module import Module, Parameter


def _padding(layer: str, padding: Any, stride: tuple[int, int]) -> Any:
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"{layer}: padding must be an int, a pair, 'same' or 'valid', got "
                             f"{padding!r}")
        if padding == "same" and stride != (1, 1):
            raise ValueError(f"{layer}: padding='same' needs stride 1, got stride {stride}")
        return padding
    return as_pair(layer, "padding", padding, minimum=0)


class Conv2d(Module):
    """y = conv2d(x, weight, bias): weight (out_channels, in_channels/groups, kH, kW), bias
    (out_channels,)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 dtype: Any = np.float32):
        super().__init__()
        self.in_channels = as_int("Conv2d", "in_channels", in_channels, minimum=1)
        self.out_channels = as_int("Conv2d", "out_channels", out_channels, minimum=1)
        self.kernel_size = as_pair("Conv2d", "kernel_size", kernel_size)
        self.stride = as_pair("Conv2d", "stride", stride)
        self.padding = _padding("Conv2d", padding, self.stride)
        self.dilation = as_pair("Conv2d", "dilation", dilation)
        self.groups = as_int("Conv2d", "groups", groups, minimum=1)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must both be divisible by groups ({groups})")
        if not isinstance(bias, bool):
            raise TypeError(f"Conv2d: bias must be a bool, got {bias!r}")
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(np.zeros(shape), dtype=dtype)
        self.bias = Parameter(np.zeros(out_channels), dtype=dtype) if bias else None
        init.default_weight_and_bias_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)

    def extra_repr(self) -> str:
        extra = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, " \
                f"stride={self.stride}"
        if self.padding != (0, 0):
            extra += f", padding={self.padding}"
        if self.dilation != (1, 1):
            extra += f", dilation={self.dilation}"
        if self.groups != 1:
            extra += f", groups={self.groups}"
        return extra + ("" if self.bias is not None else ", bias=False")


class Linear(Module):
    """y = x @ weight.T + bias: weight (out_features, in_features), bias (out_features,)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = np.float32):
        super().__init__()
        self.in_features = as_int("Linear", "in_features", in_features, minimum=1)
        self.out_features = as_int("Linear", "out_features", out_features, minimum=1)
        if not isinstance(bias, bool):
            raise TypeError(f"Linear: bias must be a bool, got {bias!r}")
        self.weight = Parameter(np.zeros((out_features, in_features)), dtype=dtype)
        self.bias = Parameter(np.zeros(out_features), dtype=dtype) if bias else None
        init.default_weight_and_bias_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(f"Linear: x must end in in_features={self.in_features}, got shape "
                             f"{tuple(x.shape)}")
        out = x @ self.weight.T
        return out if self.bias is None else out + self.bias

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, " \
               f"bias={self.bias is not None}"


class ReLU(Module):
    """y = max(x, 0)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class _Pool2d(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0):
        super().__init__()
        layer = type(self).__name__
        self.kernel_size = as_pair(layer, "kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else as_pair(layer, "stride", stride)
        self.padding = as_pair(layer, "padding", padding, minimum=0)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size, strict=True)):
            raise ValueError(f"{layer}: padding {self.padding} must be at most half of kernel_size "
                             f"{self.kernel_size}")

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """The maximum over each kernel_size window (stride defaults to kernel_size)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """The mean over each kernel_size window, padded zeros included (count_include_pad=True)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class Flatten(Module):
    """Merge the dimensions start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        if not is_int(start_dim) or not is_int(end_dim):
            raise TypeError(f"Flatten: start_dim and end_dim must be ints, got {start_dim!r}, "
                            f"{end_dim!r}")
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x: Tensor) -> Tensor:
        return F.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Sequential(Module):
    """Calls its layers in order; they are named "0", "1", ... as in PyTorch."""

    def __init__(self, *layers: Module):
        super().__init__()
        for layer in layers:
            self.append(layer)

    def append(self, layer: Module) -> Sequential:
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential: every layer must be a Module, got {type(layer).__name__}")
        setattr(self, str(len(self._modules)), layer)
        return self

    def forward(self, x: Any) -> Any:
        for layer in self._modules.values():
            x = layer(x)
        return x

    def __getitem__(self, index: int | slice) -> Any:
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class CrossEntropyLoss(Module):
    """loss = cross_entropy(logits, target): log-softmax, then the target's negative
    log-probability."""

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"CrossEntropyLoss: reduction must be 'mean', 'sum' or 'none', got "
                             f"{reduction!r}")
        if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
            raise TypeError(f"CrossEntropyLoss: label_smoothing must be a float, got "
                            f"{label_smoothing!r}")
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing}")
        self.reduction, self.label_smoothing = reduction, float(label_smoothing)

    def forward(self, x: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(x, target, self.reduction, self.label_smoothing)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, label_smoothing={self.label_smoothing}"
