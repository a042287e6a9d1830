"""conv2d (cross-correlation, NCHW, PyTorch's semantics): im2col kernel + BLAS matrix products, or
the direct kernels (conv_algorithm.py says which runs when)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._backend import kernels, num_threads
from .._checks import INT_LIMIT, as_int, as_pair, check_float, check_ndim, check_same_dtype
from ..autograd import Context, Function
from .conv_algorithm import choose

__all__ = ["conv2d"]

# Backward turns the columns' gradient into the image's gradient in slices of about this many bytes,
# so that the slice is still in cache when col2im reads it and no full-size buffer is allocated.
CHUNK_BYTES = 8 << 20


# im2col/col2im run on one thread here. They sit between BLAS calls, and OpenMP workers (which spin
# a while after a parallel region) then fight OpenBLAS's own threads for the cores: on 2 cores,
# fwd+bwd measured 297 -> 139 ms (big-conv), 58 -> 19 ms (mid-conv), 8.5 -> 6.4 ms (lenet-conv)
# going from 2 threads to 1. The copies are memory-bound, so one thread loses little.
KERNEL_THREADS = 1


def _pair(name: str, value: Any, minimum: int) -> tuple[int, int]:
    if type(value) is int and minimum <= value <= INT_LIMIT:  # the common case, checked cheaply
        return value, value
    return as_pair("conv2d", name, value, minimum)


@dataclass(frozen=True)
class ConvGeometry:
    """Every size of one conv2d call, computed once by Conv2d.check."""

    n: int
    c: int
    h: int
    w: int
    c_out: int
    kh: int
    kw: int
    sh: int
    sw: int
    top: int
    bottom: int
    left: int
    right: int
    dh: int
    dw: int
    groups: int
    oh: int
    ow: int

    @classmethod
    def from_shapes(
        cls,
        *,
        x_shape: tuple,
        weight_shape: tuple,
        stride: tuple,
        pads: tuple,
        dilation: tuple,
        groups: int,
    ) -> ConvGeometry:
        """The one place the output size is computed (shapes already checked by Conv2d.check);
        ValueError when the dilated kernel does not fit in the padded input."""
        (n, c, h, w), (c_out, _, kh, kw) = x_shape, weight_shape
        reach_h, reach_w = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
        padded_h, padded_w = h + pads[0] + pads[1], w + pads[2] + pads[3]
        if reach_h > padded_h or reach_w > padded_w:
            raise ValueError(
                f"conv2d: kernel {kh}x{kw} with dilation {dilation} spans "
                f"{reach_h}x{reach_w}, larger than the padded input {padded_h}x{padded_w}"
            )
        oh = (padded_h - reach_h) // stride[0] + 1
        ow = (padded_w - reach_w) // stride[1] + 1
        return cls(
            n=n,
            c=c,
            h=h,
            w=w,
            c_out=c_out,
            kh=kh,
            kw=kw,
            sh=stride[0],
            sw=stride[1],
            top=pads[0],
            bottom=pads[1],
            left=pads[2],
            right=pads[3],
            dh=dilation[0],
            dw=dilation[1],
            groups=groups,
            oh=oh,
            ow=ow,
        )

    @property
    def cols_shape(self) -> tuple[int, ...]:
        return (self.n, self.c, self.kh, self.kw, self.oh, self.ow)

    def __repr__(self) -> str:  # short, for graph labels
        return (
            f"{self.kh}x{self.kw} kernel, {self.h}x{self.w} -> {self.oh}x{self.ow}, "
            f"padding (top, bottom, left, right) = {(self.top, self.bottom, self.left, self.right)}"
        )


def _padding(padding: Any, kh: int, kw: int, dh: int, dw: int, stride: tuple[int, int]):
    """int, (h, w), "valid" or "same" -> (top, bottom, left, right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if padding != "same":
            raise ValueError(
                f"conv2d: padding must be an int, a pair, 'valid' or 'same', got {padding!r}"
            )
        if stride != (1, 1):
            raise ValueError(
                f"conv2d: padding='same' needs stride 1 (as in PyTorch), got stride {stride}"
            )
        total_h, total_w = (
            dh * (kh - 1),
            dw * (kw - 1),
        )  # the extra one of an odd total goes bottom/right
        return total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2
    ph, pw = _pair("padding", padding, 0)
    return ph, ph, pw, pw


class Conv2d(Function):
    name = "conv2d"
    inputs = ("x", "weight", "bias")

    @staticmethod
    def check(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        check_ndim("conv2d", "x", x, 4, "(N, C_in, H, W)")
        check_ndim("conv2d", "weight", weight, 4, "(C_out, C_in / groups, kH, kW)")
        check_float("conv2d", "x", x)
        check_float("conv2d", "weight", weight)
        if bias is not None:
            check_float("conv2d", "bias", bias)
        check_same_dtype("conv2d", x=x, weight=weight, bias=bias)
        stride, dilation = _pair("stride", stride, 1), _pair("dilation", dilation, 1)
        groups = (
            groups
            if type(groups) is int and 1 <= groups <= INT_LIMIT
            else as_int("conv2d", "groups", groups, 1)
        )
        (_, c, h, w), (c_out, c_per_group, kh, kw) = x.shape, weight.shape
        if kh < 1 or kw < 1 or c_out < 1:
            raise ValueError(
                f"conv2d: weight must have C_out, kH, kW >= 1, got shape {weight.shape}"
            )
        if c < 1 or h < 1 or w < 1:
            raise ValueError(f"conv2d: x must have C_in, H, W >= 1, got shape {x.shape}")
        if c % groups or c_out % groups:
            raise ValueError(f"conv2d: groups={groups} must divide both C_in={c} and C_out={c_out}")
        if c_per_group * groups != c:
            raise ValueError(
                f"conv2d: weight has {c_per_group} input channels per group, so x must "
                f"have {c_per_group} * groups = {c_per_group * groups} channels; "
                f"x has shape {x.shape} (C_in={c})"
            )
        if bias is not None and bias.shape != (c_out,):
            raise ValueError(
                f"conv2d: bias must have shape (C_out,) = ({c_out},), got {bias.shape}"
            )
        geometry = ConvGeometry.from_shapes(
            x_shape=x.shape,
            weight_shape=weight.shape,
            stride=stride,
            pads=_padding(padding, kh, kw, *dilation, stride),
            dilation=dilation,
            groups=groups,
        )
        pads = (geometry.top, geometry.bottom, geometry.left, geometry.right)
        return {
            "stride": stride,
            "padding": pads,
            "dilation": dilation,
            "groups": groups,
            "geometry": geometry,
        }

    @staticmethod
    def forward(ctx: Context, x, weight, bias=None, *, geometry: ConvGeometry, **params):
        g = geometry
        x, weight = np.ascontiguousarray(x), np.ascontiguousarray(weight)  # what the kernels trust
        ctx.algorithm = choose(g, x.dtype)
        if ctx.algorithm == "direct":
            out = np.empty((g.n, g.c_out, g.oh, g.ow), dtype=x.dtype)
            kernels().direct_conv2d(x, weight, out, g.top, g.left, _direct_threads(g))
            if bias is not None:
                out += bias.reshape(-1, 1, 1)
            ctx.save_for_backward(x, weight)  # no columns: backward recomputes what it needs
            return out
        cols = np.empty(g.cols_shape, dtype=x.dtype)
        kernels().im2col(x, cols, g.sh, g.sw, g.top, g.left, g.dh, g.dw, KERNEL_THREADS)
        # Per image and group: out (C_out/G, oH*oW) = weight (C_out/G, C_in/G*kH*kW) @ cols
        w_mat = weight.reshape(g.groups, g.c_out // g.groups, -1)
        out = np.matmul(w_mat, cols.reshape(g.n, g.groups, w_mat.shape[2], g.oh * g.ow))
        if bias is not None:
            out += bias.reshape(g.groups, -1, 1)
        ctx.save_for_backward(cols, w_mat)
        return out.reshape(g.n, g.c_out, g.oh, g.ow)

    @staticmethod
    def backward(ctx: Context, grad_out):
        g: ConvGeometry = ctx.params["geometry"]
        need_x, need_w = ctx.needs_input_grad[:2]
        need_b = len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]
        if g.n == 0:  # an empty batch: nothing flowed, every gradient is zero (PyTorch)
            return _empty_batch_grads(ctx, need_x, need_w, need_b)
        if ctx.algorithm == "direct":
            return _direct_backward(ctx, g, grad_out, need_x, need_w, need_b)
        cols, w_mat = ctx.saved_tensors
        grad_out = np.ascontiguousarray(grad_out, dtype=cols.dtype)
        grad_y = grad_out.reshape(g.n, g.groups, -1, g.oh * g.ow)  # (N, G, C_out/G, L)
        grad_x = grad_weight = grad_bias = None
        if need_b:  # dL/db = dL/dy summed over N, oH, oW
            grad_bias = grad_y.sum(axis=3).sum(axis=0).reshape(g.c_out)
        if need_w:  # dL/dW = sum over images of dL/dy @ cols^T
            cols_t = cols.reshape(g.n, g.groups, w_mat.shape[2], -1).transpose(0, 1, 3, 2)
            grad_weight = (
                np.matmul(grad_y, cols_t).sum(axis=0).reshape(g.c_out, g.c // g.groups, g.kh, g.kw)
            )
        if need_x:  # dL/dx = col2im(W^T @ dL/dy), a slice of images at a time
            w_t = np.ascontiguousarray(w_mat.transpose(0, 2, 1))
            grad_x = np.empty((g.n, g.c, g.h, g.w), dtype=cols.dtype)
            step = max(1, CHUNK_BYTES // max(1, cols.nbytes // max(1, g.n)))
            buf = np.empty((min(step, g.n),) + g.cols_shape[1:], dtype=cols.dtype)
            for i in range(0, g.n, step):
                j = min(g.n, i + step)
                grad_cols = buf[: j - i]
                np.matmul(
                    w_t, grad_y[i:j], out=grad_cols.reshape(j - i, g.groups, w_t.shape[1], -1)
                )
                kernels().col2im(
                    grad_cols, grad_x[i:j], g.sh, g.sw, g.top, g.left, g.dh, g.dw, KERNEL_THREADS
                )
        grads = (grad_x, grad_weight, grad_bias)
        return grads[: len(ctx.parents)]


# Below this many multiply-adds the direct kernels run on one thread: waking a second OpenMP thread
# costs more than it saves, the more so right after a BLAS call whose threads still spin. The small
# CNN's second layer (64x8x14x14 -> 16, 14 million): fwd+bwd 1.39-1.71 ms on one thread, 1.55-2.35
# on two (im2col 2.0-2.2); mid-conv (150 million) gains from two.
DIRECT_PARALLEL_MACS = 1 << 24


def _direct_threads(g: ConvGeometry) -> int:
    macs = g.n * g.c_out * g.oh * g.ow * g.c * g.kh * g.kw
    return 1 if macs < DIRECT_PARALLEL_MACS else num_threads(macs)


def _direct_backward(ctx: Context, g: ConvGeometry, grad_out, need_x, need_w, need_b):
    """The gradients with the direct kernels (stride 1, no dilation, one group)."""
    x, weight = ctx.saved_tensors
    grad_out = np.ascontiguousarray(grad_out, dtype=x.dtype)
    threads = _direct_threads(g)
    grad_x = grad_weight = grad_bias = None
    if need_b:
        grad_bias = grad_out.sum(axis=(0, 2, 3))
    if need_w:  # dL/dW[o, c, a, b] = sum over n, y, x of dL/dy[n, o, y, x] * x_pad[n, c, y+a, x+b]
        grad_weight = np.empty(weight.shape, dtype=x.dtype)
        kernels().direct_conv2d_weight_grad(x, grad_out, grad_weight, g.top, g.left, threads)
    if need_x:  # dL/dx: dL/dy convolved with the flipped filter, its channel axes swapped
        flipped = np.ascontiguousarray(weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
        grad_x = np.empty(x.shape, dtype=x.dtype)
        kernels().direct_conv2d(
            grad_out, flipped, grad_x, g.kh - 1 - g.top, g.kw - 1 - g.left, threads
        )
    grads = (grad_x, grad_weight, grad_bias)
    return grads[: len(ctx.parents)]


def conv2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
):
    """2-D cross-correlation of x (N, C_in, H, W) with weight (C_out, C_in / groups, kH, kW), as
    torch.nn.functional.conv2d: y[n, o] = bias[o] + sum_cab weight[o, c, a, b] * x_pad[...]."""
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv2d.apply(*inputs, stride=stride, padding=padding, dilation=dilation, groups=groups)


def _empty_batch_grads(ctx: Context, need_x: bool, need_w: bool, need_b: bool) -> tuple:
    shapes, dtypes = ctx.input_shapes, ctx.input_dtypes
    grads = [
        np.zeros(shapes[i], dtypes[i]) if need else None
        for i, need in enumerate((need_x, need_w, need_b)[: len(shapes)])
    ]
    return tuple(grads)
