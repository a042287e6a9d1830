"""max_pool2d and avg_pool2d: Cython kernels vs their NumPy twins, the ops on both backends,
gradcheck, PyTorch as the oracle, hand-worked cases and the bad-input table."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from case_claims import covers
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_conv as tc
from tinygrad_conv import Tensor
from tinygrad_conv.ops.pool import AvgPool2d, MaxPool2d, avg_pool2d, max_pool2d
from tinygrad_conv.reference import pool as twin

pytestmark = pytest.mark.kernels  # make test-debug and CI run these on the checked build

cy = pytest.importorskip("tinygrad_conv._kernels.pool", reason="compiled kernels not built")

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


@st.composite
def geometries(draw):
    """(x shape, kh, kw, sh, sw, ph, pw), PyTorch's rules: padding <= kernel / 2, window fits."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    h = draw(st.integers(max(1, kh - 2 * ph), 9))
    w = draw(st.integers(max(1, kw - 2 * pw), 9))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w)
    return shape, kh, kw, sh, sw, ph, pw


def out_shape(shape, kh, kw, sh, sw, ph, pw):
    n, c, h, w = shape
    return n, c, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1


def values(seed, shape, dtype, ties):
    rng = np.random.default_rng(seed)
    if ties:  # few distinct values: many ties, so "first maximum wins" is exercised
        return rng.integers(-2, 3, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def run_max(kernels, x, geometry, grad_out, threads=1):
    _, kh, kw, sh, sw, ph, pw = geometry
    out = np.empty(out_shape(x.shape, kh, kw, sh, sw, ph, pw), dtype=x.dtype)
    argmax = np.empty(out.shape, dtype=np.intp)
    kernels.max_pool2d_forward(x, out, argmax, kh, kw, sh, sw, ph, pw, threads)
    grad_x = np.full_like(x, np.nan)  # the kernel must overwrite every cell
    kernels.max_pool2d_backward(grad_out.astype(x.dtype), argmax, grad_x, threads)
    return out, argmax, grad_x


def run_avg(kernels, x, geometry, grad_out, threads=1):
    _, kh, kw, sh, sw, ph, pw = geometry
    out = np.empty(out_shape(x.shape, kh, kw, sh, sw, ph, pw), dtype=x.dtype)
    kernels.avg_pool2d_forward(x, out, kh, kw, sh, sw, ph, pw, threads)
    grad_x = np.full_like(x, np.nan)
    kernels.avg_pool2d_backward(grad_out.astype(x.dtype), grad_x, kh, kw, sh, sw, ph, pw, threads)
    return out, grad_x


@settings(deadline=None, max_examples=40)
@given(
    geometries(),
    st.sampled_from([np.float32, np.float64]),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_max_pool_kernel_matches_twin(geometry, dtype, seed, ties):
    x = values(seed, geometry[0], dtype, ties)
    grad_out = values(seed + 1, out_shape(*geometry), dtype, False)
    out, argmax, grad_x = run_max(cy, x, geometry, grad_out)
    out_t, argmax_t, grad_x_t = run_max(twin, x, geometry, grad_out)
    np.testing.assert_array_equal(out, out_t)  # a max picks a value: no rounding at all
    np.testing.assert_array_equal(argmax, argmax_t)
    np.testing.assert_allclose(grad_x, grad_x_t, **TOL[dtype])
    for got, expected in zip(
        run_max(cy, x, geometry, grad_out, threads=2), (out, argmax, grad_x), strict=True
    ):
        np.testing.assert_array_equal(got, expected)  # one thread per plane: bit-identical


@settings(deadline=None, max_examples=40)
@given(geometries(), st.sampled_from([np.float32, np.float64]), st.integers(0, 2**32 - 1))
def test_avg_pool_kernel_matches_twin(geometry, dtype, seed):
    x = values(seed, geometry[0], dtype, False)
    grad_out = values(seed + 1, out_shape(*geometry), dtype, False)
    out, grad_x = run_avg(cy, x, geometry, grad_out)
    out_t, grad_x_t = run_avg(twin, x, geometry, grad_out)
    np.testing.assert_allclose(out, out_t, **TOL[dtype])
    np.testing.assert_allclose(grad_x, grad_x_t, **TOL[dtype])
    again = run_avg(cy, x, geometry, grad_out, threads=2)
    for got, expected in zip(again, (out, grad_x), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_kernels_and_twins_share_signatures():
    import inspect

    for name in (
        "max_pool2d_forward",
        "max_pool2d_backward",
        "avg_pool2d_forward",
        "avg_pool2d_backward",
    ):
        ours, theirs = inspect.signature(getattr(cy, name)), inspect.signature(getattr(twin, name))
        assert list(ours.parameters) == list(theirs.parameters), name


def test_max_pool_nan_and_inf_like_torch_rules():
    nan, inf = np.nan, np.inf
    x = np.array([[[[nan, 1.0, -inf], [nan, 5.0, -inf]]]])
    geometry = (x.shape, 2, 2, 1, 1, 0, 0)
    for kernels in (cy, twin):
        out, argmax, _ = run_max(kernels, x, geometry, np.ones((1, 1, 1, 2)))
        assert np.isnan(out[0, 0, 0, 0]) and argmax[0, 0, 0, 0] == 3  # the last NaN, as PyTorch
        assert out[0, 0, 0, 1] == 5.0 and argmax[0, 0, 0, 1] == 4
    x = np.full((1, 1, 2, 2), -inf)  # an all -inf window points at its first real cell, not padding
    for kernels in (cy, twin):
        _, argmax, grad_x = run_max(kernels, x, (x.shape, 2, 2, 1, 1, 1, 1), np.ones((1, 1, 3, 3)))
        np.testing.assert_array_equal(argmax[0, 0], [[0, 0, 1], [0, 0, 1], [2, 2, 3]])
        assert grad_x.sum() == 9


@pytest.mark.parametrize("fn", [max_pool2d, avg_pool2d])
def test_readonly_and_noncontiguous_inputs(backend, fn):
    rng = np.random.default_rng(1)
    base = rng.standard_normal((2, 3, 9, 7))
    strided = base.transpose(0, 1, 3, 2)[:, :, ::2, :]  # non-contiguous, shape (2, 3, 4, 9)
    strided.flags.writeable = False
    before = strided.copy()
    expected = fn(Tensor(np.ascontiguousarray(before), dtype=np.float64), 3, (2, 1), 1)
    np.testing.assert_array_equal(fn(strided, 3, (2, 1), 1).data, expected.data)  # array as is
    np.testing.assert_array_equal(strided, before)
    # and with a gradient: a transposed tensor reaches the op as a non-contiguous view
    x = Tensor(base, requires_grad=True, dtype=np.float64)
    y = fn(x.transpose(0, 1, 3, 2), 3, (2, 1), 1)
    y.backward(np.ones(y.shape))
    x_copy = Tensor(np.ascontiguousarray(base.transpose(0, 1, 3, 2)), requires_grad=True)
    fn(x_copy, 3, (2, 1), 1).backward(np.ones(y.shape))
    np.testing.assert_array_equal(x.grad, x_copy.grad.transpose(0, 1, 3, 2))


@pytest.mark.parametrize(
    "fn, cls, name", [(max_pool2d, MaxPool2d, "max_pool2d"), (avg_pool2d, AvgPool2d, "avg_pool2d")]
)
def test_graph_node_and_normalised_params(fn, cls, name):
    x = Tensor(np.ones((1, 2, 4, 4)), requires_grad=True)
    y = fn(x, 2)
    assert y.op == name and y.parents == (x,) and y.shape == (1, 2, 2, 2)
    assert y._ctx.fn is cls
    assert y._ctx.params == {"kernel_size": (2, 2), "stride": (2, 2), "padding": (0, 0)}
    z = fn(x, (3, 2), stride=[1, 2], padding=np.int64(1))
    assert z._ctx.params == {"kernel_size": (3, 2), "stride": (1, 2), "padding": (1, 1)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_dtype_follows_input(backend, dtype):
    x = Tensor(np.ones((1, 1, 4, 4), dtype=dtype), requires_grad=True)
    for fn in (max_pool2d, avg_pool2d):
        y = fn(x, 2)
        assert y.dtype == dtype
        y.sum().backward()
        assert x.grad.dtype == dtype


GRAD_CASES = [  # (x shape, kernel_size, stride, padding)
    ((2, 2, 5, 5), 2, None, 0),
    ((1, 2, 6, 5), 3, 1, 1),  # overlapping windows and padding
    ((2, 1, 7, 6), (3, 2), (2, 1), (1, 1)),
    ((1, 3, 4, 4), 1, 2, 0),
    ((1, 1, 3, 3), 3, 1, 1),
]


@covers("gradcheck", "max_pool2d", "avg_pool2d")
@pytest.mark.parametrize("shape, kernel_size, stride, padding", GRAD_CASES)
def test_gradcheck(backend, shape, kernel_size, stride, padding):
    rng = np.random.default_rng(2)
    size = int(np.prod(shape))
    # distinct values 0.1 apart: no ties within a finite-difference step, so max is differentiable
    distinct = (rng.permutation(size) * 0.1).reshape(shape)
    x = Tensor(distinct, requires_grad=True, dtype=np.float64)
    assert tc.gradcheck(lambda a: max_pool2d(a, kernel_size, stride, padding) * 1.5, x)
    y = Tensor(rng.standard_normal(shape), requires_grad=True, dtype=np.float64)
    assert tc.gradcheck(lambda a: avg_pool2d(a, kernel_size, stride, padding) * 1.5, y)


def test_hand_worked_3x3(backend):
    # x = 1 2 3      2x2 windows, stride 1: max 5 6   avg (1+2+4+5)/4 = 3, then 4, 6, 7
    #     4 5 6                             8 9
    #     7 8 9
    x = Tensor(np.arange(1.0, 10.0).reshape(1, 1, 3, 3), requires_grad=True, dtype=np.float64)
    y = max_pool2d(x, 2, stride=1)
    np.testing.assert_array_equal(y.data[0, 0], [[5, 6], [8, 9]])
    y.sum().backward()  # each window's gradient goes to its maximum (the bottom-right cell)
    np.testing.assert_array_equal(x.grad[0, 0], [[0, 0, 0], [0, 1, 1], [0, 1, 1]])
    x.zero_grad()
    z = avg_pool2d(x, 2, stride=1)
    np.testing.assert_allclose(z.data[0, 0], [[3, 4], [6, 7]])
    z.sum().backward()  # 1/4 from every window that covers a cell: the centre is in all four
    np.testing.assert_allclose(x.grad[0, 0], [[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]])


def test_hand_worked_padding_and_ties(backend):
    x = Tensor(np.arange(1.0, 10.0).reshape(1, 1, 3, 3), requires_grad=True, dtype=np.float64)
    # kernel 2, stride 2, padding 1: windows cover rows/cols {-1, 0} and {1, 2}; padded zeros count
    z = avg_pool2d(x, 2, stride=2, padding=1)
    expected = [[1 / 4, (2 + 3) / 4], [(4 + 7) / 4, (5 + 6 + 8 + 9) / 4]]
    np.testing.assert_allclose(z.data[0, 0], expected)
    y = max_pool2d(x, 2, stride=2, padding=1)  # padding never wins, even over negative values
    np.testing.assert_array_equal(y.data[0, 0], [[1, 3], [7, 9]])
    flat = Tensor(-np.ones((1, 1, 2, 2)), requires_grad=True)  # a tie: the first maximum gets all
    max_pool2d(flat, 2).sum().backward()
    np.testing.assert_array_equal(flat.grad[0, 0], [[1, 0], [0, 0]])


TORCH_GRID = [
    (k, s, p)
    for k in (1, 2, 3, (2, 3))
    for s in (None, 1, 2, (1, 2))
    for p in (0, 1, (0, 1))
    if 2 * max(np.atleast_1d(p)) <= min(np.atleast_1d(k))
]


@covers("torch", "max_pool2d", "avg_pool2d")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
def test_matches_torch(backend, name, dtype):
    torch = pytest.importorskip("torch")
    fn = {"max_pool2d": max_pool2d, "avg_pool2d": avg_pool2d}[name]
    rtol, atol = (1e-4, 1e-5) if dtype == np.float32 else (1e-10, 1e-12)
    rng = np.random.default_rng(3)
    for i, (k, s, p) in enumerate(TORCH_GRID):
        shape = (2, 3, 7 + i % 3, 6 + i % 2)
        data = rng.integers(-3, 4, shape) if i % 2 else rng.standard_normal(shape)  # ties as well
        x = Tensor(data, requires_grad=True, dtype=dtype)
        y = fn(x, k, s, p)
        grad_out = rng.standard_normal(y.shape).astype(dtype)
        y.backward(grad_out)
        tx = torch.tensor(x.data, requires_grad=True)
        ty = getattr(torch.nn.functional, name)(tx, k, s, p)
        ty.backward(torch.tensor(grad_out))
        case = f"kernel_size={k} stride={s} padding={p} shape={shape}"
        np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=rtol, atol=atol, err_msg=case)
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=rtol, atol=atol, err_msg=case)


BAD = [  # (x shape, kwargs, exception, message fragments)
    ((2, 3, 4), dict(kernel_size=2), ValueError, ["x", "4-D", "(2, 3, 4)"]),
    ((1, 1, 4, 4), dict(kernel_size=0), ValueError, ["kernel_size", ">= 1", "0"]),
    ((1, 1, 4, 4), dict(kernel_size=(2, -1)), ValueError, ["kernel_size", ">= 1"]),
    ((1, 1, 4, 4), dict(kernel_size=1.5), TypeError, ["kernel_size", "int", "1.5"]),
    ((1, 1, 4, 4), dict(kernel_size=(1, 2, 3)), TypeError, ["kernel_size", "pair"]),
    ((1, 1, 4, 4), dict(kernel_size=None), TypeError, ["kernel_size", "None"]),
    ((1, 1, 4, 4), dict(kernel_size=2, stride=0), ValueError, ["stride", ">= 1", "0"]),
    ((1, 1, 4, 4), dict(kernel_size=2, stride="2"), TypeError, ["stride", "'2'"]),
    ((1, 1, 4, 4), dict(kernel_size=2, padding=-1), ValueError, ["padding", ">= 0", "-1"]),
    ((1, 1, 4, 4), dict(kernel_size=3, padding=2), ValueError, ["padding", "half", "(3, 3)"]),
    ((1, 1, 4, 4), dict(kernel_size=2, padding="same"), TypeError, ["padding", "same"]),
    ((1, 1, 4, 4), dict(kernel_size=(5, 2)), ValueError, ["kernel_size", "(5, 2)", "(4, 4)"]),
    ((1, 1, 2, 3), dict(kernel_size=5, padding=1), ValueError, ["kernel_size", "padded", "(4, 5)"]),
    ((1, 0, 4, 4), dict(kernel_size=2), ValueError, ["x", "C, H and W", "(1, 0, 4, 4)"]),
]


@pytest.mark.parametrize("fn", [max_pool2d, avg_pool2d])
@pytest.mark.parametrize("shape, kwargs, error, fragments", BAD)
def test_bad_input(backend, fn, shape, kwargs, error, fragments, monkeypatch):
    cls = MaxPool2d if fn is max_pool2d else AvgPool2d

    def no_forward(*args, **kw):
        raise AssertionError("forward ran on bad input")

    monkeypatch.setattr(cls, "forward", staticmethod(no_forward))
    x = Tensor(np.arange(float(np.prod(shape))).reshape(shape), requires_grad=True)
    x.grad = np.full(shape, 7.0, dtype=x.dtype)
    data, grad = x.data.copy(), x.grad.copy()
    with pytest.raises(error) as info:
        fn(x, **kwargs)
    message = str(info.value)
    assert message.startswith(fn.__name__ + ":"), message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    np.testing.assert_array_equal(x.data, data)
    np.testing.assert_array_equal(x.grad, grad)


def test_bad_dtype_raises_type_error():
    # Tensor data is always float; an op called on a raw integer array sees float32 (API.md), so
    # the dtype check is reached only through the Function itself
    with pytest.raises(TypeError, match="max_pool2d: x must be float32 or float64, got dtype int"):
        MaxPool2d.check(np.ones((1, 1, 2, 2), dtype=np.int64), 2)


def test_nasty_geometry_in_subprocess():
    """A window far larger than the input and a huge stride: a clean ValueError or a result, never a
    crash (a segfault would kill this child process and fail the test)."""
    script = textwrap.dedent("""
        import numpy as np
        from tinygrad_conv import Tensor
        from tinygrad_conv.ops.pool import avg_pool2d, max_pool2d
        x = Tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
        for fn in (max_pool2d, avg_pool2d):
            try:
                fn(x, (10**6, 2), stride=1, padding=0)
            except ValueError as err:
                assert "kernel_size" in str(err)
            else:
                raise SystemExit("no error")
            y = fn(x, 2, stride=10**9, padding=1)
            y.sum().backward()
            assert y.shape == (1, 1, 1, 1)
        print("ok")
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr
