"""Every core op through tc.gradcheck in float64 on both backends, and tests of gradcheck itself."""

from __future__ import annotations

import re

import numpy as np
import pytest
from strategies import draw_values

import tinygrad_conv as tc
from tinygrad_conv import Tensor
from tinygrad_conv.autograd import Function


def _softmax_case(op: str, axis: int):
    return lambda a: getattr(a, op)(axis) ** 2


MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, True, False]])

# (id, fn, input shapes, kind): fn takes one Tensor per shape; kind as in strategies.draw_values.
# An id is the op's public name, or the name and a suffix (test_coverage.py reads them).
GRADCHECK_CASES = [
    # elementwise, same shapes and broadcasting
    ("add", lambda a, b: a + b, [(3, 4), (3, 4)], "normal"),
    ("add_bcast_col_row", lambda a, b: a + b, [(3, 1), (1, 4)], "normal"),
    ("add_bcast_rank", lambda a, b: a + b, [(2, 3, 4), (4,)], "normal"),
    ("add_scalar_tensor", lambda a, b: a + b, [(), (2, 3)], "normal"),
    ("sub", lambda a, b: a - b, [(3, 4), (3, 4)], "normal"),
    ("sub_bcast", lambda a, b: a - b, [(2, 1, 4), (3, 1)], "normal"),
    ("mul", lambda a, b: a * b, [(3, 4), (3, 4)], "normal"),
    ("mul_bcast_rank", lambda a, b: a * b, [(4,), (2, 3, 4)], "normal"),
    ("mul_self", lambda a: a * a, [(5,)], "normal"),
    ("div", lambda a, b: a / b, [(3, 4), (3, 4)], "positive"),
    ("div_bcast", lambda a, b: a / b, [(2, 3), (3,)], "positive"),
    ("div_bcast_left", lambda a, b: a / b, [(3, 1), (2, 3, 4)], "positive"),
    ("pow_int", lambda a: a**2, [(3, 4)], "normal"),
    ("pow_int3", lambda a: a**3, [(3, 4)], "normal"),
    ("pow_frac", lambda a: a**0.5, [(3, 4)], "positive"),
    ("pow_neg", lambda a: a**-1.5, [(3, 4)], "positive"),
    ("pow_tensor_exp", lambda a, b: a**b, [(3, 4), (3, 4)], "positive"),
    ("pow_tensor_exp_bcast", lambda a, b: a**b, [(3, 1), (4,)], "positive"),
    ("rpow_scalar_base", lambda a: 2.0**a, [(3, 4)], "normal"),
    ("neg", lambda a: -a, [(3, 4)], "normal"),
    ("scalar_left_right", lambda a: (2.0 - a) * 3.0 + a / 4.0 - 1.0 + 0.5 * a, [(3, 4)], "normal"),
    ("rdiv_scalar", lambda a: 2.0 / a, [(3, 4)], "positive"),
    (
        "ndarray_operands",
        lambda a: np.full((3, 4), 2.0) * a + np.arange(4.0) - a / np.full(4, 3.0),
        [(3, 4)],
        "normal",
    ),
    ("exp", lambda a: a.exp(), [(3, 4)], "normal"),
    ("log", lambda a: a.log(), [(3, 4)], "positive"),
    ("tanh", lambda a: a.tanh(), [(3, 4)], "normal"),
    ("sigmoid", lambda a: a.sigmoid(), [(3, 4)], "normal"),
    ("relu", lambda a: a.relu(), [(3, 4)], "nonzero"),
    ("relu_3d", lambda a: a.relu(), [(2, 3, 4)], "nonzero"),
    ("relu_functional", lambda a: tc.relu(a), [(7,)], "nonzero"),
    # matmul
    ("matmul_1d_1d", lambda a, b: a @ b, [(3,), (3,)], "normal"),
    ("matmul_2d_2d", lambda a, b: a @ b, [(2, 3), (3, 4)], "normal"),
    ("matmul_1d_2d", lambda a, b: a @ b, [(3,), (3, 4)], "normal"),
    ("matmul_2d_1d", lambda a, b: a @ b, [(2, 3), (3,)], "normal"),
    ("matmul_batched", lambda a, b: a @ b, [(2, 2, 3), (2, 3, 4)], "normal"),
    ("matmul_bcast_batch", lambda a, b: a @ b, [(2, 1, 2, 3), (3, 3, 2)], "normal"),
    ("matmul_2d_batched", lambda a, b: a @ b, [(2, 3), (4, 3, 2)], "normal"),
    ("matmul_1d_batched", lambda a, b: a @ b, [(3,), (2, 3, 4)], "normal"),
    ("matmul_batched_1d", lambda a, b: a @ b, [(2, 4, 3), (3,)], "normal"),
    ("matmul_functional", lambda a, b: tc.matmul(a, b), [(2, 3), (3, 2)], "normal"),
    # reductions
    ("sum_all", lambda a: a.sum(), [(2, 3, 4)], "normal"),
    ("sum_axis0", lambda a: a.sum(axis=0), [(2, 3, 4)], "normal"),
    ("sum_axis_neg", lambda a: a.sum(axis=-1), [(2, 3, 4)], "normal"),
    ("sum_axis_tuple", lambda a: a.sum(axis=(0, 2)), [(2, 3, 4)], "normal"),
    ("sum_axis_tuple_neg", lambda a: a.sum(axis=(-1, 0)), [(2, 3, 4)], "normal"),
    ("sum_keepdims", lambda a: a.sum(axis=1, keepdims=True), [(2, 3, 4)], "normal"),
    ("sum_all_keepdims", lambda a: a.sum(keepdims=True), [(2, 3)], "normal"),
    ("sum_0d", lambda a: a.sum(), [()], "normal"),
    ("sum_0d_axis", lambda a: a.sum(axis=0) * a.mean(axis=-1), [()], "normal"),
    ("mean_all", lambda a: a.mean(), [(2, 3, 4)], "normal"),
    ("mean_axis", lambda a: a.mean(axis=1), [(2, 3, 4)], "normal"),
    ("mean_axis_neg_keepdims", lambda a: a.mean(axis=-2, keepdims=True), [(2, 3, 4)], "normal"),
    ("mean_axis_tuple", lambda a: a.mean(axis=(0, 1)), [(2, 3, 4)], "normal"),
    ("max_all", lambda a: a.max(), [(2, 3, 4)], "distinct"),
    ("max_axis", lambda a: a.max(axis=1), [(2, 3, 4)], "distinct"),
    ("max_axis_neg_keepdims", lambda a: a.max(axis=-1, keepdims=True), [(2, 3, 4)], "distinct"),
    ("max_axis_tuple", lambda a: a.max(axis=(0, 2)), [(2, 3, 4)], "distinct"),
    # movement
    ("reshape", lambda a: a.reshape(6, 4) * np.arange(24.0).reshape(6, 4), [(2, 3, 4)], "normal"),
    ("reshape_tuple_infer", lambda a: a.reshape((4, -1)) ** 2, [(2, 3, 4)], "normal"),
    ("reshape_functional", lambda a: tc.reshape(a, (3, 8)) ** 2, [(2, 3, 4)], "normal"),
    (
        "transpose_reverse",
        lambda a: a.transpose() * np.arange(24.0).reshape(4, 3, 2),
        [(2, 3, 4)],
        "normal",
    ),
    (
        "transpose_perm",
        lambda a: a.transpose(1, 2, 0) * np.arange(24.0).reshape(3, 4, 2),
        [(2, 3, 4)],
        "normal",
    ),
    ("transpose_perm_tuple_neg", lambda a: a.transpose((-1, 0, 1)) ** 2, [(2, 3, 4)], "normal"),
    ("T_2d", lambda a: a.T * np.arange(6.0).reshape(3, 2), [(2, 3)], "normal"),
    ("T_3d", lambda a: a.T**2, [(2, 3, 4)], "normal"),
    ("flatten", lambda a: a.flatten() ** 2, [(2, 3, 4)], "normal"),
    ("flatten_start1", lambda a: a.flatten(1) ** 2, [(2, 3, 4)], "normal"),
    ("flatten_start_neg", lambda a: a.flatten(start_dim=-2) ** 2, [(2, 3, 4)], "normal"),
    # indexing
    ("getitem_int", lambda a: a[1] ** 2, [(3, 4)], "normal"),
    ("getitem_neg_int", lambda a: a[-1, -2] ** 2, [(3, 4)], "normal"),
    ("getitem_slice", lambda a: a[1:3] ** 2, [(4, 3)], "normal"),
    (
        "getitem_neg_step",
        lambda a: a[::-1, ::-2] * np.arange(6.0).reshape(3, 2),
        [(3, 4)],
        "normal",
    ),
    ("getitem_mixed", lambda a: a[1, :, 2:0:-1] ** 2, [(2, 3, 4)], "normal"),
    ("getitem_int_array_repeat", lambda a: a[np.array([0, 0, 2, 1, 0])] ** 2, [(3, 4)], "normal"),
    ("getitem_list_pairs", lambda a: a[[0, 0, 2], [1, 1, 3]] ** 2, [(3, 4)], "normal"),
    ("getitem_slice_and_array", lambda a: a[1:, [2, 2, 0]] ** 2, [(3, 4)], "normal"),
    ("getitem_none_ellipsis", lambda a: a[None, ..., 1] ** 2, [(2, 3, 4)], "normal"),
    ("getitem_ellipsis_none", lambda a: a[..., None] ** 2, [(2, 3)], "normal"),
    ("getitem_bool_mask", lambda a: a[MASK] ** 2, [(3, 4)], "normal"),
    ("getitem_2d_index_array", lambda a: a[np.array([[0, 1], [1, 1]])] ** 2, [(3, 2)], "normal"),
    # softmax / log_softmax over every axis
    *[
        (f"{op}_{len(shape)}d_axis{axis}", _softmax_case(op, axis), [shape], "normal")
        for op in ("softmax", "log_softmax")
        for shape in ((5,), (3, 4), (2, 3, 4))
        for axis in range(-len(shape), len(shape))
    ],
    ("softmax_default_axis", lambda a: a.softmax() * np.arange(4.0), [(3, 4)], "normal"),
    ("log_softmax_functional", lambda a: tc.log_softmax(a, axis=0) ** 2, [(3, 4)], "normal"),
    # a small network: every op's backward feeding the next
    (
        "mlp",
        lambda x, w, b: ((x @ w + b).tanh() @ w.T).sigmoid().log_softmax(axis=1),
        [(4, 3), (3, 5), (5,)],
        "normal",
    ),
    (
        "fan_out_diamond",
        lambda a: (a * a.exp() + a.sum(axis=0) - a.max()) / (1.0 + a * a),
        [(3, 4)],
        "distinct",
    ),
]


