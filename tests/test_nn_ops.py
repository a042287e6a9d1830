"""The nn ops (linear, dropout, dropout2d, adaptive pools, the losses): gradcheck in float64 and
PyTorch's outputs and gradients in float32 and float64, on both kernel backends; the weighted
cross-entropy kernel against its NumPy twin."""

from __future__ import annotations

import numpy as np
import pytest
from case_claims import covers

import tinygrad_conv as tc
from tinygrad_conv import Tensor

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402
from oracle import DTYPES, check_vs_torch  # noqa: E402

TARGETS = np.array([2, 0, 4, 1, 3, 2])
WEIGHT = np.array([0.5, 2.0, 1.0, 0.25, 3.0])
TARGETS_2D = np.array([[[0, 2], [1, -100]], [[2, 2], [0, 1]]])  # (N, d1, d2) for (2, 3, 2, 2)


def seeded(fn):
    """The same dropout mask on every call (gradcheck calls fn many times)."""

    def run(*args):
        tc.manual_seed(7)
        return fn(*args)

    return run


def unit(fn):
    """Map normal draws into (0, 1) for binary_cross_entropy's probabilities and targets."""
    return lambda x, t: fn(x.sigmoid(), t.sigmoid())


GRADCHECK_CASES = [
    ("linear", tc.linear, [(4, 3), (5, 3), (5,)], "normal"),
    ("linear_leading_dims", lambda x, w: tc.linear(x, w), [(2, 3, 4), (6, 4)], "normal"),
    ("dropout", seeded(lambda x: tc.dropout(x, 0.4)), [(4, 5)], "normal"),
    ("dropout2d", seeded(lambda x: tc.dropout2d(x, 0.5)), [(3, 4, 2, 2)], "normal"),
    ("adaptive_avg_pool2d", lambda x: tc.adaptive_avg_pool2d(x, (3, 2)), [(2, 2, 7, 5)], "normal"),
    (
        "adaptive_max_pool2d",
        lambda x: tc.adaptive_max_pool2d(x, (3, 4)),
        [(2, 2, 7, 9)],
        "distinct",
    ),
    ("nll_loss", lambda x: tc.nll_loss(x, TARGETS, WEIGHT), [(6, 5)], "normal"),
    (
        "nll_loss_ignore_sum",
        lambda x: tc.nll_loss(x, [0, -100, 1], reduction="sum"),
        [(3, 2)],
        "normal",
    ),
    (
        "cross_entropy_weight_smoothing",
        lambda x: tc.cross_entropy(x, TARGETS, "mean", 0.2, weight=WEIGHT),
        [(6, 5)],
        "normal",
    ),
    (
        "cross_entropy_ignore_index",
        lambda x: tc.cross_entropy(x, [1, 3, 3, 0], ignore_index=3),
        [(4, 5)],
        "normal",
    ),
    (
        "cross_entropy_kdim",
        lambda x: tc.cross_entropy(x, TARGETS_2D, "mean", 0.1, weight=WEIGHT[:3]),
        [(2, 3, 2, 2)],
        "normal",
    ),
    (
        "nll_loss_kdim",
        lambda x: tc.nll_loss(x, TARGETS_2D, reduction="none"),
        [(2, 3, 2, 2)],
        "normal",
    ),
    ("mse_loss", tc.mse_loss, [(3, 4), (3, 4)], "normal"),
    (
        "mse_loss_broadcast",
        lambda x, t: tc.mse_loss(x, t, reduction="sum"),
        [(3, 4), (4,)],
        "normal",
    ),
    ("l1_loss", tc.l1_loss, [(3, 4), (3, 4)], "nonzero"),
    ("smooth_l1_loss", lambda x, t: tc.smooth_l1_loss(x, t, beta=0.7), [(4, 5), (4, 5)], "normal"),
    ("binary_cross_entropy", unit(tc.binary_cross_entropy), [(3, 4), (3, 4)], "normal"),
    (
        "binary_cross_entropy_with_logits",
        lambda x, t: tc.binary_cross_entropy_with_logits(x, t, pos_weight=np.array([1, 2, 0.5])),
        [(4, 3), (4, 3)],
        "normal",
    ),
]


@pytest.mark.parametrize(
    ("fn", "shapes", "kind"), [c[1:] for c in GRADCHECK_CASES], ids=[c[0] for c in GRADCHECK_CASES]
)
def test_gradcheck(backend, rng, fn, shapes, kind):
    from strategies import draw_values

    inputs = [
        Tensor(draw_values(rng, s, kind), requires_grad=True, dtype=np.float64) for s in shapes
    ]
    assert tc.gradcheck(fn, *inputs) is True


def same(fn):
    return fn, fn


