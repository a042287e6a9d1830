"""Converters for the network ops: conv2d, pools, adaptive pools, batch_norm, dropout."""

from __future__ import annotations

import numpy as np

from ._graph import Graph, Value, converts


def named_inputs(t, xs: list[Value]) -> dict[str, Value]:
    """The op's inputs by the names its Function declares (`inputs = ("x", "weight", ...)`)."""
    names = getattr(t._ctx.fn, "inputs", None) or ()
    return dict(zip(names, xs, strict=False))


@converts("conv2d")
def conv2d(g: Graph, t, xs: list[Value], p: dict):
    x, weight = xs[0], xs[1]
    geometry = p.get("geometry")
    pads = p.get("padding")
    if not (isinstance(pads, tuple) and len(pads) == 4):
        pads = (geometry.top, geometry.bottom, geometry.left, geometry.right)
    top, bottom, left, right = (int(v) for v in pads)
    inputs = [x.name, weight.name] + ([xs[2].name] if len(xs) > 2 else [])
    out = g.node(
        "Conv",
        inputs,
        hint="conv2d",
        kernel_shape=list(weight.shape[2:]),
        strides=[int(s) for s in p["stride"]],
        dilations=[int(d) for d in p["dilation"]],
        group=int(p.get("groups", 1)),
        pads=[top, left, bottom, right],
    )
    return out, x.batch


def _pool_attrs(p: dict) -> dict:
    (kh, kw), (sh, sw), (ph, pw) = p["kernel_size"], p["stride"], p["padding"]
    attrs = {
        "kernel_shape": [int(kh), int(kw)],
        "strides": [int(sh), int(sw)],
        "pads": [int(ph), int(pw), int(ph), int(pw)],
    }
    if p.get("ceil_mode"):
        attrs["ceil_mode"] = 1
    return attrs


@converts("max_pool2d")
def max_pool2d(g: Graph, t, xs: list[Value], p: dict):
    attrs = _pool_attrs(p)
    dilation = p.get("dilation")
    if dilation is not None and tuple(dilation) != (1, 1):
        attrs["dilations"] = [int(d) for d in dilation]
    return g.node("MaxPool", [xs[0].name], hint="max_pool2d", **attrs), xs[0].batch


@converts("avg_pool2d")
def avg_pool2d(g: Graph, t, xs: list[Value], p: dict):
    attrs = _pool_attrs(p)
    attrs["count_include_pad"] = int(bool(p.get("count_include_pad", True)))
    if p.get("divisor_override"):
        raise NotImplementedError("onnx export: avg_pool2d with divisor_override has no mapping")
    return g.node("AveragePool", [xs[0].name], hint="avg_pool2d", **attrs), xs[0].batch


def _adaptive_axis(g: Graph, x: str, op_type: str, axis: int, size: int, out: int) -> str:
    """PyTorch's adaptive windows along one axis, [floor(i*size/out), ceil((i+1)*size/out)), each
    reduced and the results joined (pooling over a rectangle is separable: rows, then columns)."""
    parts = []
    for i in range(out):
        start, stop = (i * size) // out, -(-((i + 1) * size) // out)
        piece = g.node("Slice", [x, g.ints([start]), g.ints([stop]), g.ints([axis])])
        parts.append(g.reduce(op_type, piece, [axis], True))
    return parts[0] if len(parts) == 1 else g.node("Concat", parts, axis=axis)


@converts("adaptive_avg_pool2d", "adaptive_max_pool2d")
def adaptive_pool2d(g: Graph, t, xs: list[Value], p: dict):
    x = xs[0]
    average = t.op == "adaptive_avg_pool2d"
    (h, w), (oh, ow) = x.shape[-2:], t.shape[-2:]
    if x.ndim != 4:
        raise NotImplementedError(f"onnx export: {t.op} of a {x.ndim}-D input (only NCHW maps)")
    if (oh, ow) == (1, 1):
        op_type = "GlobalAveragePool" if average else "GlobalMaxPool"
        return g.node(op_type, [x.name], hint=t.op), x.batch
    if h % oh == 0 and w % ow == 0:  # equal windows: an ordinary pool
        kernel = [h // oh, w // ow]
        op_type = "AveragePool" if average else "MaxPool"
        return g.node(op_type, [x.name], hint=t.op, kernel_shape=kernel, strides=kernel), x.batch
    op_type = "ReduceMean" if average else "ReduceMax"
    rows = _adaptive_axis(g, x.name, op_type, 2, h, oh) if h != oh else x.name
    out = _adaptive_axis(g, rows, op_type, 3, w, ow) if w != ow else rows
    return g.node("Identity", [out], hint=t.op), x.batch


def _running(g: Graph, stat: str, used: np.ndarray, dtype) -> str:
    """The running statistic batch_norm used (its ctx keeps a float64 copy): the buffer's own
    initializer when the module that ran the op has one holding these values, else a constant."""
    key = f"{g.scope}.running_{stat}" if g.scope else f"running_{stat}"
    buffer = g.state.get(key)
    if buffer is not None:
        array = np.asarray(getattr(buffer, "data", buffer))
        if array.shape == used.shape and np.array_equal(array.astype(np.float64), used):
            return g.param_initializer(key, array)
    return g.const(used.astype(dtype))


@converts("batch_norm")
def batch_norm(g: Graph, t, xs: list[Value], p: dict):
    """Eval: BatchNormalization with the running statistics. With batch statistics (training=True,
    or no running statistics) the normalisation is written out: the export is for inference, and
    the running statistics are not updated."""
    inputs = named_inputs(t, xs)
    x, dtype = inputs.get("x", xs[0]), t.dtype
    c = x.shape[1]
    scale = inputs["weight"].name if "weight" in inputs else g.const(np.ones(c, dtype=dtype))
    bias = inputs["bias"].name if "bias" in inputs else g.const(np.zeros(c, dtype=dtype))
    eps = float(p.get("eps", 1e-5))
    if not p.get("training"):
        mean = _running(g, "mean", np.asarray(p["mean"]), dtype)
        var = _running(g, "var", np.asarray(p["var"]), dtype)
        out = g.node(
            "BatchNormalization", [x.name, scale, bias, mean, var], hint="batch_norm", epsilon=eps
        )
        return out, x.batch
    axes = [0] + list(range(2, x.ndim))
    mean = g.reduce("ReduceMean", x.name, axes, True)
    diff = g.node("Sub", [x.name, mean])
    var = g.reduce("ReduceMean", g.node("Mul", [diff, diff]), axes, True)
    invstd = g.node("Reciprocal", [g.node("Sqrt", [g.node("Add", [var, g.scalar(eps, dtype)])])])
    shape = g.ints([c] + [1] * (x.ndim - 2))
    scale = g.node("Reshape", [scale, shape])
    bias = g.node("Reshape", [bias, shape])
    out = g.node(
        "Add", [g.node("Mul", [g.node("Mul", [diff, invstd]), scale]), bias], hint="batch_norm"
    )
    return out, x.batch


@converts("dropout", "dropout2d")
def dropout(g: Graph, t, xs: list[Value], p: dict):
    """nn.Dropout in eval() records no op at all; a recorded one with p > 0 was called with
    training=True whatever the model's mode, and its random mask has no inference mapping."""
    if p.get("training", True) and float(p.get("p", 0.0)) > 0:
        raise NotImplementedError(
            f"onnx export: {t.op} ran in training mode (p={p.get('p')}), which is random and has "
            f"no inference mapping; the export puts the model in eval(), so this is a functional "
            f"call with training=True: pass training=self.training"
        )
    return g.node("Identity", [xs[0].name], hint=t.op), xs[0].batch