@pytest.mark.parametrize(
    ("fn", "shapes", "kind"), [c[1:] for c in GRADCHECK_CASES], ids=[c[0] for c in GRADCHECK_CASES]
)
def test_gradcheck_op(backend, rng, fn, shapes, kind):
    inputs = [
        Tensor(draw_values(rng, s, kind), requires_grad=True, dtype=np.float64) for s in shapes
    ]
    assert tc.gradcheck(fn, *inputs) is True


def test_gradcheck_with_constant_inputs(rng):
    """Inputs without requires_grad (and a plain float array) are held fixed, not checked."""
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    const = Tensor(rng.standard_normal((3, 4)))
    assert tc.gradcheck(lambda a, c, arr: a * c + arr, x, const, rng.standard_normal((3, 4)))
    assert x.grad is None and const.grad is None  # gradcheck works on float64 copies


def test_gradcheck_float32_inputs_are_checked_in_float64(rng):
    x = Tensor(rng.uniform(0.5, 2.0, (3, 4)).astype(np.float32), requires_grad=True)
    before = x.data.copy()
    assert tc.gradcheck(lambda a: (a**3).log() * a, x, atol=1e-8, rtol=1e-6)
    assert x.data.dtype == np.float32 and np.array_equal(x.data, before) and x.grad is None


