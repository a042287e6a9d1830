"""Views share versions, as PyTorch's share one counter: an op whose result views an input's memory
(x[0], reshape, transpose, detach) links it to that input, so an in-place change of either one,
or of a sibling view, is seen by backward wherever the other was saved, never a silently wrong
gradient."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import Tensor

torch = pytest.importorskip("torch")

DATA = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def _edit_base(x, view, sibling):
    x[0] = 5.0


def _edit_base_method(x, view, sibling):
    x.mul_(2.0)


def _edit_sibling(x, view, sibling):
    sibling.add_(1.0)


def _edit_view(x, view, sibling):
    view.fill_(0.0)


@pytest.mark.parametrize("edit", [_edit_base, _edit_base_method, _edit_sibling, _edit_view])
@pytest.mark.parametrize("make_view", [lambda x: x[0], lambda x: x.reshape(6)[:3]])
def test_a_change_through_shared_memory_is_caught_as_pytorch_does(edit, make_view):
    for lib in (torch, tc):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x = lib.tensor(DATA.tolist())
        view, sibling = make_view(x), make_view(x)
        loss = (w * view).sum()  # mul saves the view for w's gradient
        edit(x, view, sibling)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()
        assert w.grad is None


def test_a_changed_transpose_of_a_parameter_is_caught():
    w = Tensor(DATA, requires_grad=True)
    wt = w.transpose(0, 1)
    x = Tensor(np.ones((1, 3)), requires_grad=True)
    loss = (x @ wt).sum()  # matmul saves the transposed view for x's gradient
    with tc.no_grad():
        w -= 0.5
    with pytest.raises(RuntimeError, match="saved by matmul"):
        loss.backward()


def test_unrelated_changes_and_changes_after_backward_are_fine():
    w = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    x = Tensor(DATA.copy())
    other = Tensor(DATA.copy())
    loss = (w * x[0]).sum()
    other[0] = 0.0  # another tensor's memory
    product = x * 2.0  # a fresh result shares nothing with x
    product[0] = 7.0
    loss.backward()
    np.testing.assert_array_equal(w.grad, DATA[0])
    x[0] = 9.0  # after backward nothing needs the old values
    np.testing.assert_array_equal(x.data[0], [9.0, 9.0, 9.0])


def test_a_view_counts_for_its_base_and_not_the_other_way():
    x = Tensor(DATA.copy())
    view = x[1]
    view.add_(1.0)
    assert view._version == 1 and x._version == 1
    x.add_(1.0)
    assert view._version == 1 and x._version == 2  # read through the link when saved
    np.testing.assert_array_equal(view.data, DATA[1] + 2.0)


def test_a_view_pickles_without_its_link():
    x = Tensor(DATA.copy())
    copy = pickle.loads(pickle.dumps(x[0]))
    np.testing.assert_array_equal(copy.data, DATA[0])
    assert copy._base is None
    detached = pickle.loads(pickle.dumps(x.detach()))
    np.testing.assert_array_equal(detached.data, DATA)
