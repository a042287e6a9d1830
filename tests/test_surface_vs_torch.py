"""The PyTorch-vocabulary ops against PyTorch on random shapes (hypothesis), broadcasting included,
in float32 and float64: forward values and every input's gradient."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from oracle import DTYPES, check_vs_torch  # noqa: E402
from strategies import broadcastable_shapes, seeds, shapes  # noqa: E402

import tinygrad_conv as tc  # noqa: E402
import tinygrad_conv.functional as F  # noqa: E402

dtypes = st.sampled_from(DTYPES)
tF = torch.nn.functional


def same(fn):
    return fn, fn


# (id, tc_fn, torch_fn, kind) for one input of any shape; ids are the op names (test_coverage.py).
UNARY = [
    ("abs", *same(lambda a: a.abs()), "nonzero"),
    ("sqrt", *same(lambda a: a.sqrt()), "positive"),
    ("clamp", *same(lambda a: a.clamp(-0.5, 0.7)), "normal"),
    ("clamp_min_only", *same(lambda a: a.clamp(min=0.1)), "normal"),
    ("clip", lambda a: tc.clip(a, max=0.3), lambda a: torch.clip(a, max=0.3), "normal"),
    ("leaky_relu", lambda a: a.leaky_relu(0.2), lambda a: tF.leaky_relu(a, 0.2), "nonzero"),
    ("leaky_relu_default", lambda a: F.leaky_relu(a), lambda a: tF.leaky_relu(a), "nonzero"),
    ("gelu", lambda a: a.gelu(), lambda a: tF.gelu(a), "normal"),
    (
        "gelu_tanh",
        lambda a: F.gelu(a, approximate="tanh"),
        lambda a: tF.gelu(a, approximate="tanh"),
        "normal",
    ),
    ("std_all", lambda a: a.std(), lambda a: a.std(), "normal"),
    ("var_all_biased", lambda a: a.var(correction=0), lambda a: a.var(correction=0), "normal"),
    ("min", lambda a: tc.min(a), lambda a: torch.min(a), "distinct"),
    ("max", lambda a: tc.max(a), lambda a: torch.max(a), "distinct"),
    ("view", lambda a: a.view(-1), lambda a: a.view(-1), "normal"),
    ("unsqueeze", lambda a: a.unsqueeze(0), lambda a: a.unsqueeze(0), "normal"),
    ("squeeze", lambda a: a.unsqueeze(-1).squeeze(), lambda a: a.unsqueeze(-1).squeeze(), "normal"),
    ("expand", lambda a: a.expand(2, *a.shape), lambda a: a.expand(2, *a.shape), "normal"),
    ("stack", lambda a: tc.stack([a, a * 2]), lambda a: torch.stack([a, a * 2]), "normal"),
]


@pytest.mark.parametrize("case", UNARY, ids=[c[0] for c in UNARY])
@given(shape=shapes(), dtype=dtypes, seed=seeds())
def test_unary_vs_torch(case, shape, dtype, seed):
    _, ours, theirs, kind = case
    check_vs_torch(ours, theirs, [shape], dtype, kind=kind, seed=seed)


# (id, tc_fn, torch_fn, kind) for two broadcastable inputs.
BINARY = [
    ("maximum", tc.maximum, torch.maximum, "distinct"),
    ("minimum", lambda a, b: a.minimum(b), lambda a, b: a.minimum(b), "distinct"),
    (
        "where",
        lambda a, b: tc.where(a > b, a, b * 2),
        lambda a, b: torch.where(a > b, a, b * 2),
        "normal",
    ),
    ("max_two_tensors", lambda a, b: tc.max(a, b), lambda a, b: torch.max(a, b), "distinct"),
]


@pytest.mark.parametrize("case", BINARY, ids=[c[0] for c in BINARY])
@given(pair=broadcastable_shapes(), dtype=dtypes, seed=seeds())
def test_binary_broadcasting_vs_torch(case, pair, dtype, seed):
    _, ours, theirs, kind = case
    check_vs_torch(ours, theirs, list(pair), dtype, kind=kind, seed=seed)


@given(shape=shapes(min_dims=1), data=st.data(), dtype=dtypes, seed=seeds())
def test_dim_ops_vs_torch(shape, data, dtype, seed):
    """Ops that take a dim, each at a dim drawn for the shape."""
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keep = data.draw(st.booleans())
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    other = data.draw(st.integers(-len(shape), len(shape) - 1))
    cases = [
        (lambda a: a.var(dim, keepdim=keep), "normal"),
        (lambda a: a.std(dim, correction=0, keepdim=keep), "normal"),
        (lambda a: a.logsumexp(dim, keepdim=keep), "normal"),
        (lambda a: a.max(dim, keep).values, "distinct"),
        (lambda a: a.min(dim=dim, keepdim=keep)[0], "distinct"),
        (lambda a: a.permute(*perm), "normal"),
        (lambda a: a.transpose(dim, other), "normal"),
        (lambda a: a.unsqueeze(dim), "normal"),
        (lambda a: a.softmax(dim), "normal"),
        (lambda a: a.sum(dim, keep), "normal"),
        (lambda a: a.mean(dim=dim, keepdim=keep), "normal"),
    ]
    for fn, kind in cases:
        check_vs_torch(fn, fn, [shape], dtype, kind=kind, seed=seed)


@given(shape=shapes(min_dims=1), data=st.data(), dtype=dtypes, seed=seeds())
def test_cat_vs_torch(shape, data, dtype, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    other = list(shape)
    other[dim] = data.draw(st.integers(1, 3))
    check_vs_torch(
        lambda a, b: tc.cat([a, b, a], dim),
        lambda a, b: torch.cat([a, b, a], dim),
        [shape, tuple(other)],
        dtype,
        seed=seed,
    )


@given(shape=shapes(min_dims=1, max_dims=3), data=st.data(), dtype=dtypes, seed=seeds())
def test_pad_vs_torch(shape, data, dtype, seed):
    n = data.draw(st.integers(1, len(shape)))
    amounts = [data.draw(st.integers(-shape[len(shape) - 1 - k // 2], 3)) for k in range(2 * n)]
    value = data.draw(st.sampled_from([0.0, 1.5, -2.0]))
    for k in range(n):  # at least an empty dim, never a negative size
        dim = len(shape) - 1 - k
        while shape[dim] + amounts[2 * k] + amounts[2 * k + 1] < 0:
            amounts[2 * k + 1] += 1
    pad = tuple(amounts)
    check_vs_torch(
        lambda a: F.pad(a, pad, value=value),
        lambda a: tF.pad(a, pad, value=value),
        [shape],
        dtype,
        seed=seed,
    )


TORCH_CASES = [
    *((c[0], c[1], c[2]) for c in UNARY),
    *((c[0], c[1], c[2]) for c in BINARY),
    ("var", None, None),
    ("logsumexp", None, None),
    ("permute", None, None),
    ("transpose_pair", None, None),
    ("cat", None, None),
    ("pad", None, None),
]


def test_view_as_vs_torch():
    a = tc.Tensor(np.arange(12.0), requires_grad=True)
    at = torch.arange(12.0, dtype=torch.float64, requires_grad=True)
    out, expected = a.view_as(tc.zeros(3, 4)), at.view_as(torch.zeros(3, 4))
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    out.backward(np.ones((3, 4)))
    expected.backward(torch.ones(3, 4, dtype=torch.float64))
    np.testing.assert_array_equal(a.grad, at.grad.numpy())


def test_where_scalar_sides_keep_the_tensor_dtype():
    x = tc.Tensor(np.array([-1.0, 2.0], dtype=np.float32), requires_grad=True)
    out = tc.where(x > 0, x, 0.0)
    assert out.dtype == np.float32
    out.backward(np.ones(2, dtype=np.float32))
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])
    assert tc.where(x > 0, 1.0, 0.0).dtype == np.float32
