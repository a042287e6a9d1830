"""Version counters: in-place methods, `.data = ...` and `_bump_version` change a tensor's version;
backward refuses an array saved at another version by name (PyTorch's "modified by an inplace
operation"), refuses a `.data` of another shape, and under detect_anomaly catches NumPy writes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import Tensor


def _t(values, **kwargs) -> Tensor:
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True, **kwargs)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda t: t.add_(np.array([1.0, 1.0, 1.0])), [2.0, -1.0, 4.0]),
        (lambda t: t.add_(2.0, alpha=0.5), [2.0, -1.0, 4.0]),
        (lambda t: t.sub_(Tensor(np.array([1.0, 1.0, 1.0])), alpha=2), [-1.0, -4.0, 1.0]),
        (lambda t: t.mul_(-2.0), [-2.0, 4.0, -6.0]),
        (lambda t: t.div_(np.array([2.0, 4.0, 1.0])), [0.5, -0.5, 3.0]),
        (lambda t: t.zero_(), [0.0, 0.0, 0.0]),
        (lambda t: t.fill_(7), [7.0, 7.0, 7.0]),
        (lambda t: t.copy_(np.array([9, 8, 7])), [9.0, 8.0, 7.0]),
        (lambda t: t.clamp_(min=0.0, max=2.5), [1.0, 0.0, 2.5]),
        (lambda t: t.clamp_(max=0.0), [0.0, -2.0, 0.0]),
    ],
)
def test_in_place_methods(call, expected):
    t = Tensor(np.array([1.0, -2.0, 3.0]))
    before = t.data
    assert call(t) is t
    np.testing.assert_array_equal(t.data, expected)
    assert t.data is before and t.dtype == np.float64 and t._version == 1


def test_in_place_on_a_tensor_that_requires_grad_needs_no_grad():
    w = _t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.mul_(2.0)
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    assert w._version == 0
    with tc.no_grad():
        w.sub_(np.array([0.5, 0.5]))
    np.testing.assert_array_equal(w.data, [0.5, 1.5])
    assert w._version == 1
    h = w * 2.0
    with pytest.raises(RuntimeError, match="mul"):
        h.add_(1.0)


def test_in_place_bad_arguments():
    t = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"add_: other of shape \(4,\)"):
        t.add_(np.ones(4))
    with pytest.raises(ValueError, match="broadcast"):
        t.mul_(np.ones((3, 2, 3)))  # would grow the tensor
    with pytest.raises(TypeError, match="fill_"):
        t.fill_("a")
    with pytest.raises(ValueError, match="clamp_"):
        t.clamp_()
    assert t._version == 0


@pytest.mark.parametrize(
    ("make", "edit", "what"),
    [
        (lambda x, w: x * w, lambda x, w: x.data.__setitem__(0, 0) or x._bump_version(), "'x'"),
        (lambda x, w: x / w, lambda x, w: w._bump_version(), "'w'"),
        (lambda x, w: x @ w, lambda x, w: setattr(w, "data", w.data * 2), "'w'"),
        (lambda x, w: (x * w).exp(), None, "output of exp"),
        (lambda x, w: (x * w).tanh(), None, "output of tanh"),
        (lambda x, w: (x * w).relu(), lambda x, w: None, None),
    ],
)
def test_backward_refuses_a_changed_saved_tensor(make, edit, what):
    x, w = _t([1.0, 2.0], name="x"), _t([3.0, -1.0], name="w")
    y = make(x, w)
    if edit is None:  # change the op's own output
        with tc.no_grad():
            y.mul_(2.0)
    else:
        edit(x, w)
    if what is None:  # relu saved its input (a product it owns): nothing was changed
        y.sum().backward()
        return
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as info:
        y.sum().backward()
    message = str(info.value)
    assert what in message and "is at version 1; expected version 0" in message
    assert "(2,)" in message
    assert x.grad is None and w.grad is None


def test_the_message_names_the_op_that_saved_it(rng):
    x = Tensor(rng.standard_normal((1, 1, 4, 4)), requires_grad=True)
    w = Tensor(rng.standard_normal((2, 1, 3, 3)), requires_grad=True, name="kernel")
    loss = tc.conv2d(x, w).sum()
    with tc.no_grad():
        w.sub_(0.1 * np.ones(w.shape))  # an SGD step between forward and backward
    with pytest.raises(RuntimeError, match=r"'kernel' of shape \(2, 1, 3, 3\), saved by conv2d"):
        loss.backward()


def test_unsaved_inputs_may_change(rng):
    """add saves nothing, and conv2d keeps its own columns of x: PyTorch's add agrees."""
    x, b = _t([1.0, 2.0]), _t([0.5, 0.5])
    y = (x + b).sum()
    with tc.no_grad():
        x.add_(1.0)
    y.backward()
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_data_of_another_shape_on_a_graph_tensor_is_refused():
    x = _t([1.0, -2.0, 3.0])
    h = x.relu()
    with pytest.raises(RuntimeError, match=r"made by relu with shape \(3,\)"):
        h.data = np.zeros(10)
    with pytest.raises(RuntimeError, match="dtype"):
        h.data = np.zeros(3, dtype=np.float32)
    with pytest.raises(TypeError, match="np.ndarray"):
        h.data = [1.0, 2.0, 3.0]
    np.testing.assert_array_equal(h.data, [1.0, 0.0, 3.0])
    h.data = np.array([5.0, 5.0, 5.0])  # same shape and dtype: allowed, and a new version
    assert h._version == 1


