"""batch_norm, the op: gradcheck in float64 on both backends (train and eval, affine or not, 2-D
to 4-D), PyTorch as the oracle in float32 and float64 (outputs, every gradient, running
statistics), the statistics kept in ctx.params, a hand-worked case and the bad-input table."""

from __future__ import annotations

import numpy as np
import pytest
from case_claims import covers

import tinygrad_conv as tc
from tinygrad_conv import Tensor
from tinygrad_conv.ops.normalization import batch_norm

pytestmark = pytest.mark.kernels  # make test-debug and CI run these on the checked build

SHAPES = [(6, 3), (4, 3, 5), (3, 2, 4, 5)]
TORCH_TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


def tensors(rng, shape, dtype=np.float64, offset=0.0):
    c = shape[1]
    x = Tensor(rng.standard_normal(shape) * 2 + offset, requires_grad=True, dtype=dtype)
    w = Tensor(rng.standard_normal(c), requires_grad=True, dtype=dtype)
    b = Tensor(rng.standard_normal(c), requires_grad=True, dtype=dtype)
    return x, w, b


@covers("gradcheck", "batch_norm")
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_gradcheck(backend, rng, shape, training, affine):
    x, w, b = tensors(rng, shape)
    c = shape[1]
    mixer = Tensor(rng.standard_normal(shape))  # sum(y) alone has a zero x-gradient in train mode
    running_mean, running_var = rng.standard_normal(c), rng.uniform(0.5, 2, c)

    def fn(x, w, b):
        rm, rv = running_mean.copy(), running_var.copy()
        y = batch_norm(x, rm, rv, w if affine else None, b if affine else None, training)
        return y * mixer

    assert tc.gradcheck(fn, x, w, b) if affine else tc.gradcheck(lambda x: fn(x, None, None), x)


@pytest.mark.parametrize("training", [True, False])
def test_gradcheck_weight_only_and_bias_only(backend, rng, training):
    x, w, b = tensors(rng, (5, 2, 3))
    mixer = Tensor(rng.standard_normal((5, 2, 3)))
    rm, rv = np.zeros(2), np.ones(2)
    assert tc.gradcheck(lambda x, w: batch_norm(x, rm, rv, w, None, training) * mixer, x, w)
    assert tc.gradcheck(lambda x, b: batch_norm(x, rm, rv, None, b, training) * mixer, x, b)


def torch_case(torch, rng, shape, dtype, training, affine, offset=0.0):
    """(ours, torch's) after a forward and a backward of a random grad_out."""
    x, w, b = tensors(rng, shape, dtype, offset)
    c = shape[1]
    rm, rv = rng.standard_normal(c).astype(dtype), rng.uniform(0.5, 2, c).astype(dtype)
    grad_out = rng.standard_normal(shape).astype(dtype)
    trm, trv = torch.tensor(rm), torch.tensor(rv)
    tx, tw, tb = (torch.tensor(t.data, requires_grad=True) for t in (x, w, b))
    weights = (w, b) if affine else (None, None)
    y = batch_norm(x, rm, rv, *weights, training=training, momentum=0.3, eps=1e-3)
    y.backward(grad_out)
    ty = torch.nn.functional.batch_norm(
        tx,
        trm,
        trv,
        *((tw, tb) if affine else (None, None)),
        training=training,
        momentum=0.3,
        eps=1e-3,
    )
    ty.backward(torch.tensor(grad_out))
    ours = {"y": y.data, "grad_x": x.grad, "running_mean": rm, "running_var": rv}
    theirs = {"y": ty, "grad_x": tx.grad, "running_mean": trm, "running_var": trv}
    if affine:
        ours.update(grad_weight=w.grad, grad_bias=b.grad)
        theirs.update(grad_weight=tw.grad, grad_bias=tb.grad)
    return ours, {k: v.detach().numpy() for k, v in theirs.items()}


