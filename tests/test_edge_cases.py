"""Edge cases users hit: a batch of one, a single class, 1x1 images with 1x1 kernels, float64 end to
end, no_grad inference of a trained model, and a state dict from a different architecture."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import autograd, nn, optim
from tinygrad_conv.nn import init


def small_cnn(dtype=np.float32, channels=4):
    return nn.Sequential(
        nn.Conv2d(1, channels, 3, padding=1, dtype=dtype),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(channels * 4 * 4, 3, dtype=dtype),
    )


def images(n, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, 1, 8, 8)).astype(dtype)


def test_batch_of_one_matches_its_row_in_a_bigger_batch(backend):
    init.manual_seed(0)
    model = small_cnn()
    x = images(4)
    batch = model(tc.Tensor(x)).numpy()
    one = model(tc.Tensor(x[2:3]))
    assert one.shape == (1, 3)
    np.testing.assert_allclose(one.numpy(), batch[2:3], rtol=1e-5, atol=1e-6)
    loss = tc.cross_entropy(one, np.array([1]))
    loss.backward()
    assert loss.shape == () and np.isfinite(loss.item())
    assert all(p.grad is not None and np.isfinite(p.grad).all() for p in model.parameters())


def test_batch_of_one_matches_torch(backend):
    torch = pytest.importorskip("torch")
    init.manual_seed(1)
    model = small_cnn()
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 4 * 4, 3),
    )
    twin.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in model.state_dict().items()})
    x = images(1, seed=5)
    loss = tc.cross_entropy(model(tc.Tensor(x)), np.array([2]))
    loss.backward()
    ref = torch.nn.functional.cross_entropy(twin(torch.from_numpy(x)), torch.tensor([2]))
    ref.backward()
    assert loss.item() == pytest.approx(ref.item(), rel=1e-5)
    for (name, p), q in zip(model.named_parameters(), twin.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
def test_a_single_class_costs_nothing(backend, reduction, label_smoothing):
    """With one class, log-softmax is 0 whatever the logit: loss 0 and gradient 0 (to float32
    rounding: the Cython kernel's float32 exp leaves about 1e-8)."""
    logits = tc.Tensor(np.array([[3.0], [-1e4], [0.0]], np.float32), requires_grad=True)
    loss = tc.cross_entropy(
        logits, np.zeros(3, np.int64), reduction=reduction, label_smoothing=label_smoothing
    )
    assert loss.shape == ((3,) if reduction == "none" else ())
    assert np.array_equal(loss.numpy(), np.zeros(loss.shape, np.float32))
    loss.backward(np.ones(loss.shape, np.float32))
    np.testing.assert_allclose(logits.grad, np.zeros((3, 1)), rtol=0, atol=1e-7)


def test_every_target_the_same_class(backend):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 4))
    logits = tc.Tensor(x, requires_grad=True)
    loss = tc.cross_entropy(logits, np.full(5, 3))
    log_p = x - x.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    assert loss.item() == pytest.approx(-log_p[:, 3].mean(), rel=1e-12)
    loss.backward()
    expected = np.exp(log_p)
    expected[:, 3] -= 1
    np.testing.assert_allclose(logits.grad, expected / 5, rtol=1e-10, atol=1e-14)


def test_1x1_images_with_1x1_kernels_are_a_matmul(backend):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 3, 1, 1)), rng.standard_normal((4, 3, 1, 1))
    b = rng.standard_normal(4)
    g = rng.standard_normal((2, 4, 1, 1))
    xt, wt, bt = (tc.Tensor(a, requires_grad=True) for a in (x, w, b))
    y = tc.conv2d(xt, wt, bt)
    assert y.shape == (2, 4, 1, 1)
    expected = x[:, :, 0, 0] @ w[:, :, 0, 0].T + b
    np.testing.assert_allclose(y.numpy()[:, :, 0, 0], expected, rtol=1e-12)
    y.backward(g)
    np.testing.assert_allclose(xt.grad[:, :, 0, 0], g[:, :, 0, 0] @ w[:, :, 0, 0], rtol=1e-12)
    np.testing.assert_allclose(wt.grad[:, :, 0, 0], g[:, :, 0, 0].T @ x[:, :, 0, 0], rtol=1e-12)
    np.testing.assert_allclose(bt.grad, g.sum((0, 2, 3)), rtol=1e-12)


def test_1x1_image_with_padding_sees_only_the_kernel_centre(backend):
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((1, 2, 1, 1)), rng.standard_normal((3, 2, 3, 3))
    y = tc.conv2d(tc.Tensor(x), tc.Tensor(w), padding=1)
    np.testing.assert_allclose(y.numpy()[0, :, 0, 0], w[:, :, 1, 1] @ x[0, :, 0, 0], rtol=1e-12)
    same = tc.conv2d(tc.Tensor(x), tc.Tensor(w), padding="same")
    np.testing.assert_array_equal(same.numpy(), y.numpy())


