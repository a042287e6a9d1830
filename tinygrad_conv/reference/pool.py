"""max_pool2d and avg_pool2d, the readable twin of kernels/pool.pyx.

A pool slides a kh x kw window over each (H, W) plane of an NCHW image in steps of (sh, sw), after
padding the plane with ph rows above and below and pw columns left and right. Output cell (y, z)
sees the window whose top-left corner is at row y * sh - ph, column z * sw - pw of the plane.

Instead of looping over windows, these functions loop over the kh * kw cells of a window: cell
(i, j) of every window at once is the strided slice `padded[:, :, i::sh, j::sw]` (cut to the
output size), a plain NumPy array of the output's shape.

- max pool pads with -inf (padding never wins) and remembers in `argmax` where each maximum came
  from, as the flat index r * W + s in its plane; backward sends each window's gradient there. On
  ties the first maximum in the window (row by row) wins, as in PyTorch; a NaN counts as maximum.
- avg pool pads with zeros and divides by kh * kw even where the window overlaps padding (PyTorch's
  count_include_pad=True); backward spreads each window's gradient evenly over its kh * kw cells.
Where windows overlap (stride < kernel), a cell's gradient sums over every window that contains it.
Outputs are preallocated by the caller and written with `out[...] = ...`; functions return None.
"""

from __future__ import annotations

import numpy as np


def _pad(x: np.ndarray, ph: int, pw: int, value: float) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _cell(i: int, j: int, sh: int, sw: int, oh: int, ow: int) -> tuple[slice, ...]:
    """Index of cell (i, j) of every window in the padded image: shape (N, C, oh, ow)."""
    rows = slice(i, i + sh * (oh - 1) + 1, sh)
    cols = slice(j, j + sw * (ow - 1) + 1, sw)
    return (slice(None), slice(None), rows, cols)


def max_pool2d_forward(
    x: np.ndarray,
    out: np.ndarray,
    argmax: np.ndarray,
    kh: int,
    kw: int,
    sh: int,
    sw: int,
    ph: int,
    pw: int,
    num_threads: int = 1,
) -> None:
    """out[y, z] = max of window (y, z); argmax[y, z] = its flat index r * W + s in x's plane."""
    w = x.shape[3]
    oh, ow = out.shape[2:]
    padded = _pad(x, ph, pw, -np.inf)
    rows = np.arange(oh)[:, None] * sh - ph  # top row of each window, in x's coordinates
    cols = np.arange(ow)[None, :] * sw - pw  # left column of each window
    best = np.full(out.shape, -np.inf, dtype=x.dtype)
    # Like PyTorch, start on the window's first real cell: an all -inf window then points inside x.
    best_index = np.broadcast_to(np.maximum(rows, 0) * w + np.maximum(cols, 0), out.shape)
    for i in range(kh):
        for j in range(kw):
            value = padded[_cell(i, j, sh, sw, oh, ow)]
            # Strictly greater keeps the first maximum on ties; a NaN always wins (the last one
            # stays), exactly as PyTorch's loop does.
            take = (value > best) | np.isnan(value)
            best = np.where(take, value, best)
            best_index = np.where(take, (rows + i) * w + (cols + j), best_index)
    out[...] = best
    argmax[...] = best_index


def max_pool2d_backward(
    grad_out: np.ndarray, argmax: np.ndarray, grad_x: np.ndarray, num_threads: int = 1
) -> None:
    """grad_x[argmax] += grad_out, summing where one cell is the maximum of several windows."""
    n, c, h, w = grad_x.shape
    planes = np.zeros((n * c, h * w), dtype=grad_x.dtype)
    plane_of = np.arange(n * c)[:, None]
    # np.add.at, unlike planes[...] += ..., adds every time an index repeats.
    np.add.at(planes, (plane_of, argmax.reshape(n * c, -1)), grad_out.reshape(n * c, -1))
    grad_x[...] = planes.reshape(n, c, h, w)


def avg_pool2d_forward(
    x: np.ndarray,
    out: np.ndarray,
    kh: int,
    kw: int,
    sh: int,
    sw: int,
    ph: int,
    pw: int,
    num_threads: int = 1,
) -> None:
    """out[y, z] = (sum of window (y, z), padded cells being 0) / (kh * kw)."""
    oh, ow = out.shape[2:]
    padded = _pad(x, ph, pw, 0)
    total = np.zeros(out.shape, dtype=np.float64)  # the kernel also sums in double
    for i in range(kh):
        for j in range(kw):
            total += padded[_cell(i, j, sh, sw, oh, ow)]
    out[...] = total / (kh * kw)


def avg_pool2d_backward(
    grad_out: np.ndarray,
    grad_x: np.ndarray,
    kh: int,
    kw: int,
    sh: int,
    sw: int,
    ph: int,
    pw: int,
    num_threads: int = 1,
) -> None:
    """Each cell of window (y, z) gets grad_out[y, z] / (kh * kw); padding's share is dropped."""
    n, c, h, w = grad_x.shape
    oh, ow = grad_out.shape[2:]
    share = grad_out / (kh * kw)
    padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=grad_x.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[_cell(i, j, sh, sw, oh, ow)] += share  # one (i, j) never repeats a cell
    grad_x[...] = padded[:, :, ph : ph + h, pw : pw + w]
