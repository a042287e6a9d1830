"""batchnorm kernels: Cython vs the NumPy twin on hypothesis shapes (float32 and float64, lane and
chunk boundaries, means far from zero), 1 vs 2 threads bit-identical, the float32 variance against
an exact float64 one, constant channels, and the same names and signatures in both backends."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_conv.reference import batchnorm as twin

cy = pytest.importorskip("tinygrad_conv._kernels.batchnorm", reason="kernels not built")

pytestmark = pytest.mark.kernels  # make test-debug and CI run these on the checked build

NAMES = (
    "batch_norm_forward_train",
    "batch_norm_forward_eval",
    "batch_norm_backward_train",
    "batch_norm_backward_eval",
)
TOL = {np.float32: 1e-5, np.float64: 1e-12}
# 32 lanes, 1024-element chunks: lengths on both sides of each boundary
LENGTHS = [1, 2, 5, 31, 32, 33, 64, 100, 1023, 1024, 1025, 2100]


def run(kernels, x, weight, bias, grad_out, eps, threads=1):
    """Every kernel once; returns a dict of every output."""
    c = x.shape[1]
    out = {}
    y, mean, var, invstd = (
        np.full_like(x, np.nan),
        np.full(c, np.nan),
        np.full(c, np.nan),
        np.full(c, np.nan),
    )
    kernels.batch_norm_forward_train(x, weight, bias, y, mean, var, invstd, eps, threads)
    out.update(y=y, mean=mean, var=var, invstd=invstd)
    grad_x, sum_dy, sum_dy_xmu = np.full_like(x, np.nan), np.full(c, np.nan), np.full(c, np.nan)
    kernels.batch_norm_backward_train(
        x, grad_out, mean, invstd, weight, grad_x, sum_dy, sum_dy_xmu, True, threads
    )
    out.update(grad_x=grad_x, sum_dy=sum_dy, sum_dy_xmu=sum_dy_xmu)
    # eval with fixed "running" statistics, the same for both backends
    run_mean = np.linspace(-1, 1, c) + float(x.mean())
    run_invstd = 1 / np.sqrt(np.linspace(0.5, 2, c) + eps)
    y_eval = np.full_like(x, np.nan)
    kernels.batch_norm_forward_eval(x, run_mean, run_invstd, weight, bias, y_eval, threads)
    grad_eval, s1, s2 = np.full_like(x, np.nan), np.full(c, np.nan), np.full(c, np.nan)
    kernels.batch_norm_backward_eval(
        x, grad_out, run_mean, run_invstd, weight, grad_eval, s1, s2, True, True, threads
    )
    out.update(y_eval=y_eval, grad_eval=grad_eval, sum_dy_eval=s1, sum_dy_xmu_eval=s2)
    return out


def case(n, c, length, dtype, offset, seed):
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.5, 3, c)[None, :, None]
    x = (rng.standard_normal((n, c, length)) * scale + offset).astype(dtype)
    weight = rng.standard_normal(c).astype(dtype)
    bias = rng.standard_normal(c).astype(dtype)
    grad_out = rng.standard_normal((n, c, length)).astype(dtype)
    return x, weight, bias, grad_out


@settings(deadline=None, max_examples=40)
@given(
    st.integers(1, 5),
    st.integers(1, 4),
    st.sampled_from(LENGTHS),
    st.sampled_from([np.float32, np.float64]),
    st.sampled_from([0.0, 5.0, -300.0]),
    st.integers(0, 2**32 - 1),
)
def test_kernels_match_twin(n, c, length, dtype, offset, seed):
    if n * length < 2:
        n = 2
    x, weight, bias, grad_out = case(n, c, length, dtype, offset, seed)
    got, expected = (
        run(cy, x, weight, bias, grad_out, 1e-5),
        run(twin, x, weight, bias, grad_out, 1e-5),
    )
    tol = TOL[dtype]
    # Outputs are differences of numbers as large as |x| / std: float32 rounds at that size.
    big = float(np.abs(x).max() / x.std(axis=(0, 2)).min()) + 1
    for name in ("y", "y_eval", "grad_x", "grad_eval"):
        scale = float(np.abs(expected[name]).max()) + 1
        np.testing.assert_allclose(
            got[name], expected[name], rtol=tol, atol=tol * big * scale, err_msg=name
        )
    np.testing.assert_allclose(got["mean"], expected["mean"], rtol=tol, atol=tol)
    for name in ("var", "invstd"):
        np.testing.assert_allclose(got[name], expected[name], rtol=tol * 10, err_msg=name)
    m = n * length
    for name in ("sum_dy", "sum_dy_xmu", "sum_dy_eval", "sum_dy_xmu_eval"):
        bound = tol * big * m * float(np.abs(grad_out).max() * np.abs(x).max() + 1)
        np.testing.assert_allclose(got[name], expected[name], rtol=tol, atol=bound, err_msg=name)
    again = run(cy, x, weight, bias, grad_out, 1e-5, threads=2)
    for name, value in got.items():  # one thread per channel: bit-identical
        np.testing.assert_array_equal(again[name], value, err_msg=name)


@pytest.mark.parametrize("n, c, length", [(50, 100, 1), (7, 33, 1), (3, 40, 7), (2, 17, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_many_channels(n, c, length, dtype):
    """(N, C) inputs take the row order, a block of channels per thread; short L the channel one."""
    x, weight, bias, grad_out = case(n, c, length, dtype, 2.0, 3)
    got, expected = (
        run(cy, x, weight, bias, grad_out, 1e-5),
        run(twin, x, weight, bias, grad_out, 1e-5),
    )
    tol = TOL[dtype] * 10
    for name, value in expected.items():
        np.testing.assert_allclose(got[name], value, rtol=tol, atol=tol * n * length, err_msg=name)
    again = run(cy, x, weight, bias, grad_out, 1e-5, threads=2)
    for name, value in got.items():
        np.testing.assert_array_equal(again[name], value, err_msg=name)


@pytest.mark.parametrize("offset", [0.0, 1e3, 1e4, -3e4])
def test_float32_variance_is_accurate_far_from_zero(offset):
    """A float32 channel with mean `offset` and std 1: the naive sum of squares in float32 would
    lose every digit; the shifted sums in float64 lanes keep about 1e-6."""
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((16, 2, 3000)) + offset).astype(np.float32)
    y, mean, var, invstd = np.empty_like(x), np.empty(2), np.empty(2), np.empty(2)
    w, b = np.ones(2, np.float32), np.zeros(2, np.float32)
    cy.batch_norm_forward_train(x, w, b, y, mean, var, invstd, 1e-5, 1)
    exact = x.astype(np.float64)
    np.testing.assert_allclose(mean, exact.mean(axis=(0, 2)), rtol=1e-12, atol=1e-7)  # std 1
    np.testing.assert_allclose(var, exact.var(axis=(0, 2)), rtol=1e-6)
    assert abs(float(y.astype(np.float64).std()) - 1) < 1e-3


@pytest.mark.parametrize("outlier", [1e4, -3e5])
def test_float32_variance_with_an_outlier_first(outlier):
    """The first value is the worst shift there is: the kernel shifts by the mean of the first
    values instead, and keeps about 1e-6."""
    x = np.random.default_rng(2).standard_normal((64, 2, 3136)).astype(np.float32)
    x[0, :, 0] = outlier
    y, mean, var, invstd = np.empty_like(x), np.empty(2), np.empty(2), np.empty(2)
    w, b = np.ones(2, np.float32), np.zeros(2, np.float32)
    cy.batch_norm_forward_train(x, w, b, y, mean, var, invstd, 1e-5, 1)
    np.testing.assert_allclose(var, x.astype(np.float64).var(axis=(0, 2)), rtol=2e-6)


@pytest.mark.parametrize("kernels", [cy, twin], ids=["cython", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_constant_channel(kernels, dtype):
    """Zero variance exactly (no negative rounding): y = bias, and a zero grad_x."""
    x = np.full((3, 1, 50), 7.25, dtype)
    w, b = np.array([2.0], dtype), np.array([0.5], dtype)
    y, mean, var, invstd = np.empty_like(x), np.empty(1), np.empty(1), np.empty(1)
    kernels.batch_norm_forward_train(x, w, b, y, mean, var, invstd, 1e-5, 1)
    assert mean[0] == 7.25 and var[0] == 0.0
    assert invstd[0] == pytest.approx(1 / np.sqrt(1e-5))
    np.testing.assert_array_equal(y, np.full_like(x, 0.5))
    grad_out = np.random.default_rng(0).standard_normal(x.shape).astype(dtype)
    grad_x, s1, s2 = np.empty_like(x), np.empty(1), np.empty(1)
    kernels.batch_norm_backward_train(x, grad_out, mean, invstd, w, grad_x, s1, s2, True, 1)
    assert s2[0] == 0.0
    # dy - mean(dy): what is left of the gradient when x_hat is all zero
    expected = 2 * invstd[0] * (grad_out - grad_out.mean(dtype=np.float64))
    np.testing.assert_allclose(grad_x, expected, rtol=1e-4 if dtype == np.float32 else 1e-10)


def test_hand_worked_channel():
    """One channel of values 1, 2, 3, 6: mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5."""
    x = np.array([[[1.0, 2.0]], [[3.0, 6.0]]])  # (N=2, C=1, L=2)
    w, b = np.array([2.0]), np.array([1.0])
    y, mean, var, invstd = np.empty_like(x), np.empty(1), np.empty(1), np.empty(1)
    cy.batch_norm_forward_train(x, w, b, y, mean, var, invstd, 0.0, 1)
    assert mean[0] == 3.0 and var[0] == 3.5
    np.testing.assert_allclose(
        y.ravel(), 2 * np.array([-2, -1, 0, 3]) / np.sqrt(3.5) + 1, rtol=1e-15
    )
    # with grad_out = x_hat itself, dy - mean(dy) - x_hat * mean(dy * x_hat) = x_hat - x_hat = 0
    x_hat = np.array([-2.0, -1.0, 0.0, 3.0]).reshape(x.shape) / np.sqrt(3.5)
    grad_x, s1, s2 = np.empty_like(x), np.empty(1), np.empty(1)
    cy.batch_norm_backward_train(x, x_hat, mean, invstd, w, grad_x, s1, s2, True, 1)
    np.testing.assert_allclose(grad_x, 0, atol=1e-15)
    assert s1[0] == pytest.approx(0, abs=1e-15) and s2[0] == pytest.approx(14 / np.sqrt(3.5))


def test_backward_without_grad_x_leaves_it_alone():
    x, w, _, grad_out = case(4, 3, 40, np.float64, 0.0, 2)
    mean, invstd = x.mean(axis=(0, 2)), 1 / x.std(axis=(0, 2))
    for kernels in (cy, twin):
        s1, s2 = np.empty(3), np.empty(3)
        kernels.batch_norm_backward_train(
            x, grad_out, mean, invstd, w, np.empty((0, 0, 0)), s1, s2, False, 1
        )
        np.testing.assert_allclose(s1, grad_out.sum(axis=(0, 2)), rtol=1e-12)
        s3, s4 = np.full(3, 5.0), np.full(3, 5.0)
        grad_x = np.empty_like(x)
        kernels.batch_norm_backward_eval(
            x, grad_out, mean, invstd, w, grad_x, s3, s4, True, False, 1
        )
        np.testing.assert_array_equal(s3, 5.0)  # need_sums=False: untouched
        np.testing.assert_allclose(grad_x, grad_out * (w * invstd)[None, :, None], rtol=1e-12)


def test_both_backends_have_the_same_signatures():
    for name in NAMES:
        ours, theirs = inspect.signature(getattr(cy, name)), inspect.signature(getattr(twin, name))
        assert list(ours.parameters) == list(theirs.parameters), name
        defaults = [p.default for p in theirs.parameters.values()]
        assert [p.default for p in ours.parameters.values()] == defaults, name
