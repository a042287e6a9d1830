"""The engine: graph shapes (fan-out, diamond, x*x), accumulation, no_grad, long chains, dtypes, the
Tensor's members, constant and reverse operands, detect_anomaly, and failure atomicity."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import Tensor
from tinygrad_conv.autograd import Function


def _t(values, **kwargs) -> Tensor:
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True, **kwargs)


# --- graph shapes, with values worked out by hand -------------------------------------------------


def test_x_times_x():
    x = _t([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, -4.0, 6.0])  # d(x^2)/dx = 2x


def test_fan_out_sums_every_use():
    x = _t(2.0)
    y = x * 3.0 + x.exp() + x * x  # x is used four times
    y.backward()
    assert x.grad == pytest.approx(3.0 + math.exp(2.0) + 4.0, rel=1e-15)


def test_diamond():
    # a -> b = 2a, c = a^2 -> d = b * c = 2a^3; dd/da = 6a^2; dd/db = c, dd/dc = b
    a = _t(1.5)
    b = a * 2.0
    c = a * a
    d = b * c
    d.backward()
    assert a.grad == pytest.approx(6 * 1.5**2, rel=1e-15)
    assert b.grad == pytest.approx(1.5**2, rel=1e-15)
    assert c.grad == pytest.approx(3.0, rel=1e-15)
    assert d.grad == 1.0


def test_intermediate_tensors_keep_their_grad():
    """API.md: .grad is kept on every tensor that requires grad, intermediate ones too."""
    x = _t([1.0, 2.0])
    h = x * 3.0
    y = (h * h).sum()
    y.backward()
    np.testing.assert_array_equal(h.grad, [6.0, 12.0])  # 2h
    np.testing.assert_array_equal(x.grad, [18.0, 36.0])  # 2h * 3
    assert y.grad == 1.0


def test_repeated_backward_accumulates_by_hand():
    x = _t([1.0, 2.0])
    w = _t([3.0, -1.0])
    for expected_calls in (1, 2, 3):
        (x * w).sum().backward()
        np.testing.assert_array_equal(x.grad, expected_calls * np.array([3.0, -1.0]))
        np.testing.assert_array_equal(w.grad, expected_calls * np.array([1.0, 2.0]))
    x.zero_grad()
    assert x.grad is None
    (x * w).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, -1.0])
    np.testing.assert_array_equal(w.grad, 4 * np.array([1.0, 2.0]))


def test_backward_through_a_shared_subgraph_twice():
    """Two outputs sharing a subgraph: grads add up over the two backward calls (the first keeps
    the shared part's saved arrays with retain_graph=True, as PyTorch needs)."""
    x = _t([0.5, -1.0])
    h = x.tanh()
    (h * 2.0).sum().backward(retain_graph=True)
    (h * h).sum().backward()
    t = np.tanh([0.5, -1.0])
    np.testing.assert_allclose(x.grad, (2.0 + 2 * t) * (1 - t**2), rtol=1e-14)
    np.testing.assert_allclose(h.grad, 2.0 + 2 * t, rtol=1e-14)


def test_repeated_backward_matches_torch(rng, torch):
    x_np, w_np = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    x, w = Tensor(x_np, requires_grad=True), Tensor(w_np, requires_grad=True)
    xt, wt = torch.tensor(x_np, requires_grad=True), torch.tensor(w_np, requires_grad=True)
    for _ in range(3):
        (x @ w).tanh().sum().backward()
        (x * x).mean().backward()
        (xt @ wt).tanh().sum().backward()
        (xt * xt).mean().backward()
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.grad, wt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_backward_with_explicit_grad():
    x = _t([[1.0, 2.0], [3.0, 4.0]])
    y = x * x
    y.backward(np.array([[1.0, 0.0], [0.5, -1.0]]))
    np.testing.assert_array_equal(x.grad, [[2.0, 0.0], [3.0, -8.0]])
    z = _t([1.0, 2.0])
    (z * 3.0).backward(grad=Tensor([1.0, 1.0]))  # a Tensor works as grad too
    np.testing.assert_array_equal(z.grad, [3.0, 3.0])


def test_backward_without_grad_on_one_element_tensor():
    x = _t([[2.0]])
    (x * x).backward()  # shape (1, 1): the seed is 1.0
    np.testing.assert_array_equal(x.grad, [[4.0]])


def test_constant_operand_gets_no_grad():
    x = _t([1.0, 2.0])
    c = Tensor(np.array([5.0, 7.0]))
    (x * c).sum().backward()
    assert c.grad is None and not c.requires_grad
    np.testing.assert_array_equal(x.grad, [5.0, 7.0])


# --- no_grad --------------------------------------------------------------------------------------


def test_no_grad_builds_no_graph():
    x = _t([1.0, 2.0])
    with tc.no_grad():
        y = (x * 2.0).exp().sum()
    assert not y.requires_grad and y.op is None and y.parents == ()
    assert y.item() == pytest.approx(math.exp(2.0) + math.exp(4.0))
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()
    z = x * 2.0  # after the block the graph is recorded again
    assert z.requires_grad and z.op == "mul"


def test_no_grad_restores_the_flag_after_an_exception():
    x = _t([1.0, 2.0])
    with pytest.raises(ValueError), tc.no_grad():
        x + np.ones(3)
    assert (x * 2.0).requires_grad
    with tc.no_grad(), tc.no_grad():  # nested blocks
        pass
    assert (x * 2.0).requires_grad


# --- long chains: no recursion --------------------------------------------------------------------


def test_ten_thousand_op_chain():
    x = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    y = x
    for i in range(10_000):
        y = y * 1.0001 if i % 2 else y + 0.001  # 5,000 multiplications, 5,000 additions
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001**5000] * 2, rtol=1e-12)
    expected = np.array([0.5, 2.0])
    for i in range(10_000):
        expected = expected * 1.0001 if i % 2 else expected + 0.001
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)


