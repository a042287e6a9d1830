"""PyTorch's `dynamic_axes` keyword, read as this exporter's one dynamic axis: the batch (dim 0)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._checks import is_int

DEFAULT_SYMBOL = "batch"


def batch_from_dynamic_axes(
    dynamic_axes: Any, dynamic_batch: bool, input_names: Sequence[str], output_names: Sequence[str]
) -> tuple[bool, str]:
    """(dynamic batch?, the symbolic name of the batch dimension).

    None leaves dynamic_batch as given. A mapping {name: {0: "symbol"}} or {name: [0]} names the
    inputs and outputs whose batch axis is dynamic; every input must be named when any entry is
    (the batch is one dimension shared by all inputs); {} or only empty entries: a fixed batch.
    """
    if dynamic_axes is None:
        return dynamic_batch, DEFAULT_SYMBOL
    if not isinstance(dynamic_axes, Mapping):
        raise TypeError(
            f"onnx export: dynamic_axes must be a dict {{name: {{0: 'batch'}}}} or "
            f"{{name: [0]}}, got {type(dynamic_axes).__name__}"
        )
    known = (*input_names, *output_names)
    unknown = [name for name in dynamic_axes if name not in known]
    if unknown:
        raise ValueError(
            f"onnx export: dynamic_axes names {unknown}, which are not among the "
            f"input_names {list(input_names)} or output_names {list(output_names)}"
        )
    symbols: list[str] = []
    other_axes: list[str] = []
    named: list[str] = []
    for name, axes in dynamic_axes.items():
        pairs = _axis_symbols(name, axes)
        for axis, symbol in pairs:
            if axis != 0:
                other_axes.append(f"{name!r} axis {axis}")
            elif symbol is not None and symbol not in symbols:
                symbols.append(symbol)
        if any(axis == 0 for axis, _ in pairs):
            named.append(name)
    if other_axes:
        raise NotImplementedError(
            f"onnx export: dynamic_axes names {', '.join(other_axes)}; only the batch axis "
            f"(dim 0) of inputs and outputs can be dynamic in this exporter"
        )
    if not named:
        return False, DEFAULT_SYMBOL
    missing = [name for name in input_names if name not in named]
    if missing:
        raise NotImplementedError(
            f"onnx export: dynamic_axes makes the batch axis dynamic for {named} but not for the "
            f"input(s) {missing}; the batch is dynamic for all inputs or for none"
        )
    if len(symbols) > 1:
        raise ValueError(
            f"onnx export: dynamic_axes gives the batch axis several names "
            f"{symbols}; it is one dimension here: give it one name"
        )
    if not dynamic_batch:
        raise ValueError(
            "onnx export: dynamic_batch=False contradicts dynamic_axes, which makes "
            f"the batch axis of {named} dynamic; pass one of them"
        )
    return True, symbols[0] if symbols else DEFAULT_SYMBOL


def _axis_symbols(name: str, axes: Any) -> list[tuple[int, str | None]]:
    """[(axis, symbolic name or None)] from {axis: symbol} or [axis, ...]."""
    if isinstance(axes, Mapping):
        items = list(axes.items())
    elif isinstance(axes, (list, tuple)):
        items = [(axis, None) for axis in axes]
    else:
        raise TypeError(
            f"onnx export: dynamic_axes[{name!r}] must be a dict {{axis: name}} or a "
            f"list of axes, got {type(axes).__name__}"
        )
    pairs = []
    for axis, symbol in items:
        if not is_int(axis):
            raise TypeError(
                f"onnx export: dynamic_axes[{name!r}] has the axis {axis!r}; axes are ints"
            )
        if symbol is not None and not (isinstance(symbol, str) and symbol):
            raise TypeError(
                f"onnx export: dynamic_axes[{name!r}][{axis}] must be a non-empty "
                f"string (the dimension's name), got {symbol!r}"
            )
        pairs.append((int(axis), symbol))
    return pairs
