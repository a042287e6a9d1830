"""The ONNX graph being built: nodes, initializers, fresh names, and what each value is.

Only this package's converters use it. `onnx` is imported here, so this module is loaded only when
an export runs (tinygrad_conv.onnx itself imports without the extra).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


@dataclass
class Value:
    """One tensor of the engine's graph as an ONNX value.

    batch: the axis whose size is the batch size (or a multiple of it) when the batch is dynamic,
    None when no axis scales with the batch. kind: "input", "param" (an initializer named by its
    state-dict key), "const" (an unnamed initializer: its values may be rewritten) or "node".
    """

    name: str
    tensor: Any
    batch: int | None
    kind: str = "node"

    @property
    def const(self) -> bool:
        return self.kind == "const"

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.tensor.shape)

    @property
    def ndim(self) -> int:
        return len(self.tensor.shape)

    @property
    def dtype(self) -> np.dtype:
        return self.tensor.dtype


class Graph:
    def __init__(self, opset: int, dynamic: bool):
        self.opset = opset
        self.dynamic = dynamic
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.scope = ""  # the module path of the op being converted ("" for the outermost)
        self.label = ""  # what node names start with (Netron shows them)
        self._used: set[str] = set()
        self._int_cache: dict[tuple, str] = {}
        self.array_names: dict[int, str] = {}  # id of a parameter/buffer (or its array) -> key
        self.state: dict[str, Any] = {}  # state-dict key -> the parameter or buffer
        self._params_written: set[str] = set()

    # --- names --------------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        hint = hint or "value"
        name, k = hint, 0
        while name in self._used:
            k += 1
            name = f"{hint}_{k}"
        self._used.add(name)
        return name

    def reserve(self, name: str) -> None:
        if name in self._used:
            raise ValueError(
                f"onnx export: the name {name!r} is used twice (input, output or state-dict key)"
            )
        self._used.add(name)

    # --- building -----------------------------------------------------------------------------
    def node(
        self, op_type: str, inputs: list[str], n_out: int = 1, hint: str | None = None, **attrs: Any
    ) -> Any:
        """Add one node; returns its output name (or a list of them when n_out > 1)."""
        base = hint or op_type.lower()
        outputs = [self.fresh(base) for _ in range(n_out)]
        name = self.fresh(f"{self.label}/{op_type}" if self.label else op_type)
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=name, **attrs))
        return outputs[0] if n_out == 1 else outputs

    def const(self, array: Any, name: str | None = None, dtype: Any = None) -> str:
        """An initializer holding `array` (a named one keeps its name: state-dict keys)."""
        array = np.asarray(array, dtype=dtype)
        if name is None:
            name = self.fresh("const")
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def param_initializer(self, key: str, array: Any) -> str:
        """The initializer named by the state-dict `key` (written once, however often used)."""
        if key not in self._params_written:
            self._params_written.add(key)
            self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), key))
        return key

    def ints(self, values: Any) -> str:
        """A 1-D int64 initializer (shapes, axes, pads, starts...), shared between nodes."""
        key = tuple(int(v) for v in values)
        if key not in self._int_cache:
            self._int_cache[key] = self.const(np.array(key, dtype=np.int64), self.fresh("ints"))
        return self._int_cache[key]

    def scalar(self, value: float, dtype: Any) -> str:
        return self.const(np.array(value, dtype=dtype))

    def cast(self, value: Value, dtype: np.dtype) -> str:
        """value's name as `dtype`: a constant is converted, anything else gets a Cast node."""
        if value.dtype == dtype:
            return value.name
        if value.const:
            return self.const(np.asarray(value.tensor.data).astype(dtype))
        return self.node("Cast", [value.name], to=helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))

    def reduce(
        self,
        op_type: str,
        x: str,
        axes: Any,
        keepdims: bool,
        hint: str | None = None,
    ) -> str:
        """Reduce* over `axes` (a list; None = all): axes as an input for ReduceSum from opset 13
        and for the others from opset 18, as an attribute before."""
        keep = int(bool(keepdims))
        if axes is None:
            return self.node(op_type, [x], hint=hint, keepdims=keep)
        as_input = self.opset >= (13 if op_type == "ReduceSum" else 18)
        if as_input:
            return self.node(op_type, [x, self.ints(axes)], hint=hint, keepdims=keep)
        return self.node(op_type, [x], hint=hint, keepdims=keep, axes=[int(a) for a in axes])

    def squeeze(self, x: str, axes: list[int], hint: str | None = None) -> str:
        return self.node("Squeeze", [x, self.ints(axes)], hint=hint)

    def unsqueeze(self, x: str, axes: list[int], hint: str | None = None) -> str:
        return self.node("Unsqueeze", [x, self.ints(axes)], hint=hint)


def shifted_batch(value: Value, out_ndim: int) -> int | None:
    """The batch axis of `value` once broadcast (right-aligned) to `out_ndim` dimensions."""
    return None if value.batch is None else value.batch + out_ndim - value.ndim


def broadcast_batch(values: list[Value], out_ndim: int) -> int | None:
    for value in values:
        axis = shifted_batch(value, out_ndim)
        if axis is not None:
            return axis
    return None


# op name (Tensor.op) -> converter(graph, tensor, inputs: list[Value], params) -> (name, batch axis)
CONVERTERS: dict[str, Any] = {}


def converts(*ops: str):
    def register(fn):
        for op in ops:
            CONVERTERS[op] = fn
        return fn

    return register
