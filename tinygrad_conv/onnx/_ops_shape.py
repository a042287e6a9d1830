"""Converters for ops that move values: reshape/flatten, transpose/permute, squeeze/unsqueeze,
expand, cat/stack, pad, getitem (basic indexing)."""

from __future__ import annotations

import numpy as np

from .._checks import is_int
from ._graph import INT64_MAX, INT64_MIN, Graph, Value, broadcast_batch, converts, shifted_batch


def _param(p: dict, *names, default=None):
    for name in names:
        if name in p:
            return p[name]
    return default


def reshape_target(g: Graph, x: Value, out: tuple[int, ...]) -> tuple[list[int], int | None]:
    """The Reshape target for `out` that also holds at another batch size: the output dimension
    that carries the whole batch axis (merged, perhaps, with neighbours) becomes 0 (copied from
    the input) or -1 (inferred); every other output dimension must not depend on the batch."""
    target = [int(s) for s in out]
    if not g.dynamic or x.batch is None:
        return target, None
    b, n = x.batch, x.shape[x.batch]
    before, after = int(np.prod(x.shape[:b])), int(np.prod(x.shape[b + 1 :]))

    def holds_batch(j: int) -> bool:
        a, c = int(np.prod(out[:j])), int(np.prod(out[j + 1 :]))
        return n > 0 and out[j] % n == 0 and a > 0 and before % a == 0 and c > 0 and after % c == 0

    fits = [j for j in range(len(out)) if holds_batch(j)]
    if not fits:
        raise ValueError(
            f"onnx export: reshape {x.shape} -> {tuple(out)} splits the batch dimension (axis {b}, "
            f"size {n}), which no batch-independent ONNX Reshape can say; export with "
            f"dynamic_batch=False"
        )
    j = b if b in fits and out[b] == n else fits[0]
    target[j] = 0 if j == b and out[j] == n else -1
    return target, j


@converts("reshape", "flatten", "view")
def reshape(g: Graph, t, xs: list[Value], p: dict):
    x, out = xs[0], tuple(t.shape)
    if x.ndim >= 2 and out == (x.shape[0], int(np.prod(x.shape[1:]))) and x.batch in (0, None):
        return g.node("Flatten", [x.name], hint=t.op, axis=1), x.batch
    target, batch = reshape_target(g, x, out)
    return g.node("Reshape", [x.name, g.ints(target)], hint=t.op), batch


@converts("transpose", "permute")
def transpose(g: Graph, t, xs: list[Value], p: dict):
    x = xs[0]
    perm = _param(p, "axes", "dims", "perm")
    if perm is None or len(perm) == 0:
        perm = tuple(reversed(range(x.ndim)))
    perm = [int(a) % x.ndim for a in perm]
    batch = None if x.batch is None else perm.index(x.batch)
    return g.node("Transpose", [x.name], hint=t.op, perm=perm), batch


def _axes_list(axis, ndim: int) -> list[int] | None:
    if axis is None:
        return None
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return sorted(int(a) % max(ndim, 1) for a in axes)


def _size_one_axes(long: tuple[int, ...], short: tuple[int, ...]) -> list[int]:
    """The axes of `long` that are not in `short` (all of size 1), matched from the left; where
    several 1s could go, any choice moves the same values."""
    axes, j = [], 0
    for i, size in enumerate(long):
        if j < len(short) and short[j] == size:
            j += 1
        else:
            axes.append(i)
    return axes


@converts("squeeze")
def squeeze(g: Graph, t, xs: list[Value], p: dict):
    x = xs[0]
    axes = _axes_list(_param(p, "axis", "dim", "axes"), x.ndim)
    if axes is None:
        axes = _size_one_axes(x.shape, tuple(t.shape))
    axes = [a for a in axes if x.shape[a] == 1]  # PyTorch: squeezing a longer axis is a no-op
    if not axes:
        return g.node("Identity", [x.name], hint="squeeze"), x.batch
    batch = x.batch
    if batch is not None:
        batch = None if batch in axes else batch - sum(1 for a in axes if a < batch)
    return g.squeeze(x.name, axes, hint="squeeze"), batch


@converts("unsqueeze")
def unsqueeze(g: Graph, t, xs: list[Value], p: dict):
    x = xs[0]
    axes = _axes_list(_param(p, "axis", "dim", "axes"), t.ndim)
    if axes is None:
        axes = _size_one_axes(tuple(t.shape), x.shape)
    batch = x.batch
    if batch is not None:
        for a in axes:  # output positions, ascending: each one at or before the batch shifts it
            if a <= batch:
                batch += 1
    return g.unsqueeze(x.name, axes, hint="unsqueeze"), batch


@converts("expand", "broadcast_to")
def expand(g: Graph, t, xs: list[Value], p: dict):
    x = xs[0]
    shape = [int(s) for s in t.shape]
    batch = shifted_batch(x, t.ndim)
    if g.dynamic and batch is not None:
        shape[batch] = 1  # Expand broadcasts both ways: 1 keeps the input's (batch) size
    return g.node("Expand", [x.name, g.ints(shape)], hint="expand"), batch


@converts("cat", "concat", "concatenate")
def cat(g: Graph, t, xs: list[Value], p: dict):
    axis = int(_param(p, "axis", "dim", default=0)) % t.ndim
    names = [g.cast(x, t.dtype) for x in xs]
    return g.node("Concat", names, hint="cat", axis=axis), broadcast_batch(xs, t.ndim)


