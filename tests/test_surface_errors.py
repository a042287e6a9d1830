"""Bad calls to the PyTorch-vocabulary ops: the documented class, a message naming the op and the
argument (and what was given), raised before forward runs, every input untouched."""

from __future__ import annotations

import numpy as np
import pytest
from bad_input import check_bad_call

import tinygrad_conv as tc
import tinygrad_conv.functional as F
from tinygrad_conv import Tensor
from tinygrad_conv.ops import activation, elementwise, join, movement, reduce, select, statistics

INT = Tensor([1, 2, 3], dtype=np.int64)

# (id, call, exception, message fragments, Function whose forward must not run).
# The env (bad_input.make_env): a (2, 3) float64, b (4,), c (2, 3, 3) float32, s 0-d, k (2, 3).
CASES = [
    (
        "sum_both_spellings",
        lambda e: e["a"].sum(dim=0, axis=0),
        TypeError,
        ["sum", "dim=", "axis="],
        reduce.Sum,
    ),
    (
        "mean_both_keepdims",
        lambda e: e["a"].mean(0, keepdim=True, keepdims=True),
        TypeError,
        ["mean", "keepdim=", "keepdims="],
        reduce.Mean,
    ),
    (
        "sum_dim_range",
        lambda e: e["a"].sum(dim=2),
        ValueError,
        ["sum", "axis 2", "2-D"],
        reduce.Sum,
    ),
    (
        "sum_keepdim_type",
        lambda e: e["a"].sum(1, "yes"),
        TypeError,
        ["sum", "keepdims", "'yes'"],
        reduce.Sum,
    ),
    ("max_dim_range", lambda e: e["a"].max(dim=-3), ValueError, ["max", "-3"], reduce.MaxDim),
    ("min_dim_type", lambda e: e["a"].min(1.5), TypeError, ["min", "1.5"], reduce.Min),
    (
        "max_two_with_dim",
        lambda e: tc.max(e["a"], e["k"], keepdim=True),
        TypeError,
        ["max", "two tensors"],
        None,
    ),
    ("argmax_dim_type", lambda e: e["a"].argmax("0"), TypeError, ["argmax", "dim", "'0'"], None),
    (
        "argmax_keepdim_type",
        lambda e: e["a"].argmax(0, keepdim=1),
        TypeError,
        ["argmax", "keepdim", "1"],
        None,
    ),
    (
        "var_correction_type",
        lambda e: e["a"].var(correction="1"),
        TypeError,
        ["var", "correction", "'1'"],
        statistics.Var,
    ),
    (
        "std_both_corrections",
        lambda e: e["a"].std(unbiased=True, correction=1),
        TypeError,
        ["std", "correction", "unbiased"],
        None,
    ),
    ("logsumexp_no_dim", lambda e: e["a"].logsumexp(), TypeError, ["logsumexp", "dim"], None),
    ("softmax_both", lambda e: e["a"].softmax(dim=1, axis=1), TypeError, ["softmax", "both"], None),
    (
        "maximum_bcast",
        lambda e: tc.maximum(e["a"], e["b"]),
        ValueError,
        ["maximum", "(2, 3)", "(4,)"],
        select.Maximum,
    ),
    ("clamp_none", lambda e: e["a"].clamp(), ValueError, ["clamp", "min", "max"], select.Clamp),
    (
        "clamp_tensor_bound",
        lambda e: e["a"].clamp(min=e["k"]),
        TypeError,
        ["clamp", "min", "maximum"],
        select.Clamp,
    ),
    (
        "clamp_str_bound",
        lambda e: e["a"].clamp(max="1"),
        TypeError,
        ["clamp", "max", "'1'"],
        select.Clamp,
    ),
    (
        "where_float_condition",
        lambda e: tc.where(e["k"], e["a"], e["a"]),
        TypeError,
        ["where", "condition", "bool", "float"],
        select.Where,
    ),
    (
        "where_bcast",
        lambda e: tc.where(e["a"] > 0, e["a"], e["b"]),
        ValueError,
        ["where", "(2, 3)", "(4,)"],
        select.Where,
    ),
    ("cat_empty", lambda e: tc.cat([]), ValueError, ["cat", "empty"], None),
    ("cat_not_list", lambda e: tc.cat(e["a"]), TypeError, ["cat", "list", "Tensor"], None),
    (
        "cat_shapes",
        lambda e: tc.cat([e["a"], e["b"]]),
        ValueError,
        ["cat", "(2, 3)", "(4,)"],
        join.Cat,
    ),
    ("cat_0d", lambda e: tc.cat([e["s"], e["s"]]), ValueError, ["cat", "zero-dim"], join.Cat),
    (
        "cat_dim_range",
        lambda e: tc.cat([e["a"], e["a"]], dim=2),
        ValueError,
        ["cat", "dim 2"],
        join.Cat,
    ),
    (
        "stack_shapes",
        lambda e: tc.stack([e["a"], e["a"].T]),
        ValueError,
        ["stack", "(2, 3)", "(3, 2)"],
        join.Stack,
    ),
    (
        "stack_dim_type",
        lambda e: tc.stack([e["a"]], dim=0.0),
        TypeError,
        ["stack", "dim", "0.0"],
        join.Stack,
    ),
    ("pad_odd", lambda e: F.pad(e["a"], (1, 2, 3)), ValueError, ["pad", "even", "3"], join.Pad),
    ("pad_too_long", lambda e: F.pad(e["b"], (1, 1, 1, 1)), ValueError, ["pad", "2 * 1"], join.Pad),
    (
        "pad_mode",
        lambda e: F.pad(e["a"], (1, 1), mode="reflect"),
        NotImplementedError,
        ["pad", "constant", "reflect"],
        join.Pad,
    ),
    (
        "pad_negative_size",
        lambda e: F.pad(e["a"], (-2, -2)),
        ValueError,
        ["pad", "negative size"],
        join.Pad,
    ),
    ("pad_type", lambda e: F.pad(e["a"], 1), TypeError, ["pad", "tuple", "1"], join.Pad),
    (
        "permute_not_all",
        lambda e: e["c"].permute(0, 1),
        ValueError,
        ["permute", "3 dims"],
        movement.Permute,
    ),
    (
        "permute_repeated",
        lambda e: e["c"].permute(0, 1, 1),
        ValueError,
        ["permute", "(0, 1, 1)"],
        movement.Permute,
    ),
    (
        "transpose_swap_range",
        lambda e: e["a"].transpose(0, 2),
        ValueError,
        ["transpose", "2"],
        movement.Transpose,
    ),
    (
        "unsqueeze_range",
        lambda e: e["a"].unsqueeze(3),
        ValueError,
        ["unsqueeze", "3", "2-D"],
        movement.Unsqueeze,
    ),
    ("unsqueeze_missing", lambda e: e["a"].unsqueeze(), TypeError, ["unsqueeze", "dim"], None),
    ("squeeze_range", lambda e: e["a"].squeeze(5), ValueError, ["squeeze", "5"], movement.Squeeze),
    (
        "expand_shrink",
        lambda e: e["a"].expand(2, 1),
        ValueError,
        ["expand", "(2, 3)", "(2, 1)"],
        movement.Expand,
    ),
    (
        "expand_too_few",
        lambda e: e["c"].expand(3, 3),
        ValueError,
        ["expand", "2 sizes", "3-D"],
        movement.Expand,
    ),
    (
        "expand_new_minus_one",
        lambda e: e["a"].expand(-1, 2, 3),
        ValueError,
        ["expand", "new"],
        movement.Expand,
    ),
    (
        "view_size",
        lambda e: e["a"].view(4, 2),
        ValueError,
        ["reshape", "(2, 3)", "(4, 2)"],
        movement.Reshape,
    ),
    (
        "zero_slice_step",
        lambda e: e["a"][::0],
        ValueError,
        ["getitem", "step", "zero"],
        movement.GetItem,
    ),
    (
        "float_tensor_index",
        lambda e: e["b"][e["k"]],
        IndexError,
        ["getitem", "float"],
        movement.GetItem,
    ),
    (
        "leaky_relu_slope_type",
        lambda e: e["a"].leaky_relu("0.1"),
        TypeError,
        ["leaky_relu", "negative_slope", "'0.1'"],
        activation.LeakyReLU,
    ),
    (
        "gelu_approximate",
        lambda e: e["a"].gelu(approximate="fast"),
        ValueError,
        ["gelu", "approximate", "'fast'"],
        activation.GELU,
    ),
    ("sqrt_int", lambda e: INT.sqrt(), TypeError, ["sqrt", "int64"], elementwise.Sqrt),
    ("gelu_int", lambda e: tc.gelu(INT), TypeError, ["gelu", "int64"], activation.GELU),
    (
        "leaky_relu_bool",
        lambda e: tc.leaky_relu(INT > 1),
        TypeError,
        ["leaky_relu", "bool"],
        activation.LeakyReLU,
    ),
    ("mean_int", lambda e: INT.mean(), TypeError, ["mean", "int64"], reduce.Mean),
    ("to_device", lambda e: e["a"].to("cuda"), ValueError, ["to", "cpu", "'cuda'"], None),
    ("to_dtype", lambda e: e["a"].to(np.float16), TypeError, ["to", "float16"], None),
    ("long_of_nan", lambda e: Tensor([np.nan]).long(), ValueError, ["long", "NaN"], None),
    ("compare_bcast", lambda e: e["a"] < e["b"], ValueError, ["lt", "(2, 3)", "(4,)"], None),
    ("compare_str", lambda e: e["a"] == "x", TypeError, ["eq", "str"], None),
    (
        "int_requires_grad",
        lambda e: Tensor([1], dtype=np.int64, requires_grad=True),
        TypeError,
        ["Tensor", "float", "int64"],
        None,
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "fragments", "function"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_call(backend, monkeypatch, call, error, fragments, function):
    check_bad_call(backend, monkeypatch, call, error, fragments, function)
