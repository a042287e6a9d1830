"""Every core op against PyTorch (the oracle): forward values and every input's gradient after a
backward with a random upstream gradient, in float32 and float64, on fixed and on random shapes."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from oracle import DTYPES, check_vs_torch  # noqa: E402

from tinygrad_conv import Tensor  # noqa: E402


def same(fn):
    return fn, fn


def _softmax_pair(name: str, axis: int):
    return lambda a: getattr(a, name)(axis), lambda a: getattr(torch, name)(a, dim=axis)


MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, True, False]])
INDEX = np.array([0, 0, 2, 1, 0])

# (id, tc_fn, torch_fn, shapes, kind): an id is the op's public name, or the name and a suffix
TORCH_CASES = [
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
    ("tc_fn", "torch_fn", "shapes", "kind"),
    [c[1:] for c in TORCH_CASES],
    ids=[c[0] for c in TORCH_CASES],
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
