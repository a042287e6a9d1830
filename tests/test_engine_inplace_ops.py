"""`+=`, `-=`, `*=`, `/=` and `backward(gradient=...)`, with PyTorch as the oracle: in place
(same object, version bumped) where no graph is needed, PyTorch's error on a leaf that requires
grad, the dtype rule of in-place ops, and graph tensors handled honestly (`x[index] = value` is
in test_engine_setitem.py)."""

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
    v = x * 2.0
    with tc.no_grad():
        row = v[0]  # a view of v's memory that would keep the old values
    with pytest.raises(RuntimeError, match="a view"):
        v -= 1.0
    np.testing.assert_array_equal(alias.data, VALUES * 2.0)
    np.testing.assert_array_equal(z.data, VALUES * 2.0)
    np.testing.assert_array_equal(row.data, VALUES[0] * 2.0)
    assert y is alias and used.op == "exp" and v.op == "mul"


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
    with pytest.raises(TypeError, match="complex128"):
        x += np.complex128(1j)  # never silently dropping the imaginary part
    n = tc.tensor([1, 2])
    with pytest.raises(RuntimeError, match="without overflow"):
        n += 2**70
    assert x._version == 0 and n._version == 0
    np.testing.assert_array_equal(x.data, [0.0, 0.0, 0.0])


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
