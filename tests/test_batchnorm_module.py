"""BatchNorm1d and BatchNorm2d: PyTorch as the oracle over several train steps (outputs, every
gradient, running statistics, num_batches_tracked; momentum=None, track_running_stats=False,
affine=False, eval mode), state dicts both ways, and the argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_conv import Tensor
from tinygrad_conv.nn.normalization import BatchNorm1d, BatchNorm2d

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}
LAYERS = [(BatchNorm2d, (6, 3, 5, 4)), (BatchNorm1d, (7, 3)), (BatchNorm1d, (5, 3, 6))]


def pair(torch, cls, dtype, **kwargs):
    ours = cls(3, dtype=dtype, **kwargs)
    theirs = getattr(torch.nn, cls.__name__)(
        3, dtype=getattr(torch, np.dtype(dtype).name), **kwargs
    )
    if ours.affine:  # weights other than 1 and 0, the same on both sides
        rng = np.random.default_rng(5)
        for name in ("weight", "bias"):
            values = rng.standard_normal(3).astype(dtype)
            getattr(ours, name).data[...] = values
            with torch.no_grad():
                getattr(theirs, name).copy_(torch.from_numpy(values))
    return ours, theirs


def compare(ours, theirs, tol, context):
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(
            ours.state_dict()[name], value.numpy(), err_msg=f"{context}: {name}", **tol
        )


def step(ours, theirs, rng, shape, dtype, torch, tol, context):
    x_np = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
    grad = rng.standard_normal(shape).astype(dtype)
    x = Tensor(x_np, requires_grad=True)
    tx = torch.from_numpy(x_np.copy()).requires_grad_(True)
    y, ty = ours(x), theirs(tx)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), err_msg=f"{context}: y", **tol)
    y.backward(grad)
    ty.backward(torch.from_numpy(grad))
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), err_msg=f"{context}: grad x", **tol)
    for name, param in theirs.named_parameters():
        np.testing.assert_allclose(
            getattr(ours, name).grad, param.grad.numpy(), err_msg=f"{context}: grad {name}", **tol
        )
        param.grad = None
        getattr(ours, name).grad = None
    compare(ours, theirs, tol, context)


@pytest.mark.torch
@pytest.mark.parametrize("cls, shape", LAYERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"momentum": None},
        {"momentum": 0.7, "eps": 1e-3},
        {"affine": False},
        {"track_running_stats": False},
    ],
    ids=["default", "cumulative", "momentum-eps", "no-affine", "no-stats"],
)
def test_matches_torch_over_steps(backend, torch, cls, shape, dtype, options):
    ours, theirs = pair(torch, cls, dtype, **options)
    rng = np.random.default_rng(0)
    tol = TOL[dtype]
    for i in range(4):
        step(ours, theirs, rng, shape, dtype, torch, tol, f"train step {i}")
    ours.eval()
    theirs.eval()
    for i in range(2):  # eval: running statistics (or the batch's, without them); no updates
        step(ours, theirs, rng, shape, dtype, torch, tol, f"eval step {i}")
    if ours.track_running_stats:
        assert int(ours.num_batches_tracked.data) == 4


@pytest.mark.parametrize("momentum, expected", [(None, 2.0), (0.5, 1.75), (1.0, 3.0)])
def test_running_mean_after_two_batches(momentum, expected):
    """Batches of channel means 1 and 3, from 0: the cumulative average is 2; momentum 0.5 gives
    0 -> 0.5 * 1 = 0.5 -> 0.5 * 0.5 + 0.5 * 3 = 1.75; momentum 1 keeps the last batch's."""
    bn = BatchNorm1d(1, momentum=momentum, dtype=np.float64)
    for mean in (1.0, 3.0):
        bn(Tensor(np.array([[mean - 1], [mean + 1]]), dtype=np.float64))
    assert bn.running_mean.data[0] == pytest.approx(expected)
    assert bn.num_batches_tracked.data.dtype == np.int64


def test_buffers_are_updated_in_place():
    bn = BatchNorm2d(2)
    mean, version = bn.running_mean, bn.running_mean._version
    bn(Tensor(np.random.default_rng(0).standard_normal((3, 2, 4, 4)) + 1, dtype=np.float32))
    assert bn.running_mean is mean and mean._version > version
    assert np.all(mean.data != 0)


