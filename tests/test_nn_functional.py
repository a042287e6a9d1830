"""tinygrad_conv.nn.functional with PyTorch's signatures (the MNIST example's calls), one_hot,
nn.utils (clip_grad_norm_, clip_grad_value_, parameters_to_vector) and the nn.init additions,
each against PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_conv as tc
import tinygrad_conv.nn.functional as F
from tinygrad_conv import functional, nn

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402


def test_everything_of_functional_is_reexported():
    for name in functional.__all__:
        assert hasattr(F, name), name
    for name in (
        "linear",
        "dropout",
        "dropout2d",
        "batch_norm",
        "nll_loss",
        "mse_loss",
        "l1_loss",
        "binary_cross_entropy",
        "binary_cross_entropy_with_logits",
        "smooth_l1_loss",
        "adaptive_avg_pool2d",
        "adaptive_max_pool2d",
        "one_hot",
        "relu",
        "log_softmax",
        "softmax",
        "cross_entropy",
        "max_pool2d",
        "avg_pool2d",
        "conv2d",
        "gelu",
        "leaky_relu",
    ):
        assert name in F.__all__, name


def test_pytorch_mnist_example_calls():
    """The canonical example's forward and loss, line for line (F.relu, F.max_pool2d, dropout,
    F.log_softmax(x, dim=1), F.nll_loss), against torch."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 1, 12, 12)).astype(np.float32)
    target = np.array([1, 0, 3, 2])
    ours = [nn.Conv2d(1, 4, 3), nn.Linear(4 * 5 * 5, 4)]
    theirs = [torch.nn.Conv2d(1, 4, 3), torch.nn.Linear(4 * 5 * 5, 4)]
    for a, b in zip(ours, theirs, strict=True):
        a.load_state_dict(b.state_dict())

    def forward(F, layers, x, training):
        x = F.relu(layers[0](x))
        x = F.max_pool2d(x, 2)
        x = F.dropout(x, 0.25, training=training)
        x = layers[1](x.flatten(1))
        return F.log_softmax(x, dim=1)

    out = forward(F, ours, tc.Tensor(x), False)
    ref = forward(TF, theirs, torch.from_numpy(x), False)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    loss, ref_loss = F.nll_loss(out, target), TF.nll_loss(ref, torch.from_numpy(target))
    loss.backward()
    ref_loss.backward()
    assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-5)
    np.testing.assert_allclose(
        ours[0].weight.grad, theirs[0].weight.grad.numpy(), rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(
        F.cross_entropy(tc.Tensor(x[:, 0, 0, :4]), target, None, None, 2, reduction="sum").data,
        TF.cross_entropy(
            torch.from_numpy(x[:, 0, 0, :4]),
            torch.from_numpy(target),
            None,
            None,
            2,
            reduction="sum",
        ).numpy(),
        rtol=1e-6,
    )


def test_softmax_without_dim_warns_and_picks_pytorchs_dim():
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    for ours, theirs in ((F.softmax, TF.softmax), (F.log_softmax, TF.log_softmax)):
        with pytest.warns(UserWarning, match="Implicit dimension"):
            got = ours(tc.Tensor(x))
        with pytest.warns(UserWarning):
            want = theirs(torch.from_numpy(x))
        np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-12)


def test_legacy_size_average_and_reduce_map_to_reduction():
    x, t = np.random.default_rng(2).standard_normal((2, 3)), np.ones((2, 3))
    for kw in ({"size_average": False}, {"reduce": False}, {"size_average": True}):
        with pytest.warns(UserWarning):
            want = TF.mse_loss(torch.from_numpy(x), torch.from_numpy(t), **kw).numpy()
        np.testing.assert_allclose(F.mse_loss(tc.Tensor(x), t, **kw).data, want)


def test_pool_options_outside_the_library_say_so():
    x = tc.Tensor(np.ones((1, 1, 4, 4)))
    with pytest.raises(NotImplementedError, match="ceil_mode"):
        F.max_pool2d(x, 2, ceil_mode=True)
    with pytest.raises(NotImplementedError, match="dilation"):
        F.max_pool2d(x, 2, dilation=2)


