"""conv2d end to end: kernels vs NumPy twin, gradcheck, PyTorch, a hand-worked case, bad input."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from case_claims import covers

import tinygrad_conv as tc
import tinygrad_conv.reference.conv2d as twin
from tinygrad_conv import Tensor
from tinygrad_conv.ops.conv import conv2d

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

cy = pytest.importorskip("tinygrad_conv._kernels.conv2d", reason="compiled kernels not built")
pytestmark = pytest.mark.kernels  # make test-debug and CI run these on the checked build

TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


@st.composite
def kernel_geometries(draw):
    """(x shape, cols shape, sh, sw, ph, pw, dh, dw) for any valid output size."""
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    kh, kw, sh, sw, dh, dw = (draw(st.integers(1, 3)) for _ in range(6))
    ph, pw, pb, pr = (draw(st.integers(0, 3)) for _ in range(4))
    oh = (h + ph + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (w + pw + pr - dw * (kw - 1) - 1) // sw + 1
    hypothesis.assume(oh >= 1 and ow >= 1)
    return (n, c, h, w), (n, c, kh, kw, oh, ow), sh, sw, ph, pw, dh, dw


def _random(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


@settings(deadline=None, max_examples=40)
@given(
    geometry=kernel_geometries(),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
def test_kernels_match_twin(geometry, dtype, seed):
    x_shape, cols_shape, *params = geometry
    rng = np.random.default_rng(seed)
    x = _random(rng, x_shape, dtype)
    cols_cy, cols_np = np.full(cols_shape, np.nan, dtype), np.full(cols_shape, np.nan, dtype)
    cy.im2col(x, cols_cy, *params, 2)
    twin.im2col(x, cols_np, *params)
    np.testing.assert_array_equal(cols_cy, cols_np)  # a pure copy: exact
    grad_cols = _random(rng, cols_shape, dtype)
    x_cy, x_np = np.full(x_shape, np.nan, dtype), np.full(x_shape, np.nan, dtype)
    cy.col2im(grad_cols, x_cy, *params, 2)
    twin.col2im(grad_cols, x_np, *params)
    np.testing.assert_allclose(x_cy, x_np, **TOL[dtype])
    # col2im is im2col's adjoint: <im2col(x), g> == <x, col2im(g)>
    np.testing.assert_allclose(
        np.vdot(cols_np.astype(np.float64), grad_cols),
        np.vdot(x.astype(np.float64), x_np),
        rtol=1e-4 if dtype == np.float32 else 1e-10,
        atol=1e-4,
    )


@settings(deadline=None, max_examples=15)
@given(geometry=kernel_geometries(), seed=st.integers(0, 2**16))
def test_kernels_one_and_two_threads_identical(geometry, seed):
    x_shape, cols_shape, *params = geometry
    rng = np.random.default_rng(seed)
    x, grad_cols = _random(rng, x_shape, np.float32), _random(rng, cols_shape, np.float32)
    outs = []
    for threads in (1, 2):
        cols, grad_x = np.empty(cols_shape, np.float32), np.empty(x_shape, np.float32)
        cy.im2col(x, cols, *params, threads)
        cy.col2im(grad_cols, grad_x, *params, threads)
        outs.append((cols, grad_x))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])


def test_both_backends_export_the_same_signatures():
    import inspect

    for name, first in (("im2col", ["x", "cols"]), ("col2im", ["cols", "x"])):
        expected = first + ["sh", "sw", "ph", "pw", "dh", "dw", "num_threads"]
        assert list(inspect.signature(getattr(twin, name)).parameters) == expected
        assert list(inspect.signature(getattr(cy, name)).parameters) == expected


def test_graph_node_and_params(backend):
    x = Tensor(np.ones((1, 2, 6, 6), np.float32), requires_grad=True)
    w = Tensor(np.ones((4, 1, 2, 2), np.float32), requires_grad=True)
    y = conv2d(x, w, stride=2, padding=1, dilation=(1, 2), groups=2)
    assert y.op == "conv2d" and y.parents == (x, w) and y.dtype == np.float32
    params = y._ctx.params
    assert params["stride"] == (2, 2) and params["padding"] == (1, 1, 1, 1)
    assert params["dilation"] == (1, 2) and params["groups"] == 2
    assert (params["geometry"].oh, params["geometry"].ow) == y.shape[2:]


def test_read_only_and_non_contiguous_inputs(backend, rng):
    base = rng.standard_normal((2, 6, 10, 12)).astype(np.float32)
    x = base[:, ::2, ::2, 1::2]  # non-contiguous (2, 3, 5, 6)
    weight = np.asfortranarray(rng.standard_normal((4, 3, 3, 2)).astype(np.float32))
    bias = rng.standard_normal(4).astype(np.float32)
    for a in (base, weight, bias):
        a.flags.writeable = False
    x_before = x.copy()
    xt, wt, bt = (Tensor._make(a, True, None) for a in (x, weight, bias))
    y = tc.conv2d(xt, wt, bt, stride=(1, 2), padding=1)
    y.backward(np.ones(y.shape, np.float32))
    ref = [Tensor(np.ascontiguousarray(a), requires_grad=True) for a in (x, weight, bias)]
    y_ref = conv2d(*ref, stride=(1, 2), padding=1)
    y_ref.backward(np.ones(y.shape, np.float32))
    np.testing.assert_array_equal(y.data, y_ref.data)
    for t, r in zip((xt, wt, bt), ref, strict=True):
        np.testing.assert_allclose(t.grad, r.grad, rtol=1e-6)
    np.testing.assert_array_equal(x, x_before)


def test_only_needed_gradients(backend, rng):
    x = Tensor(rng.standard_normal((2, 3, 5, 5)))
    w = Tensor(rng.standard_normal((2, 3, 3, 3)), requires_grad=True)
    b = Tensor(rng.standard_normal(2))
    conv2d(x, w, b).sum().backward()
    assert x.grad is None and b.grad is None and w.grad.shape == (2, 3, 3, 3)


# (id, x shape, weight shape, bias?, stride, padding, dilation, groups)
GRADCHECK_CASES = [
    ("basic", (2, 2, 5, 5), (3, 2, 3, 3), True, 1, 0, 1, 1),
    ("pad_stride", (1, 2, 6, 7), (2, 2, 3, 2), True, 2, 1, 1, 1),
    ("pair_args", (2, 1, 7, 6), (2, 1, 2, 3), False, (2, 1), (0, 2), (2, 1), 1),
    ("same_even", (1, 2, 5, 6), (2, 2, 2, 4), True, 1, "same", 1, 1),
    ("groups", (1, 4, 5, 5), (6, 2, 3, 3), True, 1, 1, 1, 2),
    ("depthwise", (2, 3, 5, 5), (3, 1, 3, 3), True, (1, 2), 1, 2, 3),
    ("kernel_1x1", (2, 3, 3, 4), (2, 3, 1, 1), True, 1, 0, 1, 1),
]


@covers("gradcheck", "conv2d")
@pytest.mark.parametrize("case", GRADCHECK_CASES, ids=[c[0] for c in GRADCHECK_CASES])
def test_gradcheck(backend, rng, case):
    _, x_shape, w_shape, has_bias, stride, padding, dilation, groups = case
    inputs = [
        Tensor(rng.standard_normal(x_shape), requires_grad=True),
        Tensor(rng.standard_normal(w_shape), requires_grad=True),
    ]
    if has_bias:
        inputs.append(Tensor(rng.standard_normal(w_shape[0]), requires_grad=True))

    def fn(*args):
        bias = args[2] if has_bias else None
        return conv2d(args[0], args[1], bias, stride, padding, dilation, groups)

    assert tc.gradcheck(fn, *inputs)


# (x shape, weight shape, stride, padding, dilation, groups)
TORCH_GRID = [
    ((2, 3, 8, 8), (4, 3, 1, 1), 1, 0, 1, 1),
    ((2, 3, 8, 8), (4, 3, 2, 2), 1, 0, 1, 1),
    ((2, 3, 8, 8), (4, 3, 3, 3), 1, 1, 1, 1),
    ((2, 3, 9, 9), (4, 3, 5, 5), 1, 2, 1, 1),
    ((2, 3, 9, 7), (5, 3, 3, 2), 1, 0, 1, 1),
    ((2, 3, 9, 8), (4, 3, 3, 3), 2, 1, 1, 1),
    ((2, 3, 10, 9), (4, 3, 3, 3), (2, 3), (1, 2), 1, 1),
    ((2, 3, 8, 8), (4, 3, 3, 3), 1, "valid", 1, 1),
    ((2, 3, 8, 8), (4, 3, 3, 3), 1, "same", 1, 1),
    ((2, 3, 8, 7), (4, 3, 2, 2), 1, "same", 1, 1),
    ((2, 3, 8, 7), (4, 3, 4, 3), 1, "same", (2, 1), 1),
    ((2, 3, 10, 10), (4, 3, 3, 3), 1, 2, 2, 1),
    ((2, 3, 11, 10), (4, 3, 3, 2), 2, 1, (2, 3), 1),
    ((2, 4, 8, 8), (6, 2, 3, 3), 1, 1, 1, 2),
    ((2, 4, 8, 8), (4, 1, 3, 3), 1, 1, 1, 4),
    ((2, 4, 9, 9), (8, 1, 5, 5), 2, "valid", 1, 4),
    ((1, 1, 5, 5), (1, 1, 3, 3), 2, 0, 1, 1),
]


@covers("torch", "conv2d")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geometry", TORCH_GRID, ids=[str(i) for i in range(len(TORCH_GRID))])
def test_matches_torch(backend, torch, rng, dtype, geometry):
    x_shape, w_shape, stride, padding, dilation, groups = geometry
    arrays = [rng.standard_normal(s).astype(dtype) for s in (x_shape, w_shape, (w_shape[0],))]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    y = conv2d(*ours, stride, padding, dilation, groups)
    grad_out = rng.standard_normal(y.shape).astype(dtype)
    y.backward(grad_out)
    theirs = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    y_ref = torch.nn.functional.conv2d(
        *theirs, stride=stride, padding=padding, dilation=dilation, groups=groups
    )
    y_ref.backward(torch.from_numpy(grad_out))
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(y.data, y_ref.detach().numpy(), **tol)
    for name, t, r in zip(("x", "weight", "bias"), ours, theirs, strict=True):
        assert t.grad.dtype == dtype, name
        np.testing.assert_allclose(t.grad, r.grad.numpy(), err_msg=name, **tol)


def test_seed_example_by_hand(backend):
    # x[i, j] = 5 i + j, and a filter that subtracts the column two to the right from each column:
    # every window gives (x[., j] - x[., j+2]) summed over 3 rows = 3 * (-2) = -6, plus bias 1.
    x = Tensor(np.arange(25.0).reshape(1, 1, 5, 5), requires_grad=True)
    w = Tensor(np.array([[[[1.0, 0, -1], [1, 0, -1], [1, 0, -1]]]]), requires_grad=True)
    b = Tensor(np.array([1.0]), requires_grad=True)
    y = conv2d(x, w, b)
    np.testing.assert_array_equal(y.data, np.full((1, 1, 3, 3), -5.0))
    y.sum().backward()
    # dL/dx[i, j] = (windows covering row i) * (sum of the filter columns covering column j)
    expected_grad_x = np.outer([1, 2, 3, 2, 1], [1, 1, 0, -1, -1])
    np.testing.assert_array_equal(x.grad[0, 0], expected_grad_x)
    # dL/dw[a, b] = sum of the 3x3 block of x starting at (a, b) = 9 (5a + b) + 54
    a, bb = np.meshgrid(range(3), range(3), indexing="ij")
    np.testing.assert_array_equal(w.grad[0, 0], 9 * (5 * a + bb) + 54)
    np.testing.assert_array_equal(b.grad, [9.0])
    # with padding="same" the top-left window sees only x[0:2, 0:2] under w[1:, 1:]: -1 - 6 = -7
    assert conv2d(x, w, None, padding="same").data[0, 0, 0, 0] == -7.0


def _good():
    rng = np.random.default_rng(1)
    return dict(
        x=rng.standard_normal((2, 4, 6, 6)).astype(np.float32),
        weight=rng.standard_normal((6, 2, 3, 3)).astype(np.float32),
        bias=rng.standard_normal(6).astype(np.float32),
    )


def _with(**changes):
    def make():
        args, kwargs = _good(), {"groups": 2}
        for key, value in changes.items():
            (args if key in args else kwargs)[key] = value() if callable(value) else value
        return args, kwargs

    return make


# (id, arguments, exception, fragments of the message)
BAD_CALLS = [
    ("x_3d", _with(x=np.ones((4, 6, 6), np.float32)), ValueError, ["x", "4-D", "(4, 6, 6)"]),
    ("weight_2d", _with(weight=np.ones((3, 3), np.float32)), ValueError, ["weight", "4-D"]),
    ("channels", _with(weight=np.ones((6, 3, 3, 3), np.float32)), ValueError, ["channels", "4"]),
    ("groups_c_in", _with(groups=3), ValueError, ["groups=3", "C_in=4"]),
    (
        "groups_c_out",
        _with(weight=np.ones((5, 2, 3, 3), np.float32)),
        ValueError,
        ["groups", "C_out=5"],
    ),
    ("groups_zero", _with(groups=0), ValueError, ["groups", ">= 1"]),
    ("groups_float", _with(groups=2.0), TypeError, ["groups", "int"]),
    ("stride_zero", _with(stride=0), ValueError, ["stride", ">= 1"]),
    ("stride_negative", _with(stride=(1, -2)), ValueError, ["stride"]),
    ("stride_triple", _with(stride=(1, 1, 1)), TypeError, ["stride", "pair"]),
    ("dilation_zero", _with(dilation=(0, 1)), ValueError, ["dilation", ">= 1"]),
    ("padding_negative", _with(padding=-1), ValueError, ["padding", ">= 0"]),
    ("padding_word", _with(padding="full"), ValueError, ["padding", "'same'", "'full'"]),
    ("padding_float", _with(padding=1.5), TypeError, ["padding"]),
    ("same_stride", _with(padding="same", stride=2), ValueError, ["same", "stride"]),
    (
        "kernel_too_big",
        _with(weight=np.ones((6, 2, 7, 3), np.float32)),
        ValueError,
        ["kernel 7x3", "padded input 6x6"],
    ),
    ("dilated_too_big", _with(dilation=4, padding=1), ValueError, ["dilation", "9x9", "8x8"]),
    ("bias_shape", _with(bias=np.ones(5, np.float32)), ValueError, ["bias", "(6,)", "(5,)"]),
    ("bias_2d", _with(bias=np.ones((6, 1), np.float32)), ValueError, ["bias"]),
    (
        "dtype_mismatch",
        _with(weight=lambda: _good()["weight"].astype(np.float64)),
        TypeError,
        ["dtype", "float32", "float64"],
    ),
    ("bias_dtype", _with(bias=np.ones(6, np.float64)), TypeError, ["bias", "float64"]),
    ("float16", _with(x=np.ones((2, 4, 6, 6), np.float16)), TypeError, ["float"]),
    ("empty_width", _with(x=np.ones((2, 4, 6, 0), np.float32)), ValueError, ["x", "W"]),
]


@pytest.mark.parametrize("case", BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_bad_input(backend, case):
    _, make, error, fragments = case
    args, kwargs = make()
    tensors = {k: Tensor._make(v.copy(), True, None) for k, v in args.items()}
    for t in tensors.values():
        t.grad = np.full(t.shape, 0.5, t.dtype)
    before = {k: (t.data.copy(), t.grad.copy()) for k, t in tensors.items()}
    with pytest.raises(error) as info:
        conv2d(tensors["x"], tensors["weight"], tensors["bias"], **kwargs)
    message = str(info.value)
    assert "conv2d" in message or error is TypeError and "Tensor" in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    for k, t in tensors.items():
        np.testing.assert_array_equal(t.data, before[k][0])
        np.testing.assert_array_equal(t.grad, before[k][1])


NASTY = """
import numpy as np
from tinygrad_conv import Tensor
import tinygrad_conv as tc
from tinygrad_conv.ops.conv import conv2d
tc.set_backend("cython")
x = Tensor(np.ones((1, 1, 4, 4), np.float32), requires_grad=True)
calls = [
    dict(weight=np.ones((1, 1, 9, 9), np.float32), padding=1),
    dict(weight=np.ones((1, 1, 3, 3), np.float32), dilation=100),
    dict(weight=np.ones((1, 1, 3, 3), np.float32), padding=-5),
    dict(weight=np.ones((1, 1, 3, 3), np.float32), stride=-1),
    dict(weight=np.ones((1, 1, 3, 3), np.float32), stride=(1, 0)),
    dict(weight=np.ones((1, 7, 3, 3), np.float32)),
    dict(weight=np.ones((1, 1, 0, 3), np.float32)),
    dict(weight=np.ones((1, 1, 3, 3), np.float32), bias=np.ones(100, np.float32)),
]
for call in calls:
    weight = Tensor(call.pop("weight"), requires_grad=True)
    try:
        y = conv2d(x, weight, call.pop("bias", None), **call)
    except (ValueError, TypeError):
        continue
    raise SystemExit(f"no error for {call}")
print("all raised")
"""


def test_nastiest_cases_in_a_subprocess():
    """A kernel fed a bad geometry could write out of bounds: prove these never reach one."""
    result = subprocess.run(
        [sys.executable, "-c", NASTY], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "all raised" in result.stdout
