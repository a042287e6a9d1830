"""Every op of the PyTorch vocabulary through tc.gradcheck in float64 on both backends, and the
leaky_relu and gelu kernels against their NumPy twins."""

from __future__ import annotations

import numpy as np
import pytest
from strategies import draw_values

import tinygrad_conv as tc
import tinygrad_conv.functional as F
from tinygrad_conv import Tensor
from tinygrad_conv._backend import _load, _load_cython

# (id, fn, input shapes, kind): as in test_gradcheck.py; ids are the ops' public names + a suffix.
GRADCHECK_CASES = [
    ("abs", lambda a: a.abs(), [(3, 4)], "nonzero"),
    ("sqrt", lambda a: tc.sqrt(a), [(2, 3)], "positive"),
    ("clamp", lambda a: a.clamp(-0.5, 0.5), [(4, 5)], "nonzero"),
    ("clamp_max_only", lambda a: a.clamp(max=0.3), [(4, 5)], "nonzero"),
    ("clip", lambda a: tc.clip(a, min=-0.2), [(3, 3)], "nonzero"),
    ("maximum_bcast", lambda a, b: tc.maximum(a, b), [(3, 1), (1, 4)], "distinct"),
    ("minimum_bcast", lambda a, b: tc.minimum(a, b), [(2, 3, 4), (4,)], "distinct"),
    ("where", lambda a, b: tc.where(a > 0, a, b), [(3, 4), (4,)], "nonzero"),
    ("where_scalar", lambda a: tc.where(a > 0, a * 2, 0.5), [(3, 4)], "nonzero"),
    ("cat", lambda a, b: tc.cat([a, b, a], dim=-1), [(2, 3), (2, 1)], "normal"),
    ("concat", lambda a, b: tc.concat([a, b]), [(1, 3), (2, 3)], "normal"),
    ("stack", lambda a, b: tc.stack([a, b], dim=2), [(2, 3), (2, 3)], "normal"),
    ("unsqueeze", lambda a: a.unsqueeze(1) * a.unsqueeze(0), [(3,)], "normal"),
    ("squeeze", lambda a: a.squeeze((0, 2)), [(1, 3, 1)], "normal"),
    (
        "permute",
        lambda a: a.permute(1, 2, 0) * np.arange(24.0).reshape(3, 4, 2),
        [(2, 3, 4)],
        "normal",
    ),
    ("transpose_swap_2d", lambda a: a.transpose(0, 1) @ a, [(3, 2)], "normal"),
    ("view", lambda a: a.view(2, -1) ** 2, [(3, 4)], "normal"),
    ("view_as", lambda a: a.view_as(Tensor(np.zeros((4, 3)))) ** 2, [(2, 6)], "normal"),
    ("expand", lambda a: a.expand(2, -1, 3) * np.arange(12.0).reshape(2, 2, 3), [(2, 1)], "normal"),
    ("var", lambda a: a.var(1), [(3, 4)], "normal"),
    ("var_biased_keepdim", lambda a: a.var(dim=0, correction=0, keepdim=True), [(3, 4)], "normal"),
    ("std", lambda a: a.std(), [(3, 4)], "normal"),
    ("std_unbiased_false", lambda a: a.std((0, 2), unbiased=False), [(2, 3, 2)], "normal"),
    ("logsumexp", lambda a: a.logsumexp(1), [(3, 4)], "normal"),
    ("logsumexp_large", lambda a: (a * 500).logsumexp(0), [(3, 2)], "distinct"),
    ("leaky_relu", lambda a: a.leaky_relu(), [(4, 5)], "nonzero"),
    ("leaky_relu_slope", lambda a: F.leaky_relu(a, 0.3), [(4, 5)], "nonzero"),
    ("gelu", lambda a: a.gelu(), [(4, 5)], "normal"),
    ("gelu_tanh", lambda a: a.gelu(approximate="tanh"), [(4, 5)], "normal"),
    ("pad", lambda a: F.pad(a, (1, 2, 0, 1), value=1.0) ** 2, [(2, 3)], "normal"),
    ("pad_crop", lambda a: F.pad(a, (-1, 1)) ** 2, [(2, 3)], "normal"),
    ("max_dim", lambda a: a.max(1).values, [(3, 4)], "distinct"),
    ("min_dim_keepdim", lambda a: a.min(0, keepdim=True)[0], [(3, 4)], "distinct"),
    ("min", lambda a: tc.min(a), [(3, 4)], "distinct"),
    ("max_two", lambda a, b: tc.max(a, b), [(3, 4), (3, 4)], "distinct"),
]


@pytest.mark.parametrize("case", GRADCHECK_CASES, ids=[c[0] for c in GRADCHECK_CASES])
def test_gradcheck(backend, case):
    _, fn, shapes, kind = case
    rng = np.random.default_rng(0)
    inputs = [Tensor(draw_values(rng, s, kind), requires_grad=True) for s in shapes]
    assert tc.gradcheck(fn, *inputs)


def test_ties_in_maximum_split_the_gradient():
    a = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = Tensor(np.array([1.0, 5.0, 0.0]), requires_grad=True)
    tc.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad, [0.5, 1.0, 0.0])


def test_clamp_passes_the_gradient_at_its_bounds():
    x = Tensor(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]), requires_grad=True)
    x.clamp(0.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_an_infinite_upstream_grad_stays_out_of_the_side_not_picked():
    """PyTorch's masked_fill: exact zeros where an input was not picked, not inf * 0 = NaN."""
    a = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = Tensor(np.array([0.0, 5.0, 3.0]), requires_grad=True)
    tc.maximum(a, b).backward(np.array([np.inf, 1.0, np.nan]))
    np.testing.assert_array_equal(a.grad, [np.inf, 0.0, np.nan])
    np.testing.assert_array_equal(b.grad, [0.0, 1.0, np.nan])
    x = Tensor(np.array([-1.0, 1.0]), requires_grad=True)
    tc.where(x > 0, x, 0.0).backward(np.array([np.inf, np.inf]))
    np.testing.assert_array_equal(x.grad, [0.0, np.inf])
    y = Tensor(np.array([-1.0, 0.5]), requires_grad=True)
    y.clamp(0, 1).backward(np.array([np.inf, 2.0]))
    np.testing.assert_array_equal(y.grad, [0.0, 2.0])


def test_leaky_relu_gradient_at_zero_is_the_slope():
    x = Tensor(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    y = x.leaky_relu(0.1)
    np.testing.assert_allclose(y.data, [-0.2, 0.0, 3.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [0.1, 0.1, 1.0])


KERNELS = [
    ("leaky_relu_forward", (0.07,), 1),
    ("leaky_relu_backward", (0.07,), 2),
    ("gelu_forward", (False,), 1),
    ("gelu_forward", (True,), 1),
    ("clamp_forward", (-0.5, 0.7), 1),
    ("clamp_forward", (-np.inf, 0.2), 1),
    ("clamp_backward", (-0.5, 0.7), 2),
    ("clamp_backward", (0.0, np.inf), 2),
    ("gelu_backward", (False,), 2),
    ("gelu_backward", (True,), 2),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, extra, n_in", KERNELS, ids=[f"{k[0]}-{k[1][0]}" for k in KERNELS])
def test_kernel_matches_its_numpy_twin(name, extra, n_in, dtype):
    hypothesis = pytest.importorskip("hypothesis")
    from strategies import float_arrays

    try:
        cython = _load_cython()
    except ImportError:
        pytest.skip("compiled kernels not built")
    numpy_twins = _load("tinygrad_conv.reference")

    @hypothesis.given(
        data=hypothesis.strategies.data(),
        size=hypothesis.strategies.integers(0, 300),
        threads=hypothesis.strategies.sampled_from([1, 2]),
    )
    def run(data, size, threads):
        arrays = [data.draw(float_arrays((size,), dtype, -6.0, 6.0)) for _ in range(n_in)]
        arrays[0][: size // 5] = 0.0  # the kink of leaky_relu
        outs = [np.full(size, np.nan, dtype=dtype) for _ in range(2)]
        getattr(cython, name)(*arrays, outs[0], *extra, threads)
        getattr(numpy_twins, name)(*arrays, outs[1], *extra, threads)
        # atol: in gelu's far tail Phi(x) + x phi(x) cancels, and C's erf and Python's differ
        # in their last bits there
        tol = (
            {"rtol": 1e-6, "atol": 1e-7} if dtype == np.float32 else {"rtol": 1e-13, "atol": 1e-13}
        )
        np.testing.assert_allclose(outs[0], outs[1], **tol)

    run()


def test_kernel_keeps_nan():
    for backend in ("numpy", "cython"):
        tc.set_backend(backend)
        try:
            out = Tensor(np.array([np.nan, -1.0])).leaky_relu()
            assert np.isnan(out.data[0]) and out.data[1] == pytest.approx(-0.01)
            assert np.isnan(Tensor(np.array([np.nan])).gelu().data[0])
        finally:
            tc.set_backend("numpy")
