"""Each op with an ONNX mapping: exported alone (or nearly), fully checked, and run in onnxruntime
with the engine's outputs, at the example batch size and another one."""

from __future__ import annotations

import numpy as np
import pytest
from test_onnx_support import Fn, needs, roundtrip

import tinygrad_conv as tc

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

F = tc.functional
RNG = np.random.default_rng(0)


def rand(*shape, low=-1.0, high=1.0):
    return RNG.uniform(low, high, shape).astype(np.float32)


X2, X3, X4 = rand(3, 6), rand(3, 4, 5), rand(3, 4, 6, 6)
POS2 = rand(3, 6, low=0.1, high=2.0)
C = rand(6)  # constants mixed into the graph
K25 = rand(2, 5)

CASES = {
    "add": (lambda m, x: x + C, X2),
    "add_scalar": (lambda m, x: 2.5 + x, X2),
    "sub": (lambda m, x: C - x, X2),
    "mul": (lambda m, x: x * x * 0.5, X2),
    "div": (lambda m, x: x / (C * C + 1), X2),
    "rdiv": (lambda m, x: 1.0 / (x * x + 1), X2),
    "pow_square": (lambda m, x: x**2, X2),
    "pow_const": (lambda m, x: x**3.0, X2),
    "pow_base": (lambda m, x: 2.0**x, X2),
    "pow_both": (lambda m, x: x ** (x * x), POS2),
    "neg": (lambda m, x: -x, X2),
    "exp": (lambda m, x: F.exp(x), X2),
    "log": (lambda m, x: F.log(x), POS2),
    "matmul_2d": (lambda m, x: x @ m.w, X2),
    "matmul_3d": (lambda m, x: x @ m.w3, X3),
    "matmul_vec": (lambda m, x: x @ C, X2),
    "matmul_left": (lambda m, x: m.w.T @ x.T, X2),
    "sum_all": (lambda m, x: x.sum(), X3),
    "sum_axis": (lambda m, x: x.sum(axis=1), X3),
    "sum_batch": (lambda m, x: x.sum(axis=0, keepdims=True), X3),
    "sum_tuple": (lambda m, x: x.sum(axis=(1, 2)), X3),
    "mean_keep": (lambda m, x: x.mean(axis=-1, keepdims=True), X3),
    "mean_all": (lambda m, x: x.mean(), X3),
    "max_axis": (lambda m, x: x.max(axis=2), X3),
    "reshape_keep": (lambda m, x: x.reshape(x.shape[0], 20), X3),
    "reshape_merge": (lambda m, x: x.reshape(-1, 5), X3),
    "reshape_split": (lambda m, x: x.reshape(x.shape[0], 2, 2, 5), X3),
    "reshape_lead": (lambda m, x: x.reshape(1, x.shape[0], 20), X3),
    "reshape_merge_after_transpose": (lambda m, x: x.transpose(1, 0, 2).reshape(-1, 5), X3),
    "flatten_1": (lambda m, x: x.flatten(1), X4),
    "flatten_2": (lambda m, x: x.flatten(2), X4),
    "flatten_0": (lambda m, x: x.flatten(), X4),
    "transpose_swap": (lambda m, x: x.transpose(1, 2), X3),
    "transpose_perm": (lambda m, x: x.transpose(2, 0, 1), X3),
    "transpose_T": (lambda m, x: x.T, X2),
    "getitem_slices": (lambda m, x: x[:, 1:3, ::2], X3),
    "getitem_int": (lambda m, x: x[:, -1], X3),
    "getitem_none": (lambda m, x: x[:, None, 2:, -2], X3),
    "getitem_ellipsis": (lambda m, x: x[..., 1], X3),
    "getitem_negstep": (lambda m, x: x[:, ::-1, 3:0:-2], X3),
    "getitem_array": (lambda m, x: x[:, np.array([3, 0, -1, 3])], X3),
    "getitem_array_2d": (lambda m, x: x[:, :, np.array([[0, 1], [4, 2]])], X3),
    "getitem_mask": (lambda m, x: x[:, np.array([True, False, True, True])], X3),
    "relu": (lambda m, x: F.relu(x), X2),
    "tanh": (lambda m, x: F.tanh(x), X2),
    "sigmoid": (lambda m, x: F.sigmoid(x * 8), X2),
    "softmax": (lambda m, x: F.softmax(x * 3, axis=1), X3),
    "softmax_last": (lambda m, x: F.softmax(x), X3),
    "log_softmax": (lambda m, x: F.log_softmax(x * 3, axis=1), X3),
    "log_softmax_batch": (lambda m, x: F.log_softmax(x, axis=0), X2),
}

