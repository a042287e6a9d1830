"""Converters for arithmetic, activations, reductions and matrix products."""

from __future__ import annotations

import math

import numpy as np

from ._graph import Graph, Value, broadcast_batch, converts

_BINARY = {
    "add": "Add",
    "sub": "Sub",
    "mul": "Mul",
    "div": "Div",
    "pow": "Pow",
    "maximum": "Max",
    "minimum": "Min",
}
_UNARY = {
    "neg": "Neg",
    "exp": "Exp",
    "log": "Log",
    "sqrt": "Sqrt",
    "abs": "Abs",
    "relu": "Relu",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
}


@converts(*_BINARY)
def binary(g: Graph, t, xs: list[Value], p: dict):
    dtype = t.dtype
    if t.op == "pow" and xs[1].const and xs[1].tensor.size == 1 and float(xs[1].tensor.data) == 2:
        name = g.node("Mul", [g.cast(xs[0], dtype)] * 2, hint="pow")  # x * x, exact as NumPy's
        return name, broadcast_batch(xs, t.ndim)
    names = [g.cast(x, dtype) for x in xs]
    return g.node(_BINARY[t.op], names, hint=t.op), broadcast_batch(xs, t.ndim)


@converts(*_UNARY)
def unary(g: Graph, t, xs: list[Value], p: dict):
    return g.node(_UNARY[t.op], [xs[0].name], hint=t.op), xs[0].batch


@converts("to")
def to(g: Graph, t, xs: list[Value], p: dict):
    return g.node("Cast", [xs[0].name], hint="to", to=_onnx_type(t.dtype)), xs[0].batch


@converts("leaky_relu")
def leaky_relu(g: Graph, t, xs: list[Value], p: dict):
    slope = p.get("negative_slope", p.get("alpha", 0.01))
    return g.node("LeakyRelu", [xs[0].name], hint=t.op, alpha=float(slope)), xs[0].batch


@converts("gelu")
def gelu(g: Graph, t, xs: list[Value], p: dict):
    x, dtype = xs[0].name, t.dtype
    approximate = p.get("approximate", "none")
    if g.opset >= 20:
        return g.node("Gelu", [x], hint="gelu", approximate=approximate), xs[0].batch
    half = g.node("Mul", [x, g.scalar(0.5, dtype)])
    if approximate == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.node("Mul", [g.node("Mul", [x, x]), x])
        inner = g.node("Add", [x, g.node("Mul", [cube, g.scalar(0.044715, dtype)])])
        core = g.node("Tanh", [g.node("Mul", [inner, g.scalar(math.sqrt(2 / math.pi), dtype)])])
    else:  # 0.5 x (1 + erf(x / sqrt 2))
        core = g.node("Erf", [g.node("Div", [x, g.scalar(math.sqrt(2.0), dtype)])])
    out = g.node("Mul", [half, g.node("Add", [core, g.scalar(1.0, dtype)])], hint="gelu")
    return out, xs[0].batch


@converts("softmax", "log_softmax")
def softmax(g: Graph, t, xs: list[Value], p: dict):
    op_type = "Softmax" if t.op == "softmax" else "LogSoftmax"
    axis = p.get("axis")
    if axis is None or t.ndim == 0:  # a 0-d softmax is over one value
        if t.op == "softmax":
            return g.node("Div", [xs[0].name, xs[0].name], hint=t.op), None
        return g.node("Sub", [xs[0].name, xs[0].name], hint=t.op), None
    return g.node(op_type, [xs[0].name], hint=t.op, axis=int(axis)), xs[0].batch


@converts("clamp")
def clamp(g: Graph, t, xs: list[Value], p: dict):
    low, high = p.get("min"), p.get("max")
    inputs = [xs[0].name]
    inputs.append("" if low is None else g.scalar(float(low), t.dtype))
    if high is not None:
        inputs.append(g.scalar(float(high), t.dtype))
    return g.node("Clip", inputs, hint="clamp"), xs[0].batch


@converts("where")
def where(g: Graph, t, xs: list[Value], p: dict):
    cond, a, b = xs
    if cond.dtype == np.bool_:
        cond_name = cond.name
    elif cond.const:
        cond_name = g.const(np.asarray(cond.tensor.data) != 0)
    else:
        cond_name = g.node("Cast", [cond.name], to=9)  # TensorProto.BOOL
    names = [cond_name, g.cast(a, t.dtype), g.cast(b, t.dtype)]
    return g.node("Where", names, hint="where"), broadcast_batch(xs, t.ndim)


