"""retain_graph as PyTorch: backward releases what the graph saved, a second backward through it
is a RuntimeError naming retain_graph=True, with it the second backward accumulates; structure,
data, grads and params stay for pictures."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import Tensor


def _t(values, **kwargs) -> Tensor:
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True, **kwargs)


def test_second_backward_through_a_released_graph_is_an_error():
    x, w = _t([1.0, 2.0]), _t([3.0, -1.0])
    loss = (x * w).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True") as info:
        loss.backward()
    assert "mul" in str(info.value) and "second time" in str(info.value)
    np.testing.assert_array_equal(x.grad, [3.0, -1.0])  # not doubled, not touched by the failure
    np.testing.assert_array_equal(w.grad, [1.0, 2.0])


def test_retain_graph_true_lets_a_second_backward_accumulate():
    x, w = _t([1.0, 2.0]), _t([3.0, -1.0])
    loss = (x * w).tanh().sum()
    loss.backward(retain_graph=True)
    loss.backward()  # the last one may release
    t = np.tanh(np.array([3.0, -2.0]))
    np.testing.assert_allclose(x.grad, 2 * (1 - t**2) * [3.0, -1.0], rtol=1e-14)
    np.testing.assert_allclose(w.grad, 2 * (1 - t**2) * [1.0, 2.0], rtol=1e-14)
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()


def test_matches_torch_on_what_may_be_run_twice(torch):
    """A graph whose ops saved nothing (add, sum) can be run twice in PyTorch too."""
    x = _t([1.0, 2.0])
    xt = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    loss, loss_t = (x + 1.0).sum(), (xt + 1.0).sum()
    for _ in range(2):
        loss.backward()
        loss_t.backward()
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())  # [2, 2]
    y, yt = (x * x).sum(), (xt * xt).sum()
    y.backward()
    yt.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        yt.backward()


def test_released_arrays_are_freed(rng):
    x = Tensor(rng.standard_normal((2, 3, 8, 8)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    y = tc.conv2d(x, w, padding=1)
    p = tc.max_pool2d(y, 2)
    argmax = weakref.ref(p._ctx.saved_tensors[0])  # an array the op made for its backward
    p.sum().backward()
    gc.collect()
    assert argmax() is None
    assert y._ctx.saved_tensors == () and p._ctx.saved_tensors == ()


def test_structure_data_grads_and_params_stay_after_backward(rng):
    x = Tensor(rng.standard_normal((1, 2, 6, 6)), requires_grad=True, name="x")
    w = Tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True, name="w")
    y = tc.conv2d(x, w, stride=2, padding=1).relu().max_pool2d(2)
    loss = y.sum()
    data = y.data.copy()
    loss.backward()
    assert y.op == "max_pool2d" and y.parents[0].op == "relu"
    conv = y.parents[0].parents[0]
    assert conv.op == "conv2d" and conv.parents == (x, w)
    assert conv._ctx.params["stride"] == (2, 2) and conv._ctx.params["padding"] == (1, 1, 1, 1)
    np.testing.assert_array_equal(y.data, data)
    assert x.grad is not None and conv.grad is not None
    source = tc.draw_graph(loss).source  # the picture still works after backward
    assert "conv2d" in source and "max_pool2d" in source


def test_trace_backward_takes_retain_graph():
    x = _t([0.5, -1.0])
    loss = (x * x).sum()
    trace = tc.trace_backward(loss, retain_graph=True)
    assert [step.op for step in trace.steps] == ["sum", "mul"]
    loss.backward()
    np.testing.assert_array_equal(x.grad, 2 * 2 * np.array([0.5, -1.0]))
    loss2 = (x * x).sum()
    tc.trace_backward(loss2)
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss2.backward()


def test_retain_graph_must_be_a_bool():
    loss = (_t([1.0]) * 2.0).sum()
    with pytest.raises(TypeError, match="retain_graph"):
        loss.backward(retain_graph="yes")


def test_a_released_part_is_refused_before_anything_runs():
    """A new graph on top of a released one: the error comes before any grad is stored."""
    x = _t([1.0, 2.0])
    h = x.exp()
    h.sum().backward()
    first = x.grad.copy()
    with pytest.raises(RuntimeError, match="exp"):
        (h * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, first)
    assert h.grad is not None and np.array_equal(h.grad, [1.0, 1.0])


def test_a_training_loop_keeps_no_saved_arrays_between_steps(rng):
    """Issue 10 point 9: the previous step's graph is alive while the next forward runs (its
    structure, data and grads stay, for pictures), but no longer its columns, masks and indices."""
    from tinygrad_conv import autograd, nn, optim

    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 3),
    )
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = Tensor(rng.standard_normal((8, 1, 8, 8)).astype(np.float32))
    y = rng.integers(0, 3, 8)
    for _ in range(2):
        opt.zero_grad()
        loss = tc.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    saved = [
        a for t in autograd.topo_order(loss) if t._ctx is not None for a in t._ctx.saved_tensors
    ]
    assert saved == []
