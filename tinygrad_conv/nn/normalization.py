"""BatchNorm1d and BatchNorm2d with PyTorch's arguments, parameters, buffers and state-dict keys:
batch statistics in train(), running ones in eval()."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import as_bool, as_int
from ..autograd import is_tensor
from ..ops.normalization import batch_norm, check_eps, check_momentum
from .module import Module, Parameter


def _array(value: Any) -> np.ndarray:
    return value.data if is_tensor(value) else value


def _touched(value: Any) -> None:
    if is_tensor(value):
        value._bump_version()


class _BatchNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias per channel (dim 1 of x).

    train(): mean and var are the batch's; running_mean and running_var follow them, as
    running = (1 - momentum) * running + momentum * batch (unbiased variance), or, with
    momentum=None, as the plain average of every batch so far (num_batches_tracked counts them).
    eval(): the running statistics are used. track_running_stats=False keeps none and uses the
    batch's statistics in both modes; affine=False has no weight and bias.
    """

    ndims: tuple[int, ...] = ()
    layout = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = np.float32,
    ):
        super().__init__()
        layer = type(self).__name__
        num_features = as_int(layer, "num_features", num_features, minimum=1)
        eps = check_eps(layer, eps, positive=True)
        if momentum is not None:
            momentum = check_momentum(layer, momentum, 0, 1)
        affine = as_bool(layer, "affine", affine)
        track_running_stats = as_bool(layer, "track_running_stats", track_running_stats)
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"{layer}: dtype must be float32 or float64, got {dtype}")
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        c = self.num_features
        if affine:
            self.weight = Parameter(np.ones(c, dtype))
            self.bias = Parameter(np.zeros(c, dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(c, dtype))
            self.register_buffer("running_var", np.ones(c, dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """running_mean 0, running_var 1, num_batches_tracked 0 (in place)."""
        if self.track_running_stats:
            for buffer, value in (
                (self.running_mean, 0),
                (self.running_var, 1),
                (self.num_batches_tracked, 0),
            ):
                _array(buffer)[...] = value
                _touched(buffer)

    def reset_parameters(self) -> None:
        """The running statistics reset, weight 1, bias 0 (in place)."""
        self.reset_running_stats()
        if self.affine:
            for param, value in ((self.weight, 1), (self.bias, 0)):
                param.data[...] = value
                param._bump_version()

    def _check_input(self, x: Any) -> None:
        layer = type(self).__name__
        shape = tuple(np.shape(_array(x)))
        if len(shape) not in self.ndims:
            raise ValueError(
                f"{layer}: x must be {self.layout}, got {len(shape)}-D input of shape {shape}"
            )
        if shape[1] != self.num_features:
            raise ValueError(
                f"{layer}: x must have num_features={self.num_features} channels on "
                f"dim 1, got shape {shape}"
            )

    def forward(self, x: Any) -> Any:
        self._check_input(x)
        factor = 0.0 if self.momentum is None else self.momentum
        counting = (
            self.training and self.track_running_stats and self.num_batches_tracked is not None
        )
        if counting:
            batches = int(_array(self.num_batches_tracked)) + 1
            factor = 1.0 / batches if self.momentum is None else self.momentum
        # Batch statistics in training, and in eval too when there are no running ones.
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep_running = not self.training or self.track_running_stats
        out = batch_norm(
            x,
            self.running_mean if keep_running else None,
            self.running_var if keep_running else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )
        if counting:  # counted only once the batch went through (a bad input changes nothing)
            _array(self.num_batches_tracked)[...] += 1
            _touched(self.num_batches_tracked)
        return out

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs over N (and L)."""

    ndims = (2, 3)
    layout = "2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) images over N, H and W."""

    ndims = (4,)
    layout = "4-D (N, C, H, W)"
