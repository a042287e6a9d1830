"""Adaptive pools on hypothesis-drawn sizes against PyTorch: any input size to any output size
(smaller, equal, larger, uneven splits), forward and gradient, both backends; the window rule
worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv.ops.adaptive_pool import _windows

torch = pytest.importorskip("torch")
pytest.importorskip("hypothesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def test_windows_follow_pytorchs_split_by_hand():
    # H = 5 into 3: starts floor(i * 5 / 3) = 0, 1, 3; ends ceil((i + 1) * 5 / 3) = 2, 4, 5
    assert _windows(5, 3) == [(0, 2), (1, 4), (3, 5)]
    assert _windows(4, 2) == [(0, 2), (2, 4)]
    assert _windows(2, 4) == [(0, 1), (0, 1), (1, 2), (1, 2)]  # growing repeats rows


@pytest.mark.parametrize("op", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_adaptive_pools_match_torch_on_random_sizes(backend, op, dtype):
    ours, theirs = getattr(tc, op), getattr(torch.nn.functional, op)

    @given(
        n=st.integers(1, 3),
        c=st.integers(1, 3),
        h=st.integers(1, 9),
        w=st.integers(1, 9),
        oh=st.integers(1, 10),
        ow=st.one_of(st.none(), st.integers(1, 10)),
        batched=st.booleans(),
        seed=st.integers(0, 10_000),
    )
    def check(n, c, h, w, oh, ow, batched, seed):
        rng = np.random.default_rng(seed)
        shape = (n, c, h, w) if batched else (c, h, w)
        x = rng.standard_normal(shape).astype(dtype)
        mine, ref = tc.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, expected = ours(mine, (oh, ow)), theirs(ref, (oh, ow))
        tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12}
        np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol)
        upstream = rng.standard_normal(out.shape).astype(dtype)
        out.backward(upstream)
        expected.backward(torch.tensor(upstream))
        np.testing.assert_allclose(mine.grad, ref.grad.numpy(), **tol)

    check()
