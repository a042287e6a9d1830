"""The PyTorch-vocabulary ops and the nn functional forms against PyTorch: forward values and every
input's gradient, float32 and float64, both backends; the integer- and bool-valued ops by value."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402
from case_claims import covers  # noqa: E402
from oracle import DTYPES, check_vs_torch  # noqa: E402
from strategies import draw_values  # noqa: E402

import tinygrad_conv as tc  # noqa: E402
import tinygrad_conv.nn.functional as F  # noqa: E402
from tinygrad_conv import Tensor  # noqa: E402

MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, True, False]])
TARGET = np.array([2, 0, 3])
PROB = np.linspace(0.1, 0.9, 12).reshape(3, 4)
POS = np.array([0.5, 1.0, 2.0, 3.0])  # pos_weight is not differentiable (PyTorch refuses it)


def same(fn):
    return fn, fn


def const(array, like):
    """A constant of the other side's dtype (torch refuses mixed float dtypes in losses)."""
    if isinstance(like, torch.Tensor):
        return torch.tensor(array, dtype=like.dtype)
    return array.astype(like.dtype)


# (id, tc_fn, torch_fn, shapes, kind): an id is the op's public name, or the name and a suffix
TORCH_CASES = [
    ("abs", *same(lambda a: a.abs()), [(3, 4)], "nonzero"),
    ("sqrt", *same(lambda a: a.sqrt()), [(3, 4)], "positive"),
    ("min", lambda a: tc.min(a), torch.min, [(3, 4)], "distinct"),
    ("min_dim", *same(lambda a: a.min(1).values), [(3, 4)], "distinct"),
    ("min_dim_keepdim", *same(lambda a: a.min(dim=0, keepdim=True)[0]), [(3, 4)], "distinct"),
    ("max_dim", *same(lambda a: a.max(-1).values), [(2, 3, 4)], "distinct"),
    ("view", *same(lambda a: a.view(2, 6)), [(3, 4)], "normal"),
    (
        "view_as",
        lambda a: a.view_as(Tensor(np.zeros(12))),
        lambda a: a.view_as(torch.zeros(12)),
        [(3, 4)],
        "normal",
    ),
    ("permute", *same(lambda a: a.permute(0, 2, 3, 1)), [(2, 3, 4, 5)], "normal"),
    ("transpose_pair", *same(lambda a: a.transpose(0, 1)), [(3, 4)], "normal"),
    ("transpose_pair_3d", *same(lambda a: a.transpose(0, 2)), [(2, 3, 4)], "normal"),
    ("squeeze", *same(lambda a: a.squeeze(0)), [(1, 3, 4)], "normal"),
    ("squeeze_all", *same(lambda a: a.squeeze()), [(1, 3, 1, 4)], "normal"),
    ("unsqueeze", *same(lambda a: a.unsqueeze(1)), [(3, 4)], "normal"),
    ("expand", *same(lambda a: a.expand(2, -1, 4)), [(3, 1)], "normal"),
    (
        "cat",
        lambda a, b: tc.cat([a, b], 1),
        lambda a, b: torch.cat([a, b], 1),
        [(3, 2), (3, 4)],
        "normal",
    ),
    (
        "concat",
        lambda a, b: tc.concat([a, b], dim=0),
        lambda a, b: torch.concat([a, b], dim=0),
        [(1, 4), (3, 4)],
        "normal",
    ),
    (
        "stack",
        lambda a, b: tc.stack([a, b], -1),
        lambda a, b: torch.stack([a, b], -1),
        [(3, 4), (3, 4)],
        "normal",
    ),
    (
        "pad",
        lambda a: F.pad(a, (1, 2, 0, 1), value=-1.0),
        lambda a: TF.pad(a, (1, 2, 0, 1), value=-1.0),
        [(2, 3, 4)],
        "normal",
    ),
    ("maximum", lambda a, b: tc.maximum(a, b), torch.maximum, [(3, 1), (4,)], "distinct"),
    ("minimum", lambda a, b: tc.minimum(a, b), torch.minimum, [(3, 4), (3, 4)], "distinct"),
    ("clamp", *same(lambda a: a.clamp(-0.45, 0.45)), [(3, 4)], "distinct"),
    ("clamp_max_only", *same(lambda a: a.clamp(max=0.1)), [(3, 4)], "distinct"),
    ("clip", *same(lambda a: a.clip(min=0.05)), [(3, 4)], "distinct"),
    (
        "where",
        lambda a, b: tc.where(MASK, a, b),
        lambda a, b: torch.where(torch.from_numpy(MASK), a, b),
        [(3, 1), (4,)],
        "normal",
    ),
    ("var", *same(lambda a: a.var(1)), [(3, 4)], "normal"),
    (
        "var_correction",
        *same(lambda a: a.var(dim=(0, 1), correction=0, keepdim=True)),
        [(3, 4)],
        "normal",
    ),
    ("std", *same(lambda a: a.std(0)), [(3, 4)], "normal"),
    ("std_unbiased", *same(lambda a: a.std(unbiased=False)), [(3, 4)], "normal"),
    ("logsumexp", *same(lambda a: a.logsumexp(1)), [(3, 4)], "normal"),
    (
        "leaky_relu",
        lambda a: F.leaky_relu(a, 0.2),
        lambda a: TF.leaky_relu(a, 0.2),
        [(3, 4)],
        "nonzero",
    ),
    ("gelu", lambda a: F.gelu(a), TF.gelu, [(3, 4)], "normal"),
    (
        "gelu_tanh",
        lambda a: F.gelu(a, approximate="tanh"),
        lambda a: TF.gelu(a, approximate="tanh"),
        [(3, 4)],
        "normal",
    ),
    (
        "nll_loss",
        lambda a: F.nll_loss(a, TARGET),
        lambda a: TF.nll_loss(a, torch.from_numpy(TARGET)),
        [(3, 4)],
        "normal",
    ),
    (
        "batch_norm",
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
        [(4, 3, 2, 2), (3,), (3,)],
        "normal",
    ),
    (
        "linear",
        *same(lambda x, w, b: (F if isinstance(x, Tensor) else TF).linear(x, w, b)),
        [(2, 3, 4), (5, 4), (5,)],
        "normal",
    ),
    (
        "dropout_eval",
        lambda a: F.dropout(a, 0.5, training=False),
        lambda a: TF.dropout(a, 0.5, training=False),
        [(3, 4)],
        "normal",
    ),
    (
        "dropout2d_eval",
        lambda a: F.dropout2d(a, 0.5, training=False) * 1.0,
        lambda a: TF.dropout2d(a, 0.5, training=False) * 1.0,
        [(2, 3, 2, 2)],
        "normal",
    ),
    (
        "adaptive_avg_pool2d",
        lambda a: F.adaptive_avg_pool2d(a, (2, 3)),
        lambda a: TF.adaptive_avg_pool2d(a, (2, 3)),
        [(2, 2, 5, 7)],
        "normal",
    ),
    (
        "adaptive_max_pool2d",
        lambda a: F.adaptive_max_pool2d(a, 3),
        lambda a: TF.adaptive_max_pool2d(a, 3),
        [(2, 2, 5, 7)],
        "distinct",
    ),
    ("mse_loss", lambda a, b: F.mse_loss(a, b), TF.mse_loss, [(3, 4), (3, 4)], "normal"),
    (
        "l1_loss",
        lambda a, b: F.l1_loss(a, b, reduction="none"),
        lambda a, b: TF.l1_loss(a, b, reduction="none"),
        [(3, 4), (3, 4)],
        "distinct",
    ),
    (
        "smooth_l1_loss",
        lambda a, b: F.smooth_l1_loss(a, b, beta=0.5),
        lambda a, b: TF.smooth_l1_loss(a, b, beta=0.5),
        [(3, 4), (3, 4)],
        "normal",
    ),
    (
        "binary_cross_entropy",
        lambda a: F.binary_cross_entropy(a.sigmoid(), const(PROB, a)),
        lambda a: TF.binary_cross_entropy(a.sigmoid(), const(PROB, a)),
        [(3, 4)],
        "normal",
    ),
    (
        "binary_cross_entropy_with_logits",
        lambda a: F.binary_cross_entropy_with_logits(a, const(PROB, a), pos_weight=const(POS, a)),
        lambda a: TF.binary_cross_entropy_with_logits(a, const(PROB, a), pos_weight=const(POS, a)),
        [(3, 4)],
        "normal",
    ),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize(
    ("tc_fn", "torch_fn", "shapes", "kind"),
    [c[1:] for c in TORCH_CASES],
    ids=[c[0] for c in TORCH_CASES],
)
def test_op_vs_torch(backend, dtype, tc_fn, torch_fn, shapes, kind):
    check_vs_torch(tc_fn, torch_fn, shapes, dtype, kind)


INTEGER_VALUED = {
    "argmax": (lambda a: a.argmax(1), lambda a: a.argmax(1)),
    "argmin": (lambda a: tc.argmin(a, dim=0, keepdim=True), lambda a: a.argmin(0, keepdim=True)),
    "eq": (lambda a: a.eq(a.clamp(min=0.0)), lambda a: a.eq(a.clamp(min=0.0))),
    "ne": (lambda a: a != 0.5, lambda a: a != 0.5),
    "lt": (lambda a: tc.lt(a, 0.0), lambda a: torch.lt(a, 0.0)),
    "le": (lambda a: a <= a[0], lambda a: a <= a[0]),
    "gt": (lambda a: a.gt(a.mean()), lambda a: a.gt(a.mean())),
    "ge": (lambda a: a >= 0.0, lambda a: a >= 0.0),
}


@covers("torch", *INTEGER_VALUED)
@pytest.mark.parametrize("name", sorted(INTEGER_VALUED))
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_integer_valued_op_vs_torch(name, dtype):
    ours, theirs = INTEGER_VALUED[name]
    data = draw_values(np.random.default_rng(3), (3, 4), "distinct", dtype)
    data[0, 0] = 0.0  # equal elements, so eq/le/ge meet a tie
    out, expected = ours(Tensor(data, requires_grad=True)), theirs(torch.tensor(data))
    assert not out.requires_grad
    assert out.dtype == np.dtype(str(expected.dtype).removeprefix("torch."))
    np.testing.assert_array_equal(out.data, expected.numpy())


@pytest.mark.parametrize("name", ["sum", "mean", "var", "logsumexp"])
def test_reductions_over_an_empty_dim_give_torch_values(name):
    data = np.ones((0, 3), np.float32)
    ours = getattr(Tensor(data, requires_grad=True), name)(0)
    theirs = getattr(torch.tensor(data), name)(0)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