@pytest.mark.parametrize("layout", ["fortran", "transposed_view", "strided_view"])
def test_gradcheck_non_contiguous_input(rng, layout):
    base = rng.standard_normal((4, 6))
    data = {
        "fortran": np.asfortranarray(base),
        "transposed_view": base.T,
        "strided_view": base[:, ::2],
    }[layout]
    x = Tensor(data, requires_grad=True)
    assert tc.gradcheck(lambda a: a * a * np.arange(a.shape[-1], dtype=np.float64), x)


# --- gradcheck must catch a wrong backward -------------------------------------------------------


class _WrongAtOneElement(Function):
    """y = 3 x, with a backward that is right everywhere but at element (1, 2), where it adds 1."""

    name = "wrong_at_one_element"

    @staticmethod
    def forward(ctx, x):
        return 3.0 * x

    @staticmethod
    def backward(ctx, grad_out):
        grad = 3.0 * grad_out
        grad[1, 2] += 1.0
        return (grad,)


class _WrongSecondInput(Function):
    """y = a * b whose backward for b forgets a (returns grad_out)."""

    name = "wrong_second_input"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        return grad_out * b, grad_out.copy()


class _NaNBackward(Function):
    name = "nan_backward"

    @staticmethod
    def forward(ctx, x):
        return 2.0 * x

    @staticmethod
    def backward(ctx, grad_out):
        return (np.full_like(grad_out, np.nan),)


