"""`x[index] = value` with PyTorch as the oracle: in place (same array, version bumped) where
no graph is needed, PyTorch's error on a leaf that requires grad, a recorded `setitem` node on a
graph tensor that nothing else holds, refusals that change nothing."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import Tensor

torch = pytest.importorskip("torch")

VALUES = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])


def _pair(values=VALUES, dtype=np.float64, requires_grad=False):
    ours = Tensor(np.array(values, dtype=dtype), requires_grad=requires_grad)
    theirs = torch.tensor(np.array(values, dtype=dtype), requires_grad=requires_grad)
    return ours, theirs


@pytest.mark.parametrize(
    ("index", "value"),
    [
        (0, 1.0),
        ((1, 2), 7),
        ((slice(None), 1), [10.0, 20.0]),
        ((slice(None), 1), "tensor"),
        ("mask", 0.0),
        ("long", [[9.0, 8.0, 7.0]]),  # a leading 1 of the value is dropped, as in both
        ((Ellipsis, slice(0, 2)), np.array([-1.0, -2.0])),
        ("bool tensor", np.array([5.0, 6.0, 7.0])),
    ],
)
def test_setitem_matches_pytorch(index, value):
    x, tx = _pair()
    data = x.data
    if index == "mask":
        index, tindex = x > 0, tx > 0
    elif index == "long":
        index, tindex = tc.tensor([1]), torch.tensor([1])
    elif index == "bool tensor":
        index, tindex = tc.tensor([False, True]), torch.tensor([False, True])
    else:
        tindex = index
    if isinstance(value, str):
        value, tvalue = Tensor(np.array([3.0, 4.0])), torch.tensor([3.0, 4.0])
    elif isinstance(value, np.ndarray):
        tvalue = torch.from_numpy(value)
    elif isinstance(value, list):
        tvalue = torch.tensor(value, dtype=torch.float64)
    else:
        tvalue = value
    x[index] = value
    tx[tindex] = tvalue
    np.testing.assert_array_equal(x.data, tx.numpy())
    assert x.data is data and x._version == 1


def test_setitem_under_no_grad_keeps_the_leaf():
    w, tw = _pair(requires_grad=True)
    with tc.no_grad():
        w[0, :] = 0.0
    with torch.no_grad():
        tw[0, :] = 0.0
    np.testing.assert_array_equal(w.data, tw.detach().numpy())
    assert w.is_leaf and w.requires_grad and w._version == 1


def test_setitem_converts_the_value_to_the_tensors_dtype():
    n, tn = tc.tensor([1, 2, 3]), torch.tensor([1, 2, 3])
    n[0] = 2.7
    tn[0] = 2.7
    n[1:] = np.array([True, False])
    tn[1:] = torch.tensor([True, False])
    assert n.dtype == np.int64
    np.testing.assert_array_equal(n.data, tn.numpy())


def test_setitem_refusals_change_nothing():
    w, tw = _pair(requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        tw[0] = 1.0
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w[0] = 1.0
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="must match the existing size"):
        torch.zeros(2, 3)[:, 1] = torch.ones(3)
    with pytest.raises(RuntimeError, match=r"shape mismatch: value of shape \(3,\)"):
        x[:, 1] = np.ones(3)
    with pytest.raises(IndexError, match="setitem: index 5 is invalid"):
        x[5] = 1.0
    with pytest.raises(IndexError, match="float Tensor cannot index"):
        x[Tensor(np.array([0.0]))] = 1.0
    with pytest.raises(TypeError, match="setitem: value"):
        x[0] = "a"
    with pytest.raises(ValueError, match="NaN"):
        tc.tensor([1, 2])[0] = float("nan")
    np.testing.assert_array_equal(w.data, VALUES)
    np.testing.assert_array_equal(x.data, np.zeros((2, 3)))
    assert w._version == 0 and x._version == 0


def _assign_pieces(x, w, lib):
    y = x * x
    y[:, 1] = w * 3.0  # a graph value, broadcast over nothing
    y[0] = 0.5
    y[y > 1.0] = -1.0  # a mask made from y itself
    y[lib.tensor([1]), lib.tensor([2])] = w[1:]  # integer tensors, a (1,) value
    return y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_setitem_on_a_graph_tensor_is_recorded_as_pytorch_does(dtype):
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    x, tx = _pair(dtype=dtype, requires_grad=True)
    w, tw = _pair([0.5, 2.0], dtype=dtype, requires_grad=True)
    y, ty = _assign_pieces(x, w, tc), _assign_pieces(tx, tw, torch)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=rtol)
    assert y.op == "setitem" and y.requires_grad and not y.is_leaf and y.dtype == dtype
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert x.grad.dtype == dtype and w.grad.dtype == dtype
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=rtol)
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=rtol)


def test_a_graph_value_makes_a_plain_tensor_part_of_the_graph():
    w, tw = _pair([[0.5, 2.0, -1.0]], requires_grad=True)
    acc, tacc = Tensor(np.zeros((3, 3))), torch.zeros(3, 3, dtype=torch.float64)
    acc[1:] = w  # broadcast over the first dim: the value's gradient sums over it
    tacc[1:] = tw
    (acc * Tensor(np.arange(9.0).reshape(3, 3))).sum().backward()
    (tacc * torch.arange(9.0, dtype=torch.float64).reshape(3, 3)).sum().backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-14)
    assert acc.op == "setitem" and acc._version == 1


def test_recorded_setitem_passes_gradcheck():
    x = Tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    v = Tensor(np.random.default_rng(1).standard_normal((3, 1)), requires_grad=True)

    def fn(x, v):
        y = x.tanh()
        y[:, 1:3] = v * v  # broadcast along the last dim
        return y * x

    assert tc.gradcheck(fn, x, v)


def test_setitem_on_a_graph_tensor_refuses_what_it_cannot_record():
    x = Tensor(VALUES, requires_grad=True)
    y = x * 2.0
    alias = y
    with pytest.raises(RuntimeError, match="something else also holds it.*tc.where"):
        y[0] = 1.0
    z = x * 2.0
    used = z + 1.0  # an op that used z would route its gradient through the new node
    with pytest.raises(RuntimeError, match="something else also holds it"):
        z[0] = 1.0
    h = x * 2.0
    with pytest.raises(RuntimeError, match="repeats an element"):
        h[tc.tensor([0, 0])] = Tensor(np.ones((2, 3)), requires_grad=True)
    plain = Tensor(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="a float value that requires grad"):
        tc.tensor([1, 2, 3])[0] = x[0, 0]
    np.testing.assert_array_equal(alias.data, VALUES * 2.0)
    assert y is alias and y.op == "mul" and z.op == "mul" and h.op == "mul"
    assert used.op == "add" and plain._version == 0


def test_setitem_on_a_saved_tensor_is_caught_at_backward():
    w = Tensor(VALUES, requires_grad=True)
    x = Tensor(np.ones((2, 3)), name="x")
    loss = (w * x).sum()
    x[0, 0] = 5.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation: tensor 'x'"):
        loss.backward()
    assert w.grad is None


def _random_index(rng, shape):
    """An index of one of the kinds getitem takes, for a tensor of `shape` (no repeats)."""
    kind = rng.integers(4)
    if kind == 0:
        return int(rng.integers(-shape[0], shape[0]))
    if kind == 1:
        start = int(rng.integers(0, shape[1]))
        return (slice(None), slice(start, None, int(rng.integers(1, 3))))
    if kind == 2:
        return "mask"
    rows = rng.permutation(shape[0])[: int(rng.integers(1, shape[0] + 1))]
    return ("rows", rows)


@pytest.mark.parametrize("seed", range(12))
def test_random_assignments_match_pytorch(seed):
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(2, 5)), int(rng.integers(2, 5)))
    data = rng.standard_normal(shape)
    x, tx = _pair(data, requires_grad=True)
    index = _random_index(rng, shape)
    y, ty = x * 1.5, tx * 1.5
    if index == "mask":
        ours, theirs = y > 0, ty > 0
    elif isinstance(index, tuple) and index[0] == "rows":
        ours, theirs = tc.tensor(index[1]), torch.tensor(index[1])
    else:
        ours = theirs = index
    target = np.empty(shape)[ours.data if _is_tensor(ours) else ours].shape
    value_shape = target[1:] if target and rng.integers(2) else target  # broadcast or not
    v, tv = _pair(rng.standard_normal(value_shape), requires_grad=True)
    y[ours] = v
    ty[theirs] = tv
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-14)
    weights = rng.standard_normal(shape)
    (y * Tensor(weights)).sum().backward()
    (ty * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(v.grad, tv.grad.numpy(), rtol=1e-13, atol=1e-15)
    with tc.no_grad():  # the same assignment in place on a leaf
        x[ours] = v.detach() * 2.0
    with torch.no_grad():
        tx[theirs] = tv.detach() * 2.0
    np.testing.assert_allclose(x.data, tx.detach().numpy(), rtol=1e-14)
    assert x.is_leaf and x._version == 1


def _is_tensor(value) -> bool:
    return isinstance(value, Tensor)
