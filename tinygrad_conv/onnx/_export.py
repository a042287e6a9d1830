"""export(): run the model once, walk the recorded graph, write one ONNX file.

Nothing is traced anew: the forward runs once (eval mode, grad mode on, so that every op is
recorded), and each recorded op (`.op`, `.parents`, `._ctx.params`) becomes ONNX nodes through the
converter registered for its name in _graph.CONVERTERS.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from onnx import helper

from .. import autograd
from ..tensor import Tensor
from . import _ops_compare, _ops_math, _ops_nn, _ops_shape  # noqa: F401 - they register converters
from ._dynamic import batch_from_dynamic_axes
from ._graph import CONVERTERS, Graph, Value

MIN_OPSET = 13  # Squeeze/Unsqueeze/ReduceSum with axes as inputs, Softmax on one axis


def export(
    model: Any,
    example_input: Any,
    path: Any,
    input_names: Sequence[str] = ("input",),
    output_names: Sequence[str] = ("output",),
    opset_version: int = 17,
    dynamic_batch: bool = True,
    dynamic_axes: Any = None,
) -> onnx.ModelProto:
    max_opset = onnx.defs.onnx_opset_version()
    if isinstance(opset_version, bool) or not isinstance(opset_version, (int, np.integer)):
        raise TypeError(f"onnx export: opset_version must be an int, got {opset_version!r}")
    if not MIN_OPSET <= opset_version <= max_opset:
        raise ValueError(
            f"onnx export: opset_version must be in {MIN_OPSET}..{max_opset} (the "
            f"installed onnx knows up to {max_opset}), got opset_version="
            f"{opset_version}"
        )
    if not isinstance(dynamic_batch, bool):
        raise TypeError(f"onnx export: dynamic_batch must be a bool, got {dynamic_batch!r}")
    input_names, output_names = (
        _names("input_names", input_names),
        _names("output_names", output_names),
    )
    dynamic_batch, symbol = batch_from_dynamic_axes(
        dynamic_axes, dynamic_batch, input_names, output_names
    )
    examples = example_input if isinstance(example_input, (tuple, list)) else (example_input,)
    if len(examples) != len(input_names):
        raise ValueError(
            f"onnx export: {len(examples)} example input(s) but {len(input_names)} "
            f"input_names {input_names}"
        )
    inputs = [_input_copy(e, name) for e, name in zip(examples, input_names, strict=True)]
    if dynamic_batch and any(t.ndim == 0 for t in inputs):
        raise ValueError(
            "onnx export: dynamic_batch needs inputs with a first (batch) dimension; "
            "got a 0-d example input (pass dynamic_batch=False)"
        )

    outputs = _run_forward(model, inputs)
    if len(outputs) != len(output_names):
        raise ValueError(
            f"onnx export: the model returned {len(outputs)} output(s) but "
            f"output_names has {len(output_names)}: {output_names}"
        )
    proto = _build(
        model, inputs, outputs, input_names, output_names, int(opset_version), dynamic_batch, symbol
    )
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        onnx.save(proto, os.fspath(path))
    return proto


def _names(arg: str, names: Any) -> tuple[str, ...]:
    names = (names,) if isinstance(names, str) else tuple(names)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise TypeError(f"onnx export: {arg} must be non-empty strings, got {names!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"onnx export: {arg} has repeated names: {names!r}")
    return names


def _input_copy(example: Any, name: str) -> Tensor:
    """A fresh leaf that requires grad, so every op that depends on it is recorded."""
    data = example.data if isinstance(example, Tensor) else example
    try:
        array = np.array(data, copy=True)
    except (TypeError, ValueError):
        array = np.array(None)
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"onnx export: example input {name!r} must be a Tensor or a numeric array, "
            f"got {type(example).__name__}"
        )
    dtype = array.dtype if array.dtype in (np.float32, np.float64) else np.float32
    return Tensor(array, requires_grad=True, dtype=dtype, name=name)


def _run_forward(model: Any, inputs: list[Tensor]) -> list[Tensor]:
    modules = list(model.modules()) if hasattr(model, "modules") else []
    modes = [(m, m.training) for m in modules]
    try:
        if hasattr(model, "eval"):
            model.eval()
        with autograd.enable_grad():  # even under the caller's no_grad: the graph is needed
            result = model(*inputs)
    finally:
        for module, training in modes:
            module.training = training
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(
                f"onnx export: the model's output {i} is a {type(out).__name__}, not a Tensor"
            )
    return outputs


def state_members(model: Any) -> list[tuple[str, Any]]:
    """(state-dict key, parameter or buffer), in the state dict's order, then any others."""
    members: list[tuple[str, Any]] = []
    for method in ("_state_items", "named_parameters", "named_buffers"):
        if hasattr(model, method):
            members += [(k, v) for k, v in getattr(model, method)() if v is not None]
    return members


def state_names(members: list[tuple[str, Any]]) -> dict[int, str]:
    """id of each parameter and buffer (and of its array) -> its state-dict key."""
    names: dict[int, str] = {}
    for key, value in members:
        names.setdefault(id(value), key)
        if hasattr(value, "data"):
            names.setdefault(id(value.data), key)
    return names


def _order(outputs: list[Tensor]) -> list[Tensor]:
    seen: set[int] = set()
    order: list[Tensor] = []
    for out in outputs:
        for t in autograd.topo_order(out):
            if id(t) not in seen:
                seen.add(id(t))
                order.append(t)
    return order


