"""Every core op against PyTorch (the oracle): forward values and every input's gradient after a
backward with a random upstream gradient, in float32 and float64, on fixed and on random shapes."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from strategies import broadcastable_shapes, draw_values, seeds, shapes  # noqa: E402

from tinygrad_conv import Tensor  # noqa: E402

DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: {"rtol": 1e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-12, "atol": 1e-12}}


def check_vs_torch(tc_fn, torch_fn, shapes, dtype, kind="normal", seed=0):
    """Run both on the same random inputs; compare outputs and every input's gradient."""
    rng = np.random.default_rng(seed)
    arrays = [draw_values(rng, s, kind, dtype) for s in shapes]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = tc_fn(*ours)
    expected = torch_fn(*theirs)
    assert out.dtype == dtype, f"output dtype {out.dtype}, inputs {np.dtype(dtype)}"
    assert out.shape == tuple(expected.shape)
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol, err_msg="forward")
    upstream = rng.standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for i, (mine, ref) in enumerate(zip(ours, theirs, strict=True)):
        assert mine.grad is not None and mine.grad.dtype == dtype
        np.testing.assert_allclose(mine.grad, ref.grad.numpy(), **tol, err_msg=f"grad of input {i}")


def same(fn):
    return fn, fn


def _softmax_pair(name: str, axis: int):
    return lambda a: getattr(a, name)(axis), lambda a: getattr(torch, name)(a, dim=axis)


MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, True, False]])
INDEX = np.array([0, 0, 2, 1, 0])

