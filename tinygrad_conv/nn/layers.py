"""The layers with parameters or windows (Conv2d, Linear, pools, adaptive pools, Flatten,
Identity), with PyTorch's constructor arguments, parameter names, shapes and default
initialisation."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from .._checks import as_bool, as_int, as_output_size, as_pair, pool_window
from ..ops.conv import _padding
from ..tensor import Tensor
from . import init
from .module import Module, Parameter


def _conv_padding(padding: Any, kernel_size: tuple, dilation: tuple, stride: tuple) -> Any:
    """Checked by conv2d's own normaliser (the op's rules and messages); kept as given."""
    top, _, left, _ = _padding(padding, *kernel_size, *dilation, stride)
    return padding if isinstance(padding, str) else (top, left)


class Conv2d(Module):
    """y = conv2d(x, weight, bias): weight (out_channels, in_channels/groups, kH, kW), bias
    (out_channels,)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        dtype: Any = np.float32,
    ):
        super().__init__()
        self.in_channels = as_int("Conv2d", "in_channels", in_channels, minimum=1)
        self.out_channels = as_int("Conv2d", "out_channels", out_channels, minimum=1)
        self.kernel_size = as_pair("Conv2d", "kernel_size", kernel_size)
        self.stride = as_pair("Conv2d", "stride", stride)
        self.dilation = as_pair("Conv2d", "dilation", dilation)
        self.padding = _conv_padding(padding, self.kernel_size, self.dilation, self.stride)
        self.groups = as_int("Conv2d", "groups", groups, minimum=1)
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"Conv2d: in_channels ({in_channels}) and out_channels "
                f"({out_channels}) must both be divisible by groups ({groups})"
            )
        bias = as_bool("Conv2d", "bias", bias)
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(np.zeros(shape), dtype=dtype)
        self.bias = Parameter(np.zeros(out_channels), dtype=dtype) if bias else None
        init.default_weight_and_bias_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(
            x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )

    def extra_repr(self) -> str:
        extra = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            extra += f", padding={self.padding}"
        if self.dilation != (1, 1):
            extra += f", dilation={self.dilation}"
        if self.groups != 1:
            extra += f", groups={self.groups}"
        return extra + ("" if self.bias is not None else ", bias=False")


class Linear(Module):
    """y = x @ weight.T + bias: weight (out_features, in_features), bias (out_features,)."""

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype: Any = np.float32
    ):
        super().__init__()
        self.in_features = as_int("Linear", "in_features", in_features, minimum=1)
        self.out_features = as_int("Linear", "out_features", out_features, minimum=1)
        bias = as_bool("Linear", "bias", bias)
        self.weight = Parameter(np.zeros((out_features, in_features)), dtype=dtype)
        self.bias = Parameter(np.zeros(out_features), dtype=dtype) if bias else None
        init.default_weight_and_bias_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        if tuple(getattr(x, "shape", ()))[-1:] != (self.in_features,):
            raise ValueError(
                f"Linear: x must end in in_features={self.in_features}, got shape "
                f"{tuple(getattr(x, 'shape', ()))}"
            )
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class _Pool2d(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0):
        super().__init__()
        layer = type(self).__name__
        self.kernel_size, self.stride, self.padding = pool_window(
            layer, kernel_size, stride, padding
        )

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
        self.start_dim = as_int("Flatten", "start_dim", start_dim)
        self.end_dim = as_int("Flatten", "end_dim", end_dim)

    def forward(self, x: Tensor) -> Tensor:
        return F.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class _AdaptivePool2d(Module):
    def __init__(self, output_size: Any):
        super().__init__()
        as_output_size(type(self).__name__, output_size)
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptivePool2d):
    """The mean over PyTorch's adaptive windows: any input size to (N, C, *output_size)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(x, self.output_size)


class AdaptiveMaxPool2d(_AdaptivePool2d):
    """The maximum over PyTorch's adaptive windows: any input size to (N, C, *output_size)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.adaptive_max_pool2d(x, self.output_size)


class Identity(Module):
    """y = x (any arguments to the constructor are ignored, as in PyTorch)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x
