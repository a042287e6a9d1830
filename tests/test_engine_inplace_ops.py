"""`+=`, `-=`, `*=`, `/=`, `x[index] = value` and `backward(gradient=...)`, with PyTorch as the
oracle: in place (same object, version bumped) where no graph is needed, PyTorch's errors on a
leaf that requires grad, the dtype rule of in-place ops, and graph tensors handled honestly."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import Tensor

torch = pytest.importorskip("torch")

AUGMENTED = [operator.iadd, operator.isub, operator.imul, operator.itruediv]
VALUES = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]])


def _pair(values=VALUES, dtype=np.float64, requires_grad=False):
    ours = Tensor(np.array(values, dtype=dtype), requires_grad=requires_grad)
    theirs = torch.tensor(np.array(values, dtype=dtype), requires_grad=requires_grad)
    return ours, theirs


@pytest.mark.parametrize("op", AUGMENTED)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_optimizer_step_under_no_grad_is_in_place(op, dtype):
    w, tw = _pair(dtype=dtype, requires_grad=True)
    grad = np.array([[0.25, 1.0, -2.0], [3.0, 0.5, 1.5]], dtype=dtype)
    same = w
    with tc.no_grad():
        w = op(w, 0.1 * Tensor(grad))
    with torch.no_grad():
        before = tw._version
        tw = op(tw, 0.1 * torch.from_numpy(grad))
    assert w is same and w.is_leaf and w.requires_grad and w.dtype == dtype
    assert w._version == 1 == tw._version - before
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=rtol)


def test_sgd_written_by_hand_updates_the_parameters():
    tc.manual_seed(0)
    model = tc.nn.Linear(3, 2)
    before = [p.data.copy() for p in model.parameters()]
    versions = [p._version for p in model.parameters()]
    model(Tensor(VALUES)).sum().backward()
    grads = [p.grad.copy() for p in model.parameters()]
    with tc.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    for p, old, grad, version in zip(model.parameters(), before, grads, versions, strict=True):
        np.testing.assert_allclose(p.data, old - np.float32(0.1) * grad, rtol=1e-6)
        assert p.is_leaf and p.requires_grad and p._version == version + 1


@pytest.mark.parametrize("op", AUGMENTED)
def test_a_leaf_that_requires_grad_is_refused_outside_no_grad(op):
    w, tw = _pair(requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        op(tw, 2.0)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used"):
        op(w, 2.0)
    np.testing.assert_array_equal(w.data, VALUES)
    assert w._version == 0


@pytest.mark.parametrize("op", AUGMENTED)
def test_a_tensor_without_grad_changes_in_place(op):
    x, tx = _pair()
    alias, data = x, x.data
    x = op(x, Tensor(np.array([2.0, -4.0, 0.5])))
    tx = op(tx, torch.tensor([2.0, -4.0, 0.5], dtype=torch.float64))
    assert x is alias and x.data is data and x._version == 1
    np.testing.assert_allclose(alias.data, tx.numpy(), rtol=1e-14)


@pytest.mark.parametrize("op", AUGMENTED)
def test_a_graph_tensor_held_by_its_name_alone_gets_pytorchs_gradient(op):
    x, tx = _pair(requires_grad=True)
    other = np.array([2.0, -4.0, 0.5])
    y = x * x
    y = op(y, Tensor(other) * x[0])  # a graph operand too
    ty = tx * tx
    ty = op(ty, torch.from_numpy(other) * tx[0])
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-14)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-13)


def test_a_graph_tensor_added_to_itself():
    x, tx = _pair(requires_grad=True)
    y, ty = x * x, tx * tx
    y += y
    ty += ty
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-14)


def test_a_residual_sum_inside_a_module_forward():
    class Block(tc.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = tc.nn.Linear(3, 3)

        def forward(self, x):
            out = self.linear(x)
            out += x  # torchvision's BasicBlock writes `out += identity`
            return out

    tc.manual_seed(0)
    block = Block()
    x = Tensor(VALUES.astype(np.float32), requires_grad=True)
    block(x).sum().backward()
    weight = block.linear.weight.data
    expected = np.broadcast_to(weight.sum(axis=0) + 1.0, x.shape)  # d(xW^T + b + x)/dx
    np.testing.assert_allclose(x.grad, expected, rtol=1e-6)


def test_a_graph_operand_makes_a_plain_tensor_part_of_the_graph():
    w, tw = _pair(dtype=np.float64, requires_grad=True)
    acc, tacc = Tensor(np.zeros((2, 3), dtype=np.float32)), torch.zeros(2, 3)
    acc += w * 3.0
    tacc += tw * 3.0
    assert acc.dtype == np.float32 and acc.requires_grad and not acc.is_leaf
    np.testing.assert_allclose(acc.data, tacc.detach().numpy(), rtol=1e-6)
    acc.sum().backward()
    tacc.sum().backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-6)


def test_a_graph_tensor_that_something_else_holds_is_refused():
    x = Tensor(VALUES, requires_grad=True)
    y = x * 2.0
    alias = y
    with pytest.raises(RuntimeError, match=r"y = y \+ other"):
        y += 1.0
    z = x * 2.0
    used = z.exp()  # exp saved its output; z itself is a parent of the exp node
    with pytest.raises(RuntimeError, match="does not record in-place changes"):
        z *= 2.0
    np.testing.assert_array_equal(alias.data, VALUES * 2.0)
    np.testing.assert_array_equal(z.data, VALUES * 2.0)
    assert y is alias and used.op == "exp"


def test_in_place_methods_refuse_an_operand_that_requires_grad():
    x, w = Tensor(np.zeros(3)), Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="add_: other requires grad"):
        x.add_(w)
    with tc.no_grad():
        x.add_(w)
    np.testing.assert_array_equal(x.data, [1.0, 1.0, 1.0])


@pytest.mark.parametrize(
    ("make", "op", "result"),
    [
        (lambda: [4, 6], operator.itruediv, "float32"),  # int / int is float in PyTorch
        (lambda: [4, 6], lambda t, _: t.div_(2), "float32"),
        (lambda: [4, 6], lambda t, v: operator.iadd(t, 1.5), "float32"),
        (lambda: [4, 6], lambda t, v: operator.imul(t, v.double()), "float64"),
        (lambda: [True, False], lambda t, v: operator.iadd(t, 1), "int64"),
    ],
)
def test_the_in_place_dtype_rule(make, op, result):
    ours, theirs = tc.tensor(make()), torch.tensor(make())
    with pytest.raises(RuntimeError, match="can't be cast"):
        op(theirs, torch.tensor([2.0, 2.0]) if op is not operator.itruediv else 2)
    dtype = ours.dtype
    with pytest.raises(RuntimeError, match=f"result type {result} can't be cast.*dtype {dtype}"):
        op(ours, tc.tensor([2.0, 2.0]) if op is not operator.itruediv else 2)
    np.testing.assert_array_equal(ours.data, make())
    assert ours._version == 0


def test_castable_results_keep_the_tensors_dtype():
    x, tx = _pair(dtype=np.float32)
    x += np.array([0.1, 0.2, 0.3])  # float64 operand, float32 tensor
    tx += torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
    x *= 0.1  # a Python float is computed in float32, as PyTorch does
    tx *= 0.1
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x.data, tx.numpy())
    n, tn = tc.tensor([4, 6]), torch.tensor([4, 6])
    n *= 3
    tn *= 3
    n -= np.array([1, 2], dtype=np.int32)
    tn -= torch.tensor([1, 2], dtype=torch.int32)
    assert n.dtype == np.int64
    np.testing.assert_array_equal(n.data, tn.numpy())


def test_a_result_that_would_grow_the_tensor_is_refused():
    x = Tensor(np.zeros(3))
    with pytest.raises(ValueError, match="does not broadcast"):
        x += np.ones((2, 3))
    assert x._version == 0


# --- x[index] = value -------------------------------------------------------------------------
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


def test_setitem_on_a_graph_tensor_is_recorded_as_pytorch_does():
    x, tx = _pair(requires_grad=True)
    w, tw = _pair([0.5, 2.0], requires_grad=True)
    y, ty = _assign_pieces(x, w, tc), _assign_pieces(tx, tw, torch)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-14)
    assert y.op == "setitem" and y.requires_grad and not y.is_leaf
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-13)


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


# --- backward(gradient=...) -------------------------------------------------------------------
@pytest.mark.parametrize("how", ["positional", "gradient", "grad"])
def test_backward_takes_the_seed_by_pytorchs_keyword_too(how):
    x, tx = _pair(requires_grad=True)
    seed = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    y, ty = x * x, tx * tx
    if how == "positional":
        y.backward(seed, True)
    else:
        y.backward(**{how: seed}, retain_graph=None)
    ty.backward(gradient=torch.from_numpy(seed))
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-14)


def test_backward_refuses_two_seeds_and_what_it_cannot_do():
    x = Tensor(np.ones(2), requires_grad=True)
    y = x * 2.0
    with pytest.raises(TypeError, match="gradient= or grad="):
        y.backward(np.ones(2), grad=np.ones(2))
    with pytest.raises(TypeError, match="gradient= or grad="):
        y.backward(gradient=np.ones(2), grad=np.ones(2))
    with pytest.raises(NotImplementedError, match="create_graph"):
        y.backward(np.ones(2), create_graph=True)
    with pytest.raises(NotImplementedError, match="inputs="):
        y.backward(np.ones(2), inputs=[x])
    assert x.grad is None
    y.backward(np.ones(2), create_graph=False)
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
