"""Every core op against PyTorch on random shapes (hypothesis): broadcasting pairs, unary ops,
reductions over any axes, matmul, softmax, movement and indexing, in float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from oracle import DTYPES, check_vs_torch  # noqa: E402
from strategies import broadcastable_shapes, seeds, shapes  # noqa: E402

from tinygrad_conv import Tensor  # noqa: E402

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
        lambda a: a.transpose(perm), lambda a: a.permute(*perm), [shape], dtype, seed=seed
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
