"""A small VGG-style network with BatchNorm2d and BatchNorm1d, given PyTorch's weights: PyTorch's
train-mode outputs, loss, every gradient and running statistics over a few SGD steps, then its
eval-mode outputs, in float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_conv import Tensor, nn

pytestmark = pytest.mark.torch


def build(lib, dtype):
    return lib.Sequential(
        lib.Conv2d(3, 8, 3, padding=1, dtype=dtype),
        lib.BatchNorm2d(8, dtype=dtype),
        lib.ReLU(),
        lib.Conv2d(8, 8, 3, padding=1, dtype=dtype),
        lib.BatchNorm2d(8, momentum=None, dtype=dtype),
        lib.ReLU(),
        lib.MaxPool2d(2),
        lib.Flatten(),
        lib.Linear(8 * 4 * 4, 16, dtype=dtype),
        lib.BatchNorm1d(16, dtype=dtype),
        lib.ReLU(),
        lib.Linear(16, 5, dtype=dtype),
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_network_matches_torch(backend, torch, dtype):
    tol = dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-11)
    torch.manual_seed(0)
    theirs = build(torch.nn, getattr(torch, np.dtype(dtype).name))
    ours = build(nn, dtype)
    ours.load_state_dict(theirs.state_dict())
    rng = np.random.default_rng(0)
    lr = 0.1
    for step in range(3):
        x = rng.standard_normal((6, 3, 8, 8)).astype(dtype)
        target = rng.integers(0, 5, 6)
        loss = nn.functional.cross_entropy(ours(Tensor(x)), target)
        their_loss = torch.nn.functional.cross_entropy(
            theirs(torch.from_numpy(x)), torch.from_numpy(target)
        )
        np.testing.assert_allclose(loss.data, their_loss.item(), err_msg=f"loss {step}", **tol)
        ours.zero_grad()
        theirs.zero_grad()
        loss.backward()
        their_loss.backward()
        their_params = dict(theirs.named_parameters())
        for name, param in ours.named_parameters():
            expected = their_params[name].grad.numpy()
            np.testing.assert_allclose(param.grad, expected, err_msg=f"grad {name} {step}", **tol)
            param.data[...] -= lr * param.grad  # the same plain SGD step on both sides
            param._bump_version()
        with torch.no_grad():
            for param in theirs.parameters():
                param -= lr * param.grad
        for name, value in theirs.state_dict().items():
            np.testing.assert_allclose(
                ours.state_dict()[name], value.numpy(), err_msg=f"{name} after step {step}", **tol
            )
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((4, 3, 8, 8)).astype(dtype)
    np.testing.assert_allclose(
        ours(Tensor(x)).data, theirs(torch.from_numpy(x)).detach().numpy(), **tol
    )
