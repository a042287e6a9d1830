"""export()'s PyTorch-compatible keywords: dynamic_axes (the batch axis only) and opset_version."""

from __future__ import annotations

import numpy as np
import pytest
from test_onnx_support import Fn

import tinygrad_conv as tc
import tinygrad_conv.onnx  # noqa: F401 - tc.onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

X = np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32)


def model():
    return Fn(lambda m, x: x * 2.0 + 1.0)


def dims(value_info) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def run(proto, x):
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.mark.parametrize(
    "axes, symbol",
    [
        ({"input": {0: "batch_size"}, "output": {0: "batch_size"}}, "batch_size"),
        ({"input": {0: "N"}}, "N"),
        ({"input": [0], "output": [0]}, "batch"),
    ],
)
def test_dynamic_axes_naming_the_batch_axis_is_a_dynamic_batch(axes, symbol):
    proto = tc.onnx.export(model(), X, None, dynamic_axes=axes)
    assert dims(proto.graph.input[0]) == [symbol, 4]
    assert dims(proto.graph.output[0]) == [symbol, 4]
    x = np.arange(20, dtype=np.float32).reshape(5, 4)
    np.testing.assert_array_equal(run(proto, x), x * 2 + 1)  # another batch size runs


@pytest.mark.parametrize("axes", [{}, {"input": {}}, {"output": []}])
def test_dynamic_axes_without_a_batch_axis_is_a_fixed_batch(axes):
    proto = tc.onnx.export(model(), X, None, dynamic_axes=axes)
    assert dims(proto.graph.input[0]) == [3, 4] and dims(proto.graph.output[0]) == [3, 4]


@pytest.mark.parametrize(
    "axes, named",
    [
        ({"input": {0: "b", 1: "features"}}, "'input' axis 1"),
        ({"input": [0], "output": [1]}, "'output' axis 1"),
        ({"input": {2: "w"}}, "'input' axis 2"),
    ],
)
def test_dynamic_axes_other_than_the_batch_are_not_implemented_and_named(axes, named):
    with pytest.raises(NotImplementedError, match=named):
        tc.onnx.export(model(), X, None, dynamic_axes=axes)


def test_dynamic_axes_errors_name_what_was_wrong():
    with pytest.raises(ValueError, match=r"\['x'\]"):
        tc.onnx.export(model(), X, None, dynamic_axes={"x": {0: "batch"}})
    with pytest.raises(TypeError, match="dynamic_axes must be a dict"):
        tc.onnx.export(model(), X, None, dynamic_axes=[0])
    with pytest.raises(TypeError, match="axes are ints"):
        tc.onnx.export(model(), X, None, dynamic_axes={"input": ["0"]})
    with pytest.raises(ValueError, match="several names"):
        tc.onnx.export(model(), X, None, dynamic_axes={"input": {0: "a"}, "output": {0: "b"}})
    with pytest.raises(ValueError, match="contradicts"):
        tc.onnx.export(model(), X, None, dynamic_axes={"input": [0]}, dynamic_batch=False)


def test_dynamic_axes_must_cover_every_input():
    two = Fn(lambda m, x: x)
    two.forward = lambda a, b: a + b
    with pytest.raises(NotImplementedError, match=r"\['b'\]"):
        tc.onnx.export(two, (X, X), None, input_names=("a", "b"), dynamic_axes={"a": {0: "batch"}})
    proto = tc.onnx.export(
        two, (X, X), None, input_names=("a", "b"), dynamic_axes={"a": {0: "n"}, "b": {0: "n"}}
    )
    assert dims(proto.graph.input[1]) == ["n", 4]


@pytest.mark.parametrize("opset", [0, 12, 10_000])
def test_an_opset_outside_the_supported_range_is_a_value_error_naming_it(opset):
    with pytest.raises(ValueError, match=f"opset_version={opset}"):
        tc.onnx.export(model(), X, None, opset_version=opset)


def test_the_newest_opset_the_installed_onnx_knows_exports():
    proto = tc.onnx.export(model(), X, None, opset_version=onnx.defs.onnx_opset_version())
    assert proto.opset_import[0].version == onnx.defs.onnx_opset_version()
