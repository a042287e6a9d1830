"""tinygrad_conv.optim: five steps from the same start with the same gradients match torch.optim;
hand-worked single steps; a parameter without a gradient is left alone; bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import nn, optim

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.1, nesterov=True)),
    ("Adam", dict(lr=1e-3)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kwargs", CONFIGS)
def test_five_steps_match_torch(torch, name, kwargs, dtype):
    rng = np.random.default_rng(0)
    starts = [rng.normal(size=(3, 4)).astype(dtype), rng.normal(size=(4,)).astype(dtype)]
    grads = [[rng.normal(size=s.shape).astype(dtype) for s in starts] for _ in range(5)]
    ours = [nn.Parameter(s) for s in starts]
    theirs = [torch.tensor(s, requires_grad=True) for s in starts]
    opt = getattr(optim, name)(ours, **kwargs)
    ref = getattr(torch.optim, name)(theirs, **kwargs)
    for step_grads in grads:
        opt.zero_grad()
        ref.zero_grad()
        for p, t, g in zip(ours, theirs, step_grads, strict=True):
            p.grad = g.copy()
            t.grad = torch.from_numpy(g.copy())
        opt.step()
        ref.step()
    for p, t in zip(ours, theirs, strict=True):
        assert p.dtype == dtype
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=0, atol=1e-6)


def test_sgd_momentum_by_hand():
    p = nn.Parameter(np.array([1.0, 2.0]))
    opt = optim.SGD([p], lr=0.5, momentum=0.5, weight_decay=0.1)
    p.grad = np.array([1.0, -1.0])  # the parameter's dtype (float64)
    opt.step()  # g = grad + 0.1 p = [1.1, -0.8]; buf = g; p -= 0.5 g
    np.testing.assert_allclose(p.data, [0.45, 2.4], rtol=1e-6)
    # g = [1 + .045, -1 + .24] = [1.045, -0.76]; buf = 0.5 [1.1, -0.8] + g = [1.595, -1.16]
    opt.step()
    np.testing.assert_allclose(p.data, [0.45 - 0.7975, 2.4 + 0.58], rtol=1e-6)


def test_adam_first_step_moves_each_weight_by_lr():
    # After one step m/(1-b1) = g and sqrt(v/(1-b2)) = |g|, so every weight moves by lr * sign(g).
    p = nn.Parameter(np.array([1.0, -1.0, 0.5]), dtype=np.float64)
    opt = optim.Adam([p], lr=0.1, eps=0.0)
    p.grad = np.array([3.0, -0.01, 2.0])
    opt.step()
    np.testing.assert_allclose(p.data, [0.9, -0.9, 0.4], rtol=1e-12)


@pytest.mark.parametrize(
    "make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: optim.Adam(ps, lr=0.1)]
)
def test_parameter_without_grad_is_left_alone(make):
    a, b = nn.Parameter(np.ones(3)), nn.Parameter(np.ones(2))
    opt = make([a, b])
    a.grad = np.ones(3)
    opt.step()
    opt.step()
    np.testing.assert_array_equal(b.data, np.ones(2))
    assert not np.allclose(a.data, 1.0)
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_trains_a_linear_model_from_backward():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32) + 0.3
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    for _ in range(200):
        opt.zero_grad()
        loss = ((model(tc.Tensor(x)) - y) ** 2).mean()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(model.weight.data, [[1.0, -2.0, 0.5]], atol=1e-3)
    np.testing.assert_allclose(model.bias.data, [0.3], atol=1e-3)


@pytest.mark.parametrize(
    "call, error, fragment",
    [
        (lambda p: optim.SGD(p, lr=-1.0), ValueError, "lr"),
        (lambda p: optim.SGD(p, lr="0.1"), TypeError, "lr"),
        (lambda p: optim.SGD(p, lr=0.1, nesterov=True), ValueError, "nesterov"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), ValueError, "momentum"),
        (lambda p: optim.Adam(p, betas=(0.9, 1.0)), ValueError, "betas"),
        (lambda p: optim.Adam(p, betas=0.9), TypeError, "betas"),
        (lambda p: optim.Adam(p, eps=float("nan")), ValueError, "eps"),
        (lambda p: optim.Adam([], lr=0.1), ValueError, "empty"),
        (lambda p: optim.Adam(p[0]), TypeError, "iterable"),
        (lambda p: optim.SGD([np.ones(2)], lr=0.1), TypeError, r"params\[0\]"),
        (lambda p: optim.SGD([tc.Tensor(np.ones(2))], lr=0.1), ValueError, "require grad"),
    ],
)
def test_bad_arguments(call, error, fragment):
    with pytest.raises(error, match=fragment):
        call([nn.Parameter(np.ones(2))])