def test_ten_thousand_op_chain_of_unary_ops():
    x = Tensor(np.array(0.3), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = -y
    y.backward()
    assert y.item() == 0.3 and x.grad == 1.0  # an even number of negations


# --- dtypes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grad_dtype_is_tensor_dtype(dtype):
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=dtype), requires_grad=True)
    y = ((x @ x.T).tanh().sum(axis=0) * 2.0 + 1.0).softmax().log().mean()
    assert y.dtype == dtype
    y.backward()
    assert x.grad.dtype == dtype and x.grad.shape == x.shape


def test_mixed_float32_float64_inputs():
    a = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0], dtype=np.float64), requires_grad=True)
    y = a * b + a @ b
    assert y.dtype == np.float64  # NumPy's promotion, as PyTorch's
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad, [3.0 + 2 * 3.0, 4.0 + 2 * 4.0])
    np.testing.assert_array_equal(b.grad, [1.0 + 2 * 1.0, 2.0 + 2 * 2.0])


def test_default_dtype_is_float32():
    assert Tensor([1, 2, 3]).dtype == np.float32  # ints become float32
    assert Tensor(2.5).dtype == np.float32
    assert Tensor([True, False]).dtype == np.float32
    assert Tensor(np.ones(2)).dtype == np.float64  # a float64 array stays float64
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    x = Tensor(np.ones(2, dtype=np.float32))
    assert (x * 2.5).dtype == np.float32  # a Python scalar takes the tensor's dtype
    assert (2.5 - x).dtype == np.float32


# --- Tensor members -------------------------------------------------------------------------------


