"""A table of bad calls to the core: each raises the documented class, with a message naming the
op and the argument, before any compute, and leaves every input's data and grad bit-identical."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import Tensor
from tinygrad_conv.ops import activation, elementwise, matmul, movement, reduce


def _env() -> dict[str, Tensor]:
    """Inputs with known data and known grads (set before the call, compared after)."""
    a = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, name="a")
    b = Tensor(np.array([1.0, -2.0, 3.0, 0.5]), requires_grad=True, name="b")
    c = Tensor(np.linspace(-1, 1, 18).reshape(2, 3, 3).astype(np.float32), requires_grad=True)
    s = Tensor(np.array(2.5), requires_grad=True)
    y = a * 2.0  # a non-leaf, for backward misuse
    k = Tensor(np.ones((2, 3)))  # does not require grad
    for i, t in enumerate((a, b, c, s, y)):
        t.grad = np.full(t.shape, 7.0 + i, dtype=t.dtype)
    return {"a": a, "b": b, "c": c, "s": s, "y": y, "k": k}


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
        "tensor_dtype_int",
        lambda e: Tensor([1.0], dtype=np.int32),
        TypeError,
        ["Tensor", "dtype", "int32"],
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
        "mean_empty",
        lambda e: Tensor(np.ones((0, 3))).mean(axis=0),
        ValueError,
        ["mean", "empty"],
        reduce.Mean,
    ),
    ("max_axis_range", lambda e: e["b"].max(axis=1), ValueError, ["max", "axis", "1"], reduce.Max),
    ("max_empty", lambda e: Tensor(np.ones((0,))).max(), ValueError, ["max", "empty"], reduce.Max),
    # movement
    (
        "reshape_size",
        lambda e: e["a"].reshape(7),
        ValueError,
        ["reshape", "(2, 3)", "(7,)"],
        movement.Reshape,
    ),
    (
        "reshape_two_infer",
        lambda e: e["a"].reshape(-1, -1),
        ValueError,
        ["reshape", "(-1, -1)"],
        movement.Reshape,
    ),
    (
        "reshape_float",
        lambda e: e["a"].reshape(2.0, 3),
        TypeError,
        ["reshape", "shape"],
        movement.Reshape,
    ),
    (
        "transpose_repeated",
        lambda e: e["c"].transpose(0, 0, 1),
        ValueError,
        ["transpose", "axes", "(0, 0, 1)"],
        movement.Transpose,
    ),
    (
        "transpose_out_of_range",
        lambda e: e["c"].transpose(0, 1, 5),
        ValueError,
        ["transpose", "axes", "5"],
        movement.Transpose,
    ),
    (
        "transpose_neg_out_of_range",
        lambda e: e["c"].transpose(0, 1, -4),
        ValueError,
        ["transpose", "axes", "-4"],
        movement.Transpose,
    ),
    (
        "transpose_too_few",
        lambda e: e["c"].transpose(2),
        ValueError,
        ["transpose", "axes"],
        movement.Transpose,
    ),
    (
        "transpose_str",
        lambda e: e["a"].transpose("x", "y"),
        TypeError,
        ["transpose", "axes"],
        movement.Transpose,
    ),
    (
        "flatten_start_range",
        lambda e: e["a"].flatten(3),
        ValueError,
        ["flatten", "start_dim", "3"],
        movement.Flatten,
    ),
    (
        "flatten_start_after_end",
        lambda e: e["c"].flatten(2, 1),
        ValueError,
        ["flatten", "start_dim", "end_dim"],
        movement.Flatten,
    ),
    (
        "flatten_start_float",
        lambda e: e["a"].flatten(0.5),
        TypeError,
        ["flatten", "start_dim"],
        movement.Flatten,
    ),
    (
        "getitem_int_range",
        lambda e: e["a"][5],
        IndexError,
        ["getitem", "5", "(2, 3)"],
        movement.GetItem,
    ),
    (
        "getitem_neg_range",
        lambda e: e["a"][:, -4],
        IndexError,
        ["getitem", "-4", "(2, 3)"],
        movement.GetItem,
    ),
    (
        "getitem_array_range",
        lambda e: e["b"][np.array([0, 4, 1])],
        IndexError,
        ["getitem", "4"],
        movement.GetItem,
    ),
    (
        "getitem_too_many",
        lambda e: e["b"][0, 0],
        IndexError,
        ["getitem", "too many indices"],
        movement.GetItem,
    ),
    ("getitem_float", lambda e: e["b"][1.5], IndexError, ["getitem", "1.5"], movement.GetItem),
    (
        "getitem_mask_shape",
        lambda e: e["a"][np.array([True, False, True])],
        IndexError,
        ["getitem"],
        movement.GetItem,
    ),
    # activations
    (
        "softmax_axis_range",
        lambda e: e["a"].softmax(axis=2),
        ValueError,
        ["softmax", "axis", "2"],
        activation.Softmax,
    ),
    (
        "softmax_axis_type",
        lambda e: e["a"].softmax(axis=None),
        TypeError,
        ["softmax", "axis"],
        activation.Softmax,
    ),
    (
        "log_softmax_axis_range",
        lambda e: e["c"].log_softmax(axis=-4),
        ValueError,
        ["log_softmax", "axis", "-4"],
        activation.LogSoftmax,
    ),
    # backward misuse
    (
        "backward_many_elements_no_grad",
        lambda e: e["y"].backward(),
        RuntimeError,
        ["backward", "grad", "(2, 3)"],
        None,
    ),
    (
        "backward_no_requires_grad",
        lambda e: e["k"].sum().backward(),
        RuntimeError,
        ["backward", "does not require grad"],
        None,
    ),
    (
        "backward_under_no_grad_result",
        lambda e: _no_grad_sum(e["a"]).backward(),
        RuntimeError,
        ["backward", "does not require grad"],
        None,
    ),
    (
        "backward_grad_shape",
        lambda e: e["y"].backward(np.ones((3, 2))),
        ValueError,
        ["backward", "grad", "(2, 3)", "(3, 2)"],
        None,
    ),
    (
        "backward_grad_scalar_for_matrix",
        lambda e: e["y"].backward(1.0),
        ValueError,
        ["backward", "grad", "(2, 3)", "()"],
        None,
    ),
    ("backward_grad_str", lambda e: e["y"].backward("abc"), TypeError, ["backward", "grad"], None),
    # backends
    (
        "set_backend_unknown",
        lambda e: tc.set_backend("nope"),
        ValueError,
        ["set_backend", "'nope'", "cython", "numpy"],
        None,
    ),
]


def _no_grad_sum(t: Tensor) -> Tensor:
    with tc.no_grad():
        return t.sum()


def _snapshot(env: dict[str, Tensor]) -> dict[str, tuple]:
    return {
        key: (t.data.copy(), None if t.grad is None else t.grad.copy(), t.data.dtype)
        for key, t in env.items()
    }


@pytest.mark.parametrize(
    ("call", "error", "fragments", "function"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_call(backend, monkeypatch, call, error, fragments, function):
    env = _env()
    before = _snapshot(env)
    forward_calls = []
    if function is not None:  # the check must reject the call before forward computes anything
        original = function.forward

        def spy(*args, **kwargs):
            forward_calls.append(args)
            return original(*args, **kwargs)

        monkeypatch.setattr(function, "forward", staticmethod(spy))
    with pytest.raises(error) as info:
        call(env)
    assert info.type is error  # the documented class, not merely a subclass of it
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert forward_calls == []
    for key, t in env.items():
        data, grad, dtype = before[key]
        assert t.data.dtype == dtype and np.array_equal(t.data, data), key
        if grad is None:
            assert t.grad is None, key
        else:
            assert t.grad is not None and np.array_equal(t.grad, grad), key
    assert tc.backend() == backend


def test_error_table_covers_each_kind():
    errors = {c[2] for c in CASES}
    assert errors == {TypeError, ValueError, IndexError, RuntimeError}


def test_failed_backward_keeps_graph_usable():
    """After a rejected backward the same graph still backpropagates correctly."""
    env = _env()
    a, y = env["a"], env["y"]
    with pytest.raises(ValueError):
        y.backward(np.ones((3, 2)))
    y.backward(np.ones((2, 3)))
    np.testing.assert_array_equal(a.grad, np.full((2, 3), 7.0 + 2.0))  # 7 before, + d(2a)/da
    np.testing.assert_array_equal(y.grad, np.full((2, 3), 11.0 + 1.0))
