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