def test_one_hot_as_torch():
    labels = np.array([[0, 3], [2, 1]])
    for classes in (-1, 5):
        got = F.one_hot(labels, classes)
        want = TF.one_hot(torch.from_numpy(labels), classes).numpy()
        assert got.dtype == np.int64 and not got.requires_grad
        np.testing.assert_array_equal(got.data, want)
    for bad, error, fragment in (
        ([1.5], TypeError, "integer"),
        ([-1], ValueError, "non-negative"),
        ([4], ValueError, "smaller than"),
    ):
        with pytest.raises(error, match=fragment):
            F.one_hot(np.array(bad), 3)


def _grads(seed=3):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) * 3 for s in ((3, 4), (4,), (2, 2))]
    ours = [nn.Parameter(a, dtype=np.float64) for a in arrays]
    theirs = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in arrays]
    for p, q, a in zip(ours, theirs, arrays, strict=True):
        p.grad = a.copy() * 0.7
        q.grad = torch.from_numpy(a.copy() * 0.7)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, theirs = _grads()
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    ref = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total.item() == pytest.approx(ref.item(), rel=1e-12)
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12)


def test_clip_grad_value_and_parameters_to_vector_match_torch():
    ours, theirs = _grads()
    nn.utils.clip_grad_value_(ours, 1.0)
    torch.nn.utils.clip_grad_value_(theirs, 1.0)
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(p.grad, q.grad.numpy())
    vec = nn.utils.parameters_to_vector(ours)
    np.testing.assert_array_equal(
        vec.data, torch.nn.utils.parameters_to_vector(theirs).detach().numpy()
    )
    nn.utils.vector_to_parameters(tc.Tensor(np.arange(20.0)), ours)
    assert ours[1].data.tolist() == [12.0, 13.0, 14.0, 15.0] and ours[1]._version == 1
    with pytest.raises(TypeError, match="max_norm"):
        nn.utils.clip_grad_norm_(ours, "1")
    with pytest.raises(RuntimeError, match="total norm"):
        ours[0].grad[0, 0] = np.inf
        nn.utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)


INITS = [
    ("normal_", lambda i, t: i.normal_(t, 0.5, 2.0), 0.5, 2.0),
    (
        "xavier_uniform_",
        lambda i, t: i.xavier_uniform_(t, gain=2.0),
        0.0,
        2.0 * math.sqrt(6 / (200 + 300)) / math.sqrt(3),
    ),
    ("xavier_normal_", lambda i, t: i.xavier_normal_(t), 0.0, math.sqrt(2 / (200 + 300))),
    (
        "kaiming_normal_",
        lambda i, t: i.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
        0.0,
        math.sqrt(2) / math.sqrt(200),
    ),
    ("trunc_normal_", lambda i, t: i.trunc_normal_(t, std=0.5, a=-0.3, b=0.6), None, None),
]


@pytest.mark.parametrize(("fill", "mean", "std"), [c[1:] for c in INITS], ids=[c[0] for c in INITS])
def test_init_statistics_match_torch(fill, mean, std):
    tc.manual_seed(0)
    torch.manual_seed(0)
    ours = nn.Parameter(np.zeros((200, 300)))
    theirs = torch.empty(200, 300)
    assert fill(nn.init, ours) is ours and ours._version == 1
    fill(torch.nn.init, theirs)
    ref = theirs.numpy()
    assert abs(ours.data.mean() - ref.mean()) < 0.02 * max(ref.std(), 1e-3) * 10
    assert ours.data.std() == pytest.approx(ref.std(), rel=0.03)
    if std is not None:
        assert ours.data.mean() == pytest.approx(mean, abs=0.02 * std * 5)
        assert ours.data.std() == pytest.approx(std, rel=0.03)
    if fill is INITS[-1][1]:
        assert ours.data.min() >= -0.3 and ours.data.max() <= 0.6


def test_constant_ones_zeros():
    t = nn.Parameter(np.zeros((2, 3)))
    assert nn.init.constant_(t, 2.5) is t and (t.data == 2.5).all()
    nn.init.ones_(t)
    assert (t.data == 1).all()
    nn.init.zeros_(t)
    assert (t.data == 0).all() and t._version == 3
