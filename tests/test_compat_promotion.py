"""PyTorch's type promotion with 0-d tensors: a 0-d operand counts only when its category (bool <
int < float) is above every dimensioned operand's (a float64 0-d tensor beside a float32 one gives
float32); every pair of dtypes and ranks against torch, through each binary op that promotes, with
gradients in each input's own dtype; and what a float32 model fed float64 input does."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import nn
from tinygrad_conv.ops._args import promote, result_dtype

torch = pytest.importorskip("torch")

DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float32, np.float64]
TORCH = {np.dtype(d): getattr(torch, np.dtype(d).name) for d in DTYPES}
NUMPY = {v: k for k, v in TORCH.items()}
OPERANDS = list(itertools.product(DTYPES, (0, 1)))  # (dtype, rank)


def make(dtype, rank, value=1):
    return np.full((3,) * rank, value, dtype=dtype)


@pytest.mark.parametrize("first, second", list(itertools.product(OPERANDS, OPERANDS)))
def test_result_dtype_of_two_operands_is_torch_result_type(first, second):
    a, b = make(*first), make(*second)
    want = NUMPY[torch.result_type(torch.from_numpy(a), torch.from_numpy(b))]
    assert result_dtype(a, b) == want
    x, y = promote(a, b)
    assert np.result_type(x, y) == want  # what NumPy then computes in


@pytest.mark.parametrize(
    "dtypes",
    list(itertools.product([np.bool_, np.int32, np.int64, np.float32, np.float64], repeat=3)),
)
@pytest.mark.parametrize("rank", [0, 1])
def test_cat_and_stack_promote_as_torch(dtypes, rank):
    arrays = [make(d, rank) for d in dtypes]
    stacked = tc.stack([tc.Tensor(a, dtype=a.dtype) for a in arrays])
    want = torch.stack([torch.from_numpy(a) for a in arrays]).dtype
    assert stacked.dtype == NUMPY[want]
    if rank:
        joined = tc.cat([tc.Tensor(a, dtype=a.dtype) for a in arrays])
        assert joined.dtype == NUMPY[torch.cat([torch.from_numpy(a) for a in arrays]).dtype]


BINARY = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
    ("pow", lambda a, b: a**b),
    ("maximum", lambda a, b: a.maximum(b)),
    ("minimum", lambda a, b: a.minimum(b)),
    ("where", lambda a, b: a.where(a > 1.2, b)),
]
FLOAT_PAIRS = [  # (dtype, shape) of each operand: a 0-d one beside a dimensioned one, both ways
    ((np.float32, (2, 3)), (np.float64, ())),
    ((np.float64, ()), (np.float32, (2, 3))),
    ((np.float64, (2, 3)), (np.float32, ())),
    ((np.float32, ()), (np.float64, ())),
    ((np.float32, (3,)), (np.float64, (2, 3))),
]


@pytest.mark.parametrize("name, fn", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("pair", FLOAT_PAIRS)
def test_binary_ops_values_dtypes_and_grads_as_torch(name, fn, pair):
    rng = np.random.default_rng(0)
    (da, sa), (db, sb) = pair
    a_np = rng.uniform(0.5, 2.0, sa).astype(da)
    b_np = rng.uniform(0.5, 2.0, sb).astype(db)
    a, b = tc.Tensor(a_np, requires_grad=True), tc.Tensor(b_np, requires_grad=True)
    at = torch.tensor(a_np, requires_grad=True)
    bt = torch.tensor(b_np, requires_grad=True)
    out, out_t = fn(a, b), fn(at, bt)
    assert out.dtype == NUMPY[out_t.dtype]
    tol = 1e-6 if out.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=tol)
    grad = rng.uniform(-1, 1, out.shape).astype(out.dtype)
    out.backward(grad)
    out_t.backward(torch.from_numpy(grad))
    for ours, theirs in ((a, at), (b, bt)):
        assert ours.grad.dtype == ours.dtype == NUMPY[theirs.grad.dtype]
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("int_dtype", [np.int64, np.int32, np.bool_])
@pytest.mark.parametrize("float_dtype", [np.float32, np.float64])
def test_0d_float_beside_int_tensor_takes_the_float(int_dtype, float_dtype):
    ints = tc.tensor(np.array([1, 0, 1], dtype=int_dtype))
    scale = tc.tensor(np.asarray(2.5, dtype=float_dtype), requires_grad=True)
    out = ints * scale
    out_t = torch.from_numpy(ints.numpy()) * torch.tensor(np.asarray(2.5, dtype=float_dtype))
    assert out.dtype == NUMPY[out_t.dtype] == float_dtype
    np.testing.assert_array_equal(out.numpy(), out_t.numpy())
    out.sum().backward()
    assert scale.grad.dtype == float_dtype and scale.grad == 2.0


def test_0d_int_beside_int_tensors_keeps_theirs_with_wraparound():
    small = tc.tensor(np.array([100, 120], dtype=np.int8))
    out = small + tc.tensor(10)  # 0-d int64
    out_t = torch.tensor([100, 120], dtype=torch.int8) + torch.tensor(10)
    assert out.dtype == np.int8 and out_t.dtype == torch.int8
    np.testing.assert_array_equal(out.numpy(), out_t.numpy())
    assert (tc.tensor([True, False]) + tc.tensor(3)).dtype == np.int64


def test_comparisons_with_a_0d_tensor_compare_in_the_dimensioned_dtype():
    x = tc.Tensor(np.array([0.1, 0.2], dtype=np.float32))
    near = tc.tensor(np.float64(np.float32(0.1)) + 1e-12, dtype=np.float64)
    xt = torch.tensor([0.1, 0.2])
    near_t = torch.tensor(near.item(), dtype=torch.float64)
    np.testing.assert_array_equal((x == near).numpy(), (xt == near_t).numpy())


def test_loss_arithmetic_with_a_float64_scalar_tensor_stays_float32():
    """A float64 0-d weight does not turn a float32 graph into float64 (two 0-d operands do
    promote: a 0-d float32 loss times it is float64, in PyTorch too)."""
    logits = tc.Tensor(
        np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], dtype=np.float32), requires_grad=True
    )
    logits_t = torch.tensor(logits.numpy(), requires_grad=True)
    weight, weight_t = tc.tensor(0.5, dtype=tc.float64), torch.tensor(0.5, dtype=torch.float64)
    target, target_t = tc.tensor([1, 2]), torch.tensor([1, 2])
    loss = (tc.cross_entropy(logits, target, reduction="none") * weight).mean()
    loss_t = (
        torch.nn.functional.cross_entropy(logits_t, target_t, reduction="none") * weight_t
    ).mean()
    assert loss.dtype == np.float32 and loss_t.dtype == torch.float32
    both_0d = tc.cross_entropy(logits, target) * weight
    both_0d_t = torch.nn.functional.cross_entropy(logits_t, target_t) * weight_t
    assert both_0d.dtype == np.float64 and both_0d_t.dtype == torch.float64
    loss.backward()
    loss_t.backward()
    assert logits.grad.dtype == np.float32
    np.testing.assert_allclose(logits.grad, logits_t.grad.numpy(), rtol=1e-6)


def test_float32_model_fed_float64_input():
    """PyTorch refuses a float64 input to float32 layers; conv2d and batch_norm refuse it here
    too (TypeError), so the mistake is seen at once."""
    x = np.random.default_rng(0).random((2, 1, 6, 6))
    for layer, torch_layer in (
        (nn.Conv2d(1, 2, 3), torch.nn.Conv2d(1, 2, 3)),
        (nn.BatchNorm2d(1), torch.nn.BatchNorm2d(1)),
    ):
        with pytest.raises(RuntimeError):
            torch_layer(torch.from_numpy(x))
        with pytest.raises(TypeError, match="dtype"):
            layer(tc.Tensor(x))
