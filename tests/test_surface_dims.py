"""PyTorch's dim=/keepdim= beside NumPy's axis=/keepdims=, dims given positionally, transpose's two
rules, max/min's (values, indices), and reductions over an empty dim, each against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import Tensor

torch = pytest.importorskip("torch")

X = np.arange(24.0).reshape(2, 3, 4) / 7 - 1.5


def t(data=X, requires_grad=True):
    return Tensor(np.array(data), requires_grad=requires_grad)


# (name, ours, theirs): one call in PyTorch's spelling, compared value for value.
SPELLINGS = [
    ("sum_dim", lambda a: a.sum(dim=1), lambda a: a.sum(dim=1)),
    ("sum_positional", lambda a: a.sum(1, True), lambda a: a.sum(1, True)),
    ("sum_tuple", lambda a: a.sum((0, 2), keepdim=True), lambda a: a.sum((0, 2), keepdim=True)),
    ("sum_function", lambda a: tc.sum(a, dim=-1), lambda a: torch.sum(a, dim=-1)),
    ("mean_dim", lambda a: a.mean(dim=2, keepdim=True), lambda a: a.mean(dim=2, keepdim=True)),
    ("mean_positional", lambda a: a.mean(0), lambda a: a.mean(0)),
    ("softmax_positional", lambda a: a.softmax(1), lambda a: a.softmax(1)),
    ("softmax_dim", lambda a: tc.softmax(a, dim=0), lambda a: torch.softmax(a, dim=0)),
    ("log_softmax_dim", lambda a: a.log_softmax(dim=-1), lambda a: a.log_softmax(dim=-1)),
    ("var_dim", lambda a: a.var(1), lambda a: a.var(1)),
    (
        "var_correction",
        lambda a: a.var(dim=2, correction=0, keepdim=True),
        lambda a: a.var(dim=2, correction=0, keepdim=True),
    ),
    ("var_unbiased", lambda a: a.var(1, False), lambda a: a.var(1, False)),
    (
        "std_unbiased_kw",
        lambda a: a.std(dim=(0, 1), unbiased=False),
        lambda a: a.std(dim=(0, 1), unbiased=False),
    ),
    ("std_all", lambda a: a.std(), lambda a: a.std()),
    ("logsumexp_dim", lambda a: a.logsumexp(1), lambda a: a.logsumexp(1)),
    (
        "logsumexp_keepdim",
        lambda a: tc.logsumexp(a, dim=(0, 2), keepdim=True),
        lambda a: torch.logsumexp(a, dim=(0, 2), keepdim=True),
    ),
    ("max_values", lambda a: a.max(1).values, lambda a: a.max(1).values),
    (
        "max_keepdim",
        lambda a: a.max(dim=2, keepdim=True)[0],
        lambda a: a.max(dim=2, keepdim=True)[0],
    ),
    ("min_values", lambda a: tc.min(a, 0).values, lambda a: torch.min(a, 0).values),
    ("max_all", lambda a: a.max(), lambda a: a.max()),
    ("cat_dim", lambda a: tc.cat([a, a * 2], dim=2), lambda a: torch.cat([a, a * 2], dim=2)),
    ("stack_dim", lambda a: tc.stack([a, a], -1), lambda a: torch.stack([a, a], -1)),
    (
        "squeeze_dim",
        lambda a: a.sum(1, keepdim=True).squeeze(1),
        lambda a: a.sum(1, keepdim=True).squeeze(1),
    ),
    ("unsqueeze_neg", lambda a: a.unsqueeze(-2), lambda a: a.unsqueeze(-2)),
    ("permute_positional", lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1)),
    ("transpose_pair_3d", lambda a: a.transpose(0, 2), lambda a: a.transpose(0, 2)),
    ("flatten_start", lambda a: a.flatten(1), lambda a: a.flatten(1)),
]


@pytest.mark.parametrize("name, ours, theirs", SPELLINGS, ids=[s[0] for s in SPELLINGS])
def test_pytorch_spelling_matches_pytorch(name, ours, theirs):
    a, at = t(), torch.tensor(X, requires_grad=True)
    out, expected = ours(a), theirs(at)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = np.linspace(-1, 1, out.size).reshape(out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(a.grad, at.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op", ["sum", "mean", "var", "std", "logsumexp", "argmax", "argmin"])
def test_numpy_spelling_is_the_same_op(op):
    ours = getattr(t(), op)(axis=1, keepdims=True)
    torch_name = op
    expected = getattr(torch.tensor(X), torch_name)(dim=1, keepdim=True)
    np.testing.assert_allclose(ours.data, expected.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "call",
    [
        lambda a: a.sum(dim=1, axis=1),
        lambda a: a.mean(1, keepdim=True, keepdims=True),
        lambda a: tc.max(a, dim=0, axis=0),
        lambda a: a.softmax(dim=1, axis=1),
        lambda a: a.var(dim=0, axis=0),
        lambda a: a.argmax(dim=0, axis=0),
        lambda a: tc.cat([a, a], dim=0, axis=0),
        lambda a: a.squeeze(dim=0, axis=0),
    ],
    ids=["sum", "mean", "max", "softmax", "var", "argmax", "cat", "squeeze"],
)
def test_both_spellings_is_a_type_error(call):
    a = t()
    with pytest.raises(TypeError, match="both"):
        call(a)
    assert a.grad is None and np.array_equal(a.data, X)


def test_transpose_two_ints_swaps_on_a_matrix_as_pytorch():
    m = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(t(m).transpose(0, 1).data, m.T)
    np.testing.assert_array_equal(t(m).transpose(1, 0).data, m.T)
    np.testing.assert_array_equal(t(m).transpose(dim0=0, dim1=1).data, m.T)
    # A tuple is NumPy's full permutation: (0, 1) of a matrix is the identity.
    np.testing.assert_array_equal(t(m).transpose((0, 1)).data, m)
    np.testing.assert_array_equal(t(m).T.data, m.T)


def test_transpose_full_permutations_keep_numpy_rule():
    np.testing.assert_array_equal(t().transpose(2, 0, 1).data, np.transpose(X, (2, 0, 1)))
    np.testing.assert_array_equal(t().transpose().data, np.transpose(X))
    assert t().transpose(0, 2).shape == (4, 3, 2)  # two ints on 3-D: a swap
    assert t().transpose(-1, 1).shape == (2, 4, 3)


def test_max_with_a_dim_is_a_named_tuple_of_values_and_int64_indices():
    data = np.array([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]])
    result = t(data).max(1)
    values, indices = result
    assert result.values is values and result.indices is indices
    np.testing.assert_array_equal(values.data, [5.0, 7.0])
    assert indices.dtype == np.int64 and indices.tolist() == [1, 0]
    assert not indices.requires_grad and values.requires_grad
    expected = torch.tensor(data).max(1)
    assert indices.tolist() == expected.indices.tolist()
    assert type(result).__name__ == "max" and result._fields == ("values", "indices")


def test_max_dim_gradient_goes_to_the_index_returned_as_pytorch():
    data = np.array([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0], [3.0, 3.0, 3.0]])
    for name in ("max", "min"):
        a, at = t(data), torch.tensor(data, requires_grad=True)
        getattr(a, name)(dim=1).values.backward(np.array([1.0, 2.0, 3.0]))
        getattr(at, name)(dim=1).values.backward(torch.tensor([1.0, 2.0, 3.0]))
        np.testing.assert_array_equal(a.grad, at.grad.numpy())


def test_max_axis_keeps_numpy_amax_and_shares_ties():
    data = np.array([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]])
    a, at = t(data), torch.tensor(data, requires_grad=True)
    out = a.max(axis=1)
    assert isinstance(out, Tensor)
    out.backward(np.ones(2))
    torch.amax(at, dim=1).backward(torch.ones(2))
    np.testing.assert_array_equal(a.grad, at.grad.numpy())  # ties share: 0.5 each
    assert t(data).max(axis=(0, 1)).item() == 7.0
    assert t(data).min().item() == 1.0


def test_max_of_two_tensors_is_maximum():
    a, b = t(np.array([1.0, 4.0])), t(np.array([3.0, 2.0]))
    out = tc.max(a, b)
    assert out.op == "maximum"
    np.testing.assert_array_equal(out.data, [3.0, 4.0])
    np.testing.assert_array_equal(a.max(b).data, [3.0, 4.0])
    np.testing.assert_array_equal(tc.min(a, b).data, [1.0, 2.0])


def test_max_under_no_grad_still_gives_indices():
    with tc.no_grad():
        values, indices = t().max(2)
    assert indices.tolist() == torch.tensor(X).max(2).indices.tolist()
    assert not values.requires_grad


EMPTY = np.zeros((3, 0))


@pytest.mark.parametrize(
    "name, ours, theirs",
    [
        ("sum", lambda a: a.sum(1), lambda a: a.sum(1)),
        ("sum_all", lambda a: a.sum(), lambda a: a.sum()),
        ("mean", lambda a: a.mean(1), lambda a: a.mean(1)),
        ("mean_all", lambda a: a.mean(), lambda a: a.mean()),
        ("var", lambda a: a.var(1), lambda a: a.var(1)),
        ("std", lambda a: a.std(1), lambda a: a.std(1)),
        ("logsumexp", lambda a: a.logsumexp(1), lambda a: a.logsumexp(1)),
        ("sum_other_dim", lambda a: a.sum(0), lambda a: a.sum(0)),
        ("max_other_dim", lambda a: a.max(0).values, lambda a: a.max(0).values),
    ],
)
def test_reductions_over_an_empty_dim_give_pytorch_values(name, ours, theirs):
    a, at = t(EMPTY), torch.tensor(EMPTY, requires_grad=True)
    out, expected = ours(a), theirs(at)
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    out.backward(np.ones(out.shape))
    expected.backward(torch.ones(expected.shape, dtype=torch.float64))
    np.testing.assert_array_equal(a.grad, at.grad.numpy())


@pytest.mark.parametrize("call", [lambda a: a.max(1), lambda a: a.argmax(1), lambda a: a.max()])
def test_max_over_an_empty_dim_is_refused(call):
    with pytest.raises(ValueError, match="empty"):
        call(t(EMPTY))


def test_argmax_and_argmin_match_pytorch():
    data = np.array([[3.0, 1.0, 3.0], [0.5, 9.0, -1.0]])
    x = torch.tensor(data)
    for ours, theirs in [
        (t(data).argmax(), x.argmax()),
        (t(data).argmax(1), x.argmax(1)),
        (t(data).argmin(0, keepdim=True), x.argmin(0, keepdim=True)),
        (tc.argmax(t(data), dim=-1, keepdim=True), torch.argmax(x, dim=-1, keepdim=True)),
    ]:
        assert ours.dtype == np.int64 and ours.shape == tuple(theirs.shape)
        assert ours.tolist() == theirs.tolist()
        assert not ours.requires_grad
