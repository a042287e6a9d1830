"""im2col and col2im, the readable twins of kernels/conv2d.pyx.

A convolution slides a kH x kW window over each (padded) image plane and, at each of the oH x oW
window positions, takes a weighted sum of what the window covers. im2col ("image to columns")
copies what every window covers into one array, cols[n, c, a, b, y, x] = x[n, c, y*sh - ph + a*dh,
x*sw - pw + b*dw], 0 where that lands in the padding. Seen as a matrix of (C*kH*kW) rows by (oH*oW)
columns per image, each column is one window, flattened; the convolution is then a single matrix
product, weight (C_out, C*kH*kW) @ cols, which a BLAS library runs far faster than any loop we
could write. (sh, sw) is the stride, (dh, dw) the dilation (gaps between the window's taps), (ph,
pw) the padding on the top and left; whatever padding the bottom/right needs follows from oH and
oW.

col2im goes the other way and is im2col's adjoint (its transpose): every entry of cols is added
back into the pixel it was copied from, so a pixel seen by several windows receives the sum of
their gradients. Backward uses it to turn the gradient of the columns into the gradient of the
image.

Both write into arrays the caller preallocated (`cols`, `x`) and return None, like the kernels. The
twins build a padded copy for clarity; the kernels test bounds instead.
"""

from __future__ import annotations

import numpy as np


def _bottom_right(
    h: int,
    w: int,
    kh: int,
    kw: int,
    oh: int,
    ow: int,
    sh: int,
    sw: int,
    ph: int,
    pw: int,
    dh: int,
    dw: int,
) -> tuple[int, int]:
    """Padding the last window needs below and to the right of the image."""
    reach_h = (oh - 1) * sh + (kh - 1) * dh + 1  # rows the windows span, padding included
    reach_w = (ow - 1) * sw + (kw - 1) * dw + 1
    return max(0, reach_h - ph - h), max(0, reach_w - pw - w)


def im2col(
    x: np.ndarray,
    cols: np.ndarray,
    sh: int,
    sw: int,
    ph: int,
    pw: int,
    dh: int,
    dw: int,
    num_threads: int = 1,
) -> None:
    """cols[n, c, a, b, y, x] = x_padded[n, c, y*sh + a*dh, x*sw + b*dw]."""
    n, c, h, w = x.shape
    kh, kw, oh, ow = cols.shape[2:]
    pb, pr = _bottom_right(h, w, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw)
    padded = np.pad(x, ((0, 0), (0, 0), (ph, pb), (pw, pr)))
    for a in range(kh):
        for b in range(kw):
            # tap (a, b) of every window at once: a strided slice of the padded image
            top, left = a * dh, b * dw
            cols[:, :, a, b] = padded[
                :, :, top : top + (oh - 1) * sh + 1 : sh, left : left + (ow - 1) * sw + 1 : sw
            ]


def col2im(
    cols: np.ndarray,
    x: np.ndarray,
    sh: int,
    sw: int,
    ph: int,
    pw: int,
    dh: int,
    dw: int,
    num_threads: int = 1,
) -> None:
    """x[n, c, i, j] = sum of the cols entries im2col copied from x[n, c, i, j] (x overwritten)."""
    n, c, h, w = x.shape
    kh, kw, oh, ow = cols.shape[2:]
    pb, pr = _bottom_right(h, w, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw)
    padded = np.zeros((n, c, ph + h + pb, pw + w + pr), dtype=x.dtype)
    for a in range(kh):
        for b in range(kw):
            # within one tap (a, b) the windows touch distinct pixels, so += on the slice is safe
            top, left = a * dh, b * dw
            padded[
                :, :, top : top + (oh - 1) * sh + 1 : sh, left : left + (ow - 1) * sw + 1 : sw
            ] += cols[:, :, a, b]
    x[...] = padded[:, :, ph : ph + h, pw : pw + w]
