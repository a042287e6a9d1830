"""Direct convolution: kernels vs NumPy twin, the op on both algorithms vs PyTorch, the switch."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import tinygrad_conv.reference.conv_direct as twin
from tinygrad_conv import Tensor
from tinygrad_conv.ops import conv_algorithm
from tinygrad_conv.ops.conv import conv2d

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

cy = pytest.importorskip("tinygrad_conv._kernels.conv_direct", reason="compiled kernels not built")
pytestmark = pytest.mark.kernels  # make test-debug and CI run these on the checked build

# float32 sums of up to a few hundred products, in another order than the twin's
TOL = dict(rtol=1e-4, atol=1e-4)


@pytest.fixture
def algorithm():
    """Set the algorithm for one test; "auto" again afterwards."""
    yield conv_algorithm.set_conv_algorithm
    conv_algorithm.set_conv_algorithm("auto")


@st.composite
def geometries(draw):
    """(x shape, weight shape, out shape, ph, pw): channel counts across the kernels' blocks of
    8 (forward) and 16 / 64 (weight gradient), widths across 16-float vectors, shifts of either
    sign."""
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 6))
    c_out = draw(st.sampled_from([1, 3, 8, 9, 16, 17, 33, 64, 70]))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    oh, ow = draw(st.integers(1, 7)), draw(st.integers(1, 40))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 40))
    ph, pw = draw(st.integers(-2, 4)), draw(st.integers(-2, 4))
    return (n, c, h, w), (c_out, c, kh, kw), (n, c_out, oh, ow), ph, pw


@settings(deadline=None, max_examples=60)
@given(geometry=geometries(), seed=st.integers(0, 2**16), threads=st.sampled_from([1, 2]))
def test_kernels_match_twin(geometry, seed, threads):
    x_shape, w_shape, out_shape, ph, pw = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape, dtype=np.float32)
    weight = rng.standard_normal(w_shape, dtype=np.float32)
    outs = [np.full(out_shape, np.nan, np.float32) for _ in range(2)]
    cy.direct_conv2d(x, weight, outs[0], ph, pw, threads)
    twin.direct_conv2d(x, weight, outs[1], ph, pw)
    np.testing.assert_allclose(outs[0], outs[1], **TOL)
    grad_out = rng.standard_normal(out_shape, dtype=np.float32)
    grads = [np.full(w_shape, np.nan, np.float32) for _ in range(2)]
    cy.direct_conv2d_weight_grad(x, grad_out, grads[0], ph, pw, threads)
    twin.direct_conv2d_weight_grad(x, grad_out, grads[1], ph, pw)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-3)


def test_twin_is_a_convolution_by_hand():
    # 1 image, 1 channel, 3x3 of 1..9, 2x2 filter [[1, 0], [0, -1]]: x[i, j] - x[i+1, j+1]
    x = np.arange(1, 10, dtype=np.float32).reshape(1, 1, 3, 3)
    weight = np.array([[[[1, 0], [0, -1]]]], np.float32)
    for kernels in (twin, cy):
        out = np.empty((1, 1, 2, 2), np.float32)
        kernels.direct_conv2d(x, weight, out, 0, 0, 1)
        np.testing.assert_array_equal(out, -4)  # x[i, j] - x[i+1, j+1] = -(3 + 1)
        grad_w = np.empty((1, 1, 2, 2), np.float32)
        kernels.direct_conv2d_weight_grad(x, np.ones((1, 1, 2, 2), np.float32), grad_w, 0, 0, 1)
        np.testing.assert_array_equal(grad_w, [[[[12, 16], [24, 28]]]])  # sums of 2x2 windows


def test_kernels_and_twin_share_signatures():
    for name in ("direct_conv2d", "direct_conv2d_weight_grad", "direct_lanes"):
        ours, theirs = inspect.signature(getattr(cy, name)), inspect.signature(getattr(twin, name))
        assert list(ours.parameters) == list(theirs.parameters), name
    assert cy.direct_lanes() in (4, 8, 16) and twin.direct_lanes() == 0


# (x shape, weight shape, padding): stride 1, no dilation, one group, where "direct" applies
DIRECT_GRID = [
    ((2, 3, 8, 8), (4, 3, 3, 3), 1),
    ((1, 1, 5, 5), (1, 1, 3, 3), 0),
    ((2, 3, 9, 7), (5, 3, 3, 2), 0),
    ((2, 3, 8, 7), (4, 3, 2, 2), "same"),
    ((2, 2, 6, 6), (3, 2, 3, 3), 3),  # padding beyond the filter: the input gradient crops
    ((2, 5, 7, 20), (17, 5, 1, 4), (0, 2)),
    ((3, 16, 10, 33), (33, 16, 3, 3), 1),
]


@pytest.mark.parametrize("name", ["im2col", "direct"])
@pytest.mark.parametrize("geometry", DIRECT_GRID, ids=[str(i) for i in range(len(DIRECT_GRID))])
def test_op_matches_torch(backend, torch, rng, algorithm, name, geometry):
    x_shape, w_shape, padding = geometry
    algorithm(name)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in (x_shape, w_shape, (w_shape[0],))]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    y = conv2d(*ours, padding=padding)
    assert y._ctx.algorithm == name
    grad_out = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(grad_out)
    theirs = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    y_ref = torch.nn.functional.conv2d(*theirs, padding=padding)
    y_ref.backward(torch.from_numpy(grad_out))
    np.testing.assert_allclose(y.data, y_ref.detach().numpy(), **TOL)
    for label, t, r in zip(("x", "weight", "bias"), ours, theirs, strict=True):
        assert t.grad.dtype == np.float32, label
        np.testing.assert_allclose(t.grad, r.grad.numpy(), err_msg=label, rtol=1e-4, atol=1e-3)


def test_only_needed_gradients_direct(backend, rng, algorithm):
    algorithm("direct")
    x = Tensor(rng.standard_normal((2, 3, 5, 5)).astype(np.float32))
    w = Tensor(rng.standard_normal((2, 3, 3, 3)).astype(np.float32), requires_grad=True)
    y = conv2d(x, w, Tensor(np.zeros(2, np.float32)))
    assert y._ctx.algorithm == "direct"
    y.sum().backward()
    assert x.grad is None and w.grad.shape == (2, 3, 3, 3)


def test_choice(backend, algorithm):
    x32 = Tensor(np.ones((1, 2, 6, 6), np.float32))
    w32 = Tensor(np.ones((2, 2, 3, 3), np.float32))
    lanes = cy.direct_lanes() if backend == "cython" else 0
    auto = "direct" if lanes >= conv_algorithm.MIN_LANES else "im2col"
    assert conv_algorithm.get_conv_algorithm() == "auto"
    assert conv2d(x32, w32)._ctx.algorithm == "im2col"  # 576 multiply-adds: too small
    big_x = Tensor(np.ones((8, 16, 32, 32), np.float32))  # 8 * 16 * 30 * 30 * 16 * 9 of them
    assert conv2d(big_x, Tensor(np.ones((16, 16, 3, 3), np.float32)))._ctx.algorithm == auto
    algorithm("direct")
    assert conv2d(x32, w32)._ctx.algorithm == "direct"
    # where direct cannot run, im2col does: float64, stride, dilation, groups
    assert conv2d(Tensor(np.ones((1, 2, 6, 6))), Tensor(np.ones((2, 2, 3, 3))))._ctx.algorithm == (
        "im2col"
    )
    assert conv2d(x32, w32, stride=2)._ctx.algorithm == "im2col"
    assert conv2d(x32, w32, dilation=2)._ctx.algorithm == "im2col"
    assert conv2d(x32, Tensor(np.ones((2, 1, 3, 3), np.float32)), groups=2)._ctx.algorithm == (
        "im2col"
    )
    algorithm("im2col")
    assert conv2d(x32, w32)._ctx.algorithm == "im2col"


@pytest.mark.parametrize(
    "value, error",
    [("winograd", ValueError), ("Direct", ValueError), (1, TypeError), (None, TypeError)],
)
def test_bad_algorithm(value, error):
    with pytest.raises(error, match="set_conv_algorithm"):
        conv_algorithm.set_conv_algorithm(value)
    assert conv_algorithm.get_conv_algorithm() == "auto"