@pytest.mark.parametrize("pool", ["max_pool2d", "avg_pool2d"])
def test_1x1_pool_of_a_1x1_image_is_the_identity(backend, pool):
    x = tc.Tensor(np.array([[[[2.5]], [[-1.0]]]]), requires_grad=True)
    y = getattr(tc, pool)(x, 1)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    y.backward(np.array([[[[3.0]], [[4.0]]]]))
    np.testing.assert_array_equal(x.grad, [[[[3.0]], [[4.0]]]])


def test_float64_end_to_end(backend):
    init.manual_seed(2)
    model = small_cnn(dtype=np.float64)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = tc.Tensor(images(3, np.float64), requires_grad=True)
    loss = tc.cross_entropy(model(x), np.array([0, 1, 2]))
    assert loss.dtype == np.float64
    floats = [t for t in autograd.topo_order(loss) if t.dtype.kind == "f"]  # targets stay ints
    assert floats and all(t.dtype == np.float64 for t in floats)  # no float32 anywhere
    loss.backward()
    assert x.grad.dtype == np.float64
    assert all(p.grad.dtype == np.float64 for p in model.parameters())
    opt.step()
    assert all(p.dtype == np.float64 for p in model.parameters())

    def f(images):
        return tc.cross_entropy(model(images), np.array([0, 1, 2]), reduction="sum")

    small = tc.Tensor(images(3, np.float64, seed=9) + 0.013, requires_grad=True)  # off ReLU kinks
    assert tc.gradcheck(f, small)


def test_no_grad_inference_of_a_trained_model(backend):
    init.manual_seed(3)
    model = small_cnn()
    opt = optim.Adam(model.parameters(), lr=0.01)
    x, y = images(16), np.arange(16) % 3
    for _ in range(5):
        opt.zero_grad()
        tc.cross_entropy(model(tc.Tensor(x)), y).backward()
        opt.step()
    grads = [p.grad.copy() for p in model.parameters()]
    weights = [p.data.copy() for p in model.parameters()]
    with_graph = model(tc.Tensor(x))
    model.eval()
    with tc.no_grad():
        out = model(tc.Tensor(x))
        loss = tc.cross_entropy(out, y)
    assert not out.requires_grad and out.parents == () and out.op is None  # no graph at all
    assert not loss.requires_grad and loss.parents == ()
    np.testing.assert_array_equal(out.numpy(), with_graph.numpy())  # the same numbers
    with pytest.raises(RuntimeError, match="require"):
        loss.backward()
    for p, g, w in zip(model.parameters(), grads, weights, strict=True):
        assert np.array_equal(p.grad, g) and np.array_equal(p.data, w)
    assert autograd.is_grad_enabled()  # the flag came back


def test_load_state_dict_from_a_wider_model_is_a_clear_error():
    init.manual_seed(4)
    narrow, wide = small_cnn(channels=4), small_cnn(channels=8)
    before = {k: v.copy() for k, v in narrow.state_dict().items()}
    with pytest.raises(ValueError, match=r"0\.weight.*\(8, 1, 3, 3\).*\(4, 1, 3, 3\)"):
        narrow.load_state_dict(wide.state_dict())
    with pytest.raises(ValueError, match="shape"):
        narrow.load_state_dict(wide.state_dict(), strict=False)
    after = narrow.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)  # nothing half-loaded


def test_load_state_dict_from_a_deeper_model_names_the_keys():
    init.manual_seed(5)
    shallow = small_cnn()
    deep = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(4, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 3),
    )
    before = {k: v.copy() for k, v in shallow.state_dict().items()}
    with pytest.raises(ValueError, match="missing|unexpected") as info:
        shallow.load_state_dict(deep.state_dict())
    assert "2.weight" in str(info.value) and "6.weight" in str(info.value)
    after = shallow.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_load_state_dict_from_a_different_torch_model_is_a_clear_error():
    torch = pytest.importorskip("torch")
    init.manual_seed(6)
    model = small_cnn()
    other = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 5, padding=2),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 4 * 4, 3),
    )
    before = {k: v.copy() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match=r"0\.weight.*\(4, 1, 5, 5\)"):
        model.load_state_dict(other.state_dict())
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 4 * 4, 3),
    )
    model.load_state_dict(twin.state_dict())  # the same architecture loads as is
    for name, value in twin.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[name], value.numpy())
