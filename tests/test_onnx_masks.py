"""Masks from comparisons: recorded by the engine (a node, no gradient), exported as ONNX nodes, so
that a model using where(x > 0, ...) or x * (x > 0) gives onnxruntime's numbers on any input."""

from __future__ import annotations

import numpy as np
import pytest
from test_onnx_support import ATOL, RTOL, Fn, engine

import tinygrad_conv as tc
import tinygrad_conv.onnx  # noqa: F401 - tc.onnx
from tinygrad_conv import nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

RNG = np.random.default_rng(7)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


class LeakyByMask(nn.Module):
    """Linear, then where(h > 0, h, 0.1 h): the reviewer's case."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(5, 4)

    def forward(self, x):
        h = self.fc(x)
        return tc.where(h > 0, h, 0.1 * h)


def export_and_session(model, example, tmp_path, **kwargs):
    path = tmp_path / "model.onnx"
    tc.onnx.export(model, example, path, **kwargs)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return proto, session


def assert_same(session, model, x):
    (got,) = session.run(None, {"input": x})
    (want,) = engine(model, x)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def op_types(proto) -> list[str]:
    return [node.op_type for node in proto.graph.node]


# --- the engine records comparisons ---------------------------------------------------------
def test_a_comparison_of_a_graph_tensor_is_a_recorded_node_that_never_requires_grad():
    x = tc.Tensor(np.array([1.5, -2.0, 0.0]), requires_grad=True)
    mask = x > 0
    assert mask.op == "gt" and mask.parents[0] is x and not mask.requires_grad
    assert mask.dtype == np.bool_ and mask.data.tolist() == [True, False, False]
    y = tc.where(mask, x, 0.1 * x)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.1, 0.1])  # d/dx of x (x > 0) or 0.1 x


def test_every_comparison_records_its_name():
    x = tc.Tensor(np.array([[0.5, -1.0], [2.0, 0.0]]), requires_grad=True)
    for name, out, want in [
        ("eq", x == 0.5, [[1, 0], [0, 0]]),
        ("ne", x != 0.5, [[0, 1], [1, 1]]),
        ("lt", x < 0, [[0, 1], [0, 0]]),
        ("le", x <= 0, [[0, 1], [0, 1]]),
        ("gt", 0 < x, [[1, 0], [1, 0]]),
        ("ge", x.ge(0.5), [[1, 0], [1, 0]]),
    ]:
        assert out.op == name and not out.requires_grad, name
        np.testing.assert_array_equal(out.data, np.array(want, dtype=bool))


def test_comparisons_of_plain_data_or_under_no_grad_record_nothing():
    pred, target = tc.tensor(np.array([1, 2, 3])), tc.tensor(np.array([1, 0, 3]))
    same = pred.eq(target)
    assert same.op is None and same.parents == () and int(same.sum().item()) == 2
    x = tc.Tensor(np.array([1.0, -1.0]), requires_grad=True)
    with tc.no_grad():
        assert (x > 0).op is None
    assert tc.gt(np.array([1.0]), 0.0).op is None


# --- exported masks follow the input ---------------------------------------------------------
def test_where_of_a_comparison_exports_with_a_dynamic_batch(tmp_path):
    tc.manual_seed(0)
    model = LeakyByMask()
    proto, session = export_and_session(model, rand(3, 5), tmp_path)
    assert "Greater" in op_types(proto) and "Where" in op_types(proto)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    for batch in (3, 8):
        x = rand(batch, 5)
        assert_same(session, model, x)
    (got,) = session.run(None, {"input": rand(8, 5)})
    assert (got < 0).any() and (got > 0).any()  # both sides of the mask were used


def test_a_fixed_batch_export_no_longer_freezes_the_mask(tmp_path):
    tc.manual_seed(1)
    model = LeakyByMask()
    example = rand(4, 5)
    proto, session = export_and_session(model, example, tmp_path, dynamic_batch=False)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 4
    other = -example  # every pre-activation sign flips where the bias is small: a new mask
    assert_same(session, model, example)
    assert_same(session, model, other)
    assert_same(session, model, rand(4, 5))


MASKS = {
    "eq": (lambda m, x: tc.where(tc.clamp(x, min=0.0) == 0, x, -x), "Equal"),
    "ne": (lambda m, x: x * (tc.clamp(x, max=0.0) != 0), "Not"),
    "lt": (lambda m, x: tc.where(x < m.c, x, 2 * x), "Less"),
    "le": (lambda m, x: tc.where(x <= 0.25, x * x, x), "LessOrEqual"),
    "gt": (lambda m, x: x * (x > 0), "Greater"),
    "ge": (lambda m, x: tc.where(x.ge(x.mean(axis=1, keepdims=True)), 1.0, x), "GreaterOrEqual"),
    "scalar_left": (lambda m, x: tc.where(0.5 > x, x, 0.0), "Less"),  # reflected: x < 0.5
    "count": (lambda m, x: (x > 0).sum(axis=1), "ReduceSum"),
    "bool_output": (lambda m, x: x <= m.c, "LessOrEqual"),
}


@pytest.mark.parametrize("name", sorted(MASKS))
def test_each_comparison_exports(name, tmp_path):
    fn, op_type = MASKS[name]
    model = Fn(fn)
    model.c = tc.Tensor(rand(6))  # a constant (not a parameter) beside the input
    example = rand(3, 6) * 2
    proto, session = export_and_session(model, example, tmp_path)
    assert op_type in op_types(proto)
    for x in (example, rand(5, 6) * 2):
        assert_same(session, model, x)


def test_a_mask_converted_to_float_exports(tmp_path):
    x = tc.Tensor(np.array([1.0, -1.0]), requires_grad=True)
    assert (x > 0).float().op == "to" and not (x > 0).float().requires_grad
    model = Fn(lambda m, x: x * (x > 0).float() + (x < -0.5).double().float())
    proto, session = export_and_session(model, rand(3, 6), tmp_path)
    assert "Cast" in op_types(proto)
    for batch in (3, 6):
        assert_same(session, model, rand(batch, 6))


def test_constants_that_only_feed_comparisons_still_fold(tmp_path):
    const = tc.Tensor(np.array([1.0, -1.0, 2.0, -2.0, 0.5, 0.0], dtype=np.float32))
    model = Fn(lambda m, x: tc.where(const > 0, x, -x))
    proto, session = export_and_session(model, rand(3, 6), tmp_path)
    assert op_types(proto) == ["Where"] or op_types(proto) == ["Neg", "Where"]
    masks = [i for i in proto.graph.initializer if i.data_type == onnx.TensorProto.BOOL]
    assert len(masks) == 1 and list(masks[0].dims) == [6]  # the folded mask, one initializer
    for batch in (3, 7):
        assert_same(session, model, rand(batch, 6))


def test_a_comparison_of_parameters_is_a_node_named_by_their_keys(tmp_path):
    model = Fn(lambda m, x: tc.where(m.w > 0, x, 0.0), w=rand(6))
    proto, session = export_and_session(model, rand(2, 6), tmp_path)
    greater = next(n for n in proto.graph.node if n.op_type == "Greater")
    assert greater.input[0] == "w"
    assert_same(session, model, rand(4, 6))
