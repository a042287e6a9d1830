"""PyTorch's small Tensor methods that tutorials use, each a composition of existing ops: cpu,
contiguous, t, reshape_as, expand_as, square, neg, add/sub/mul/div, amax/amin, all/any,
masked_fill, type_as, new_zeros/new_ones/new_full/new_tensor; values, dtypes and gradients
against PyTorch in float32 and float64, and gradcheck for the differentiable ones."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_conv as tc

torch = pytest.importorskip("torch")

TIES = np.array([[1.0, 3.0, 3.0, -2.0], [2.0, 2.0, 0.0, 0.5], [-1.0, 4.0, 4.0, 4.0]])
RNG = np.random.default_rng(7)
MATRIX = RNG.uniform(-2, 2, (3, 4))
MASK = np.array([[True, False, True, False]])

# name -> (fn(x) for a Tensor or a torch tensor alike, input array)
DIFFERENTIABLE = {
    "contiguous": (lambda x: x.contiguous() * 2, MATRIX),
    "cpu": (lambda x: x.cpu() * 2, MATRIX),
    "t": (lambda x: x.t(), MATRIX),
    "t_1d": (lambda x: x[0].t() * 3, MATRIX),
    "reshape_as": (
        lambda x: x.reshape_as(x.sum(0).unsqueeze(0).expand(3, 4).reshape(4, 3)),
        MATRIX,
    ),
    "expand_as": (lambda x: x[:1].expand_as(x) * x, MATRIX),
    "square": (lambda x: x.square(), MATRIX),
    "neg": (lambda x: x.neg(), MATRIX),
    "negative": (lambda x: x.negative() * x, MATRIX),
    "add": (lambda x: x.add(x[0]), MATRIX),
    "add_alpha": (lambda x: x.add(x.square(), alpha=0.5), MATRIX),
    "add_scalar": (lambda x: x.add(2.5), MATRIX),
    "sub_alpha": (lambda x: x.sub(x[1:2], alpha=2), MATRIX),
    "mul": (lambda x: x.mul(x.t().t()), MATRIX),
    "div": (lambda x: x.div(x.square() + 1), MATRIX),
    "amax_all": (lambda x: x.amax(), TIES),
    "amax_dim": (lambda x: x.amax(1), TIES),
    "amax_dim_keepdim": (lambda x: x.amax(dim=0, keepdim=True), TIES),
    "amax_dims": (lambda x: x.amax((0, 1)), TIES),
    "amax_neg_dim": (lambda x: x.amax(-1, True), TIES),
    "amin_all": (lambda x: x.amin(), TIES),
    "amin_dim": (lambda x: x.amin(0), TIES),
    "amin_dims_keepdim": (lambda x: x.amin(dim=(1, 0), keepdim=True), TIES),
    "masked_fill": (lambda x: x.masked_fill(x > 0.5, -1.0), MATRIX),
    "masked_fill_broadcast_mask": (lambda x: x[0].masked_fill(x[:, :1] > 0, 0.25), MATRIX),
}


@pytest.mark.parametrize("name", list(DIFFERENTIABLE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_against_torch(name, dtype):
    fn, data = DIFFERENTIABLE[name]
    data = data.astype(dtype)
    x = tc.Tensor(data, requires_grad=True)
    xt = torch.tensor(data, requires_grad=True)
    out, out_t = fn(x), fn(xt)
    assert out.shape == tuple(out_t.shape)
    assert out.dtype.name == str(out_t.dtype).removeprefix("torch.")
    tol = {"rtol": 1e-6, "atol": 1e-7} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-14}
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), **tol)
    grad = RNG.uniform(-1, 1, out.shape).astype(dtype)
    out.backward(grad)
    out_t.backward(torch.from_numpy(grad))
    assert x.grad.dtype == dtype
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), **tol)


@pytest.mark.parametrize("name", list(DIFFERENTIABLE))
def test_gradcheck(name):
    fn, data = DIFFERENTIABLE[name]
    if name.startswith(("amax", "amin")):  # ties: the gradient is shared, not a derivative
        data = data + RNG.uniform(0, 0.1, data.shape)
    assert tc.gradcheck(fn, tc.Tensor(data, requires_grad=True))


def test_masked_fill_with_a_0d_tensor_value_is_differentiable_in_both():
    data = MATRIX.astype(np.float64)
    x, value = (
        tc.Tensor(data, requires_grad=True),
        tc.tensor(0.75, dtype=tc.float64, requires_grad=True),
    )
    xt = torch.tensor(data, requires_grad=True)
    value_t = torch.tensor(0.75, dtype=torch.float64, requires_grad=True)
    mask, mask_t = tc.tensor(MASK), torch.tensor(MASK)
    out, out_t = x.masked_fill(mask, value), xt.masked_fill(mask_t, value_t)
    np.testing.assert_array_equal(out.numpy(), out_t.detach().numpy())
    grad = RNG.uniform(-1, 1, out.shape)
    out.backward(grad)
    out_t.backward(torch.from_numpy(grad))
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(value.grad, value_t.grad.numpy(), rtol=1e-12)
    # (gradcheck's float64 copy of a 0-d input has shape (1,): reshaped back to 0-d here)
    assert tc.gradcheck(
        lambda a, v: a.masked_fill(mask, v.reshape(())),
        tc.Tensor(data, requires_grad=True),
        tc.tensor(0.75, dtype=tc.float64, requires_grad=True),
    )


@pytest.mark.parametrize(
    "data, dtype, value",
    [
        ([1, 2, 3, 4], np.int64, 2.5),
        ([1, 2, 3, 4], np.int32, -7),
        ([True, False, True, False], np.bool_, 5),
        ([0.5, 1.5, 2.5, 3.5], np.float32, True),
        ([0.5, 1.5, 2.5, 3.5], np.float32, float("-inf")),
        ([0.5, 1.5, 2.5, 3.5], np.float32, np.float64(1e-3)),
    ],
)
def test_masked_fill_value_takes_self_dtype(data, dtype, value):
    x, xt = tc.tensor(np.array(data, dtype=dtype)), torch.tensor(np.array(data, dtype=dtype))
    mask = np.array([True, False, False, True])
    out, out_t = x.masked_fill(tc.tensor(mask), value), xt.masked_fill(torch.tensor(mask), value)
    assert out.dtype.name == str(out_t.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(out.numpy(), out_t.numpy())


def test_masked_fill_refuses_what_pytorch_refuses():
    x, xt = tc.ones(2, 2), torch.ones(2, 2)
    with pytest.raises(RuntimeError):
        xt.masked_fill(torch.ones(2, 2), 0.0)
    with pytest.raises(TypeError, match="masked_fill: mask must be a bool tensor"):
        x.masked_fill(tc.ones(2, 2), 0.0)
    with pytest.raises(RuntimeError):
        xt.masked_fill(torch.ones(2, 2, dtype=torch.bool), torch.ones(2))
    with pytest.raises(ValueError, match="0-d tensor"):
        x.masked_fill(tc.ones(2, 2, dtype=tc.bool), tc.ones(2))
    with pytest.raises(TypeError, match="value must be a number"):
        x.masked_fill(tc.ones(2, 2, dtype=tc.bool), "zero")
    before = x.numpy().copy()
    x.masked_fill(np.ones((2, 2), bool), 3.0)  # a NumPy mask is accepted; x is untouched
    np.testing.assert_array_equal(x.numpy(), before)


ALL_ANY_DATA = [
    np.array([[1.0, 0.0, 2.0], [0.5, -1.0, 3.0]]),
    np.array([[True, False], [True, True]]),
    np.array([[1, 0, 0], [2, 3, 4]], dtype=np.int64),
    np.array([[1, 0, 0], [2, 3, 4]], dtype=np.uint8),
    np.array([[np.nan, 0.0]]),
    np.zeros((0, 3)),
]


@pytest.mark.parametrize("data", ALL_ANY_DATA, ids=lambda d: f"{d.dtype}{d.shape}")
@pytest.mark.parametrize("method", ["all", "any"])
@pytest.mark.parametrize("args", [(), (0,), (1,), (-1, True), ((0, 1),)], ids=str)
def test_all_any_against_torch(data, method, args):
    if data.size == 0 and args[:1] == (1,):
        args = (0,)
    ours = getattr(tc.tensor(data), method)(*args)
    theirs = getattr(torch.from_numpy(data), method)(*args)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.requires_grad is False


def test_all_any_keyword_spellings_and_bad_dim():
    x = tc.tensor([[True, False], [True, True]])
    np.testing.assert_array_equal(x.all(dim=1).numpy(), [False, True])
    np.testing.assert_array_equal(x.any(axis=0, keepdims=True).numpy(), [[True, True]])
    with pytest.raises(TypeError, match="both dim= and axis="):
        x.all(dim=0, axis=0)
    with pytest.raises(IndexError):
        x.any(2)
    with pytest.raises(IndexError):
        torch.tensor([[True]]).any(2)


def test_t_refuses_more_than_two_dims_and_leaves_small_ones():
    with pytest.raises(RuntimeError):
        torch.ones(2, 2, 2).t()
    with pytest.raises(ValueError, match="t: expects a tensor with <= 2 dimensions"):
        tc.ones(2, 2, 2).t()
    scalar = tc.tensor(3.0)
    assert scalar.t() is scalar and scalar.contiguous() is scalar and scalar.cpu() is scalar


def test_square_and_neg_of_integer_tensors():
    ints, ints_t = tc.tensor([-3, 2, 5]), torch.tensor([-3, 2, 5])
    for method in ("square", "neg"):
        ours, theirs = getattr(ints, method)(), getattr(ints_t, method)()
        assert ours.dtype == tc.long and theirs.dtype == torch.long
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_div_rounding_modes_other_than_none_are_refused():
    with pytest.raises(ValueError, match="rounding_mode"):
        tc.ones(2).div(2, rounding_mode="floor")
    np.testing.assert_array_equal(tc.ones(2).div(2, rounding_mode=None).numpy(), [0.5, 0.5])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_type_as(dtype):
    x, xt = tc.Tensor([1.5, -2.0, 0.0]), torch.tensor([1.5, -2.0, 0.0])
    other, other_t = tc.tensor(np.zeros(2, dtype)), torch.from_numpy(np.zeros(2, dtype))
    ours, theirs = x.type_as(other), xt.type_as(other_t)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_type_as_keeps_the_graph_between_floats():
    x = tc.Tensor([1.5, -2.0], requires_grad=True)
    y = x.type_as(tc.tensor([0.0], dtype=tc.float64))
    assert y.dtype == tc.float64 and y.requires_grad
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float32 and list(x.grad) == [2.0, 2.0]
    assert x.type_as(x) is x


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_new_tensors_take_self_dtype(dtype):
    x, xt = tc.tensor(np.ones((2, 3), dtype)), torch.from_numpy(np.ones((2, 3), dtype))
    cases = [
        (lambda a: a.new_zeros(2, 3), None),
        (lambda a: a.new_zeros((4,)), None),
        (lambda a: a.new_ones([1, 2]), None),
        (lambda a: a.new_full((2,), 7), None),
        (lambda a: a.new_tensor([1, 2, 3]), None),
        (lambda a: a.new_zeros(a.size()), None),
        (lambda a: a.new_zeros(2, dtype=tc.long), lambda a: a.new_zeros(2, dtype=torch.long)),
        (lambda a: a.new_ones(2, dtype=tc.bool), lambda a: a.new_ones(2, dtype=torch.bool)),
    ]
    for fn, torch_fn in cases:
        ours, theirs = fn(x), (torch_fn or fn)(xt)
        assert ours.shape == tuple(theirs.shape)
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.requires_grad is False
    assert x.new_empty(2, 2).shape == (2, 2) and x.new_empty(2).dtype == dtype


def test_new_tensors_requires_grad_and_device():
    x = tc.ones(2)
    assert x.new_zeros(3, requires_grad=True).requires_grad
    assert x.new_ones(3, device=tc.device("cpu")).shape == (3,)
    with pytest.raises(ValueError, match="only the 'cpu' device"):
        x.new_full((2,), 1.0, device="cuda")


@pytest.mark.parametrize("method", ["amax", "amin"])
@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((), {}),
        ((), {"keepdim": True}),
        (((),), {}),
        (([],), {"keepdim": True}),
        ((1,), {}),
        ((0, True), {}),
        (([0, 1],), {}),
        (((0, 1), True), {}),
        ((), {"dim": -1}),
    ],
    ids=str,
)
@pytest.mark.parametrize("dtype", [np.int64, np.float32])
def test_amax_amin_dims_and_integer_tensors(method, args, kwargs, dtype):
    data = np.array([[1, 5, 2], [7, 0, 3]], dtype=dtype)
    ours = getattr(tc.tensor(data), method)(*args, **kwargs)
    theirs = getattr(torch.from_numpy(data), method)(*args, **kwargs)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_add_sub_alpha_with_numbers_and_integer_tensors():
    ints, ints_t = tc.tensor([1, 2]), torch.tensor([1, 2])
    for ours, theirs in [
        (ints.add(2, alpha=3), ints_t.add(2, alpha=3)),
        (ints.sub(ints, alpha=2), ints_t.sub(ints_t, alpha=2)),
        (ints.mul(3), ints_t.mul(3)),
    ]:
        assert ours.dtype == tc.long and theirs.dtype == torch.long
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_masked_fill_of_an_integer_tensor_refuses_nan_as_pytorch():
    mask = [True, False]
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).masked_fill(torch.tensor(mask), float("nan"))
    with pytest.raises(ValueError, match="masked_fill: value nan cannot be converted"):
        tc.tensor([1, 2]).masked_fill(tc.tensor(mask), float("nan"))


def test_all_any_bad_dims_name_the_method():
    with pytest.raises(IndexError, match="all: dim 3 is out of range"):
        tc.ones(2, 2).all(3)
    with pytest.raises(TypeError, match="any: dim must be an int"):
        tc.ones(2, 2).any("a")
