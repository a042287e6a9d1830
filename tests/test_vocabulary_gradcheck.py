"""The PyTorch-vocabulary ops (API.md "Tensor, continued") and the nn functional forms through
tc.gradcheck in float64 on both backends: one row per op (or op and variant)."""

from __future__ import annotations

import numpy as np
import pytest
from strategies import draw_values

import tinygrad_conv as tc
from tinygrad_conv import Tensor

MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, True, False]])
TARGET = np.array([2, 0, 3])
HALF = np.full((3, 4), 0.25)
PROBABILITIES = np.linspace(0.1, 0.9, 12).reshape(3, 4)


def seeded(fn):
    """Random ops (dropout) draw the same mask on every call that gradcheck makes."""

    def call(*xs):
        tc.manual_seed(7)
        return fn(*xs)

    return call


# (id, fn, input shapes, kind): as in test_gradcheck.py; an id is the op's public name + a suffix.
GRADCHECK_CASES = [
    ("abs", lambda a: a.abs(), [(3, 4)], "nonzero"),
    ("sqrt", lambda a: a.sqrt(), [(3, 4)], "positive"),
    ("min_all", lambda a: tc.min(a), [(3, 4)], "distinct"),
    ("min_dim", lambda a: a.min(1).values, [(3, 4)], "distinct"),
    ("min_axis", lambda a: a.min(axis=(0, 1), keepdims=True), [(2, 3, 2)], "distinct"),
    ("max_dim", lambda a: a.max(dim=0).values, [(3, 4)], "distinct"),
    ("view", lambda a: a.view(4, 3), [(3, 4)], "normal"),
    ("view_infer", lambda a: a.view(-1), [(2, 3, 2)], "normal"),
    ("view_as", lambda a: a.view_as(Tensor(np.zeros((6, 2)))), [(3, 4)], "normal"),
    ("permute", lambda a: a.permute(2, 0, 1), [(2, 3, 4)], "normal"),
    ("transpose_2d_pair", lambda a: a.transpose(0, 1), [(3, 4)], "normal"),
    ("squeeze", lambda a: a.squeeze(1), [(3, 1, 4)], "normal"),
    ("squeeze_all", lambda a: a.squeeze(), [(1, 3, 1)], "normal"),
    ("unsqueeze", lambda a: a.unsqueeze(-1), [(3, 4)], "normal"),
    ("expand", lambda a: a.expand(2, 3, 4), [(3, 1)], "normal"),
    ("cat", lambda a, b: tc.cat([a, b], dim=1), [(3, 2), (3, 4)], "normal"),
    ("concat", lambda a, b: tc.concat([a, b]), [(1, 4), (3, 4)], "normal"),
    ("stack", lambda a, b: tc.stack([a, b], dim=1), [(3, 4), (3, 4)], "normal"),
    ("pad", lambda a: tc.pad(a, (1, 2)), [(3, 4)], "normal"),
    ("pad_two_dims", lambda a: tc.pad(a, (0, 1, 2, 0), value=0.5), [(2, 3, 4)], "normal"),
    ("maximum", lambda a, b: tc.maximum(a, b), [(3, 4), (3, 4)], "distinct"),
    ("maximum_bcast", lambda a, b: tc.maximum(a, b), [(3, 1), (4,)], "distinct"),
    ("minimum", lambda a, b: tc.minimum(a, b), [(3, 4), (3, 4)], "distinct"),
    ("clamp", lambda a: a.clamp(-0.45, 0.45), [(3, 4)], "distinct"),
    ("clamp_min_only", lambda a: tc.clamp(a, min=0.05), [(3, 4)], "distinct"),
    ("clip", lambda a: a.clip(max=0.35), [(3, 4)], "distinct"),
    ("where", lambda a, b: tc.where(MASK, a, b), [(3, 4), (3, 4)], "normal"),
    ("where_bcast", lambda a, b: tc.where(MASK, a, b), [(3, 1), (4,)], "normal"),
    ("var", lambda a: a.var(1), [(3, 4)], "normal"),
    ("var_all_biased", lambda a: a.var(correction=0), [(3, 4)], "normal"),
    ("std", lambda a: a.std(dim=0, keepdim=True), [(3, 4)], "normal"),
    ("std_unbiased_false", lambda a: tc.std(a, unbiased=False), [(3, 4)], "normal"),
    ("logsumexp", lambda a: a.logsumexp(1), [(3, 4)], "normal"),
    ("logsumexp_keepdim", lambda a: tc.logsumexp(a, dim=(0, 1), keepdim=True), [(3, 4)], "normal"),
    ("leaky_relu", lambda a: a.leaky_relu(0.1), [(3, 4)], "nonzero"),
    ("gelu", lambda a: a.gelu(), [(3, 4)], "normal"),
    ("gelu_tanh", lambda a: tc.gelu(a, approximate="tanh"), [(3, 4)], "normal"),
    ("nll_loss", lambda a: tc.nll_loss(a.log_softmax(1), TARGET), [(3, 4)], "normal"),
    ("nll_loss_sum", lambda a: tc.nll_loss(a, TARGET, reduction="sum"), [(3, 4)], "normal"),
    (
        "batch_norm_train",
        lambda x, w, b: tc.batch_norm(x, None, None, w, b, training=True),
        [(4, 3, 2, 2), (3,), (3,)],
        "normal",
    ),
    (
        "batch_norm_eval",
        lambda x: tc.batch_norm(x, np.zeros(3), np.ones(3) * 2, training=False),
        [(4, 3)],
        "normal",
    ),
    ("linear", lambda x, w, b: tc.linear(x, w, b), [(2, 3, 4), (5, 4), (5,)], "normal"),
    ("linear_no_bias", lambda x, w: tc.linear(x, w), [(3, 4), (2, 4)], "normal"),
    ("dropout", seeded(lambda a: tc.dropout(a, 0.4, True)), [(3, 4)], "normal"),
    ("dropout2d", seeded(lambda a: tc.dropout2d(a, 0.5, True)), [(2, 3, 2, 2)], "normal"),
    ("adaptive_avg_pool2d", lambda a: tc.adaptive_avg_pool2d(a, (2, 3)), [(1, 2, 5, 7)], "normal"),
    ("adaptive_max_pool2d", lambda a: tc.adaptive_max_pool2d(a, 3), [(1, 2, 5, 7)], "distinct"),
    ("mse_loss", lambda a, b: tc.mse_loss(a, b), [(3, 4), (3, 4)], "normal"),
    ("l1_loss", lambda a: tc.l1_loss(a, HALF, reduction="sum"), [(3, 4)], "distinct"),
    ("smooth_l1_loss", lambda a: tc.smooth_l1_loss(a, HALF, beta=0.5), [(3, 4)], "distinct"),
    (
        "binary_cross_entropy",
        lambda a: tc.binary_cross_entropy(a.sigmoid(), PROBABILITIES),
        [(3, 4)],
        "normal",
    ),
    (
        "binary_cross_entropy_with_logits",
        lambda a: tc.binary_cross_entropy_with_logits(
            a, PROBABILITIES, pos_weight=np.array([0.5, 1.0, 2.0, 3.0])
        ),
        [(3, 4)],
        "normal",
    ),
]


@pytest.mark.parametrize(
    ("fn", "shapes", "kind"),
    [c[1:] for c in GRADCHECK_CASES],
    ids=[c[0] for c in GRADCHECK_CASES],
)
def test_gradcheck_op(backend, rng, fn, shapes, kind):
    inputs = [
        Tensor(draw_values(rng, s, kind), requires_grad=True, dtype=np.float64) for s in shapes
    ]
    assert tc.gradcheck(fn, *inputs) is True