@converts("stack")
def stack(g: Graph, t, xs: list[Value], p: dict):
    axis = int(_param(p, "axis", "dim", default=0)) % t.ndim
    names = [g.unsqueeze(g.cast(x, t.dtype), [axis]) for x in xs]
    batch = next((x.batch for x in xs if x.batch is not None), None)
    if batch is not None and axis <= batch:
        batch += 1
    return g.node("Concat", names, hint="stack", axis=axis), batch


_PAD_MODES = {
    "constant": "constant",
    "reflect": "reflect",
    "replicate": "edge",
    "edge": "edge",
    "circular": "wrap",
    "wrap": "wrap",
}


@converts("pad")
def pad(g: Graph, t, xs: list[Value], p: dict):
    """PyTorch's flat pad (last axis first: left, right, top, bottom, ...) or per-axis pairs."""
    x = xs[0]
    widths = _param(p, "pad_width", "pads", "padding", "pad")
    begins, ends = [0] * x.ndim, [0] * x.ndim
    if widths and isinstance(widths[0], (tuple, list)):  # ((before, after), ...) per axis
        for axis, (before, after) in enumerate(widths):
            begins[axis], ends[axis] = int(before), int(after)
    else:
        for k in range(len(widths) // 2):
            axis = x.ndim - 1 - k
            begins[axis], ends[axis] = int(widths[2 * k]), int(widths[2 * k + 1])
    mode = _PAD_MODES.get(str(_param(p, "mode", default="constant")))
    if mode is None or (mode == "wrap" and g.opset < 19):
        raise NotImplementedError(
            f"onnx export: pad mode {p.get('mode')!r} has no ONNX mapping at opset {g.opset}"
        )
    inputs = [x.name, g.ints(begins + ends)]
    if mode == "constant":
        inputs.append(g.scalar(float(_param(p, "value", default=0.0) or 0.0), t.dtype))
    return g.node("Pad", inputs, hint="pad", mode=mode), x.batch


@converts("getitem")
def getitem(g: Graph, t, xs: list[Value], p: dict):
    """Ints, slices, None and Ellipsis: Slice, then Squeeze (ints), then Unsqueeze (None)."""
    x, index = xs[0], p["index"]
    items = list(index) if isinstance(index, tuple) else [index]
    if not all(i is None or i is Ellipsis or isinstance(i, slice) or is_int(i) for i in items):
        return _gather(g, x, items)
    if Ellipsis in items:
        at = items.index(Ellipsis)
        used = sum(1 for i in items if i is not None and i is not Ellipsis)
        items[at : at + 1] = [slice(None)] * (x.ndim - used)
    items += [slice(None)] * (x.ndim - sum(1 for i in items if i is not None))
    starts, ends, axes, steps, drop, new_axes = [], [], [], [], [], []
    axis, out_pos, batch = 0, 0, None
    for item in items:
        if item is None:
            new_axes.append(out_pos)
            out_pos += 1
            continue
        if isinstance(item, slice):
            start, stop, step = item.start, item.stop, 1 if item.step is None else int(item.step)
            if (start, stop, step) != (None, None, 1):
                first, last = (0, INT64_MAX) if step > 0 else (INT64_MAX, INT64_MIN)  # clamped
                starts.append(first if start is None else int(start))
                ends.append(last if stop is None else int(stop))
                axes.append(axis)
                steps.append(step)
            elif axis == x.batch:
                batch = out_pos
            out_pos += 1
        else:
            i = int(item)
            starts.append(i)
            ends.append(i + 1 if i != -1 else INT64_MAX)
            axes.append(axis)
            steps.append(1)
            drop.append(axis)
        axis += 1
    name = x.name
    if axes:
        name = g.node(
            "Slice", [name, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)], hint="slice"
        )
    if drop:
        name = g.squeeze(name, drop, hint="getitem")
    if new_axes:
        name = g.unsqueeze(name, new_axes, hint="getitem")
    if name == x.name:
        name = g.node("Identity", [name], hint="getitem")
    return name, batch


def _gather(g: Graph, x: Value, items: list):
    """One integer (or 1-D boolean) array on one axis, full slices elsewhere: Gather."""
    arrays = [k for k, i in enumerate(items) if isinstance(i, np.ndarray)]
    full = all(
        isinstance(i, slice) and i == slice(None) for k, i in enumerate(items) if k not in arrays
    )
    if len(arrays) != 1 or not full or any(i is Ellipsis for i in items):
        raise NotImplementedError(
            "onnx export: getitem maps ints, slices, None and ..., or one integer/boolean array "
            "on one axis with full slices elsewhere; this index has no mapping"
        )
    axis, index = arrays[0], items[arrays[0]]
    if index.dtype == np.bool_:
        if index.ndim != 1:
            raise NotImplementedError(
                "onnx export: getitem with a boolean mask of more than one dimension has no mapping"
            )
        index = np.flatnonzero(index)
    index = index.astype(np.int64)
    name = g.node("Gather", [x.name, g.const(index)], hint="getitem", axis=axis)
    batch = x.batch
    if batch is not None:
        batch = None if batch == axis else batch + (index.ndim - 1 if axis < batch else 0)
    return name, batch