TORCH_CASES = [
    ("linear", tc.linear, TF.linear, [(4, 3), (5, 3), (5,)], "normal"),
    ("linear_3d_no_bias", tc.linear, TF.linear, [(2, 3, 4), (6, 4)], "normal"),
    (
        "adaptive_avg_pool2d_uneven",
        lambda x: tc.adaptive_avg_pool2d(x, (3, 4)),
        lambda x: TF.adaptive_avg_pool2d(x, (3, 4)),
        [(2, 3, 7, 10)],
        "normal",
    ),
    (
        "adaptive_avg_pool2d_global",
        lambda x: tc.adaptive_avg_pool2d(x, 1),
        lambda x: TF.adaptive_avg_pool2d(x, 1),
        [(2, 3, 5, 5)],
        "normal",
    ),
    (
        "adaptive_avg_pool2d_upsample",
        lambda x: tc.adaptive_avg_pool2d(x, (5, None)),
        lambda x: TF.adaptive_avg_pool2d(x, (5, None)),
        [(3, 3, 4)],
        "normal",
    ),
    (
        "adaptive_max_pool2d_uneven",
        lambda x: tc.adaptive_max_pool2d(x, (4, 3)),
        lambda x: TF.adaptive_max_pool2d(x, (4, 3)),
        [(2, 2, 9, 7)],
        "normal",
    ),
    (
        "adaptive_max_pool2d_upsample",
        lambda x: tc.adaptive_max_pool2d(x, 6),
        lambda x: TF.adaptive_max_pool2d(x, 6),
        [(1, 2, 4, 5)],
        "normal",
    ),
    *[
        (
            f"nll_loss_{r}",
            lambda x, r=r: tc.nll_loss(x.log_softmax(1), TARGETS, WEIGHT, reduction=r),
            lambda x, r=r: TF.nll_loss(
                x.log_softmax(1),
                torch.tensor(TARGETS),
                torch.tensor(WEIGHT, dtype=x.dtype),
                reduction=r,
            ),
            [(6, 5)],
            "normal",
        )
        for r in ("mean", "sum", "none")
    ],
    *[
        (
            f"cross_entropy_weight_ignore_{r}",
            lambda x, r=r: tc.cross_entropy(x, [2, 0, -100, 1, 3, 2], r, 0.1, weight=WEIGHT),
            lambda x, r=r: TF.cross_entropy(
                x,
                torch.tensor([2, 0, -100, 1, 3, 2]),
                torch.tensor(WEIGHT, dtype=x.dtype),
                reduction=r,
                label_smoothing=0.1,
            ),
            [(6, 5)],
            "normal",
        )
        for r in ("mean", "sum", "none")
    ],
    *[
        (
            f"cross_entropy_kdim_{r}",
            lambda x, r=r: tc.cross_entropy(x, TARGETS_2D, r, 0.2, weight=WEIGHT[:3]),
            lambda x, r=r: TF.cross_entropy(
                x,
                torch.tensor(TARGETS_2D),
                torch.tensor(WEIGHT[:3], dtype=x.dtype),
                reduction=r,
                label_smoothing=0.2,
            ),
            [(2, 3, 2, 2)],
            "normal",
        )
        for r in ("mean", "sum", "none")
    ],
    *[
        (
            f"nll_loss_kdim_{r}",
            lambda x, r=r: tc.nll_loss(x, TARGETS_2D, WEIGHT[:3], reduction=r),
            lambda x, r=r: TF.nll_loss(
                x, torch.tensor(TARGETS_2D), torch.tensor(WEIGHT[:3], dtype=x.dtype), reduction=r
            ),
            [(2, 3, 2, 2)],
            "normal",
        )
        for r in ("mean", "sum", "none")
    ],
    *[
        (
            f"mse_loss_{r}",
            lambda x, t, r=r: tc.mse_loss(x, t, reduction=r),
            lambda x, t, r=r: TF.mse_loss(x, t, reduction=r),
            [(3, 4), (3, 4)],
            "normal",
        )
        for r in ("mean", "sum", "none")
    ],
    *[
        (
            f"l1_loss_{r}",
            lambda x, t, r=r: tc.l1_loss(x, t, reduction=r),
            lambda x, t, r=r: TF.l1_loss(x, t, reduction=r),
            [(3, 4), (3, 4)],
            "normal",
        )
        for r in ("mean", "sum", "none")
    ],
    *[
        (
            f"smooth_l1_loss_{r}_{b}",
            lambda x, t, r=r, b=b: tc.smooth_l1_loss(x, t, reduction=r, beta=b),
            lambda x, t, r=r, b=b: TF.smooth_l1_loss(x, t, reduction=r, beta=b),
            [(4, 5), (4, 5)],
            "normal",
        )
        for r in ("mean", "sum", "none")
        for b in (1.0, 0.3, 0.0)
    ],
    *[
        (
            f"binary_cross_entropy_{r}",
            unit(
                lambda x, t, r=r: tc.binary_cross_entropy(
                    x, t, np.array([1, 2, 0.5, 1]), reduction=r
                )
            ),
            unit(
                lambda x, t, r=r: TF.binary_cross_entropy(
                    x, t, torch.tensor([1, 2, 0.5, 1], dtype=x.dtype), reduction=r
                )
            ),
            [(3, 4), (3, 4)],
            "normal",
        )
        for r in ("mean", "sum", "none")
    ],
    *[
        (
            f"binary_cross_entropy_with_logits_{r}",
            lambda x, t, r=r: tc.binary_cross_entropy_with_logits(
                x,
                t,
                np.array([[1.0], [0.5], [2.0]]),
                reduction=r,
                pos_weight=np.array([3, 1, 0.2, 1]),
            ),
            lambda x, t, r=r: TF.binary_cross_entropy_with_logits(
                x,
                t,
                torch.tensor([[1.0], [0.5], [2.0]], dtype=x.dtype),
                reduction=r,
                pos_weight=torch.tensor([3, 1, 0.2, 1], dtype=x.dtype),
            ),
            [(3, 4), (3, 4)],
            "normal",
        )
        for r in ("mean", "sum", "none")
    ],
]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize(
    ("tc_fn", "torch_fn", "shapes", "kind"),
    [c[1:] for c in TORCH_CASES],
    ids=[c[0] for c in TORCH_CASES],
)
def test_vs_torch(backend, dtype, tc_fn, torch_fn, shapes, kind):
    check_vs_torch(tc_fn, torch_fn, shapes, dtype, kind)


