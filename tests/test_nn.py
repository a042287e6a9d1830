"""tinygrad_conv.nn: registration and names, module paths, state dicts (also to and from PyTorch),
.npz files, default initialisation against PyTorch's, layer outputs and gradients against
PyTorch's."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(4 * 3 * 3, 5))

    def forward(self, x):
        return self.classifier(self.features(x))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(6, 4)
        self.act = nn.ReLU()
        self.head = nn.Sequential(nn.Linear(4, 3, bias=False))

    def forward(self, x):
        return self.head(self.act(self.hidden(x)))


def torch_net(torch):
    tnn = torch.nn
    return tnn.Sequential(
        tnn.Sequential(tnn.Conv2d(1, 4, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2)),
        tnn.Sequential(tnn.Flatten(), tnn.Linear(4 * 3 * 3, 5)),
    )


def rename_torch(state, forward):
    """Our Net names its halves features/classifier; the torch twin names them 0/1."""
    pairs = [("features.", "0."), ("classifier.", "1.")]
    out = {}
    for key, value in state.items():
        for ours, theirs in pairs:
            if forward and key.startswith(ours):
                key = theirs + key[len(ours) :]
            elif not forward and key.startswith(theirs):
                key = ours + key[len(theirs) :]
        out[key] = value
    return out


def test_names_shapes_and_order_follow_pytorch():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == [
        "features.0.weight",
        "features.0.bias",
        "classifier.1.weight",
        "classifier.1.bias",
    ]
    assert [p.shape for p in net.parameters()] == [(4, 1, 3, 3), (4,), (5, 36), (5,)]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert list(MLP().state_dict()) == ["hidden.weight", "hidden.bias", "head.0.weight"]


def test_shared_parameter_is_listed_once_and_reassignment_replaces():
    layer = nn.Linear(3, 3)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    model.extra = nn.Linear(2, 2)
    assert "extra.weight" in model.state_dict()
    model.extra = None
    assert "extra.weight" not in model.state_dict()


def test_tensors_made_inside_a_module_remember_its_path():
    model = MLP()
    out = model(tc.Tensor(np.ones((2, 6), dtype=np.float32)))
    assert out._module[-1] == ("head.0", "Linear")
    relu_out = out.parents[0]  # head.0 has no bias: out = relu_out @ weight.T
    assert relu_out.op == "relu" and relu_out._module[-1] == ("act", "ReLU")
    assert out._module[0] == ("", "MLP")
    assert model.head[0].weight.name == "head.0.weight" and model.hidden.bias.name == "hidden.bias"
    assert tc.Tensor(np.ones(2))._module == ()  # outside any module


def test_train_eval_and_zero_grad():
    model = MLP()
    assert model.training and model.head[0].training
    assert model.eval() is model and not model.head[0].training and not model.hidden.training
    model.train()
    assert model.head[0].training
    x = tc.Tensor(np.ones((2, 6), dtype=np.float32))
    model(x).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_is_a_copy_and_loads_back():
    model, other = MLP(), MLP()
    state = model.state_dict()
    state["hidden.bias"][:] = 123.0
    assert not np.any(model.hidden.bias.data == 123.0)
    result = other.load_state_dict(model.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = tc.Tensor(np.random.default_rng(0).normal(size=(3, 6)).astype(np.float32))
    np.testing.assert_array_equal(model(x).data, other(x).data)


def test_load_state_dict_keeps_dtype_and_accepts_lists_and_tensors():
    model = nn.Linear(2, 2)
    model.load_state_dict({"weight": [[1, 2], [3, 4]], "bias": tc.Tensor(np.array([0.5, -0.5]))})
    assert model.weight.dtype == np.float32 and model.bias.dtype == np.float32
    np.testing.assert_array_equal(model.weight.data, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(model.bias.data, [0.5, -0.5])


@pytest.mark.parametrize(
    "change, error, fragments",
    [
        (lambda s: s.pop("hidden.bias"), ValueError, ["missing", "hidden.bias"]),
        (lambda s: s.update(extra=np.zeros(2)), ValueError, ["unexpected", "extra"]),
        (
            lambda s: s.update({"hidden.weight": np.zeros((6, 4))}),
            ValueError,
            ["hidden.weight", "(6, 4)", "(4, 6)"],
        ),
        (
            lambda s: s.update({"hidden.bias": np.array(["a"] * 4)}),
            TypeError,
            ["hidden.bias", "dtype"],
        ),
    ],
)
def test_load_state_dict_errors_name_the_key_and_change_nothing(change, error, fragments):
    model = MLP()
    before = model.state_dict()
    state = {k: v + 1 for k, v in before.items()}
    change(state)
    with pytest.raises(error) as info:
        model.load_state_dict(state)
    assert all(f in str(info.value) for f in fragments), str(info.value)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_load_state_dict_not_strict_reports_keys():
    model = nn.Linear(2, 2)
    result = model.load_state_dict({"weight": np.eye(2), "other": np.ones(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["other"]
    np.testing.assert_array_equal(model.weight.data, np.eye(2))
    with pytest.raises(TypeError, match="state_dict"):
        model.load_state_dict([("weight", np.eye(2))])


def test_save_and_load_npz(tmp_path):
    model, other = MLP(), MLP()
    path = tmp_path / "weights.npz"
    model.save(path)
    assert other.load(path) is other
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[key], value)
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        other.load(tmp_path / "missing.npz")
    assert model.save(tmp_path / "plain") == str(tmp_path / "plain.npz")  # as np.savez names it
    other.load(tmp_path / "plain")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="bad.npz"):
        other.load(bad)


@pytest.mark.parametrize(
    "make, fan_in",
    [
        (lambda: nn.Linear(400, 300), 400),
        (lambda: nn.Conv2d(6, 128, 5), 150),
        (lambda: nn.Conv2d(8, 512, (3, 2), groups=4), 2 * 3 * 2),
    ],
)
def test_default_init_is_pytorchs_bounds_and_spread(make, fan_in):
    nn.init.manual_seed(0)
    layer = make()
    # kaiming_uniform_(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    bound = 1 / math.sqrt(fan_in)
    w, b = layer.weight.data, layer.bias.data
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.98 * bound
    assert abs(w.mean()) < 0.02 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda: nn.Linear(400, 300), lambda t: t.nn.Linear(400, 300)),
        (lambda: nn.Conv2d(6, 128, 5), lambda t: t.nn.Conv2d(6, 128, 5)),
    ],
)
def test_default_init_matches_torch_statistics(torch, ours, theirs):
    torch.manual_seed(0)
    mine, ref = ours(), theirs(torch)
    for name, param in mine.named_parameters():
        expected = getattr(ref, name).detach().numpy()
        got = param.data
        assert got.shape == expected.shape
        assert np.abs(got).max() <= np.abs(expected).max() * 1.02 + 1e-7
        assert np.abs(got).max() >= np.abs(expected).max() * 0.95
        if got.size > 1000:
            assert got.std() == pytest.approx(expected.std(), rel=0.03)


def test_init_manual_seed_reproduces():
    nn.init.manual_seed(3)
    a = nn.Linear(5, 5).weight.data
    nn.init.manual_seed(3)
    np.testing.assert_array_equal(nn.Linear(5, 5).weight.data, a)


@pytest.mark.parametrize(
    "call, error, fragment",
    [
        (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "groups"),
        (lambda: nn.Conv2d(3, 4, 0), ValueError, "kernel_size"),
        (lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"), ValueError, "same"),
        (lambda: nn.Conv2d(3, 4, 3, padding="full"), ValueError, "padding"),
        (lambda: nn.Conv2d("3", 4, 3), TypeError, "in_channels"),
        (lambda: nn.Linear(3.0, 4), TypeError, "in_features"),
        (lambda: nn.Linear(3, 0), ValueError, "out_features"),
        (lambda: nn.MaxPool2d(2, padding=2), ValueError, "padding"),
        (lambda: nn.Flatten(1.5), TypeError, "start_dim"),
        (lambda: nn.Sequential(nn.ReLU(), "relu"), TypeError, "Module"),
        (lambda: nn.CrossEntropyLoss(reduction="avg"), ValueError, "reduction"),
        (lambda: nn.CrossEntropyLoss(label_smoothing=1.5), ValueError, "label_smoothing"),
        (lambda: nn.Linear(3, 2)(tc.Tensor(np.ones((2, 4)))), ValueError, "in_features"),
    ],
)
def test_bad_layer_arguments(call, error, fragment):
    with pytest.raises(error, match=fragment):
        call()


def test_sequential_indexing_and_repr():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(model) == 3 and isinstance(model[1], nn.ReLU) and model[-1] is model[2]
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    assert isinstance(model[:2], nn.Sequential) and len(model[:2]) == 2
    assert "(1): ReLU()" in repr(model) and "in_features=2" in repr(model)


def test_linear_matches_hand_computation():
    layer = nn.Linear(2, 2)
    layer.load_state_dict({"weight": [[1.0, 2.0], [3.0, -1.0]], "bias": [0.5, 0.0]})
    out = layer(tc.Tensor(np.array([[1.0, 1.0], [2.0, 0.0]], dtype=np.float32)))
    np.testing.assert_allclose(out.data, [[3.5, 2.0], [2.5, 6.0]])
    out.sum().backward()
    np.testing.assert_allclose(layer.weight.grad, [[3.0, 1.0], [3.0, 1.0]])
    np.testing.assert_allclose(layer.bias.grad, [2.0, 2.0])


def test_linear_state_dict_round_trips_with_torch(torch):
    ours = MLP()
    ref = torch.nn.Sequential()
    ref.hidden = torch.nn.Linear(6, 4)
    ref.act = torch.nn.ReLU()
    ref.head = torch.nn.Sequential(torch.nn.Linear(4, 3, bias=False))
    x = np.random.default_rng(1).normal(size=(5, 6)).astype(np.float32)
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    np.testing.assert_allclose(
        ref(torch.from_numpy(x)).detach().numpy(), ours(tc.Tensor(x)).data, rtol=1e-6, atol=1e-6
    )
    for p in ref.parameters():
        torch.nn.init.normal_(p)
    ours.load_state_dict(ref.state_dict())  # torch tensors that require grad go in as they are
    np.testing.assert_allclose(
        ours(tc.Tensor(x)).data, ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-6, atol=1e-6
    )


def test_cnn_state_dict_round_trips_with_torch_both_ways(torch):
    ours, ref = Net(), torch_net(torch)
    x = np.random.default_rng(2).normal(size=(2, 1, 6, 6)).astype(np.float32)
    ref.load_state_dict(
        {k: torch.from_numpy(v) for k, v in rename_torch(ours.state_dict(), True).items()}
    )
    np.testing.assert_allclose(
        ours(tc.Tensor(x)).data, ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )
    torch.manual_seed(5)
    ref = torch_net(torch)
    ours.load_state_dict(rename_torch({k: v.numpy() for k, v in ref.state_dict().items()}, False))
    np.testing.assert_allclose(
        ours(tc.Tensor(x)).data, ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_forward_and_grads_match_torch(torch, dtype, backend):
    tnn, rng = torch.nn, np.random.default_rng(3)
    ours = nn.Sequential(
        nn.Conv2d(2, 3, 3, stride=1, padding="same"),
        nn.ReLU(),
        nn.AvgPool2d(2, stride=1, padding=1),
        nn.MaxPool2d(2),
        nn.Conv2d(3, 4, (2, 3), dilation=(2, 1), groups=1, padding=(1, 0)),
        nn.Flatten(),
        nn.Linear(4 * 4 * 2, 3),
    )
    ref = tnn.Sequential(
        tnn.Conv2d(2, 3, 3, stride=1, padding="same"),
        tnn.ReLU(),
        tnn.AvgPool2d(2, stride=1, padding=1),
        tnn.MaxPool2d(2),
        tnn.Conv2d(3, 4, (2, 3), dilation=(2, 1), groups=1, padding=(1, 0)),
        tnn.Flatten(),
        tnn.Linear(4 * 4 * 2, 3),
    )
    ref = ref.to(getattr(torch, np.dtype(dtype).name))
    ours.load_state_dict(ref.state_dict())
    for p in ours.parameters():
        p.data = p.data.astype(dtype)
    x = rng.normal(size=(2, 2, 7, 7)).astype(dtype)
    target = np.array([0, 2])
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)(ours(tc.Tensor(x)), target)
    ref_loss = tnn.CrossEntropyLoss(label_smoothing=0.1)(
        ref(torch.from_numpy(x)), torch.from_numpy(target)
    )
    loss.backward()
    ref_loss.backward()
    tol = 1e-5 if dtype == np.float32 else 1e-10
    assert loss.item() == pytest.approx(ref_loss.item(), rel=tol, abs=tol)
    pairs = zip(ours.named_parameters(), ref.named_parameters(), strict=True)
    for (name, param), (ref_name, ref_param) in pairs:
        assert name == ref_name
        np.testing.assert_allclose(param.grad, ref_param.grad.numpy(), rtol=tol * 10, atol=tol)


def test_submodule_before_super_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"super\(\)\.__init__\(\) before"):
        Broken()