def test_a_leaf_whose_data_changed_shape_is_caught_at_backward():
    a, b = _t([1.0, 2.0]), _t([1.0, 2.0])
    y = (a + b).sum()
    a.data = np.zeros(5)  # allowed on a leaf (PyTorch too), but this graph used shape (2,)
    with pytest.raises(RuntimeError, match=r"had shape \(2,\).*replaced by an array of shape"):
        y.backward()
    assert a.grad is None and b.grad is None


CRASH = """
import numpy as np, tinygrad_conv as tc
x = tc.Tensor(np.random.default_rng(0).standard_normal({shape}), requires_grad=True)
y = {op}
try:
    y.data = np.ones({big})
except (RuntimeError, ValueError) as err:
    print("refused:", err)
z = {tail}
try:
    z.backward()
except RuntimeError as err:
    print("backward refused:", err)
else:
    print("backward ran", float(np.abs(x.grad).max()))
"""


@pytest.mark.parametrize(
    ("shape", "op", "big", "tail"),
    [
        ((1, 1, 4, 4), "tc.max_pool2d(x, 2)", (1, 1, 400, 400), "y.sum()"),
        ((1, 1, 4, 4), "tc.avg_pool2d(x, 2)", (1, 1, 400, 400), "y.sum()"),
        ((8,), "x.relu()", (80000,), "y.sum()"),
        ((8,), "x.relu()", (2,), "y.sum()"),
        (
            (4, 3),
            "tc.cross_entropy(x * 1.0, np.zeros(4, dtype=np.int64), reduction='none')",
            (1,),
            "y.sum()",
        ),
    ],
)
def test_bigger_data_never_reaches_a_kernel(shape, op, big, tail):
    """Used to segfault (max_pool2d) or put heap values in .grad (relu, avg_pool2d, cross_entropy):
    run in a child process, which must end normally with an error message."""
    code = CRASH.format(shape=shape, op=op, big=big, tail=tail)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "refused" in result.stdout


def test_detect_anomaly_catches_numpy_writes_into_saved_arrays():
    x, w = _t([1.0, 2.0]), _t([3.0, -1.0])
    with tc.detect_anomaly():
        y = (x * w).sum()
        x.data[0] = 100.0  # no version bump: only the checksum can see it
        with pytest.raises(RuntimeError, match=r"detect_anomaly: .*mul saved.*checksum"):
            y.backward()
    assert x.grad is None
    y2 = (x * w).sum()
    x.data[0] = 1.0  # outside detect_anomaly nothing is checksummed
    y2.backward()


def test_bump_version_exists_and_counts():
    t = Tensor(np.zeros(2))
    t._bump_version()
    t._bump_version()
    assert t._version == 2


def test_an_optimizer_step_or_load_state_dict_before_backward_is_refused(rng):
    """Old main: the step silently changed the gradients of mul, matmul, conv2d."""
    from tinygrad_conv import nn, optim

    model = nn.Linear(3, 2)
    x = Tensor(rng.standard_normal((4, 3)))
    loss = model(x).sum()
    loss.backward(retain_graph=True)
    optim.SGD(model.parameters(), lr=0.1).step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    loss = model(x).sum()
    model.load_state_dict({k: np.zeros_like(v) for k, v in model.state_dict().items()})
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_an_in_place_change_through_detach_counts_for_the_original():
    """detach() shares memory, so (as PyTorch's shared version counter) its in-place change is
    the original's too; the detached tensor holds only a weak reference (no graph kept alive)."""
    import gc
    import weakref

    x, w = _t([1.0, 2.0], name="x"), _t([3.0, -1.0])
    y = (x * w).sum()
    x.detach().mul_(2.0)  # allowed: the detached tensor does not require grad
    assert x._version == 1
    with pytest.raises(RuntimeError, match="'x' of shape \\(2,\\), saved by mul"):
        y.backward()
    h = x * 2.0
    kept = h.detach()
    ref = weakref.ref(h)
    del h
    gc.collect()
    assert ref() is None and kept.data.shape == (2,)