PARAMS = {"w": rand(6, 4), "w3": rand(5, 2)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op(name, tmp_path):
    fn, x = CASES[name]
    roundtrip(Fn(fn, **PARAMS), x, tmp_path)


@pytest.mark.parametrize("opset", [13, 18, 20])
def test_reductions_and_softmax_at_other_opsets(opset, tmp_path):
    def fn(m, x):
        return F.log_softmax(x.sum(axis=2) + x.mean(axis=2) + x.max(axis=2), axis=1)

    roundtrip(Fn(fn), X3, tmp_path, opset=opset)


CONVS = {
    "plain": dict(weight=(5, 4, 3, 3)),
    "stride_pad": dict(weight=(5, 4, 3, 3), stride=2, padding=1),
    "rect": dict(weight=(5, 4, 2, 3), stride=(2, 1), padding=(1, 0)),
    "dilation": dict(weight=(5, 4, 3, 3), dilation=2, padding=2),
    "groups": dict(weight=(8, 2, 3, 3), groups=2, padding=1),
    "depthwise": dict(weight=(4, 1, 3, 3), groups=4, padding=1),
    "same_odd": dict(weight=(5, 4, 3, 3), padding="same"),
    "same_even": dict(weight=(5, 4, 4, 2), padding="same"),
    "same_even_dilated": dict(weight=(5, 4, 2, 4), padding="same", dilation=(3, 1)),
    "valid_nobias": dict(weight=(5, 4, 3, 3), padding="valid", bias=False),
}


@pytest.mark.parametrize("name", sorted(CONVS))
def test_conv2d(name, tmp_path):
    spec = dict(CONVS[name])
    shape, bias = spec.pop("weight"), spec.pop("bias", True)
    params = {"weight": rand(*shape)}
    if bias:
        params["bias"] = rand(shape[0])

    def fn(m, x):
        return F.conv2d(x, m.weight, m.bias if bias else None, **spec)

    proto = roundtrip(Fn(fn, **params), X4, tmp_path, atol=1e-5)
    assert [n.op_type for n in proto.graph.node] == ["Conv"]


POOLS = {
    "max_2": ("max_pool2d", dict(kernel_size=2)),
    "max_3_s2_p1": ("max_pool2d", dict(kernel_size=3, stride=2, padding=1)),
    "max_rect": ("max_pool2d", dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1))),
    "avg_2": ("avg_pool2d", dict(kernel_size=2)),
    "avg_3_s2_p1": ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1)),
    "avg_rect": ("avg_pool2d", dict(kernel_size=(3, 2), stride=1, padding=(1, 0))),
}


@pytest.mark.parametrize("name", sorted(POOLS))
def test_pool(name, tmp_path):
    op, kwargs = POOLS[name]
    roundtrip(Fn(lambda m, x: getattr(F, op)(x, **kwargs)), X4, tmp_path)


def test_constant_subgraph_is_folded_into_one_initializer(tmp_path):
    table = tc.Tensor(rand(6))

    def fn(m, x):
        return x * (tc.exp(table) + 1)  # the factor depends on no input and no parameter

    proto = roundtrip(Fn(fn), X2, tmp_path)
    assert [n.op_type for n in proto.graph.node] == ["Mul"]
    assert len(proto.graph.initializer) == 1


def test_float64_model(tmp_path):
    x = X2.astype(np.float64)
    w = tc.Tensor(rand(6, 4).astype(np.float64), requires_grad=True)
    roundtrip(Fn(lambda m, x: F.tanh(x @ w) * 2), x, tmp_path, rtol=1e-12, atol=1e-12)


def test_static_batch_export(tmp_path):
    proto = roundtrip(Fn(lambda m, x: x.reshape(3, 2, 2, 5)), X3, tmp_path, dynamic=False)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [3, 4, 5]


def test_reshape_splitting_the_batch_needs_a_static_export(tmp_path):
    with pytest.raises(ValueError, match="dynamic_batch=False"):
        tc.onnx.export(Fn(lambda m, x: x.reshape(2, 3, 5)), rand(6, 5), tmp_path / "m.onnx")
    roundtrip(Fn(lambda m, x: x.reshape(2, 3, 5)), rand(6, 5), tmp_path, dynamic=False)


