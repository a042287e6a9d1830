"""Bad calls to movement, activations, backward and the backends (the table continues
test_errors.py): the documented class, a message naming op and argument, inputs untouched."""

from __future__ import annotations

import numpy as np
import pytest
from bad_input import check_bad_call

import tinygrad_conv as tc
from tinygrad_conv import Tensor
from tinygrad_conv.ops import activation, movement


def _no_grad_sum(t: Tensor) -> Tensor:
    with tc.no_grad():
        return t.sum()


# (id, call, exception, message fragments, Function whose forward must not run)
CASES = [
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


@pytest.mark.parametrize(
    ("call", "error", "fragments", "function"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_call(backend, monkeypatch, call, error, fragments, function):
    check_bad_call(backend, monkeypatch, call, error, fragments, function)