def _numbers(message: str, key: str) -> float:
    return float(re.search(key + r" ([-+0-9.eE]+)", message).group(1))


def test_gradcheck_reports_input_worst_index_values_and_tolerance(rng):
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    with pytest.raises(AssertionError) as info:
        tc.gradcheck(lambda a: _WrongAtOneElement.apply(a), x)
    message = str(info.value)
    assert "input 0" in message and "(3, 4)" in message
    assert "worst element (1, 2)" in message
    assert _numbers(message, "analytic") == pytest.approx(4.0)
    assert _numbers(message, "numeric") == pytest.approx(3.0, abs=1e-6)
    # tolerance = atol + rtol * |numeric| = 1e-5 + 1e-3 * 3
    assert _numbers(message, "tolerance") == pytest.approx(1e-5 + 3e-3, rel=1e-2)


def test_gradcheck_names_the_failing_input(rng):
    a = Tensor(rng.uniform(2.0, 3.0, (2, 3)), requires_grad=True, name="a")
    b = Tensor(rng.uniform(2.0, 3.0, (2, 3)), requires_grad=True, name="b")
    with pytest.raises(AssertionError, match=r"input 1 \('b'\)") as info:
        tc.gradcheck(lambda p, q: _WrongSecondInput.apply(p, q), a, b)
    assert "input 0" not in str(info.value)


def test_gradcheck_tolerance_arguments(rng):
    """A relative error of 1/3 passes with rtol=0.5 and fails with the default rtol."""
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert tc.gradcheck(lambda a: _WrongAtOneElement.apply(a), x, rtol=0.5)
    with pytest.raises(AssertionError):
        tc.gradcheck(lambda a: _WrongAtOneElement.apply(a), x, rtol=0.2)


def test_gradcheck_fails_on_nan_gradient(rng):
    x = Tensor(rng.standard_normal(4), requires_grad=True)
    with pytest.raises(AssertionError, match="nan"):
        tc.gradcheck(lambda a: _NaNBackward.apply(a), x)


def test_gradcheck_bad_arguments(rng):
    x = Tensor(rng.standard_normal(3), requires_grad=True)
    with pytest.raises(TypeError, match="gradcheck: fn must be callable"):
        tc.gradcheck("not a function", x)
    with pytest.raises(ValueError, match="gradcheck: no input"):
        tc.gradcheck(lambda a: a * 2, Tensor(rng.standard_normal(3)))
    with pytest.raises(TypeError, match="gradcheck: fn must return a Tensor"):
        tc.gradcheck(lambda a: a.data * 2, x)
