"""Tensor, PyTorch's small members: `.grad` assignment checked, hooks with removable handles,
numel, dim, clone, requires_grad_, retain_grad, to, and `.size` both NumPy's and PyTorch's."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import Tensor


def _t(values, **kwargs) -> Tensor:
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True, **kwargs)


def test_grad_assignment_is_checked_as_pytorch():
    x = _t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        x.grad = np.zeros(3)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different type"):
        x.grad = np.zeros(2, dtype=np.float32)
    with pytest.raises(TypeError, match="assigned grad expected"):
        x.grad = [1.0, 2.0]
    assert x.grad is None
    x.grad = np.array([0.5, 0.5])
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.5, 2.5])
    x.grad = None
    assert x.grad is None


def test_hook_sees_and_replaces_the_gradient():
    x = _t([1.0, 2.0])
    h = x * 3.0
    seen = []
    h.register_hook(lambda g: seen.append(g.copy()))
    h.register_hook(lambda g: g * 10.0)  # the replacement flows on to x
    (h * h).sum().backward()
    np.testing.assert_array_equal(seen[0], [6.0, 12.0])  # 2h
    np.testing.assert_array_equal(h.grad, [60.0, 120.0])
    np.testing.assert_array_equal(x.grad, [180.0, 360.0])


def test_hook_handle_removes_it():
    x = _t([1.0, 2.0])
    handle = x.register_hook(lambda g: g * 0.0)
    calls = []
    with x.register_hook(lambda g: calls.append(1)):
        (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    handle.remove()
    handle.remove()  # twice is harmless
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    assert calls == [1]


def test_hook_errors():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        Tensor(np.zeros(2)).register_hook(lambda g: None)
    x = _t([1.0, 2.0])
    with pytest.raises(TypeError, match="callable"):
        x.register_hook(3)
    x.register_hook(lambda g: np.zeros(5))
    with pytest.raises(RuntimeError, match=r"shape \(5,\)"):
        (x * 2.0).sum().backward()
    assert x.grad is None


def test_numel_dim_and_size():
    t = Tensor(np.zeros((2, 3, 4)))
    assert t.numel() == 24 and t.dim() == 3
    assert t.size == 24 and isinstance(t.size, int)  # NumPy's
    assert t.size() == (2, 3, 4) and t.size(0) == 2 and t.size(-1) == 4  # PyTorch's
    with pytest.raises(IndexError, match="out of range"):
        t.size(3)
    with pytest.raises(TypeError, match="dim must be an int"):
        t.size(1.0)
    assert pickle.loads(pickle.dumps(t.size)) == 24
    assert Tensor(np.float64(2.0)).size() == ()


def test_clone_is_differentiable_and_copies():
    x = _t([1.0, -2.0])
    y = x.clone()
    assert y.op == "clone" and y.parents == (x,) and y.data is not x.data
    np.testing.assert_array_equal(y.data, x.data)
    with tc.no_grad():
        y.mul_(5.0)
    np.testing.assert_array_equal(x.data, [1.0, -2.0])
    (x.clone() * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_requires_grad_and_retain_grad():
    t = Tensor(np.zeros(2))
    assert t.requires_grad_() is t and t.requires_grad
    assert t.requires_grad_(False) is t and not t.requires_grad
    with pytest.raises(TypeError, match="bool"):
        t.requires_grad_(1)
    with pytest.raises(TypeError, match="float"):
        Tensor(np.zeros(2, dtype=np.int64), dtype=np.int64).requires_grad_()
    h = _t([1.0]) * 2.0
    with pytest.raises(RuntimeError, match="leaf"):
        h.requires_grad_(False)
    assert h.retain_grad() is None
    with pytest.raises(RuntimeError, match="retain_grad"):
        Tensor(np.zeros(1)).retain_grad()


def test_to_cpu_is_the_tensor():
    t = Tensor(np.array([1.5, -2.0], dtype=np.float32))
    assert t.to("cpu") is t and t.to(device="cpu") is t
    with pytest.raises(ValueError, match="cpu"):
        t.to("cuda")
    assert t.to(np.float64).dtype == np.float64
