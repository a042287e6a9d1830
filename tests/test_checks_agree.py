"""A bad argument gets the same answer from a layer's constructor and from its functional form:
the same exception class, the argument named in both messages and, where both go through the same
normaliser of tinygrad_conv._checks (or the op's own), the same message after the "op: " prefix.
Then the message shapes that optim and data share with them."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import nn, optim
from tinygrad_conv.data import DataLoader, TensorDataset, batches
from tinygrad_conv.optim import lr_scheduler


def logits():
    return tc.Tensor(np.zeros((3, 4), np.float32))


def classes():
    return np.array([0, 1, 2])


def probs():
    return tc.Tensor(np.full((3, 4), 0.5, np.float32))


def image(c=2, size=6):
    return tc.Tensor(np.zeros((1, c, size, size), np.float32))


def weight(c_out=2, c_in=2, k=3):
    return tc.Tensor(np.zeros((c_out, c_in, k, k), np.float32))


LOSSES = {  # layer: its functional form, taking the same keywords
    nn.CrossEntropyLoss: lambda **kw: tc.cross_entropy(logits(), classes(), **kw),
    nn.NLLLoss: lambda **kw: tc.nll_loss(logits(), classes(), **kw),
    nn.MSELoss: lambda **kw: tc.mse_loss(logits(), logits(), **kw),
    nn.L1Loss: lambda **kw: tc.l1_loss(logits(), logits(), **kw),
    nn.SmoothL1Loss: lambda **kw: tc.smooth_l1_loss(logits(), logits(), **kw),
    nn.BCELoss: lambda **kw: tc.binary_cross_entropy(probs(), probs(), **kw),
    nn.BCEWithLogitsLoss: lambda **kw: tc.binary_cross_entropy_with_logits(logits(), probs(), **kw),
}
WINDOWS = {
    nn.Conv2d: (
        lambda **kw: nn.Conv2d(2, 2, 3, **kw),
        lambda **kw: tc.conv2d(image(), weight(), **kw),
    ),
    nn.MaxPool2d: (lambda **kw: nn.MaxPool2d(**kw), lambda **kw: tc.max_pool2d(image(), **kw)),
    nn.AvgPool2d: (lambda **kw: nn.AvgPool2d(**kw), lambda **kw: tc.avg_pool2d(image(), **kw)),
}
ADAPTIVE = {
    nn.AdaptiveAvgPool2d: lambda **kw: tc.adaptive_avg_pool2d(image(), **kw),
    nn.AdaptiveMaxPool2d: lambda **kw: tc.adaptive_max_pool2d(image(), **kw),
}

# (layer, functional, the bad keyword arguments given to both, exception, same message after the
# "op: " prefix); the message names the last (bad) keyword.
PAIRS = [
    (layer, fn, {"reduction": bad}, ValueError, True)
    for layer, fn in LOSSES.items()
    for bad in (3, None, "avg", ["mean"])
]
PAIRS += [
    (nn.CrossEntropyLoss, LOSSES[nn.CrossEntropyLoss], kw, error, True)
    for kw, error in [
        ({"label_smoothing": 1.5}, ValueError),
        ({"label_smoothing": -0.1}, ValueError),
        ({"label_smoothing": math.nan}, ValueError),
        ({"label_smoothing": "0.1"}, TypeError),
        ({"label_smoothing": True}, TypeError),
        ({"ignore_index": 1.5}, TypeError),
        ({"ignore_index": "a"}, TypeError),
    ]
]
PAIRS += [
    (nn.NLLLoss, LOSSES[nn.NLLLoss], {"ignore_index": "a"}, TypeError, True),
    (nn.SmoothL1Loss, LOSSES[nn.SmoothL1Loss], {"beta": -1.0}, ValueError, True),
    (nn.SmoothL1Loss, LOSSES[nn.SmoothL1Loss], {"beta": math.nan}, ValueError, True),
    (nn.SmoothL1Loss, LOSSES[nn.SmoothL1Loss], {"beta": "a"}, TypeError, True),
]
PAIRS += [
    (layer, fn, {"p": bad}, error, True)
    for layer, fn in [
        (nn.Dropout, lambda **kw: tc.dropout(logits(), **kw)),
        (nn.Dropout2d, lambda **kw: tc.dropout2d(image(), **kw)),
    ]
    for bad, error in [(1.5, ValueError), (-0.1, ValueError), ("a", TypeError), (True, TypeError)]
]
PAIRS += [
    (functools.partial(nn.BatchNorm2d, 2), fn, kw, error, True)
    for fn in [lambda **kw: tc.batch_norm(image(), None, None, training=True, **kw)]
    for kw, error in [
        ({"eps": 0.0}, ValueError),
        ({"eps": -1.0}, ValueError),
        ({"eps": "a"}, TypeError),
        ({"momentum": "0.1"}, TypeError),
    ]
]
PAIRS += [  # the activations' op checks are not yet _checks' (other words, same class)
    (
        nn.LeakyReLU,
        lambda **kw: tc.leaky_relu(logits(), **kw),
        {"negative_slope": "a"},
        TypeError,
        False,
    ),
    (nn.GELU, lambda **kw: tc.gelu(logits(), **kw), {"approximate": "exact"}, ValueError, False),
]
PAIRS += [
    (*WINDOWS[nn.Conv2d], kw, error, True)
    for kw, error in [
        ({"padding": "full"}, ValueError),
        ({"padding": -1}, ValueError),
        ({"padding": 1.5}, TypeError),
        ({"padding": (1, 2, 3)}, TypeError),
        ({"padding": "same", "stride": 2}, ValueError),
        ({"stride": 0}, ValueError),
        ({"stride": (1, "a")}, TypeError),
        ({"dilation": 0}, ValueError),
        ({"groups": 0}, ValueError),
        ({"groups": 1.0}, TypeError),
    ]
]
PAIRS += [
    (*WINDOWS[pool], kw, error, True)
    for pool in (nn.MaxPool2d, nn.AvgPool2d)
    for kw, error in [
        ({"kernel_size": 0}, ValueError),
        ({"kernel_size": "a"}, TypeError),
        ({"kernel_size": 2, "stride": 0}, ValueError),
        ({"kernel_size": 2, "padding": -1}, ValueError),
        ({"kernel_size": 3, "padding": 2}, ValueError),
        ({"kernel_size": 2, "padding": True}, TypeError),
    ]
]
PAIRS += [
    (layer, fn, {"output_size": bad}, error, True)
    for layer, fn in ADAPTIVE.items()
    for bad, error in [(0, ValueError), ((2, -1), ValueError), ("a", TypeError), ((5,), TypeError)]
]


def pair_id(pair) -> str:
    layer, _, kw, _, _ = pair
    name = getattr(layer, "__name__", "BatchNorm2d")
    return f"{name}-" + ",".join(f"{k}={v!r}" for k, v in kw.items())


def raised(call, error):
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error  # not a subclass standing in for it
    return str(info.value)


@pytest.mark.parametrize("layer, functional, kw, error, same_text", PAIRS, ids=map(pair_id, PAIRS))
def test_layer_and_function_agree(layer, functional, kw, error, same_text):
    from_layer = raised(lambda: layer(**kw), error)
    from_function = raised(lambda: functional(**kw), error)
    name = list(kw)[-1]  # the bad one
    assert name in from_layer and name in from_function
    if same_text:
        assert from_layer.split(": ", 1)[1] == from_function.split(": ", 1)[1]


def test_the_layer_message_names_the_layer():
    assert raised(lambda: nn.CrossEntropyLoss(reduction=3), ValueError) == (
        "CrossEntropyLoss: reduction must be one of 'mean', 'sum', 'none', got 3"
    )
    assert raised(lambda: tc.cross_entropy(logits(), classes(), reduction=3), ValueError) == (
        "cross_entropy: reduction must be one of 'mean', 'sum', 'none', got 3"
    )


def test_pytorch_refuses_the_same_reductions_with_valueerror():
    torch = pytest.importorskip("torch")
    x, t = torch.zeros(3, 4), torch.tensor([0, 1, 2])
    for bad in (3, None, "avg"):
        with pytest.raises(ValueError, match="reduction"):
            torch.nn.functional.cross_entropy(x, t, reduction=bad)


def params():
    return [nn.Parameter(np.ones(2))]


# (call, exception, the message after "owner: "): optim, schedulers and data say a bad real
# number, count or flag as the layers do.
SHAPES = [
    (lambda: optim.SGD(params(), lr="0.1"), TypeError, "lr must be a real number, got '0.1'"),
    (lambda: optim.SGD(params(), lr=-1.0), ValueError, "lr must lie in [0, inf], got -1.0"),
    (lambda: optim.Adam(params(), eps=math.nan), ValueError, "eps must lie in [0, inf], got nan"),
    (
        lambda: optim.Adam(params(), betas=(0.9, 1.0)),
        ValueError,
        "betas[1] must lie in [0, 1), got 1.0",
    ),
    (lambda: optim.Adadelta(params(), rho=1.5), ValueError, "rho must lie in [0, 1], got 1.5"),
    (lambda: optim.Adam(params(), amsgrad=1), TypeError, "amsgrad must be a bool, got 1"),
    (lambda: nn.BatchNorm2d(2, affine=1), TypeError, "affine must be a bool, got 1"),
    (lambda: nn.Linear(2, 2, bias=None), TypeError, "bias must be a bool, got None"),
    (
        lambda: DataLoader(TensorDataset(np.ones((2, 1))), shuffle=1),
        TypeError,
        "shuffle must be a bool, got 1",
    ),
    (
        lambda: batches(np.ones(2), np.ones(2), 1, shuffle="yes"),
        TypeError,
        "shuffle must be a bool, got 'yes'",
    ),
    (
        lambda: DataLoader(TensorDataset(np.ones((2, 1))), batch_size=0),
        ValueError,
        "batch_size must be >= 1 and <= 2147483647, got 0",
    ),
    (lambda: nn.Linear(0, 2), ValueError, "in_features must be >= 1 and <= 2147483647, got 0"),
    (lambda: nn.BatchNorm1d(0), ValueError, "num_features must be >= 1 and <= 2147483647, got 0"),
    (
        lambda: lr_scheduler.StepLR(optim.SGD(params()), 0),
        ValueError,
        "step_size must be >= 1 and <= 2147483647, got 0",
    ),
    (
        lambda: lr_scheduler.StepLR(optim.SGD(params()), 2.5),
        TypeError,
        "step_size must be an int, got 2.5",
    ),
    (
        lambda: lr_scheduler.LinearLR(optim.SGD(params()), start_factor=0),
        ValueError,
        "start_factor must lie in (0, 1], got 0",
    ),
    (
        lambda: lr_scheduler.ExponentialLR(optim.SGD(params()), math.nan),
        ValueError,
        "gamma must lie in [-inf, inf], got nan",
    ),
    (
        lambda: lr_scheduler.ReduceLROnPlateau(optim.SGD(params()), patience="3"),
        TypeError,
        "patience must be an int, got '3'",
    ),
    (
        lambda: lr_scheduler.ReduceLROnPlateau(optim.SGD(params()), mode="up"),
        ValueError,
        "mode must be one of 'min', 'max', got 'up'",
    ),
    (
        lambda: lr_scheduler.OneCycleLR(
            optim.SGD(params(), momentum=0.9), 1.0, total_steps=3, anneal_strategy="step"
        ),
        ValueError,
        "anneal_strategy must be one of 'cos', 'linear', got 'step'",
    ),
    (
        lambda: nn.init.kaiming_uniform_(nn.Parameter(np.ones((2, 2))), mode="fan"),
        ValueError,
        "mode must be one of 'fan_in', 'fan_out', got 'fan'",
    ),
    (
        lambda: nn.utils.clip_grad_norm_(params(), "1"),
        TypeError,
        "max_norm must be a real number, got '1'",
    ),
    (lambda: nn.Module().train(1), TypeError, "mode must be a bool, got 1"),
]


@pytest.mark.parametrize("call, error, text", SHAPES, ids=[s[2] for s in SHAPES])
def test_optim_data_and_layers_share_the_message_shapes(call, error, text):
    assert raised(call, error).split(": ", 1)[1] == text
