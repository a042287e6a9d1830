"""gradcheck on a model that is not float64 says how to fix it (model.double()), instead of an
op's dtype error from deep inside the model."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import nn


def model_and_input():
    tc.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(18, 2))
    x = tc.Tensor(np.random.default_rng(0).random((1, 1, 5, 5)), requires_grad=True, name="x")
    return model, x


def test_float32_module_says_double():
    model, x = model_and_input()
    with pytest.raises(TypeError) as err:
        tc.gradcheck(model, x)
    message = str(err.value)
    assert "Sequential has float32 parameters" in message and "model.double()" in message
    assert "share one dtype" not in message
    assert tc.gradcheck(model.double(), x)  # the fix it names works


def test_float32_tensor_inside_fn_says_float64():
    _, x = model_and_input()
    w = tc.Tensor(np.ones((2, 1, 3, 3), dtype=np.float32), requires_grad=True)
    with pytest.raises(TypeError, match=r"float64 copies of the inputs.*model\.double\(\)"):
        tc.gradcheck(lambda x: tc.conv2d(x, w), x)
    w64 = tc.Tensor(np.ones((2, 1, 3, 3)), dtype="float64", requires_grad=True)
    assert tc.gradcheck(lambda x: tc.conv2d(x, w64), x)
