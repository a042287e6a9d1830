"""Every nn layer and loss of API.md against torch.nn: the same constructor call on both sides,
PyTorch's weights loaded as they are, then outputs and every gradient (input and parameters) in
float32 and float64, and the state dict back into torch. Containers and bad arguments too."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import nn

torch = pytest.importorskip("torch")

TOL = {np.float32: {"rtol": 2e-5, "atol": 2e-6}, np.float64: {"rtol": 1e-11, "atol": 1e-12}}

LAYERS = [
    ("Linear", lambda m: m.Linear(4, 3), (5, 4)),
    ("Linear_3d_no_bias", lambda m: m.Linear(4, 2, bias=False), (2, 3, 4)),
    ("Conv2d", lambda m: m.Conv2d(2, 3, 3, padding=1), (2, 2, 5, 5)),
    ("ReLU", lambda m: m.ReLU(), (3, 4)),
    ("LeakyReLU", lambda m: m.LeakyReLU(0.2), (3, 4)),
    ("LeakyReLU_default", lambda m: m.LeakyReLU(), (3, 4)),
    ("Tanh", lambda m: m.Tanh(), (3, 4)),
    ("Sigmoid", lambda m: m.Sigmoid(), (3, 4)),
    ("GELU", lambda m: m.GELU(), (3, 4)),
    ("GELU_tanh", lambda m: m.GELU(approximate="tanh"), (3, 4)),
    ("Softmax", lambda m: m.Softmax(dim=1), (3, 4)),
    ("Softmax_last", lambda m: m.Softmax(-1), (2, 3, 4)),
    ("LogSoftmax", lambda m: m.LogSoftmax(dim=1), (3, 4)),
    ("Identity", lambda m: m.Identity(54, unused=1), (3, 4)),
    ("Flatten", lambda m: m.Flatten(), (2, 3, 2, 2)),
    ("MaxPool2d", lambda m: m.MaxPool2d(2), (2, 2, 4, 6)),
    ("AvgPool2d", lambda m: m.AvgPool2d(3, stride=2, padding=1), (2, 2, 5, 5)),
    ("AdaptiveAvgPool2d", lambda m: m.AdaptiveAvgPool2d((2, 3)), (2, 3, 5, 7)),
    ("AdaptiveAvgPool2d_none", lambda m: m.AdaptiveAvgPool2d((None, 2)), (2, 3, 5, 7)),
    ("AdaptiveMaxPool2d", lambda m: m.AdaptiveMaxPool2d(3), (2, 3, 7, 8)),
    ("Dropout_p0", lambda m: m.Dropout(0.0), (3, 4)),
    ("Dropout2d_eval", lambda m: m.Dropout2d(0.7).eval(), (2, 3, 2, 2)),
    ("BatchNorm1d", lambda m: m.BatchNorm1d(4), (6, 4)),
    ("BatchNorm2d", lambda m: m.BatchNorm2d(3), (4, 3, 2, 3)),
    ("BatchNorm2d_eval", lambda m: m.BatchNorm2d(3).eval(), (4, 3, 2, 3)),
    (
        "Sequential_OrderedDict",
        lambda m: m.Sequential(
            OrderedDict(
                [
                    ("conv", m.Conv2d(1, 2, 3)),
                    ("act", m.LeakyReLU(0.1)),
                    ("pool", m.AdaptiveAvgPool2d(1)),
                    ("flat", m.Flatten()),
                    ("head", m.Linear(2, 3)),
                    ("out", m.LogSoftmax(dim=1)),
                ]
            )
        ),
        (3, 1, 5, 5),
    ),
]


def _torch_dtype(dtype):
    return torch.float32 if dtype == np.float32 else torch.float64


def _compare(ours, ref, x, dtype, backward=True):
    tol = TOL[dtype]
    mine = tc.Tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out, expected = ours(mine), ref(theirs)
    assert out.dtype == dtype and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **tol, err_msg="forward")
    if not backward:
        return
    upstream = np.random.default_rng(9).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), **tol, err_msg="grad of x")
    params = dict(ref.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad, params[name].grad.numpy(), **tol, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(("make", "shape"), [c[1:] for c in LAYERS], ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(backend, dtype, make, shape):
    torch.manual_seed(0)
    ref = make(torch.nn).to(_torch_dtype(dtype))
    ours = make(nn).to(dtype)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict(ref.state_dict())  # torch tensors, as they are
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    assert ours.training == ref.training
    _compare(ours, ref, x, dtype)
    back = make(torch.nn).to(_torch_dtype(dtype))
    back.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    for key, value in back.state_dict().items():  # running statistics after the step, too
        np.testing.assert_allclose(value.numpy(), ref.state_dict()[key].numpy(), **TOL[dtype])
    ours.eval()
    ref.eval()
    _compare(ours, ref, x, dtype, backward=False)


def W(m, values):
    """The same constant for both sides: a torch tensor for torch.nn, an array for ours."""
    array = np.asarray(values, dtype=np.float64)
    return torch.tensor(array) if m is torch.nn else array


LOSSES = [
    ("CrossEntropyLoss", lambda m: m.CrossEntropyLoss(), (6, 5), "class"),
    (
        "CrossEntropyLoss_weight_ignore_smooth",
        lambda m: m.CrossEntropyLoss(
            weight=W(m, [1, 2, 0.5, 1, 3]), ignore_index=1, label_smoothing=0.15
        ),
        (6, 5),
        "class",
    ),
    ("CrossEntropyLoss_sum", lambda m: m.CrossEntropyLoss(reduction="sum"), (6, 5), "class"),
    ("NLLLoss", lambda m: m.NLLLoss(), (6, 5), "logprob"),
    (
        "NLLLoss_weight_none",
        lambda m: m.NLLLoss(W(m, [1, 2, 0.5, 1, 3]), reduction="none"),
        (6, 5),
        "logprob",
    ),
    ("MSELoss", lambda m: m.MSELoss(), (3, 4), "real"),
    ("MSELoss_sum", lambda m: m.MSELoss(reduction="sum"), (3, 4), "real"),
    ("L1Loss_none", lambda m: m.L1Loss(reduction="none"), (3, 4), "real"),
    ("SmoothL1Loss", lambda m: m.SmoothL1Loss(beta=0.5), (3, 4), "real"),
    ("BCELoss", lambda m: m.BCELoss(), (3, 4), "prob"),
    (
        "BCELoss_weight_sum",
        lambda m: m.BCELoss(W(m, [1, 2, 3, 0.5]), reduction="sum"),
        (3, 4),
        "prob",
    ),
    ("BCEWithLogitsLoss", lambda m: m.BCEWithLogitsLoss(), (3, 4), "real"),
    (
        "BCEWithLogitsLoss_pos_weight",
        lambda m: m.BCEWithLogitsLoss(pos_weight=W(m, [1, 2, 3, 0.5])),
        (3, 4),
        "unit",
    ),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(
    ("make", "shape", "kind"), [c[1:] for c in LOSSES], ids=[c[0] for c in LOSSES]
)
def test_loss_matches_torch(backend, dtype, make, shape, kind):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape).astype(dtype)
    if kind == "class":
        target_np, target_t = rng.integers(0, shape[1], shape[0]), None
    elif kind == "logprob":
        x = (x - np.log(np.exp(x).sum(1, keepdims=True))).astype(dtype)
        target_np = rng.integers(0, shape[1], shape[0])
    else:
        target_np = rng.standard_normal(shape).astype(dtype)
        if kind in ("prob", "unit"):
            target_np = (1 / (1 + np.exp(-target_np))).astype(dtype)
        if kind == "prob":
            x = (1 / (1 + np.exp(-x))).astype(dtype)
    target_t = torch.tensor(target_np)
    ours, ref = make(nn), make(torch.nn).to(_torch_dtype(dtype))
    assert list(ours.state_dict()) == list(ref.state_dict())  # weights are buffers, as in torch
    mine, theirs = tc.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(mine, target_np), ref(theirs, target_t)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), **TOL[dtype])
    assert out.dtype == dtype
    upstream = np.ones(out.shape, dtype)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), **TOL[dtype])


def test_module_list_and_sequential_containers():
    blocks = nn.ModuleList([nn.Linear(2, 2), nn.ReLU()])
    blocks.append(nn.Linear(2, 1))
    blocks += [nn.Tanh()]
    assert len(blocks) == 4 and isinstance(blocks[-1], nn.Tanh)
    assert list(blocks.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    blocks.insert(0, nn.Identity())
    assert list(blocks.state_dict())[0] == "1.weight" and isinstance(blocks[1:][0], nn.Linear)
    del blocks[0]
    assert list(blocks.state_dict())[0] == "0.weight"
    with pytest.raises(NotImplementedError, match="ModuleList"):
        blocks(tc.Tensor(np.ones(2)))
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert list(seq.state_dict()) == ["fc.weight", "fc.bias"] and seq["act"] is seq[1]
    assert isinstance(seq[:1], nn.Sequential) and list(seq[:1].state_dict()) == [
        "fc.weight",
        "fc.bias",
    ]
    assert "(fc): Linear" in repr(seq)
    plain = nn.Sequential(nn.ReLU())
    plain.extend([nn.Tanh()]).insert(0, nn.Identity())
    assert [type(m).__name__ for m in plain] == ["Identity", "ReLU", "Tanh"]
    assert isinstance(plain.pop(), nn.Tanh) and len(plain) == 2 and "1" in plain._modules


def test_training_flag_is_read_by_dropout():
    model = nn.Sequential(nn.Dropout(0.5))
    x = tc.Tensor(np.ones((20, 20)))
    tc.manual_seed(0)
    assert (model(x).data == 0).any()
    model.eval()
    assert model(x) is x


BAD = [
    (lambda: nn.Dropout(1.5), ValueError, "p must lie in [0, 1]"),
    (lambda: nn.Dropout("a"), TypeError, "p must be"),
    (lambda: nn.LeakyReLU("x"), TypeError, "negative_slope"),
    (lambda: nn.GELU("exact"), ValueError, "approximate"),
    (lambda: nn.Softmax(dim=1.5), TypeError, "dim"),
    (lambda: nn.AdaptiveAvgPool2d(0), ValueError, "output_size"),
    (lambda: nn.AdaptiveMaxPool2d("a"), TypeError, "output_size"),
    (lambda: nn.CrossEntropyLoss(reduction="avg"), ValueError, "reduction"),
    (lambda: nn.CrossEntropyLoss(ignore_index=1.0), TypeError, "ignore_index"),
    (lambda: nn.NLLLoss(weight=["a"]), TypeError, "weight"),
    (lambda: nn.SmoothL1Loss(beta=-1), ValueError, "beta"),
    (lambda: nn.ModuleList([1]), TypeError, "Module"),
    (lambda: nn.Sequential(OrderedDict(a=1)), TypeError, "Module"),
    (lambda: nn.Linear(3, 2)(tc.Tensor(np.ones((2, 4), np.float32))), ValueError, "in_features=3"),
    (lambda: nn.AdaptiveAvgPool2d(2)(tc.Tensor(np.ones((2, 4), np.float32))), ValueError, "4-D"),
    (lambda: nn.Dropout2d()(tc.Tensor(np.ones((2, 4), np.float32))), ValueError, "4-D"),
    (
        lambda: nn.CrossEntropyLoss()(tc.Tensor(np.ones((2, 3))), [0, -1]),
        ValueError,
        "ignore_index=-100",
    ),
    (
        lambda: nn.CrossEntropyLoss(weight=np.ones(2))(tc.Tensor(np.ones((2, 3))), [0, 1]),
        ValueError,
        "one weight per class",
    ),
    (lambda: nn.CrossEntropyLoss()(tc.Tensor(np.ones((2, 3))), [0, 3]), ValueError, "[0, 3)"),
    (lambda: nn.NLLLoss()(tc.Tensor(np.ones((2, 3))), [0, 5]), ValueError, "nll_loss"),
    (lambda: nn.BCELoss()(tc.Tensor(np.full((2,), 1.5)), np.ones(2)), ValueError, "probabilities"),
    (lambda: nn.BCELoss()(tc.Tensor(np.full((2,), 0.5)), np.ones(3)), ValueError, "shape"),
    (lambda: nn.MSELoss()(tc.Tensor(np.ones((2, 3))), np.ones((4,))), ValueError, "broadcast"),
    (
        lambda: nn.MSELoss()(tc.Tensor(np.ones(2, np.float32)), tc.Tensor(np.ones(2))),
        TypeError,
        "dtype",
    ),
    (
        lambda: nn.BCEWithLogitsLoss(pos_weight=np.ones(3))(
            tc.Tensor(np.ones((2, 2))), np.ones((2, 2))
        ),
        ValueError,
        "pos_weight",
    ),
]


@pytest.mark.parametrize(("call", "error", "fragment"), BAD)
def test_bad_arguments(call, error, fragment):
    with pytest.raises(error) as info:
        call()
    assert fragment in str(info.value)


def test_bad_loss_call_leaves_inputs_untouched():
    x = tc.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    target = np.array([0, 7])
    with pytest.raises(ValueError):
        nn.CrossEntropyLoss()(x, target)
    np.testing.assert_array_equal(x.data, np.arange(6.0).reshape(2, 3))
    assert x.grad is None and target.tolist() == [0, 7]