@covers("torch", "dropout", "dropout2d")
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_dropout_as_torch(dtype):
    """Masks differ in their random numbers, not their law: kept values are x / (1 - p),
    dropped ones 0, the gradient is the same mask; eval, p=0 and p=1 as PyTorch."""
    x = np.random.default_rng(1).uniform(1, 2, (64, 8, 3, 3)).astype(dtype)
    for ours, theirs in ((tc.dropout, TF.dropout), (tc.dropout2d, TF.dropout2d)):
        tc.manual_seed(3)
        t = Tensor(x, requires_grad=True)
        y = ours(t, 0.25)
        y.sum().backward()
        kept = y.data != 0
        np.testing.assert_allclose(y.data[kept], x[kept] / np.asarray(0.75, dtype), rtol=1e-6)
        np.testing.assert_array_equal(t.grad, kept / np.asarray(0.75, dtype))
        assert abs(kept.mean() - 0.75) < 0.05 and y.dtype == dtype
        assert y._ctx.params["p"] == 0.25 and y._ctx.params["kept"] == pytest.approx(kept.mean())
        if ours is tc.dropout2d:  # whole channels
            assert (kept.all(axis=(2, 3)) | ~kept.any(axis=(2, 3))).all()
        for p, training in ((0.0, True), (1.0, True), (0.5, False)):
            got, want = ours(Tensor(x), p, training), theirs(torch.tensor(x), p, training)
            np.testing.assert_array_equal(got.data, want.numpy())


def test_dropout2d_of_3d_input_drops_channels_of_each_sample_as_torch():
    x = Tensor(np.ones((64, 3, 5)))
    tc.manual_seed(0)
    with pytest.warns(UserWarning, match="3D input"):
        y = tc.dropout2d(x, 0.5).data
    assert ((y == 0).all(axis=2) | (y != 0).all(axis=2)).all()
    assert 0.3 < (y[:, :, 0] == 0).mean() < 0.7


def test_dropout_repeats_with_manual_seed():
    x = Tensor(np.ones((10, 10)))
    tc.manual_seed(5)
    first = tc.dropout(x, 0.5).data
    tc.manual_seed(5)
    np.testing.assert_array_equal(tc.dropout(x, 0.5).data, first)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_weighted_cross_entropy_kernel_matches_twin(dtype):
    pytest.importorskip("hypothesis")
    from hypothesis import given
    from hypothesis import strategies as st

    from tinygrad_conv import _backend

    try:
        cython = _backend._load_cython()
    except ImportError as err:
        pytest.skip(f"compiled kernels not built: {err}")
    numpy = _backend._numpy_kernels

    @given(
        n=st.integers(0, 7),
        c=st.integers(1, 40),
        eps=st.sampled_from([0.0, 0.1, 1.0]),
        weighted=st.booleans(),
        seed=st.integers(0, 1000),
    )
    def check(n, c, eps, weighted, seed):
        rng = np.random.default_rng(seed)
        x = (rng.standard_normal((n, c)) * 3).astype(dtype)
        target = rng.integers(-1, c, n).astype(np.intp)  # -1 plays ignore_index
        weight = rng.uniform(0, 2, c) if weighted else None
        results = []
        for k in (numpy, cython):
            loss, softmax = np.empty(n), np.empty_like(x)
            k.cross_entropy_forward(x, target, loss, softmax, eps, 2, weight, -1)
            grad_x = np.empty_like(x)
            k.cross_entropy_backward(
                softmax, target, np.linspace(-1, 1, n), grad_x, eps, 2, weight, -1
            )
            results.append((loss, grad_x))
        tol = 1e-5 if dtype == np.float32 else 1e-12
        for a, b in zip(*results, strict=True):
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
        assert (results[0][0][target == -1] == 0).all()
        assert (results[1][1][target == -1] == 0).all()

    check()


def test_weighted_mean_of_only_ignored_rows_is_nan_as_torch():
    x = np.zeros((2, 3))
    ours = tc.cross_entropy(Tensor(x, requires_grad=True), [-100, -100])
    theirs = TF.cross_entropy(torch.tensor(x), torch.tensor([-100, -100]))
    assert np.isnan(ours.item()) and torch.isnan(theirs)
