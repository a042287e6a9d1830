"""Direct convolution (stride 1, no dilation, one group), twin of kernels/conv_direct.pyx.

Instead of copying every window into columns (im2col) and multiplying matrices, the direct method
adds the kH * kW shifted copies of the (padded) image, each weighted by one tap of the filter:

    out[n, o] = sum over taps (a, b) of  weight[:, :, a, b] @ xpad[n, :, a : a + oH, b : b + oW]

where the product contracts the input channels. The compiled kernel does exactly this, one output
row of a few channels at a time kept in vector registers; here NumPy's einsum does each tap.

The weight gradient is the same sum turned around: for each tap (a, b), the output gradient
times the shifted image, summed over images and positions. The input gradient needs no function of
its own:
it is direct_conv2d of the output gradient with the filter flipped and its channel axes swapped
(tinygrad_conv/ops/conv.py does that).

(ph, pw) moves the image down and right inside the zero frame; a negative value crops instead (the
input gradient of a conv padded by more than kH - 1 needs that). The output's shape gives oH, oW.
Functions write into arrays the caller preallocated and return None, as the kernels do.
"""

from __future__ import annotations

import numpy as np


def direct_lanes() -> int:
    """The kernels' vector width (floats); the twin has none (0), so 'auto' never picks it."""
    return 0


def _padded(x: np.ndarray, hp: int, wp: int, ph: int, pw: int) -> np.ndarray:
    """x (N, C, H, W) placed at row ph, column pw of a zero (N, C, hp, wp) frame, cropped to fit."""
    n, c, h, w = x.shape
    out = np.zeros((n, c, hp, wp), dtype=x.dtype)
    top, left = max(ph, 0), max(pw, 0)  # where the image lands in the frame
    src_top, src_left = top - ph, left - pw  # rows/columns of x cut off by a negative shift
    rows, cols = min(h - src_top, hp - top), min(w - src_left, wp - left)
    if rows > 0 and cols > 0:
        out[:, :, top : top + rows, left : left + cols] = x[
            :, :, src_top : src_top + rows, src_left : src_left + cols
        ]
    return out


def direct_conv2d(
    x: np.ndarray, weight: np.ndarray, out: np.ndarray, ph: int, pw: int, num_threads: int = 1
) -> None:
    """out[n, o, y, x] = sum_cab weight[o, c, a, b] * x[n, c, y + a - ph, x + b - pw], 0 outside."""
    kh, kw = weight.shape[2:]
    oh, ow = out.shape[2:]
    xpad = _padded(x, oh + kh - 1, ow + kw - 1, ph, pw)
    acc = np.zeros(out.shape, dtype=np.float64 if x.dtype == np.float64 else np.float32)
    for a in range(kh):
        for b in range(kw):
            window = xpad[:, :, a : a + oh, b : b + ow]  # every output position's tap (a, b)
            acc += np.einsum("oc,ncyx->noyx", weight[:, :, a, b], window)
    out[...] = acc


def direct_conv2d_weight_grad(
    x: np.ndarray,
    grad_out: np.ndarray,
    grad_weight: np.ndarray,
    ph: int,
    pw: int,
    num_threads: int = 1,
) -> None:
    """grad_weight[o, c, a, b] = sum_nyx grad_out[n, o, y, x] * x[n, c, y + a - ph, x + b - pw]."""
    kh, kw = grad_weight.shape[2:]
    oh, ow = grad_out.shape[2:]
    xpad = _padded(x, oh + kh - 1, ow + kw - 1, ph, pw)
    for a in range(kh):
        for b in range(kw):
            window = xpad[:, :, a : a + oh, b : b + ow]
            grad_weight[:, :, a, b] = np.einsum("noyx,ncyx->oc", grad_out, window)