@covers("torch", "batch_norm")
@pytest.mark.torch
@pytest.mark.parametrize("shape", SHAPES + [(8, 4, 7, 9)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_matches_torch(backend, torch, rng, shape, dtype, training, affine):
    ours, theirs = torch_case(torch, rng, shape, dtype, training, affine, offset=3.0)
    for name, expected in theirs.items():
        assert ours[name].dtype == dtype, name
        np.testing.assert_allclose(ours[name], expected, err_msg=name, **TORCH_TOL[dtype])


@pytest.mark.torch
def test_matches_torch_on_a_large_float32_batch(backend, torch, rng):
    """64 x 8 x 30 x 30: many chunks per channel, means far from zero."""
    ours, theirs = torch_case(torch, rng, (64, 8, 30, 30), np.float32, True, True, offset=50.0)
    for name, expected in theirs.items():
        np.testing.assert_allclose(ours[name], expected, err_msg=name, rtol=2e-4, atol=2e-4)


def test_hand_worked(backend):
    """Channel values 1 and 3: mean 2, biased variance 1, unbiased 2."""
    x = Tensor([[1.0, 10.0], [3.0, 10.0]], dtype=np.float64)
    rm, rv = np.zeros(2), np.ones(2)
    y = batch_norm(x, rm, rv, training=True, momentum=0.5, eps=0.0 + 1e-12)
    np.testing.assert_allclose(y.data[:, 0], [-1, 1], rtol=1e-9)
    np.testing.assert_allclose(y.data[:, 1], [0, 0])  # a constant channel
    np.testing.assert_allclose(rm, [1.0, 5.0])  # 0.5 * 0 + 0.5 * mean
    np.testing.assert_allclose(rv, [1.5, 0.5])  # 0.5 * 1 + 0.5 * unbiased var (2 and 0)
    y = batch_norm(x, rm, rv, training=False, eps=0.0)  # eval: (x - rm) / sqrt(rv)
    expected = [[0, 5 / np.sqrt(0.5)], [2 / np.sqrt(1.5), 5 / np.sqrt(0.5)]]
    np.testing.assert_allclose(y.data, expected)


def test_params_keep_the_statistics_used(backend, rng):
    x = Tensor(rng.standard_normal((5, 3, 4)) + 2, requires_grad=True, dtype=np.float64)
    rm, rv = np.zeros(3), np.ones(3)
    y = batch_norm(x, rm, rv, training=True)
    params = y._ctx.params
    assert y.op == "batch_norm"
    assert set(params) == {"training", "momentum", "eps", "mean", "var"}
    assert params["training"] is True and params["momentum"] == 0.1 and params["eps"] == 1e-5
    np.testing.assert_allclose(params["mean"], x.data.mean(axis=(0, 2)), rtol=1e-12)
    np.testing.assert_allclose(params["var"], x.data.var(axis=(0, 2)), rtol=1e-12)
    y = batch_norm(x, rm, rv, training=False)
    used = rm.copy()
    rm += 1  # later changes of the running statistics do not change what the picture shows
    assert y._ctx.params["training"] is False
    np.testing.assert_array_equal(y._ctx.params["mean"], used)


def test_running_statistics_as_tensors(backend, rng):
    rm, rv = Tensor(np.zeros(3)), Tensor(np.ones(3))
    x = rng.standard_normal((4, 3))
    batch_norm(Tensor(x, dtype=np.float64), rm, rv, training=True, momentum=1.0)
    np.testing.assert_allclose(rm.data, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(rv.data, x.var(axis=0, ddof=1), rtol=1e-12)
    assert rm._version == 1 and rv._version == 1


def test_no_running_statistics_in_training(backend, rng):
    x = Tensor(rng.standard_normal((4, 3, 2)), dtype=np.float64)
    y = batch_norm(x, None, None, training=True)
    np.testing.assert_allclose(y.data.mean(axis=(0, 2)), 0, atol=1e-12)


def test_empty_batch_changes_nothing(backend):
    x = Tensor(np.zeros((0, 3, 4)), requires_grad=True, dtype=np.float32)
    w = Tensor(np.ones(3), requires_grad=True, dtype=np.float32)
    rm, rv = np.full(3, 2.0, np.float32), np.full(3, 3.0, np.float32)
    y = batch_norm(x, rm, rv, w, None, training=True)
    assert y.shape == (0, 3, 4)
    y.sum().backward()
    assert x.grad.shape == (0, 3, 4)
    np.testing.assert_array_equal(w.grad, 0)
    np.testing.assert_array_equal(rm, 2.0)
    np.testing.assert_array_equal(rv, 3.0)


@pytest.mark.parametrize("shape", [(4, 0), (3, 0, 5), (0, 2), (2, 3, 0)])
def test_empty_shapes(backend, shape):
    x = Tensor(np.zeros(shape), requires_grad=True, dtype=np.float32)
    c = shape[1]
    rm, rv = np.zeros(c, np.float32), np.ones(c, np.float32)
    for training in (True, False):
        y = batch_norm(x, rm, rv, training=training)
        assert y.shape == shape
        y.sum().backward()
        assert x.grad.shape == shape


def test_non_contiguous_input(backend, rng):
    base = rng.standard_normal((5, 4, 3, 2))
    x = Tensor(base.transpose(0, 3, 2, 1), dtype=np.float64)  # (5, 2, 3, 4), not contiguous
    y = batch_norm(x, None, None, training=True)
    expected = (x.data - x.data.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(
        x.data.var(axis=(0, 2, 3), keepdims=True) + 1e-5
    )
    np.testing.assert_allclose(y.data, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 40)])  # the row order and the channel order
def test_nan_stays_in_its_channel(backend, rng, shape):
    data = rng.standard_normal(shape)
    data[1, 1] = np.nan
    rm, rv = np.zeros(3), np.ones(3)
    y = batch_norm(Tensor(data, dtype=np.float64), rm, rv, training=True)
    assert np.isnan(y.data[:, 1]).all() and np.isnan(rv[1]) and np.isnan(rm[1])
    assert np.isfinite(y.data[:, [0, 2]]).all() and np.isfinite(rv[[0, 2]]).all()


def test_read_only_input(backend, rng):
    data = rng.standard_normal((6, 3, 4)).astype(np.float32)
    data.flags.writeable = False
    weight = np.ones(3, np.float32)
    weight.flags.writeable = False
    y = batch_norm(data, None, None, weight, None, training=True)
    np.testing.assert_allclose(y.data.mean(axis=(0, 2)), 0, atol=1e-6)


def test_no_grad_still_updates_running_statistics(backend, rng):
    rm, rv = np.zeros(2), np.ones(2)
    with tc.no_grad():
        y = batch_norm(
            Tensor(rng.standard_normal((3, 2)) + 1, dtype=np.float64), rm, rv, training=True
        )
    assert not y.requires_grad and np.all(rm > 0)


def f32(*shape):
    return np.ones(shape, np.float32)


BAD = [
    (lambda: batch_norm(f32(3), None, None, training=True), ValueError, ["x", "2-D", "(3,)"]),
    (
        lambda: batch_norm(f32(2, 3), None, None, f32(4), training=True),
        ValueError,
        ["weight", "(3,)", "(4,)"],
    ),
    (
        lambda: batch_norm(f32(2, 3), None, None, None, np.ones(3), training=True),
        TypeError,
        ["dtype"],
    ),
    (
        lambda: batch_norm(f32(2, 3), f32(4), f32(3), training=False),
        ValueError,
        ["running_mean", "(3,)", "(4,)"],
    ),
    (
        lambda: batch_norm(f32(2, 3), np.zeros(3), np.ones(3), training=False),
        TypeError,
        ["running_mean", "dtype"],
    ),
    (
        lambda: batch_norm(f32(2, 3), [0.0] * 3, f32(3), training=False),
        TypeError,
        ["running_mean", "list"],
    ),
    (
        lambda: batch_norm(f32(2, 3), None, None, training=False),
        ValueError,
        ["eval", "running_mean"],
    ),
    (
        lambda: batch_norm(f32(2, 3), f32(3), None, training=True),
        ValueError,
        ["running_var", "together"],
    ),
    (
        lambda: batch_norm(f32(1, 3), None, None, training=True),
        ValueError,
        ["more than 1 value per channel", "(1, 3)"],
    ),
    (
        lambda: batch_norm(f32(1, 3, 1, 1), None, None, training=True),
        ValueError,
        ["more than 1 value per channel"],
    ),
    (
        lambda: batch_norm(f32(2, 3), None, None, training=True, eps=0.0),
        ValueError,
        ["eps", "(0, inf]", "0.0"],
    ),
    (
        lambda: batch_norm(f32(2, 3), f32(3), f32(3), training=False, eps=-1.0),
        ValueError,
        ["eps", "[0, inf]", "-1.0"],
    ),
    (
        lambda: batch_norm(f32(2, 3), None, None, training=True, momentum=None),
        TypeError,
        ["momentum", "None"],
    ),
    (lambda: batch_norm(f32(2, 3), None, None, training=True, eps="1e-5"), TypeError, ["eps"]),
    (lambda: batch_norm(f32(2, 3), None, None, training=1), TypeError, ["training", "bool"]),
]


@pytest.mark.parametrize("call, error, fragments", BAD)
def test_bad_input(call, error, fragments):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert message.startswith("batch_norm")
    for fragment in fragments:
        assert fragment in message


def test_bad_input_leaves_running_statistics_alone():
    rm, rv = np.full(3, 2.0, np.float32), np.full(3, 3.0, np.float32)
    frozen = rm.copy()
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        batch_norm(f32(4, 3), frozen, rv, training=True)
    with pytest.raises(ValueError, match="weight"):
        batch_norm(f32(4, 3), rm, rv, f32(2), training=True)
    np.testing.assert_array_equal(rm, 2.0)
    np.testing.assert_array_equal(rv, 3.0)


def test_functional_namespaces():
    assert tc.batch_norm is batch_norm
    assert tc.functional.batch_norm is batch_norm