def test_op_parents_name_and_repr():
    a = Tensor([1.0, 2.0], requires_grad=True, name="a")
    b = Tensor([3.0, 4.0], name="b")
    c = a * b
    assert a.op is None and a.parents == () and a.is_leaf
    assert c.op == "mul" and c.parents[0] is a and c.parents[1] is b and c.name is None
    assert a.name == "a"
    assert repr(a) == "Tensor([1., 2.], requires_grad=True, name='a')"
    assert repr(c) == "Tensor([3., 8.], requires_grad=True, op='mul')"
    assert repr(b) == "Tensor([3., 4.], name='b')"
    assert repr(Tensor(np.array([0.5]))) == "Tensor([0.5], dtype=float64)"
    ops = {
        "add": a + b,
        "sub": a - b,
        "div": a / b,
        "pow": a**2,
        "neg": -a,
        "matmul": a @ b,
        "sum": a.sum(),
        "mean": a.mean(),
        "max": a.max(),
        "reshape": a.reshape(2, 1),
        "transpose": a.transpose(),
        "flatten": a.flatten(),
        "getitem": a[0],
        "exp": a.exp(),
        "log": a.log(),
        "tanh": a.tanh(),
        "sigmoid": a.sigmoid(),
        "relu": a.relu(),
        "softmax": a.softmax(),
        "log_softmax": a.log_softmax(),
    }
    for name, tensor in ops.items():
        assert tensor.op == name and tensor.parents[0] is a


def test_shape_ndim_size_len_item_numpy():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
    assert x[1, 2].item() == 5.0 and isinstance(x[1, 2].item(), float)
    array = x.numpy()  # works on a tensor that requires grad (unlike PyTorch)
    assert isinstance(array, np.ndarray)
    np.testing.assert_array_equal(array, [[0, 1, 2], [3, 4, 5]])
    with pytest.raises(ValueError, match="item"):
        x.item()
    with pytest.raises(TypeError, match="len"):
        len(Tensor(1.0))


def test_detach():
    x = _t([1.0, 2.0])
    d = (x * 2.0).detach()
    assert not d.requires_grad and d.op is None and d.parents == ()
    np.testing.assert_array_equal(d.data, [2.0, 4.0])
    (d * x).sum().backward()  # d is a constant: grad flows to x only through the direct use
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    assert d.grad is None


# --- constant and reverse operands ----------------------------------------------------------------


def test_constants_on_either_side():
    x = _t([1.0, 2.0])
    arr = np.array([10.0, 20.0])
    cases = {
        "x + 2": (x + 2, [3.0, 4.0], [1.0, 1.0]),
        "2 + x": (2 + x, [3.0, 4.0], [1.0, 1.0]),
        "x - 2": (x - 2, [-1.0, 0.0], [1.0, 1.0]),
        "2 - x": (2 - x, [1.0, 0.0], [-1.0, -1.0]),
        "3 * x": (3 * x, [3.0, 6.0], [3.0, 3.0]),
        "x / 4": (x / 4, [0.25, 0.5], [0.25, 0.25]),
        "2 / x": (2 / x, [2.0, 1.0], [-2.0, -0.5]),  # d(2/x)/dx = -2/x^2
        "x ** 2": (x**2, [1.0, 4.0], [2.0, 4.0]),
        "2 ** x": (2**x, [2.0, 4.0], [2 * math.log(2), 4 * math.log(2)]),  # 2^x ln 2
        "arr + x": (arr + x, [11.0, 22.0], [1.0, 1.0]),
        "arr - x": (arr - x, [9.0, 18.0], [-1.0, -1.0]),
        "arr * x": (arr * x, [10.0, 40.0], [10.0, 20.0]),
        "arr / x": (arr / x, [10.0, 10.0], [-10.0, -5.0]),
        "x / arr": (x / arr, [0.1, 0.1], [0.1, 0.05]),
        "arr ** x": (arr**x, [10.0, 400.0], [10 * math.log(10), 400 * math.log(20)]),
        "arr @ x": (arr @ x, 50.0, [10.0, 20.0]),
        "np.float64 * x": (np.float64(3.0) * x, [3.0, 6.0], [3.0, 3.0]),
        "x - np.float64": (x - np.float64(3.0), [-2.0, -1.0], [1.0, 1.0]),
        "x @ arr": (x @ arr, 50.0, [10.0, 20.0]),
    }
    for label, (y, value, grad) in cases.items():
        assert isinstance(y, Tensor), label
        assert y.requires_grad, label
        np.testing.assert_allclose(y.data, value, rtol=1e-15, err_msg=label)
        x.zero_grad()
        y.sum().backward()
        np.testing.assert_allclose(x.grad, grad, rtol=1e-15, err_msg=label)