def _reduced_batch(x: Value, axes, keepdims: bool) -> int | None:
    if x.batch is None or axes is None or x.batch in axes:
        return None
    return x.batch if keepdims else x.batch - sum(1 for a in axes if a < x.batch)


def _axes(p: dict, ndim: int):
    axis = p.get("axis", p.get("dim"))
    if axis is None:
        return None
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return sorted(int(a) % max(ndim, 1) for a in axes)


_REDUCE = {
    "sum": "ReduceSum",
    "mean": "ReduceMean",
    "max": "ReduceMax",
    "min": "ReduceMin",
    "logsumexp": "ReduceLogSumExp",
}


@converts(*_REDUCE)
def reduce(g: Graph, t, xs: list[Value], p: dict):
    x = xs[0]
    axes, keepdims = _axes(p, x.ndim), bool(p.get("keepdims", p.get("keepdim", False)))
    source = g.cast(x, t.dtype)  # the sum of a bool mask counts in int64, as here
    if x.ndim == 0 or axes == []:
        return g.node("Identity", [source], hint=t.op), x.batch
    if axes is None:
        axes = list(range(x.ndim))
    name = g.reduce(_REDUCE[t.op], source, axes, keepdims, hint=t.op)
    return name, _reduced_batch(x, axes, keepdims)


@converts("var", "std")
def var_std(g: Graph, t, xs: list[Value], p: dict):
    """sum((x - mean)^2) / (n - correction), n counted at run time when the batch is reduced."""
    x = xs[0]
    axes = _axes(p, x.ndim)
    axes = list(range(x.ndim)) if axes is None else axes
    keepdims = bool(p.get("keepdims", p.get("keepdim", False)))
    correction = p.get("correction", 1 if p.get("unbiased", True) else 0)
    if "ddof" in p:
        correction = p["ddof"]
    mean = g.reduce("ReduceMean", x.name, axes, True)
    diff = g.node("Sub", [x.name, mean])
    total = g.reduce("ReduceSum", g.node("Mul", [diff, diff]), axes, keepdims)
    if g.dynamic and x.batch is not None and x.batch in axes:  # n = size(x) / size(mean)
        n = g.node(
            "Div",
            [
                g.node("Cast", [g.node("Size", [x.name])], to=_onnx_type(t.dtype)),
                g.node("Cast", [g.node("Size", [mean])], to=_onnx_type(t.dtype)),
            ],
        )
        denom = g.node("Sub", [n, g.scalar(float(correction), t.dtype)])
    else:
        n = int(np.prod([x.shape[a] for a in axes]))
        denom = g.scalar(max(n - float(correction), 0.0), t.dtype)
    out = g.node("Div", [total, denom], hint="var")
    if t.op == "std":
        out = g.node("Sqrt", [out], hint="std")
    return out, _reduced_batch(x, axes, keepdims)


def _onnx_type(dtype) -> int:
    from onnx import helper

    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def _matmul_batch(a: Value, b: Value, out_ndim: int) -> int | None:
    """Where a batch axis of either operand lands in the product (None if it is contracted)."""
    if a.batch is not None:
        if a.ndim == 1 or a.batch == a.ndim - 1:
            return None
        return a.batch + out_ndim - a.ndim if a.ndim >= 2 else None
    if b.batch is not None and b.ndim >= 2 and b.batch != b.ndim - 2:
        return b.batch + out_ndim - b.ndim if b.batch < b.ndim - 2 else out_ndim - 1
    return None


@converts("matmul")
def matmul(g: Graph, t, xs: list[Value], p: dict):
    a, b = xs
    names = [g.cast(a, t.dtype), g.cast(b, t.dtype)]
    return g.node("MatMul", names, hint="matmul"), _matmul_batch(a, b, t.ndim)


@converts("linear")
def linear(g: Graph, t, xs: list[Value], p: dict):
    """x @ weight.T + bias: Gemm (transB=1) for a 2-D x, else MatMul by the transposed weight."""
    x, weight = xs[0], xs[1]
    bias = xs[2] if len(xs) > 2 else None
    if x.ndim == 2:
        inputs = [x.name, weight.name] + ([bias.name] if bias is not None else [])
        batch = 0 if x.batch == 0 else None
        return g.node("Gemm", inputs, hint="linear", transB=1), batch
    w_t = g.node("Transpose", [weight.name], perm=[1, 0])
    out = g.node("MatMul", [x.name, w_t], hint="linear" if bias is None else "matmul")
    if bias is not None:
        out = g.node("Add", [out, bias.name], hint="linear")
    batch = None if x.batch is None or x.batch == x.ndim - 1 else x.batch
    return out, batch