def test_cast_between_floats(tmp_path):
    if not hasattr(tc.Tensor, "double"):
        pytest.skip("no Tensor.double yet")
    roundtrip(Fn(lambda m, x: (x.double() * 3).float()), X2, tmp_path)


def test_values_computed_outside_the_graph_are_refused(tmp_path):
    def fn(m, x):
        mask = tc.Tensor((x.data > 0).astype(np.float32))  # frozen at export: not replayable
        return x * mask

    with pytest.raises(ValueError, match="outside the recorded graph"):
        tc.onnx.export(Fn(fn), X2, tmp_path / "m.onnx")


# --- ops that other parts of the library add: mapped by name, tested once they exist --------
NEW = {
    "sqrt": (lambda m, x: F.sqrt(x), POS2),
    "abs": (lambda m, x: F.abs(x), X2),
    "leaky_relu": (lambda m, x: F.leaky_relu(x, 0.2), X2),
    "gelu": (lambda m, x: F.gelu(x * 3), X2),
    "clamp": (lambda m, x: F.clamp(x, -0.5, 0.25), X2),
    "clamp_min": (lambda m, x: F.clamp(x, min=0.1), X2),
    "maximum": (lambda m, x: F.maximum(x, C), X2),
    "minimum": (lambda m, x: F.minimum(C, x), X2),
    "min": (lambda m, x: F.min(x, axis=1), X3),
    "cat": (lambda m, x: F.cat([x, x * 2], 1), X3),
    "cat_const": (lambda m, x: F.cat([x, x[:, :2] * 0 + K25], 1), X3),
    "stack": (lambda m, x: F.stack([x, -x], 1), X3),
    "squeeze": (lambda m, x: F.squeeze(x[:, :1], 1), X3),
    "squeeze_all": (lambda m, x: F.squeeze(x[:, None, :1, None]), X3),
    "unsqueeze": (lambda m, x: F.unsqueeze(x, 1), X3),
    "unsqueeze_last": (lambda m, x: F.unsqueeze(x, -1), X3),
    "permute": (lambda m, x: F.permute(x, (0, 3, 1, 2)), X4),
    "expand": (lambda m, x: F.expand(x[:, None], (x.shape[0], 2, 4, 5)), X3),
    "pad": (lambda m, x: F.pad(x, (1, 2, 0, 1)), X4),
    "pad_value": (lambda m, x: F.pad(x, (2, 0), value=0.5), X3),
    "pad_crop": (lambda m, x: F.pad(x, (-1, 2, 1, -2)), X4),
    "where": (lambda m, x: F.where(np.array([True, False] * 3), x, -x), X2),
    "var": (lambda m, x: F.var(x, axis=1), X3),
    "std": (lambda m, x: F.std(x, axis=(1, 2)), X3),
    "var_batch": (lambda m, x: F.var(x, axis=0), X3),
    "logsumexp": (lambda m, x: F.logsumexp(x, axis=1), X3),
    "linear_2d": (lambda m, x: F.linear(x, m.w.T, m.b), X2),
    "linear_3d": (lambda m, x: F.linear(x, m.w3.T), X3),
    "expand_batch": (lambda m, x: F.expand(x[:, :1], x.shape) * x, X3),
}
NEW_OPS = {
    "linear_2d": "linear",
    "linear_3d": "linear",
    "clamp_min": "clamp",
    "cat_const": "cat",
    "unsqueeze_last": "unsqueeze",
    "pad_crop": "pad",
    "squeeze_all": "squeeze",
    "expand_batch": "expand",
    "pad_value": "pad",
    "var_batch": "var",
}


@pytest.mark.parametrize("name", sorted(NEW))
def test_new_op(name, tmp_path):
    op = NEW_OPS.get(name, name)
    if not hasattr(F, op):
        pytest.skip(f"tinygrad_conv has no {op!r} yet")
    fn, x = NEW[name]
    roundtrip(Fn(fn, b=rand(4), **PARAMS), x, tmp_path)


@needs("gelu")
@pytest.mark.parametrize("opset", [17, 20])
def test_gelu_both_formulas(opset, tmp_path):
    roundtrip(Fn(lambda m, x: F.gelu(x * 3)), X2, tmp_path, opset=opset)