def test_ndarray_matmul_tensor_returns_tensor():
    x = _t([[1.0, 2.0], [3.0, 4.0]])
    m = np.array([[0.0, 1.0], [1.0, 0.0]])
    y = m @ x
    assert isinstance(y, Tensor) and y.op == "matmul"
    np.testing.assert_array_equal(y.data, [[3.0, 4.0], [1.0, 2.0]])
    y.backward(np.ones((2, 2)))
    np.testing.assert_array_equal(x.grad, np.ones((2, 2)))  # m^T @ ones, m a permutation


# --- detect_anomaly -------------------------------------------------------------------------------


def test_detect_anomaly_forward_nan():
    x = Tensor(np.array([1.0, -1.0]), requires_grad=True, name="x")
    with tc.detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(RuntimeError) as info:
            x.log()
    message = str(info.value)
    assert "log" in message and "forward" in message and "x" in message and "(2,)" in message
    with np.errstate(invalid="ignore"):
        y = x.log()  # outside the block: no check, NaN propagates as in NumPy
    assert np.isnan(y.data[1])


def test_detect_anomaly_backward_inf_leaves_grads_untouched():
    x = Tensor(np.array([0.0, 4.0]), requires_grad=True, name="x")
    w = Tensor(np.array([1.0, 1.0]), requires_grad=True, name="w")
    x.grad = np.array([5.0, 5.0])
    w.grad = np.array([7.0, 7.0])
    y = (x**0.5 * w).sum()  # d sqrt(x)/dx = 1 / (2 sqrt x): Inf at 0
    with tc.detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(RuntimeError) as info:
            y.backward()
    message = str(info.value)
    assert "pow" in message and "backward" in message and "x" in message and "(2,)" in message
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])
    np.testing.assert_array_equal(w.grad, [7.0, 7.0])
    assert y.grad is None


def test_detect_anomaly_is_off_after_the_block():
    x = Tensor(np.array([-1.0]), requires_grad=True)
    with pytest.raises(RuntimeError), tc.detect_anomaly(), np.errstate(invalid="ignore"):
        x.log()
    with np.errstate(invalid="ignore"):
        assert np.isnan(x.log().data[0])


# --- a failing backward leaves every .grad as it was ----------------------------------------------


class _FailsInBackward(Function):
    name = "fails_in_backward"

    @staticmethod
    def forward(ctx, x):
        return x * 2.0

    @staticmethod
    def backward(ctx, grad_out):
        raise RuntimeError("fails_in_backward: deliberate failure")


class _WrongGradShape(Function):
    name = "wrong_grad_shape"

    @staticmethod
    def forward(ctx, x):
        return x * 2.0

    @staticmethod
    def backward(ctx, grad_out):
        return (np.ones(7),)


@pytest.mark.parametrize("bad", [_FailsInBackward, _WrongGradShape])
def test_failing_backward_changes_no_grad(bad):
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    a.grad, b.grad = np.array([0.5, 0.5]), np.array([-1.0, -1.0])
    h = a * b  # reached by backward before the failing op
    y = (bad.apply(a) + h).sum()
    with pytest.raises(RuntimeError, match=bad.name):
        y.backward()
    np.testing.assert_array_equal(a.grad, [0.5, 0.5])
    np.testing.assert_array_equal(b.grad, [-1.0, -1.0])
    assert h.grad is None and y.grad is None