def test_state_dict_keys_as_pytorch():
    assert list(BatchNorm2d(3).state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert list(BatchNorm1d(3, affine=False).state_dict()) == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert list(BatchNorm2d(3, track_running_stats=False).state_dict()) == ["weight", "bias"]
    state = BatchNorm2d(3, dtype=np.float64).state_dict()
    assert state["running_var"].dtype == np.float64 and state["num_batches_tracked"].shape == ()
    assert state["num_batches_tracked"].dtype == np.int64


@pytest.mark.torch
def test_torch_state_dict_loads_and_back(torch):
    theirs = torch.nn.BatchNorm2d(3)
    theirs(torch.randn(4, 3, 5, 5) * 2 + 1)
    theirs(torch.randn(4, 3, 5, 5))
    with torch.no_grad():
        theirs.weight.mul_(1.5)
        theirs.bias.add_(0.25)
    ours = BatchNorm2d(3)
    ours.load_state_dict(theirs.state_dict())
    assert int(ours.num_batches_tracked.data) == 2
    theirs.eval()
    ours.eval()
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(
        ours(Tensor(x)).data, theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )
    back = torch.nn.BatchNorm2d(3)
    back.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
    for name, value in theirs.state_dict().items():
        assert torch.equal(back.state_dict()[name], value), name


def test_eval_uses_running_statistics():
    bn = BatchNorm1d(2, dtype=np.float64)
    bn.running_mean.data[...] = [1.0, -1.0]
    bn.running_var.data[...] = [4.0, 0.25]
    bn.eval()
    y = bn(Tensor(np.array([[3.0, 0.0]])))  # one sample is fine in eval mode
    np.testing.assert_allclose(y.data, [[2 / np.sqrt(4 + 1e-5), 1 / np.sqrt(0.25 + 1e-5)]])
    assert y._ctx.params["training"] is False
    assert int(bn.num_batches_tracked.data) == 0


def test_bad_input_changes_no_state():
    bn = BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"BatchNorm2d: x must be 4-D \(N, C, H, W\), got 3-D"):
        bn(Tensor(np.ones((2, 3, 4))))
    with pytest.raises(ValueError, match="num_features=3 channels on dim 1, got shape"):
        bn(Tensor(np.ones((2, 4, 5, 5))))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(Tensor(np.ones((1, 3, 1, 1), np.float32)))
    with pytest.raises(ValueError, match="BatchNorm1d: x must be 2-D"):
        BatchNorm1d(3)(Tensor(np.ones((2, 3, 4, 5))))
    assert int(bn.num_batches_tracked.data) == 0
    np.testing.assert_array_equal(bn.running_mean.data, 0)


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        ({"num_features": 0}, ValueError, "num_features must be >= 1 and <= 2147483647, got 0"),
        ({"num_features": 2.0}, TypeError, "num_features"),
        ({"num_features": True}, TypeError, "num_features"),
        ({"num_features": 3, "eps": 0.0}, ValueError, "eps must lie in (0, inf], got 0.0"),
        ({"num_features": 3, "eps": "small"}, TypeError, "eps"),
        ({"num_features": 3, "momentum": 1.5}, ValueError, "momentum must lie in [0, 1], got 1.5"),
        ({"num_features": 3, "momentum": "0.1"}, TypeError, "momentum"),
        ({"num_features": 3, "affine": 1}, TypeError, "affine must be a bool"),
        ({"num_features": 3, "track_running_stats": None}, TypeError, "track_running_stats"),
        ({"num_features": 3, "dtype": np.int32}, TypeError, "dtype must be float32 or float64"),
    ],
)
def test_bad_arguments(kwargs, error, fragment):
    with pytest.raises(error) as info:
        BatchNorm2d(**kwargs)
    assert str(info.value).startswith("BatchNorm2d: ") and fragment in str(info.value)


def test_repr_and_parameters():
    bn = BatchNorm2d(4, momentum=None)
    assert repr(bn) == (
        "BatchNorm2d(4, eps=1e-05, momentum=None, affine=True, track_running_stats=True)"
    )
    assert [name for name, _ in bn.named_parameters()] == ["weight", "bias"]
    assert list(BatchNorm1d(4, affine=False).parameters()) == []
    np.testing.assert_array_equal(bn.weight.data, 1)
    np.testing.assert_array_equal(bn.bias.data, 0)


def test_reset_running_stats():
    bn = BatchNorm1d(2)
    bn(Tensor(np.array([[1.0, 2.0], [3.0, 5.0]], np.float32)))
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_mean.data, 0)
    np.testing.assert_array_equal(bn.running_var.data, 1)
    assert int(bn.num_batches_tracked.data) == 0


def test_double_and_float_convert_parameters_and_running_statistics(backend):
    bn = BatchNorm2d(2).double()
    assert bn.weight.dtype == np.float64 and bn.running_var.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64  # integer buffers stay
    x = np.random.default_rng(2).standard_normal((3, 2, 4, 4))
    y = bn(Tensor(x, dtype=np.float64))
    assert y.dtype == np.float64
    np.testing.assert_allclose(bn.running_mean.data, 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-12)
    bn.float()
    assert bn(Tensor(x, dtype=np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match="batch_norm: inputs must share one dtype"):
        bn(Tensor(x, dtype=np.float64))
