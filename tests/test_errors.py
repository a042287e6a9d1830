"""A table of bad calls to the core: each raises the documented class, with a message naming the
op and the argument, before any compute, and leaves every input's data and grad bit-identical."""

from __future__ import annotations

import numpy as np
import pytest
from bad_input import check_bad_call, make_env

from tinygrad_conv import Tensor
from tinygrad_conv.ops import elementwise, matmul, reduce

# (id, call, exception, message fragments, Function whose forward must not run)
CASES = [
    # construction: wrong types
    ("tensor_str", lambda e: Tensor("abc"), TypeError, ["Tensor", "data"], None),
    (
        "tensor_object_array",
        lambda e: Tensor(np.array([object(), object()], dtype=object)),
        TypeError,
        ["Tensor", "data", "object"],
        None,
    ),
    (
        "tensor_float16",
        lambda e: Tensor(np.ones(3, dtype=np.float16)),
        TypeError,
        ["Tensor", "float16"],
        None,
    ),
    (
        "tensor_complex",
        lambda e: Tensor(np.ones(2, dtype=complex)),
        TypeError,
        ["Tensor", "complex"],
        None,
    ),
    (
        "tensor_dtype_float16",
        lambda e: Tensor([1.0], dtype=np.float16),
        TypeError,
        ["Tensor", "dtype", "float16"],
        None,
    ),
    (
        "tensor_requires_grad_str",
        lambda e: Tensor([1.0], requires_grad="yes"),
        TypeError,
        ["Tensor", "requires_grad", "yes"],
        None,
    ),
    (
        "tensor_name_int",
        lambda e: Tensor([1.0], name=3),
        TypeError,
        ["Tensor", "name", "int"],
        None,
    ),
    # elementwise: shapes that do not broadcast, operands that are not numbers
    (
        "add_shapes",
        lambda e: e["a"] + e["b"],
        ValueError,
        ["add", "(2, 3)", "(4,)"],
        elementwise.Add,
    ),
    (
        "radd_shapes",
        lambda e: np.ones((5, 1, 2)) + e["a"],
        ValueError,
        ["add", "(5, 1, 2)", "(2, 3)"],
        elementwise.Add,
    ),
    (
        "sub_shapes",
        lambda e: e["b"] - e["a"],
        ValueError,
        ["sub", "(4,)", "(2, 3)"],
        elementwise.Sub,
    ),
    (
        "mul_shapes",
        lambda e: e["a"] * e["c"],
        ValueError,
        ["mul", "(2, 3)", "(2, 3, 3)"],
        elementwise.Mul,
    ),
    (
        "div_shapes",
        lambda e: e["a"] / e["b"],
        ValueError,
        ["div", "(2, 3)", "(4,)"],
        elementwise.Div,
    ),
    (
        "pow_shapes",
        lambda e: e["a"] ** e["b"],
        ValueError,
        ["pow", "(2, 3)", "(4,)"],
        elementwise.Pow,
    ),
    ("add_str", lambda e: e["a"] + "x", TypeError, ["Tensor", "data"], elementwise.Add),
    ("mul_object", lambda e: e["a"] * object(), TypeError, ["Tensor", "data"], elementwise.Mul),
    # matmul
    (
        "matmul_inner",
        lambda e: e["a"] @ e["a"],
        ValueError,
        ["matmul", "inner", "(2, 3)"],
        matmul.MatMul,
    ),
    (
        "matmul_1d_inner",
        lambda e: e["b"] @ e["a"],
        ValueError,
        ["matmul", "(4,)", "(2, 3)"],
        matmul.MatMul,
    ),
    (
        "matmul_0d",
        lambda e: e["s"] @ e["a"],
        ValueError,
        ["matmul", "dimension", "()"],
        matmul.MatMul,
    ),
    (
        "matmul_batch",
        lambda e: e["c"] @ Tensor(np.ones((3, 3, 2))),
        ValueError,
        ["matmul", "batch", "(2, 3, 3)", "(3, 3, 2)"],
        matmul.MatMul,
    ),
    # reductions
    (
        "sum_axis_range",
        lambda e: e["a"].sum(axis=2),
        ValueError,
        ["sum", "axis", "2", "2-D"],
        reduce.Sum,
    ),
    (
        "sum_axis_neg_range",
        lambda e: e["a"].sum(axis=-3),
        ValueError,
        ["sum", "axis", "-3"],
        reduce.Sum,
    ),
    (
        "sum_axis_float",
        lambda e: e["a"].sum(axis=1.5),
        TypeError,
        ["sum", "axis", "1.5"],
        reduce.Sum,
    ),
    (
        "sum_keepdims_str",
        lambda e: e["a"].sum(keepdims="no"),
        TypeError,
        ["sum", "keepdims"],
        reduce.Sum,
    ),
    (
        "mean_axis_repeated",
        lambda e: e["a"].mean(axis=(0, -2)),
        ValueError,
        ["mean", "axis", "repeated"],
        reduce.Mean,
    ),
    (
        "mean_axis_range",
        lambda e: e["c"].mean(axis=(0, 3)),
        ValueError,
        ["mean", "axis", "3"],
        reduce.Mean,
    ),
    (
        "max_empty",  # mean over an empty dim is NaN, as PyTorch; max has no identity
        lambda e: Tensor(np.ones((0, 3))).max(axis=0),
        ValueError,
        ["max", "empty"],
        reduce.Max,
    ),
    ("max_axis_range", lambda e: e["b"].max(axis=1), ValueError, ["max", "axis", "1"], reduce.Max),
    ("max_empty", lambda e: Tensor(np.ones((0,))).max(), ValueError, ["max", "empty"], reduce.Max),
]


@pytest.mark.parametrize(
    ("call", "error", "fragments", "function"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_call(backend, monkeypatch, call, error, fragments, function):
    check_bad_call(backend, monkeypatch, call, error, fragments, function)


def test_error_table_covers_each_kind():
    from test_errors_ops import CASES as MORE

    errors = {c[2] for c in CASES + MORE}
    assert errors == {TypeError, ValueError, IndexError, RuntimeError}


def test_failed_backward_keeps_graph_usable():
    """After a rejected backward the same graph still backpropagates correctly."""
    env = make_env()
    a, y = env["a"], env["y"]
    with pytest.raises(ValueError):
        y.backward(np.ones((3, 2)))
    y.backward(np.ones((2, 3)))
    np.testing.assert_array_equal(a.grad, np.full((2, 3), 7.0 + 2.0))  # 7 before, + d(2a)/da
    np.testing.assert_array_equal(y.grad, np.full((2, 3), 11.0 + 1.0))
