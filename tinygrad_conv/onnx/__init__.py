"""Export a model to ONNX, for onnxruntime, Netron, onnx2torch and the rest of the ecosystem.

    import tinygrad_conv.onnx
    tinygrad_conv.onnx.export(model, example_batch, "model.onnx")

Needs the `onnx` extra (`pip install "tinygrad_conv[onnx]"`: onnx and onnxruntime); this module
imports without it and says so when export is called.
"""

from __future__ import annotations

from typing import Any

__all__ = ["export", "supported_ops"]

EXTRA_HINT = 'pip install "tinygrad_conv[onnx]"'


def _require_onnx() -> None:
    try:
        import onnx  # noqa: F401
    except ImportError as err:
        raise ImportError(
            f"tinygrad_conv.onnx needs the onnx package, which is not installed: "
            f"{EXTRA_HINT} (it brings onnx and onnxruntime)"
        ) from err


def export(
    model: Any,
    example_input: Any,
    path: Any,
    input_names: Any = ("input",),
    output_names: Any = ("output",),
    opset_version: int = 17,
    dynamic_batch: bool = True,
    dynamic_axes: Any = None,
):
    """Write `model` as an ONNX file at `path` (None: only return it); returns the ModelProto.

    The forward runs once on `example_input` (a Tensor or array, or a tuple of them for several
    inputs) in eval() mode, with grad mode on so that the graph is recorded; the model's train/eval
    modes are restored afterwards. Parameters become initializers named by their state-dict keys;
    other constants become initializers too. With dynamic_batch the first dimension of each input
    is the symbolic "batch", and the file runs at any batch size. An op without an ONNX mapping
    raises NotImplementedError naming it. Comparisons (x > 0, eq, ...) are exported as nodes, so a
    mask such as `where(x > 0, x, 0.1 * x)` is computed from each input, not frozen.

    dynamic_axes (PyTorch's keyword): {name: {0: "batch"}} or {name: [0]} for inputs and outputs;
    when given it decides instead of dynamic_batch ({} is a fixed batch). Only the batch axis
    (dim 0) can be dynamic: naming another axis raises NotImplementedError naming it.
    opset_version: 13 up to what the installed onnx knows (ValueError outside that range).
    """
    _require_onnx()
    from ._export import export as _export

    return _export(
        model,
        example_input,
        path,
        input_names,
        output_names,
        opset_version,
        dynamic_batch,
        dynamic_axes,
    )


def supported_ops() -> list[str]:
    """The `.op` names that have an ONNX mapping."""
    _require_onnx()
    from ._export import CONVERTERS

    return sorted(CONVERTERS)