def _build(
    model, inputs, outputs, input_names, output_names, opset, dynamic, symbol="batch"
) -> onnx.ModelProto:
    g = Graph(opset, dynamic)
    members = state_members(model)
    names = state_names(members)
    g.array_names = names
    g.state = dict(reversed(members))  # key -> the parameter or buffer (first one wins)
    for name in (*input_names, *output_names, *sorted(set(names.values()))):
        if name not in g._used:
            g.reserve(name)
    values: dict[int, Value] = {}
    for t, name in zip(inputs, input_names, strict=True):
        values[id(t)] = Value(name, t, 0 if dynamic else None, "input")

    batch_size = inputs[0].shape[0] if inputs and inputs[0].ndim else None
    order = _order(outputs)
    live = set(values) | {id(t) for t in order if id(t) in names}
    for t in order:  # depends on an input or a parameter: becomes nodes; anything else is folded
        if t._ctx is not None and any(id(p) in live for p in t.parents):
            live.add(id(t))

    def value_of(t: Tensor) -> Value:
        if id(t) not in values:
            if id(t) in names:
                values[id(t)] = Value(g.param_initializer(names[id(t)], t.data), t, None, "param")
            else:
                values[id(t)] = Value(g.const(t.data), t, None, "const")
        return values[id(t)]

    for t in order:
        if id(t) in values or id(t) not in live or t._ctx is None:
            continue
        converter = CONVERTERS.get(t.op)
        if converter is None:
            raise NotImplementedError(
                f"onnx export: the op {t.op!r} has no ONNX mapping (in {_where(t)})"
            )
        xs = [value_of(p) for p in t.parents]
        g.scope, g.label = _scope(t)
        name, batch = converter(g, t, xs, t._ctx.params)
        values[id(t)] = Value(name, t, batch if dynamic else None)
        if dynamic and batch is not None:
            _check_constants(t, xs, batch, batch_size)
    g.scope, g.label = "", ""

    out_infos = []
    for t, out_name in zip(outputs, output_names, strict=True):
        v = value_of(t)
        produced = {o for node in g.nodes for o in node.output}
        if v.kind == "node" and v.name in produced and v.name not in output_names:
            _rename(g, v.name, out_name)
            v.name = out_name
        else:
            g.nodes.append(
                helper.make_node(
                    "Identity", [v.name], [out_name], name=g.fresh(f"{out_name}/Identity")
                )
            )
        dims: list[Any] = list(t.shape)
        if v.batch is not None and dims[v.batch] == batch_size:
            dims[v.batch] = symbol
        elif v.batch is not None:
            dims[v.batch] = None  # scales with the batch: left unnamed
        out_infos.append(_info(out_name, t.dtype, dims))

    in_infos = []
    for t, name in zip(inputs, input_names, strict=True):
        dims = list(t.shape)
        if dynamic:
            dims[0] = symbol
        in_infos.append(_info(name, t.dtype, dims))
    rank = {key: i for i, (key, _) in reversed(list(enumerate(members)))}
    initializers = sorted(g.initializers, key=lambda t: rank.get(t.name, len(rank)))  # stable
    graph = helper.make_graph(
        g.nodes, type(model).__name__, in_infos, out_infos, initializer=initializers
    )
    opsets = [helper.make_opsetid("", opset)]
    from .. import __version__

    proto = helper.make_model(
        graph, opset_imports=opsets, producer_name="tinygrad_conv", producer_version=__version__
    )
    proto.ir_version = helper.find_min_ir_version_for(opsets)
    return proto


def _check_constants(t: Tensor, xs: list[Value], batch: int, batch_size: int | None) -> None:
    """A constant that lines up with the batch axis and has the batch's size was most likely
    computed from the input outside the graph (argmax, .data, detach, an int conversion): its
    values were frozen at export and it cannot follow another batch size. (Comparisons are
    recorded, so a mask such as x > 0 is a node, not a constant.)"""
    if not batch_size or batch_size < 2:
        return
    for x in xs:
        axis = batch - (t.ndim - x.ndim)
        if x.const and 0 <= axis < x.ndim and x.shape[axis] == batch_size:
            raise ValueError(
                f"onnx export: {t.op} (in {_where(t)}) mixes in a constant of shape {x.shape} "
                f"along the batch axis: it holds values computed outside the recorded graph "
                f"(from argmax, .data, detach or numpy), frozen at export, and cannot follow "
                f"another batch size. Compute it with recorded ops (a comparison such as x > 0, "
                f"where, clamp), or export with dynamic_batch=False if it really is a constant"
            )


def _info(name: str, dtype: np.dtype, dims: list) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(
        name, helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), dims
    )


def _rename(g: Graph, old: str, new: str) -> None:
    for node in g.nodes:
        for field in (node.input, node.output):
            for i, name in enumerate(field):
                if name == old:
                    field[i] = new


def _scope(t: Tensor) -> tuple[str, str]:
    """(module path, a label for node names: the path, or the class of the outermost module)."""
    scope = getattr(t, "_module", ()) or ()
    if not scope:
        return "", ""
    path, cls = scope[-1]
    return path, path or cls


def _where(t: Tensor) -> str:
    return _scope(t)[1] or "the model"
