"""Converters for the comparisons (eq, ne, lt, le, gt, ge): a bool mask computed in the file, so
that `where(x > 0, x, 0.1 * x)` or `x * (x > 0).float()` follows every input."""

from __future__ import annotations

import numpy as np

from ._graph import Graph, Value, broadcast_batch, converts

_COMPARE = {
    "eq": "Equal",
    "ne": "Equal",
    "lt": "Less",
    "le": "LessOrEqual",
    "gt": "Greater",
    "ge": "GreaterOrEqual",
}
# What onnxruntime compares in: float32/float64 as they are, int32/int64 too; other ints (and bools
# for an ordering) go through int64, which holds every value of theirs exactly.
_KEPT = {np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int32), np.dtype(np.int64)}


def _compared_dtype(t, xs: list[Value], p: dict) -> np.dtype:
    dtype = p.get("dtype")
    dtype = np.dtype(dtype) if dtype is not None else np.result_type(*(x.dtype for x in xs))
    if dtype == np.bool_ and t.op in ("eq", "ne"):
        return dtype  # Equal takes bools
    return dtype if dtype in _KEPT else np.dtype(np.int64)


@converts(*_COMPARE)
def compare(g: Graph, t, xs: list[Value], p: dict):
    dtype = _compared_dtype(t, xs, p)
    names = [g.cast(x, dtype) for x in xs]
    if t.op == "ne":
        out = g.node("Not", [g.node("Equal", names)], hint="ne")
    else:
        out = g.node(_COMPARE[t.op], names, hint=t.op)
    return out, broadcast_batch(xs, t.ndim)


@converts("argmax", "argmin")
def arg_extreme(g: Graph, t, xs: list[Value], p: dict):
    """ArgMax/ArgMin (int64, the first extreme as here); dim=None flattens first."""
    x, keep = xs[0], bool(p.get("keepdim", False))
    op_type = "ArgMax" if t.op == "argmax" else "ArgMin"
    if p.get("dim") is None or x.ndim == 0:
        flat = g.node("Reshape", [x.name, g.ints([-1])], hint="flat")
        out = g.node(op_type, [flat], hint=t.op, axis=0, keepdims=0)
        if keep and x.ndim:
            out = g.node("Reshape", [out, g.ints([1] * x.ndim)], hint=t.op)
        return out, None
    axis = int(p["dim"]) % x.ndim
    out = g.node(op_type, [x.name], hint=t.op, axis=axis, keepdims=int(keep))
    if x.batch is None or x.batch == axis:
        return out, None
    return out, x.batch if keep or x.batch < axis else x.batch - 1


@converts("one_hot")
def one_hot(g: Graph, t, xs: list[Value], p: dict):
    """OneHot(indices, depth, [0, 1]) along a new last axis, int64 as here."""
    x = xs[0]
    depth = g.ints([p["num_classes"]])
    values = g.ints([0, 1])
    out = g.node("OneHot", [g.cast(x, np.dtype(np.int64)), depth, values], hint="one_hot", axis=-1)
    return out, x.batch
