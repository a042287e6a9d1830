"""One-element tensors used as Python numbers, as PyTorch code uses them: `classes[label]` and
`range(n)` with an integer tensor (__index__), `f"{loss:.3f}"` (__format__), int() and float();
each checked against PyTorch."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import tinygrad_conv as tc

torch = pytest.importorskip("torch")

CLASSES = ("plane", "car", "bird", "cat", "deer")

# (data, dtype): tensors that convert to an index in PyTorch.
INDEXABLE = [
    (3, np.int64),
    (3, np.int32),
    (3, np.uint8),
    ([2], np.int64),
    ([[1]], np.int16),
    (True, np.bool_),
    (False, np.bool_),
]
# ... and ones that do not: floats, and more than one element.
NOT_INDEXABLE = [(2.0, np.float32), (2.0, np.float64), ([1, 2], np.int64), ([], np.int64)]


def both(data, dtype):
    return tc.tensor(data, dtype=dtype), torch.tensor(np.asarray(data, dtype=dtype))


@pytest.mark.parametrize("data, dtype", INDEXABLE)
def test_index_of_integer_and_bool_tensors_is_pytorch_s(data, dtype):
    t, tt = both(data, dtype)
    assert operator.index(t) == operator.index(tt)
    assert type(operator.index(t)) is int
    assert CLASSES[t] == CLASSES[tt]
    assert list(range(t)) == list(range(tt))
    assert [10, 20, 30, 40][t] == [10, 20, 30, 40][tt]
    assert hex(t) == hex(tt)


@pytest.mark.parametrize("data, dtype", NOT_INDEXABLE)
def test_index_refuses_what_pytorch_refuses(data, dtype):
    t, tt = both(data, dtype)
    with pytest.raises(TypeError):
        operator.index(tt)
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        operator.index(t)
    with pytest.raises(TypeError):
        CLASSES[t]


def test_cifar_tutorial_lines_with_int64_labels():
    """The CIFAR-10 tutorial's printing and counting lines, with labels from argmax and a
    tensor of targets."""
    labels = tc.tensor([3, 1, 4, 0])
    outputs = tc.Tensor(np.eye(5, dtype=np.float32)[[3, 2, 4, 0]])
    _, predictions = tc.max(outputs, 1)
    labels_t = torch.tensor([3, 1, 4, 0])
    _, predictions_t = torch.max(torch.from_numpy(outputs.numpy()), 1)

    def run(labels, predictions):
        line = " ".join(f"{CLASSES[labels[j]]:5s}" for j in range(4))
        correct = {name: 0 for name in CLASSES}
        for label, prediction in zip(labels, predictions, strict=True):
            if label == prediction:
                correct[CLASSES[label]] += 1
        return line, correct, (predictions == labels).sum().item()

    assert run(labels, predictions) == run(labels_t, predictions_t)


FORMATS = [
    (2.5, np.float32, ".3f"),
    (2.5, np.float32, ""),
    (1 / 3, np.float64, ".4f"),
    (1 / 3, np.float32, ".6e"),
    (123.456, np.float64, "10.2f"),
    (0.1, np.float32, ""),
    (7, np.int64, "5d"),
    (7, np.int64, ""),
    (-7, np.int32, "+d"),
    (True, np.bool_, ""),
    (0.25, np.float64, ".1%"),
]


@pytest.mark.parametrize("value, dtype, spec", FORMATS)
def test_format_of_a_0d_tensor_is_pytorch_s(value, dtype, spec):
    t, tt = both(value, dtype)
    assert format(t, spec) == format(tt, spec)


def test_format_of_a_loss_in_a_training_loop_line():
    x = tc.Tensor(np.array([[2.0, 0.5, -1.0]], dtype=np.float32), requires_grad=True)
    loss = tc.cross_entropy(x, tc.tensor([1]))
    xt = torch.tensor([[2.0, 0.5, -1.0]], requires_grad=True)
    loss_t = torch.nn.functional.cross_entropy(xt, torch.tensor([1]))
    assert f"loss: {loss:.3f}" == f"loss: {loss_t:.3f}"
    epoch, i = tc.tensor(1), 1999
    assert f"[{epoch + 1}, {i + 1:5d}] loss: {loss / 2000:.3f}" == (
        f"[{torch.tensor(1) + 1}, {i + 1:5d}] loss: {loss_t / 2000:.3f}"
    )


@pytest.mark.parametrize("data", [[2.5], [[2.5]], [1.0, 2.0]])
def test_format_of_a_dimensioned_tensor_keeps_the_default(data):
    t = tc.tensor(data)
    tt = torch.tensor(data)
    assert format(t, "") == str(t)
    with pytest.raises(TypeError):
        format(tt, ".3f")
    with pytest.raises(TypeError):
        format(t, ".3f")


@pytest.mark.parametrize(
    "value, dtype",
    [(2.7, np.float32), (-2.7, np.float64), ([3.25], np.float32), (5, np.int64), (True, np.bool_)],
)
def test_int_and_float_of_one_element_tensors(value, dtype):
    t, tt = both(value, dtype)
    assert int(t) == int(tt) and type(int(t)) is int
    assert float(t) == float(tt) and type(float(t)) is float


def test_int_and_float_refuse_many_elements_as_pytorch():
    t, tt = both([1.0, 2.0], np.float32)
    for convert in (int, float):
        with pytest.raises(ValueError):
            convert(tt)
        with pytest.raises(ValueError):
            convert(t)