# (id, tc_fn, torch_fn, shapes, kind)
CASES = [
    ("add", *same(lambda a, b: a + b), [(3, 4), (3, 4)], "normal"),
    ("add_bcast_col_row", *same(lambda a, b: a + b), [(3, 1), (1, 4)], "normal"),
    ("add_bcast_rank", *same(lambda a, b: a + b), [(4,), (2, 3, 4)], "normal"),
    ("sub_bcast", *same(lambda a, b: a - b), [(2, 1, 4), (3, 1)], "normal"),
    ("mul_bcast", *same(lambda a, b: a * b), [(2, 3, 4), (3, 1)], "normal"),
    ("mul_self", *same(lambda a: a * a), [(5,)], "normal"),
    ("div", *same(lambda a, b: a / b), [(3, 4), (4,)], "positive"),
    (
        "scalars_both_sides",
        *same(lambda a: (2.0 - a) * 3.0 + a / 4.0 - 1.0 + 0.5 * a - 2.0 / (a * a + 1)),
        [(3, 4)],
        "normal",
    ),
    ("pow_scalar", *same(lambda a: a**3), [(3, 4)], "normal"),
    ("pow_frac", *same(lambda a: a**-1.5), [(3, 4)], "positive"),
    ("pow_tensor_exp", *same(lambda a, b: a**b), [(3, 1), (4,)], "positive"),
    ("rpow", *same(lambda a: 2.0**a), [(3, 4)], "normal"),
    ("neg", *same(lambda a: -a), [(3, 4)], "normal"),
    (
        "ndarray_operands",
        lambda a: (
            np.full((3, 4), 2.0, a.dtype) * a
            + np.arange(4.0, dtype=a.dtype)
            - np.ones(4, a.dtype) / a
        ),
        lambda a: (
            torch.full((3, 4), 2.0, dtype=a.dtype) * a
            + torch.arange(4.0, dtype=a.dtype)
            - torch.ones(4, dtype=a.dtype) / a
        ),
        [(3, 4)],
        "positive",
    ),
    ("exp", *same(lambda a: a.exp()), [(3, 4)], "normal"),
    ("log", *same(lambda a: a.log()), [(3, 4)], "positive"),
    ("tanh", *same(lambda a: a.tanh()), [(3, 4)], "normal"),
    ("sigmoid", *same(lambda a: a.sigmoid()), [(3, 4)], "normal"),
    ("relu", *same(lambda a: a.relu()), [(2, 3, 4)], "nonzero"),
    ("matmul_1d_1d", *same(lambda a, b: a @ b), [(3,), (3,)], "normal"),
    ("matmul_2d_2d", *same(lambda a, b: a @ b), [(2, 3), (3, 4)], "normal"),
    ("matmul_1d_2d", *same(lambda a, b: a @ b), [(3,), (3, 4)], "normal"),
    ("matmul_2d_1d", *same(lambda a, b: a @ b), [(2, 3), (3,)], "normal"),
    ("matmul_batched", *same(lambda a, b: a @ b), [(2, 2, 3), (2, 3, 4)], "normal"),
    ("matmul_bcast_batch", *same(lambda a, b: a @ b), [(2, 1, 2, 3), (3, 3, 2)], "normal"),
    ("matmul_1d_batched", *same(lambda a, b: a @ b), [(3,), (2, 3, 4)], "normal"),
    ("sum_all", lambda a: a.sum(), lambda a: a.sum(), [(2, 3, 4)], "normal"),
    (
        "sum_axis_tuple",
        lambda a: a.sum(axis=(0, -1)),
        lambda a: a.sum(dim=(0, -1)),
        [(2, 3, 4)],
        "normal",
    ),
    (
        "sum_keepdims",
        lambda a: a.sum(axis=1, keepdims=True),
        lambda a: a.sum(dim=1, keepdim=True),
        [(2, 3, 4)],
        "normal",
    ),
    ("mean_axis", lambda a: a.mean(axis=-2), lambda a: a.mean(dim=-2), [(2, 3, 4)], "normal"),
    (
        "mean_all_keepdims",
        lambda a: a.mean(keepdims=True),
        lambda a: a.mean(dim=(0, 1, 2), keepdim=True),
        [(2, 3, 4)],
        "normal",
    ),
    ("max_all", lambda a: a.max(), lambda a: a.amax(), [(2, 3, 4)], "normal"),
    ("max_axis", lambda a: a.max(axis=1), lambda a: a.amax(dim=1), [(2, 3, 4)], "normal"),
    (
        "max_axis_tuple_keepdims",
        lambda a: a.max(axis=(0, 2), keepdims=True),
        lambda a: a.amax(dim=(0, 2), keepdim=True),
        [(2, 3, 4)],
        "normal",
    ),
    ("reshape", *same(lambda a: a.reshape(4, -1)), [(2, 3, 4)], "normal"),
    (
        "transpose_reverse",
        lambda a: a.transpose(),
        lambda a: a.permute(2, 1, 0),
        [(2, 3, 4)],
        "normal",
    ),
    (
        "transpose_perm",
        lambda a: a.transpose(1, 2, 0),
        lambda a: a.permute(1, 2, 0),
        [(2, 3, 4)],
        "normal",
    ),
    ("T", lambda a: a.T, lambda a: a.t(), [(2, 3)], "normal"),
    ("flatten", *same(lambda a: a.flatten()), [(2, 3, 4)], "normal"),
    ("flatten_start1", *same(lambda a: a.flatten(1)), [(2, 3, 4)], "normal"),
    ("getitem_int_slice", *same(lambda a: a[1, 1:3]), [(3, 4)], "normal"),
    ("getitem_none_ellipsis", *same(lambda a: a[None, ..., 1]), [(2, 3, 4)], "normal"),
    ("getitem_neg_step", lambda a: a[::-1, 1::2], lambda a: a.flip(0)[:, 1::2], [(3, 4)], "normal"),
    (
        "getitem_int_array_repeat",
        lambda a: a[INDEX],
        lambda a: a[torch.from_numpy(INDEX)],
        [(3, 4)],
        "normal",
    ),
    (
        "getitem_pairs",
        lambda a: a[[0, 0, 2], [1, 1, 3]],
        lambda a: a[[0, 0, 2], [1, 1, 3]],
        [(3, 4)],
        "normal",
    ),
    (
        "getitem_bool_mask",
        lambda a: a[MASK],
        lambda a: a[torch.from_numpy(MASK)],
        [(3, 4)],
        "normal",
    ),
    *[
        (f"{name}_axis{axis}", *_softmax_pair(name, axis), [(2, 3, 4)], "normal")
        for name in ("softmax", "log_softmax")
        for axis in (0, 1, 2, -1)
    ],
    (
        "mlp",
        lambda x, w, b: ((x @ w + b).relu() @ w.T).sigmoid().log_softmax(axis=1).mean(),
        lambda x, w, b: torch.log_softmax(torch.sigmoid(torch.relu(x @ w + b) @ w.T), dim=1).mean(),
        [(4, 3), (3, 5), (5,)],
        "nonzero",
    ),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize(
    ("tc_fn", "torch_fn", "shapes", "kind"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_op_vs_torch(backend, dtype, tc_fn, torch_fn, shapes, kind):
    check_vs_torch(tc_fn, torch_fn, shapes, dtype, kind)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_max_ties_share_the_gradient_as_torch_amax(dtype):
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], dtype=dtype)
    for axis, dim in ((None, None), (1, 1), (0, 0)):
        x, xt = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        (x.max() if axis is None else x.max(axis=axis)).sum().backward()
        (xt.amax() if dim is None else xt.amax(dim=dim)).sum().backward()
        np.testing.assert_array_equal(x.grad, xt.grad.numpy())
    x = Tensor(data, requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-7)


def test_pow_zero_exponent_at_zero_base(dtype=np.float64):
    """d(x^0)/dx is 0 everywhere, x = 0 included (PyTorch), not 0 * 0^-1 = NaN."""
    data = np.array([0.0, 1.0, -2.0])
    x, xt = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (x**0).sum().backward()
    (xt**0).sum().backward()
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())
    e = Tensor(np.array([0.0, 2.0, 0.0]))
    x.zero_grad()
    (x**e).sum().backward()
    xt.grad = None
    (xt ** torch.tensor([0.0, 2.0, 0.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize(
    ("tc_fn", "torch_fn"),
    [
        (lambda a: a.sum(axis=0), lambda a: a.sum(dim=0)),
        (lambda a: a.mean(axis=-1, keepdims=True), lambda a: a.mean(dim=-1, keepdim=True)),
        (lambda a: a.max(axis=(0,)), lambda a: a.amax(dim=(0,))),
        (lambda a: a.max(), lambda a: a.amax()),
        (lambda a: a.flatten(), lambda a: a.flatten()),
        (lambda a: a[None, ...], lambda a: a[None, ...]),
        (lambda a: (a * 3.0).tanh().exp(), lambda a: (a * 3.0).tanh().exp()),
    ],
    ids=[
        "sum_axis0",
        "mean_axis_neg_keepdims",
        "max_axis_tuple",
        "max",
        "flatten",
        "getitem",
        "chain",
    ],
)
def test_zero_dim_vs_torch(backend, dtype, tc_fn, torch_fn):
    check_vs_torch(tc_fn, torch_fn, [()], dtype)


def test_relu_0d_vs_torch(backend):
    check_vs_torch(lambda a: a.relu(), torch.relu, [()], np.float64, "nonzero")


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_0d_vs_torch(op):
    check_vs_torch(
        lambda a: getattr(a, op)(-1), lambda a: getattr(torch, op)(a, dim=-1), [()], np.float64
    )


# --- random shapes -------------------------------------------------------------------------------

dtypes = st.sampled_from(DTYPES)
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}


@given(pair=broadcastable_shapes(), op=st.sampled_from(sorted(BINARY)), dtype=dtypes, seed=seeds())
def test_binary_broadcasting_vs_torch(pair, op, dtype, seed):
    fn = BINARY[op]
    check_vs_torch(fn, fn, pair, dtype, "positive" if op in ("div", "pow") else "normal", seed)


UNARY = {
    "neg": (lambda a: -a, lambda a: -a, "normal"),
    "exp": (lambda a: a.exp(), torch.exp, "normal"),
    "log": (lambda a: a.log(), torch.log, "positive"),
    "tanh": (lambda a: a.tanh(), torch.tanh, "normal"),
    "sigmoid": (lambda a: a.sigmoid(), torch.sigmoid, "normal"),
    "relu": (lambda a: a.relu(), torch.relu, "nonzero"),
    "pow2": (lambda a: a**2, lambda a: a**2, "normal"),
}


@given(shape=shapes(), op=st.sampled_from(sorted(UNARY)), dtype=dtypes, seed=seeds())
def test_unary_vs_torch(shape, op, dtype, seed):
    tc_fn, torch_fn, kind = UNARY[op]
    check_vs_torch(tc_fn, torch_fn, [shape], dtype, kind, seed)


@st.composite
def shape_and_axis(draw, min_dims=0):
    shape = draw(shapes(min_dims=min_dims))
    ndim = len(shape)
    choice = draw(st.sampled_from(["none", "int", "tuple"]))
    if choice == "none":
        return shape, None
    if ndim == 0:  # PyTorch takes dim 0 or -1 of a 0-d tensor (a reduction over nothing)
        return shape, draw(st.sampled_from([0, -1]))
    if choice == "int":
        return shape, draw(st.integers(-ndim, ndim - 1))
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    signs = draw(st.lists(st.booleans(), min_size=len(axes), max_size=len(axes)))
    return shape, tuple(a - ndim if neg else a for a, neg in zip(axes, signs, strict=True))


@given(
    case=shape_and_axis(),
    op=st.sampled_from(["sum", "mean", "max"]),
    keepdims=st.booleans(),
    dtype=dtypes,
    seed=seeds(),
)
def test_reductions_vs_torch(case, op, keepdims, dtype, seed):
    shape, axis = case
    torch_name = "amax" if op == "max" else op
    if axis is None:
        dims = tuple(range(len(shape)))

        def torch_fn(a):
            return getattr(a, torch_name)(dim=dims, keepdim=keepdims) if dims else a.clone()
    else:

        def torch_fn(a):
            return getattr(a, torch_name)(dim=axis, keepdim=keepdims)

    check_vs_torch(
        lambda a: getattr(a, op)(axis=axis, keepdims=keepdims),
        torch_fn,
        [shape],
        dtype,
        "distinct" if op == "max" else "normal",
        seed,
    )


@st.composite
def matmul_shapes(draw):
    batches = draw(broadcastable_shapes(max_dims=2, max_side=3))
    m, k, n = (draw(st.integers(1, 4)) for _ in range(3))
    a = (k,) if draw(st.booleans()) else (*batches[0], m, k)
    b = (k,) if draw(st.booleans()) else (*batches[1], k, n)
    return a, b


@given(pair=matmul_shapes(), dtype=dtypes, seed=seeds())
def test_matmul_vs_torch(pair, dtype, seed):
    check_vs_torch(lambda a, b: a @ b, lambda a, b: a @ b, pair, dtype, "normal", seed)


@given(
    shape=shapes(min_dims=1),
    data=st.data(),
    op=st.sampled_from(["softmax", "log_softmax"]),
    dtype=dtypes,
    seed=seeds(),
)
def test_softmax_vs_torch(shape, data, op, dtype, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    check_vs_torch(
        lambda a: getattr(a, op)(axis),
        lambda a: getattr(torch, op)(a, dim=axis),
        [shape],
        dtype,
        "normal",
        seed,
    )


@given(shape=shapes(min_dims=1), data=st.data(), dtype=dtypes, seed=seeds())
def test_movement_vs_torch(shape, data, dtype, seed):
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    check_vs_torch(
        lambda a: a.transpose(*perm), lambda a: a.permute(*perm), [shape], dtype, seed=seed
    )
    target = tuple(reversed(shape))
    check_vs_torch(
        lambda a: a.reshape(*target), lambda a: a.reshape(*target), [shape], dtype, seed=seed
    )
    start = data.draw(st.integers(-len(shape), len(shape) - 1))
    check_vs_torch(
        lambda a: a.flatten(start), lambda a: a.flatten(start), [shape], dtype, seed=seed
    )


@given(shape=shapes(min_dims=1), data=st.data(), dtype=dtypes, seed=seeds())
def test_integer_array_indexing_vs_torch(shape, data, dtype, seed):
    """Integer arrays (repeats included): the gradient accumulates over repeated picks."""
    rng = np.random.default_rng(seed)
    n_axes = data.draw(st.integers(1, len(shape)))
    length = data.draw(st.integers(1, 6))
    index = tuple(rng.integers(-side, side, length) for side in shape[:n_axes])
    torch_index = tuple(torch.from_numpy(i) for i in index)
    check_vs_torch(lambda a: a[index], lambda a: a[torch_index], [shape], dtype, seed=seed)


@pytest.mark.parametrize("op", ["softmax", "log_softmax", "sigmoid", "tanh"])
def test_large_inputs_stay_finite_vs_torch(backend, op):
    """Logits of +-1000 overflow a naive exp: values and grads must match PyTorch's, all finite."""
    data = np.array([[1000.0, -1000.0, 0.0], [-800.0, -801.0, -799.0]])
    upstream = np.random.default_rng(1).standard_normal(data.shape)
    x, xt = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y = getattr(x, op)(1) if "softmax" in op else getattr(x, op)()
    yt = getattr(torch, op)(xt, 1) if "softmax" in op else getattr(torch, op)(xt)
    y.backward(upstream)
    yt.backward(torch.tensor(upstream))
    assert np.isfinite(y.data).all() and np.isfinite(x.grad).all()
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-12, atol=1e-12)
